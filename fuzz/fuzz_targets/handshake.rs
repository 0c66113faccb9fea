#![no_main]
//! Fuzzes `roomcast::fuzz::handshake` (see core/src/fuzz.rs for the input format).
libfuzzer_sys::fuzz_target!(|data: &[u8]| roomcast::fuzz::handshake(data));
