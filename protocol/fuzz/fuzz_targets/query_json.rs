//! The search query as the HTTP API receives it (JSON), then validated.
#![no_main]
use protocol::query::{SearchQuery, SearchResults};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(q) = serde_json::from_slice::<SearchQuery>(data) {
        let _ = q.validate();
        let _ = protocol::cbor::encode(&q, "query");
    }
    let _ = serde_json::from_slice::<SearchResults>(data);
});
