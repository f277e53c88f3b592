//! The refusal matrix: one test per reason a verification refuses, plus the accepted cases.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::collections::BTreeSet;

use common::*;
use protocol::grant::{
    Action, CapabilityChain, Membership, Resource, Revocation, RevocationList, Roster,
    RosterMember, Widening,
};
use protocol::keys::PublicKey;
use protocol::signed::Signed;
use protocol::verify::{
    accept_roster, check_listed, verify_membership, ChainBreak, NoLocalAuthority, Policy, Refusal,
    Revocations, RootAuthority, RootCheck, VerifiedCache, Verifier,
};

fn verify_with(
    chain: &CapabilityChain,
    requester: &PublicKey,
    now: u64,
    revocations: &Revocations,
    authority: &dyn RootAuthority,
    policy: &Policy,
) -> Result<(), Refusal> {
    let v = Verifier {
        policy,
        revocations,
        authority,
        cache: None,
    };
    v.verify(chain, requester, now).map(|_| ())
}

fn verify(chain: &CapabilityChain, requester: &PublicKey, now: u64) -> Result<(), Refusal> {
    verify_with(
        chain,
        requester,
        now,
        &Revocations::new(),
        &NoLocalAuthority,
        &Policy::offline(),
    )
}

#[test]
fn valid_root_and_delegations_are_accepted() {
    let c = cast();
    let chain = CapabilityChain::new(vec![root_grant(&c)]).unwrap();
    assert_eq!(verify(&chain, &c.researcher.public(), NOW), Ok(()));
    // The student gets one study instead of two, search without download, an earlier expiry.
    let narrower = delegate(&chain, &c.researcher, &c.student, |b| {
        b.resource = studies(&c.node_a, &[1]);
        b.actions = "search".parse().unwrap();
        b.expires = NOW + 7 * DAY;
    });
    assert_eq!(verify(&narrower, &c.student.public(), NOW), Ok(()));
    let v = Verifier {
        policy: &Policy::offline(),
        revocations: &Revocations::new(),
        authority: &NoLocalAuthority,
        cache: None,
    }
    .verify(&narrower, &c.student.public(), NOW)
    .unwrap();
    assert_eq!(v.root, RootCheck::Unchecked);
    assert_eq!(v.window(), (NOW - DAY, NOW + 7 * DAY));
    assert!(v
        .permits(Action::Search, &c.node_a.public(), Some(&study(1)))
        .is_ok());
}

#[test]
fn bad_signature() {
    let c = cast();
    let root = root_grant(&c);
    let mut bytes = root.bytes().to_vec();
    // Canonical order puts "sig" first: a3 63 's' 'i' 'g' 58 40 <64 bytes>.
    assert_eq!(&bytes[..7], &[0xa3, 0x63, b's', b'i', b'g', 0x58, 0x40]);
    bytes[7] ^= 1;
    let forged = Signed::from_bytes(&bytes).unwrap();
    let chain = CapabilityChain::new(vec![forged]).unwrap();
    assert!(matches!(
        verify(&chain, &c.researcher.public(), NOW),
        Err(Refusal::BadSignature { signer, .. }) if signer == c.pi.public()
    ));
}

#[test]
fn expired() {
    let c = cast();
    let chain = CapabilityChain::new(vec![root_grant(&c)]).unwrap();
    let later = NOW + 31 * DAY;
    assert!(matches!(
        verify(&chain, &c.researcher.public(), later),
        Err(Refusal::Expired { expired_at, now, .. }) if expired_at == NOW + 30 * DAY && now == later
    ));
}

#[test]
fn not_yet_valid() {
    let c = cast();
    let chain = CapabilityChain::new(vec![root_grant(&c)]).unwrap();
    let chain = delegate(&chain, &c.researcher, &c.student, |b| {
        b.not_before = NOW + DAY
    });
    let err = verify(&chain, &c.student.public(), NOW).unwrap_err();
    assert!(matches!(err, Refusal::NotYetValid { not_before, .. } if not_before == NOW + DAY));
    assert_eq!(err.code(), "not_yet_valid");
}

