#![no_main]
//! Fuzzes `roomcast::fuzz::engine_packet` (see core/src/fuzz.rs for the input format).
libfuzzer_sys::fuzz_target!(|data: &[u8]| roomcast::fuzz::engine_packet(data));
