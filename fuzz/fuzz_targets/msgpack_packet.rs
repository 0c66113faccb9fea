#![no_main]
//! Fuzzes `roomcast::fuzz::msgpack_packet` (see core/src/fuzz.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| roomcast::fuzz::msgpack_packet(data));