#[test]
fn revoked_by_issuer_or_ancestor_or_list_but_not_by_a_stranger() {
    let c = cast();
    let chain = delegate(
        &CapabilityChain::new(vec![root_grant(&c)]).unwrap(),
        &c.researcher,
        &c.student,
        |_| {},
    );
    let leaf = chain.leaf().unwrap().hash();
    let revoke = |by: &protocol::SecretKey| {
        let mut r = Revocations::new();
        let rev = Signed::sign(Revocation::new(by.public(), leaf, NOW), by).unwrap();
        r.apply_revocation(&rev).unwrap();
        r
    };
    let student = c.student.public();
    let check = |r: &Revocations| {
        verify_with(
            &chain,
            &student,
            NOW,
            r,
            &NoLocalAuthority,
            &Policy::offline(),
        )
    };
    // The leaf's issuer (researcher) and an ancestor's issuer (PI) may revoke it.
    assert_eq!(
        check(&revoke(&c.researcher)),
        Err(Refusal::Revoked { grant: leaf })
    );
    assert_eq!(check(&revoke(&c.pi)), Err(Refusal::Revoked { grant: leaf }));
    // A key outside the chain may not.
    assert_eq!(check(&revoke(&c.stranger)), Ok(()));
    // The coordinator's list revokes anything it names.
    let mut r = Revocations::new();
    let list = RevocationList::new(c.coordinator.public(), 1, NOW, BTreeSet::from([leaf]));
    r.apply_list(
        &Signed::sign(list, &c.coordinator).unwrap(),
        &c.coordinator.public(),
    )
    .unwrap();
    assert_eq!(check(&r), Err(Refusal::Revoked { grant: leaf }));
}

#[test]
fn wrong_audience() {
    let c = cast();
    let chain = CapabilityChain::new(vec![root_grant(&c)]).unwrap();
    assert_eq!(
        verify(&chain, &c.stranger.public(), NOW),
        Err(Refusal::WrongAudience {
            grant: chain.leaf().unwrap().hash(),
            audience: c.researcher.public(),
            requester: c.stranger.public(),
        })
    );
}

#[test]
fn widened_delegation_each_way() {
    let c = cast();
    let root = CapabilityChain::new(vec![root_grant(&c)]).unwrap();
    type Shape<'a> = Box<dyn Fn(&mut protocol::grant::Capability) + 'a>;
    let cases: Vec<(Widening, Shape)> = vec![
        (
            Widening::Resource,
            Box::new(|b| b.resource = studies(&c.node_a, &[1, 3])),
        ),
        (
            Widening::Resource,
            Box::new(|b| b.resource = studies(&c.node_b, &[1])),
        ),
        (
            Widening::Resource,
            Box::new(|b| {
                b.resource = Resource::Public {
                    node: c.node_a.public(),
                }
            }),
        ),
        (
            Widening::Actions,
            Box::new(|b| b.actions = "search,import".parse().unwrap()),
        ),
        (Widening::Expiry, Box::new(|b| b.expires += 1)),
        (Widening::NotBefore, Box::new(|b| b.not_before -= 1)),
    ];
    for (expected, shape) in cases {
        let chain = delegate(&root, &c.researcher, &c.student, |b| shape(b));
        assert_eq!(
            verify(&chain, &c.student.public(), NOW),
            Err(Refusal::WidenedDelegation {
                grant: chain.leaf().unwrap().hash(),
                how: expected
            })
        );
    }
    // Filters: a child of a filtered grant may not drop or widen the filter.
    let filtered = delegate(&root, &c.researcher, &c.student, |b| {
        b.filters.modality = Some(BTreeSet::from(["MR".to_string()]))
    });
    assert_eq!(verify(&filtered, &c.student.public(), NOW), Ok(()));
    for modality in [
        None,
        Some(BTreeSet::from(["MR".to_string(), "CT".to_string()])),
    ] {
        let chain = delegate(&filtered, &c.student, &c.postdoc, |b| {
            b.filters.modality = modality
        });
        assert!(matches!(
            verify(&chain, &c.postdoc.public(), NOW),
            Err(Refusal::WidenedDelegation {
                how: Widening::Filters,
                ..
            })
        ));
    }
}

