//! Every decoder of the protocol crate on the same input.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| protocol::fuzz_decode_all(data));
