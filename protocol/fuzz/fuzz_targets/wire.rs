//! Request and response frames; what decodes must encode again.
#![no_main]
use protocol::wire::{decode_request, decode_response, encode_request, encode_response};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(req) = decode_request(data) {
        let again = encode_request(&req).expect("a decoded request encodes");
        assert_eq!(decode_request(&again).ok(), Some(req));
    }
    if let Ok(resp) = decode_response(data) {
        let again = encode_response(&resp).expect("a decoded response encodes");
        assert_eq!(decode_response(&again).ok(), Some(resp));
    }
});