#[test]
fn broken_chain() {
    let c = cast();
    let root = CapabilityChain::new(vec![root_grant(&c)]).unwrap();
    // The stranger pretends to delegate the researcher's grant.
    let chain = delegate(&root, &c.stranger, &c.student, |b| {
        b.issuer = c.stranger.public()
    });
    assert!(matches!(
        verify(&chain, &c.student.public(), NOW),
        Err(Refusal::BrokenChain {
            reason: ChainBreak::IssuerIsNotParentAudience,
            ..
        })
    ));
    // A delegation whose parent hash names another grant.
    let chain = delegate(&root, &c.researcher, &c.student, |b| {
        b.parent = Some(protocol::GrantHash::of(b"other"))
    });
    assert!(matches!(
        verify(&chain, &c.student.public(), NOW),
        Err(Refusal::BrokenChain {
            reason: ChainBreak::ParentMismatch,
            ..
        })
    ));
    // A delegation presented without its root.
    let only_leaf = CapabilityChain::new(vec![chain.leaf().unwrap().clone()]).unwrap();
    assert!(matches!(
        verify(&only_leaf, &c.student.public(), NOW),
        Err(Refusal::BrokenChain {
            reason: ChainBreak::MissingRoot,
            ..
        })
    ));
}

#[test]
fn chain_too_long_and_empty() {
    let c = cast();
    let policy = Policy::offline();
    let ok = chain_of(&c, policy.max_chain_len);
    let audience = ok.leaf().unwrap().body().audience;
    assert_eq!(verify(&ok, &audience, NOW), Ok(()));
    let long = chain_of(&c, policy.max_chain_len + 1);
    let audience = long.leaf().unwrap().body().audience;
    assert_eq!(
        verify(&long, &audience, NOW),
        Err(Refusal::ChainTooLong { len: 9, max: 8 })
    );
    let empty = CapabilityChain::new(vec![]).unwrap();
    assert_eq!(verify(&empty, &audience, NOW), Err(Refusal::EmptyChain));
}

#[test]
fn root_issuer_must_administer_the_study() {
    let c = cast();
    let chain = CapabilityChain::new(vec![root_grant(&c)]).unwrap();
    let pi = c.pi.public();
    let node_a = c.node_a.public();
    // The owning node's catalog says who administers which study.
    let catalog =
        move |issuer: &PublicKey, res: &Resource| (res.node() == &node_a).then_some(*issuer == pi);
    let researcher = c.researcher.public();
    let r = Revocations::new();
    assert_eq!(
        verify_with(&chain, &researcher, NOW, &r, &catalog, &Policy::offline()),
        Ok(())
    );
    let denies = |_: &PublicKey, _: &Resource| Some(false);
    assert_eq!(
        verify_with(&chain, &researcher, NOW, &r, &denies, &Policy::offline()),
        Err(Refusal::RootNotAuthorized {
            grant: chain.links()[0].hash(),
            issuer: c.pi.public(),
            node: c.node_a.public(),
        })
    );
    // A node's own key always administers its studies.
    let by_node = protocol::grant::Capability::new(
        c.node_a.public(),
        c.researcher.public(),
        studies(&c.node_a, &[1]),
        "count".parse().unwrap(),
        NOW,
        NOW + DAY,
    );
    let chain = CapabilityChain::new(vec![Signed::sign(by_node, &c.node_a).unwrap()]).unwrap();
    assert_eq!(
        verify_with(&chain, &researcher, NOW, &r, &denies, &Policy::offline()),
        Ok(())
    );
}

#[test]
fn stale_revocation_list() {
    let c = cast();
    let chain = CapabilityChain::new(vec![root_grant(&c)]).unwrap();
    let policy = Policy::default();
    let researcher = c.researcher.public();
    let mut r = Revocations::new();
    assert!(matches!(
        verify_with(&chain, &researcher, NOW, &r, &NoLocalAuthority, &policy),
        Err(Refusal::RevocationListStale {
            issued_at: None,
            ..
        })
    ));
    let list = RevocationList::new(c.coordinator.public(), 1, NOW - 2 * DAY, BTreeSet::new());
    r.apply_list(
        &Signed::sign(list, &c.coordinator).unwrap(),
        &c.coordinator.public(),
    )
    .unwrap();
    assert!(matches!(
        verify_with(&chain, &researcher, NOW, &r, &NoLocalAuthority, &policy),
        Err(Refusal::RevocationListStale {
            issued_at: Some(_),
            ..
        })
    ));
    let list = RevocationList::new(c.coordinator.public(), 2, NOW - 60, BTreeSet::new());
    r.apply_list(
        &Signed::sign(list.clone(), &c.coordinator).unwrap(),
        &c.coordinator.public(),
    )
    .unwrap();
    assert_eq!(
        verify_with(&chain, &researcher, NOW, &r, &NoLocalAuthority, &policy),
        Ok(())
    );
    // Only newer lists replace it.
    assert_eq!(
        r.apply_list(
            &Signed::sign(list, &c.coordinator).unwrap(),
            &c.coordinator.public()
        ),
        Err(Refusal::NotNewer {
            what: "revocation list",
            have: 2,
            got: 2
        })
    );
}

