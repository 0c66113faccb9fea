#![no_main]
//! Fuzzes `roomcast::fuzz::socketio_packet` (see core/src/fuzz.rs for the input format).
libfuzzer_sys::fuzz_target!(|data: &[u8]| roomcast::fuzz::socketio_packet(data));
