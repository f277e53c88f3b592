//! Text forms: peer ids, dates, times, action lists, grant hashes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(k) = s.parse::<protocol::PublicKey>() {
            assert_eq!(k.to_peer_id().parse::<protocol::PublicKey>().ok(), Some(k));
        }
        let _ = s.parse::<protocol::time::Date>();
        let _ = protocol::time::parse_expiry(s);
        let _ = s.parse::<protocol::grant::ActionSet>();
        let _ = s.parse::<protocol::GrantHash>();
        let _ = s.parse::<protocol::id::StudyId>();
        let _ = s.parse::<protocol::ContentId>();
    }
});