/// A list's own window decides, not the policy's age: a week-long list issued two days ago is
/// trusted, one whose window ended is not (and says until when it was), and a window longer
/// than the protocol allows does not decode.
#[test]
fn a_list_is_trusted_within_its_own_window() {
    let c = cast();
    let chain = CapabilityChain::new(vec![root_grant(&c)]).unwrap();
    let policy = Policy::default();
    let researcher = c.researcher.public();
    let mut r = Revocations::new();
    let week = RevocationList::new(c.coordinator.public(), 1, NOW - 2 * DAY, BTreeSet::new())
        .valid_for(7 * DAY);
    r.apply_list(
        &Signed::sign(week, &c.coordinator).unwrap(),
        &c.coordinator.public(),
    )
    .unwrap();
    assert_eq!(
        verify_with(&chain, &researcher, NOW, &r, &NoLocalAuthority, &policy),
        Ok(())
    );
    let hour = RevocationList::new(c.coordinator.public(), 2, NOW - 2 * 3_600, BTreeSet::new())
        .valid_for(3_600);
    r.apply_list(
        &Signed::sign(hour, &c.coordinator).unwrap(),
        &c.coordinator.public(),
    )
    .unwrap();
    let refused = verify_with(&chain, &researcher, NOW, &r, &NoLocalAuthority, &policy);
    assert_eq!(
        refused,
        Err(Refusal::RevocationListStale {
            issued_at: Some(NOW - 2 * 3_600),
            valid_until: Some(NOW - 3_600),
            now: NOW,
            max_age: DAY,
        })
    );
    let text = refused.unwrap_err().to_string();
    assert!(
        text.contains("expired") && text.contains("coordinator"),
        "{text}"
    );
    // Offline verification (no age bound) ignores windows.
    assert_eq!(
        verify_with(
            &chain,
            &researcher,
            NOW,
            &r,
            &NoLocalAuthority,
            &Policy::offline()
        ),
        Ok(())
    );
    let long = RevocationList::new(c.coordinator.public(), 3, NOW, BTreeSet::new())
        .valid_for(protocol::grant::MAX_LIST_VALIDITY + 1);
    assert!(
        Signed::sign(long, &c.coordinator).is_err(),
        "a window over the protocol's maximum is neither signed nor decoded"
    );
}

fn membership(c: &protocol::SecretKey, node: &protocol::SecretKey) -> Signed<Membership> {
    let m = Membership::new(
        c.public(),
        node.public(),
        "Rennes",
        NOW - DAY,
        NOW + 365 * DAY,
    );
    Signed::sign(m, c).unwrap()
}

#[test]
fn membership_unknown_consortium() {
    let c = cast();
    let m = membership(&c.coordinator, &c.node_a);
    let trusted = [c.stranger.public()];
    let r = verify_membership(
        &m,
        &c.node_a.public(),
        &trusted,
        &Revocations::new(),
        &Policy::offline(),
        NOW,
    );
    assert_eq!(
        r,
        Err(Refusal::UnknownConsortium {
            consortium: c.coordinator.public()
        })
    );
}

#[test]
fn membership_not_a_member() {
    let c = cast();
    let m = membership(&c.coordinator, &c.node_a);
    let trusted = [c.coordinator.public()];
    let rev = Revocations::new();
    let policy = Policy::offline();
    assert_eq!(
        verify_membership(&m, &c.node_a.public(), &trusted, &rev, &policy, NOW),
        Ok(())
    );
    // Node B presents node A's membership.
    assert_eq!(
        verify_membership(&m, &c.node_b.public(), &trusted, &rev, &policy, NOW),
        Err(Refusal::NotAMember {
            node: c.node_b.public(),
            consortium: c.coordinator.public()
        })
    );
    // And a roster that does not list node B.
    let roster = Roster::new(
        c.coordinator.public(),
        1,
        NOW,
        vec![RosterMember {
            node: c.node_a.public(),
            center: "Rennes".into(),
            addrs: vec![],
        }],
    );
    assert!(check_listed(&roster, &c.node_a.public()).is_ok());
    assert!(matches!(
        check_listed(&roster, &c.node_b.public()),
        Err(Refusal::NotAMember { .. })
    ));
    // Expiry, signature and revocation apply to memberships too.
    assert!(matches!(
        verify_membership(
            &m,
            &c.node_a.public(),
            &trusted,
            &rev,
            &policy,
            NOW + 400 * DAY
        ),
        Err(Refusal::Expired { .. })
    ));
    let forged = membership(&c.stranger, &c.node_a);
    assert!(matches!(
        verify_membership(
            &forged,
            &c.node_a.public(),
            &[c.stranger.public()],
            &rev,
            &policy,
            NOW
        ),
        Ok(())
    ));
    let mut revoked = Revocations::new();
    let r = Signed::sign(
        Revocation::new(c.coordinator.public(), m.hash(), NOW),
        &c.coordinator,
    )
    .unwrap();
    revoked.apply_revocation(&r).unwrap();
    assert_eq!(
        verify_membership(&m, &c.node_a.public(), &trusted, &revoked, &policy, NOW),
        Err(Refusal::Revoked { grant: m.hash() })
    );
}

