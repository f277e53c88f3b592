//! Wire messages: round trips, versioning, limits, invocation signatures.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use common::*;
use protocol::cbor::DecodeError;
use protocol::grant::{CapabilityChain, Membership, Revocation};
use protocol::query::{Count, SearchQuery, SearchResults};
use protocol::signed::{tag, Signed};
use protocol::verify::Refusal;
use protocol::wire::*;
use protocol::ContentId;

fn hello(c: &Cast) -> Hello {
    let m = Membership::new(
        c.coordinator.public(),
        c.node_a.public(),
        "Rennes",
        NOW,
        NOW + DAY,
    );
    Hello {
        membership: Signed::sign(m, &c.coordinator).unwrap(),
        roster_serial: 3,
        revocation_serial: 0,
        agent: "neurofed/0.1".into(),
    }
}

fn search(c: &Cast) -> SearchRequest {
    let chain = CapabilityChain::new(vec![root_grant(c)]).unwrap();
    SearchRequest {
        id: 7,
        query: SearchQuery::text("flair"),
        auth: Some(Authorization {
            chain,
            invocation: None,
        }),
        deadline_ms: NOW * 1000 + 500,
    }
}

#[test]
fn every_request_round_trips() {
    let c = cast();
    let rev = Revocation::new(c.pi.public(), root_grant(&c).hash(), NOW);
    let requests = vec![
        Request::Hello(hello(&c)),
        Request::Search(search(&c)),
        Request::Content(ContentRequest {
            id: 9,
            content: ContentId::of(b"blob"),
            ranges: vec![
                ByteRange { start: 0, end: 10 },
                ByteRange { start: 20, end: 30 },
            ],
            within: None,
            auth: None,
            deadline_ms: NOW * 1000 + 500,
        }),
        Request::Push(Push::Revocation(Signed::sign(rev, &c.pi).unwrap())),
    ];
    for req in requests {
        let bytes = encode_request(&req).unwrap();
        assert_eq!(decode_request(&bytes).unwrap(), req);
    }
}

#[test]
fn every_response_round_trips_and_search_answers_are_signed() {
    let c = cast();
    let query = SearchQuery::text("flair");
    let body = search_response(
        c.node_b.public(),
        7,
        SearchResponse::digest_query(&query).unwrap(),
        NOW * 1000,
        NodeStatus::Ok,
        Some(SearchResults {
            total: Count::Below(5),
            ..Default::default()
        }),
    );
    let signed = Signed::sign(body, &c.node_b).unwrap();
    assert!(Signed::sign(signed.body().clone(), &c.node_a).is_err());
    let responses = vec![
        Response::Hello(hello(&c)),
        Response::Search(signed),
        Response::Content(ContentResponseHeader {
            id: 9,
            content: ContentId::of(b"blob"),
            status: ContentStatus::Ok,
            size: Some(100),
            ranges: vec![ByteRange { start: 0, end: 100 }],
        }),
        Response::Push(PushAck {
            applied: false,
            reason: Some("not_newer".into()),
        }),
        Response::Error(WireError::refused(Some(7), &Refusal::EmptyChain)),
    ];
    for resp in responses {
        let bytes = encode_response(&resp).unwrap();
        let back = decode_response(&bytes).unwrap();
        if let Response::Search(s) = &back {
            assert!(s.verify_signature().is_ok());
            assert_eq!(
                s.body().query_digest,
                SearchResponse::digest_query(&query).unwrap()
            );
        }
        assert_eq!(back, resp);
    }
}

#[test]
fn versions_sizes_and_limits_are_enforced() {
    let c = cast();
    let bytes = encode_request(&Request::Search(search(&c))).unwrap();
    // Frame: {"v": 1, "msg": ...}: "v" sorts first, its value is the byte after the key.
    assert_eq!(&bytes[..3], &[0xa2, 0x61, b'v']);
    let mut v2 = bytes.clone();
    v2[3] = 0x02;
    assert_eq!(
        decode_request(&v2),
        Err(DecodeError::UnsupportedVersion {
            what: "request",
            got: 2,
            supported: 1
        })
    );
    let huge = vec![0u8; MAX_REQUEST_BYTES + 1];
    assert!(matches!(
        decode_request(&huge),
        Err(DecodeError::TooLarge { .. })
    ));
    // An invalid query inside a request is refused at decode.
    let mut s = search(&c);
    s.query.page.size = 100_000;
    let bytes = encode_request(&Request::Search(s)).unwrap();
    assert!(matches!(
        decode_request(&bytes),
        Err(DecodeError::Invalid { .. })
    ));
    // Overlapping ranges too.
    let req = Request::Content(ContentRequest {
        id: 1,
        content: ContentId::of(b""),
        ranges: vec![
            ByteRange { start: 0, end: 10 },
            ByteRange { start: 5, end: 30 },
        ],
        within: None,
        auth: None,
        deadline_ms: 0,
    });
    assert!(decode_request(&encode_request(&req).unwrap()).is_err());
}

#[test]
fn invocation_binds_the_request_to_the_audience_key() {
    let c = cast();
    let req = search(&c);
    let auth = req.auth.clone().unwrap();
    let target = c.node_a.public();
    let digest = req.invocation_digest(&target, &auth.chain).unwrap();
    // Without an invocation, the requester is the transport peer (here: node B, not the audience).
    assert_eq!(
        auth.requester(&c.node_b.public(), &digest),
        Ok(c.node_b.public())
    );
    // The researcher signs the request: the requester is the researcher.
    let signed = Authorization {
        invocation: Some(c.researcher.sign(tag::INVOCATION, &digest)),
        ..auth.clone()
    };
    assert_eq!(
        signed.requester(&c.node_b.public(), &digest),
        Ok(c.researcher.public())
    );
    // The same signature for another node or another query is refused.
    let elsewhere = req
        .invocation_digest(&c.node_b.public(), &auth.chain)
        .unwrap();
    assert!(matches!(
        signed.requester(&c.node_b.public(), &elsewhere),
        Err(Refusal::BadSignature {
            what: "invocation",
            ..
        })
    ));
    // A stolen chain signed by the thief is refused too.
    let stolen = Authorization {
        invocation: Some(c.stranger.sign(tag::INVOCATION, &digest)),
        ..auth
    };
    assert!(stolen.requester(&c.node_b.public(), &digest).is_err());
}
