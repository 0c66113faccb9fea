#![no_main]
//! Fuzzes `roomcast::fuzz::polling_payload` (see core/src/fuzz.rs for the input format).
libfuzzer_sys::fuzz_target!(|data: &[u8]| roomcast::fuzz::polling_payload(data));