#[test]
fn roster_only_newer_and_signed_by_coordinator() {
    let c = cast();
    let coord = c.coordinator.public();
    let r1 = Signed::sign(Roster::new(coord, 1, NOW, vec![]), &c.coordinator).unwrap();
    let r2 = Signed::sign(Roster::new(coord, 2, NOW, vec![]), &c.coordinator).unwrap();
    assert_eq!(accept_roster(&r1, None, &coord), Ok(()));
    assert_eq!(accept_roster(&r2, Some(r1.body()), &coord), Ok(()));
    assert_eq!(
        accept_roster(&r1, Some(r2.body()), &coord),
        Err(Refusal::NotNewer {
            what: "roster",
            have: 2,
            got: 1
        })
    );
    let other = Signed::sign(
        Roster::new(c.stranger.public(), 3, NOW, vec![]),
        &c.stranger,
    )
    .unwrap();
    assert!(matches!(
        accept_roster(&other, Some(r2.body()), &coord),
        Err(Refusal::UnknownConsortium { .. })
    ));
}

#[test]
fn not_permitted_outside_the_grant() {
    let c = cast();
    let chain = CapabilityChain::new(vec![root_grant(&c)]).unwrap();
    let v = Verifier {
        policy: &Policy::offline(),
        revocations: &Revocations::new(),
        authority: &NoLocalAuthority,
        cache: None,
    }
    .verify(&chain, &c.researcher.public(), NOW)
    .unwrap();
    let a = c.node_a.public();
    assert!(v.permits(Action::Download, &a, Some(&study(2))).is_ok());
    for (action, node, st) in [
        (Action::Import, a, study(1)),
        (Action::Search, a, study(3)),
        (Action::Search, c.node_b.public(), study(1)),
    ] {
        let err = v.permits(action, &node, Some(&st)).unwrap_err();
        assert_eq!(err.code(), "not_permitted", "{err}");
    }
}

#[test]
fn cache_rechecks_time_revocation_and_audience() {
    let c = cast();
    let chain = chain_of(&c, 4);
    let audience = chain.leaf().unwrap().body().audience;
    let cache = VerifiedCache::new(16);
    let mut revocations = Revocations::new();
    let policy = Policy::offline();
    {
        let v = Verifier {
            policy: &policy,
            revocations: &revocations,
            authority: &NoLocalAuthority,
            cache: Some(&cache),
        };
        assert!(v.verify_bytes(chain.bytes(), &audience, NOW).is_ok());
        assert_eq!(cache.len(), 1);
        // Served from the cache, still checked.
        assert!(v.verify_bytes(chain.bytes(), &audience, NOW).is_ok());
        assert!(matches!(
            v.verify_bytes(chain.bytes(), &c.pi.public(), NOW),
            Err(Refusal::WrongAudience { .. })
        ));
        assert!(matches!(
            v.verify_bytes(chain.bytes(), &audience, NOW + 40 * DAY),
            Err(Refusal::Expired { .. })
        ));
    }
    let mid = chain.links()[1].hash();
    let rev = Signed::sign(Revocation::new(c.pi.public(), mid, NOW), &c.pi).unwrap();
    revocations.apply_revocation(&rev).unwrap();
    let v = Verifier {
        policy: &policy,
        revocations: &revocations,
        authority: &NoLocalAuthority,
        cache: Some(&cache),
    };
    assert_eq!(
        v.verify_bytes(chain.bytes(), &audience, NOW).map(|_| ()),
        Err(Refusal::Revoked { grant: mid })
    );
    // Bad bytes are never cached.
    let mut bad = chain.bytes().to_vec();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(v.verify_bytes(&bad, &audience, NOW).is_err());
    assert_eq!(cache.len(), 1);
}

#[test]
fn a_flood_of_peer_revocations_is_capped_per_signer_and_never_blocks_the_nodes_own() {
    use protocol::signed::GrantHash;
    use protocol::verify::MAX_REVOCATIONS_PER_ISSUER;
    let c = cast();
    let junk = |i: usize, by: &protocol::SecretKey| {
        let mut h = [0u8; 32];
        h[..8].copy_from_slice(&(i as u64).to_le_bytes());
        Signed::sign(
            Revocation::new(by.public(), GrantHash::from_bytes(h), NOW),
            by,
        )
        .unwrap()
    };
    let mut r = Revocations::new();
    for i in 0..MAX_REVOCATIONS_PER_ISSUER {
        r.apply_peer_revocation(&junk(i, &c.stranger)).unwrap();
    }
    // The same signer's next one is refused; counting revocations, not grants.
    let over = r.apply_peer_revocation(&junk(MAX_REVOCATIONS_PER_ISSUER, &c.stranger));
    assert!(
        matches!(over, Err(Refusal::TooManyRevocations { .. })),
        "{over:?}"
    );
    assert_eq!(r.held(), MAX_REVOCATIONS_PER_ISSUER);
    // A second signer of an already revoked grant is one more revocation held.
    r.apply_peer_revocation(&junk(0, &c.pi)).unwrap();
    assert_eq!(r.held(), MAX_REVOCATIONS_PER_ISSUER + 1);
    // The node's own revocation is still taken (peers never fill the reserved room).
    let chain = CapabilityChain::new(vec![root_grant(&c)]).unwrap();
    let leaf = chain.leaf().unwrap().hash();
    let own = Signed::sign(Revocation::new(c.pi.public(), leaf, NOW), &c.pi).unwrap();
    r.apply_revocation(&own).unwrap();
    assert!(r.is_revoked(&leaf, [&c.pi.public()]));
}

#[test]
fn a_list_supersedes_the_individual_revocations_it_names() {
    let c = cast();
    let chain = CapabilityChain::new(vec![root_grant(&c)]).unwrap();
    let leaf = chain.leaf().unwrap().hash();
    let mut r = Revocations::new();
    let own = Signed::sign(Revocation::new(c.pi.public(), leaf, NOW), &c.pi).unwrap();
    r.apply_revocation(&own).unwrap();
    assert_eq!(r.held(), 1);
    let list = RevocationList::new(c.coordinator.public(), 1, NOW, BTreeSet::from([leaf]));
    r.apply_list(
        &Signed::sign(list, &c.coordinator).unwrap(),
        &c.coordinator.public(),
    )
    .unwrap();
    assert_eq!(r.held(), 0, "the list holds it now");
    assert!(r.listed(&leaf));
    assert!(r.is_revoked(&leaf, []));
    // Applying it again is accepted and holds nothing more.
    r.apply_peer_revocation(&own).unwrap();
    assert_eq!(r.held(), 0);
}

#[test]
fn a_cached_chain_rooted_at_a_local_administrator_stops_when_the_right_goes() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let c = cast();
    let chain = chain_of(&c, 2);
    let audience = chain.leaf().unwrap().body().audience;
    let cache = VerifiedCache::new(16);
    let revocations = Revocations::new();
    let policy = Policy::offline();
    let pi = c.pi.public();
    let administers = AtomicBool::new(true);
    let authority = |issuer: &PublicKey, _: &Resource| {
        (*issuer == pi).then(|| administers.load(Ordering::SeqCst))
    };
    let v = Verifier {
        policy: &policy,
        revocations: &revocations,
        authority: &authority,
        cache: Some(&cache),
    };
    let ok = v.verify_bytes(chain.bytes(), &audience, NOW).unwrap();
    assert_eq!(ok.root, RootCheck::Confirmed);
    assert_eq!(cache.len(), 1);
    // The PI loses `administer`: the cached verification is refused on its next use.
    administers.store(false, Ordering::SeqCst);
    assert!(matches!(
        v.verify_bytes(chain.bytes(), &audience, NOW),
        Err(Refusal::RootNotAuthorized { .. })
    ));
    administers.store(true, Ordering::SeqCst);
    assert!(v.verify_bytes(chain.bytes(), &audience, NOW).is_ok());
}
