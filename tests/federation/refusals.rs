//! Every refusal reason of the grant matrix, end to end: A searches B with a grant that fails in
//! one precise way, and the federated answer reports B `denied` with that code (B runs nothing).

use std::sync::Arc;
use std::time::Duration;

use federation::{Authorization, FederatedResults, NodeOutcome, SearchBackend};
use protocol::grant::{Action, ActionSet, CapabilityChain, Revocation};
use protocol::id::StudyId;
use protocol::keys::SecretKey;
use protocol::query::{FacetField, FacetRequest, Page, SearchQuery};
use protocol::signed::Signed;

use crate::fake::{synth, Fake};
use crate::util::{config, delegate, grant, key, now, valid, Net};

struct Setup {
    net: Net,
    fake: Arc<Fake>,
    study: StudyId,
}

async fn setup() -> Setup {
    let study = StudyId::new();
    let fake = Arc::new(Fake::new("Lyon", synth(30, 3, "Lyon", study)));
    let net = Net::start(
        vec![
            (
                "Rennes",
                Arc::new(Fake::new("Rennes", vec![])) as Arc<dyn SearchBackend>,
            ),
            ("Lyon", fake.clone() as Arc<dyn SearchBackend>),
        ],
        config(),
    )
    .await;
    Setup { net, fake, study }
}

fn query() -> SearchQuery {
    SearchQuery {
        facets: vec![FacetRequest {
            field: FacetField::Modality,
            size: 5,
        }],
        page: Page { offset: 0, size: 5 },
        ..SearchQuery::default()
    }
}

impl Setup {
    fn b(&self) -> &crate::util::TestNode {
        &self.net.nodes[1]
    }

    /// B's own grant of its study to `audience`.
    fn grant_to(
        &self,
        audience: protocol::keys::PublicKey,
        actions: &str,
        window: (u64, u64),
    ) -> CapabilityChain {
        grant(
            &self.b().key,
            self.b().public(),
            audience,
            &[self.study],
            actions,
            window,
        )
    }

    async fn search(&self, auth: Authorization) -> FederatedResults {
        self.net.nodes[0]
            .client
            .search(query(), &auth, None)
            .await
            .unwrap()
    }

    /// Search with `chain` (invoked by `invoker` if given) and return B's outcome.
    async fn outcome(&self, chain: CapabilityChain, invoker: Option<SecretKey>) -> NodeOutcome {
        let r = self.search(Authorization::new(vec![chain], invoker)).await;
        r.nodes
            .iter()
            .find(|n| n.node == self.b().public())
            .unwrap()
            .outcome
            .clone()
    }
}

fn denied(code: &str) -> NodeOutcome {
    NodeOutcome::Denied { code: code.into() }
}

/// Flip one bit of the first link's signature (offset 7: after the map header, the "sig" key and
/// the byte-string header).
fn tamper(chain: &CapabilityChain) -> CapabilityChain {
    let mut bytes = chain.links()[0].bytes().to_vec();
    bytes[10] ^= 0x01;
    let link = Signed::from_bytes(&bytes).unwrap();
    CapabilityChain::new(vec![link]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_reason_is_reported_end_to_end() {
    let s = setup().await;
    let me = s.net.nodes[0].public();
    let user = key(41);
    let t = now();

    // The baseline: a valid grant is answered.
    assert_eq!(
        s.outcome(s.grant_to(me, "search", valid()), None).await,
        NodeOutcome::Ok
    );
    let ran = s.fake.calls();
    assert_eq!(ran, 1);

    let cases: Vec<(&str, CapabilityChain, Option<SecretKey>)> = vec![
        (
            "bad_signature",
            tamper(&s.grant_to(me, "search", valid())),
            None,
        ),
        (
            "expired",
            s.grant_to(me, "search", (t - 7200, t - 3600)),
            None,
        ),
        (
            "not_yet_valid",
            s.grant_to(me, "search", (t + 3600, t + 7200)),
            None,
        ),
        // Granted to a user, presented by the node without the user's invocation.
        (
            "wrong_audience",
            s.grant_to(user.public(), "search", valid()),
            None,
        ),
        // A delegation adding an action its parent lacks.
        (
            "widened_delegation",
            delegate(
                &s.grant_to(me, "count", valid()),
                &s.net.nodes[0].key,
                user.public(),
                |c| {
                    c.actions = ActionSet::of(&[Action::Count, Action::Search]);
                },
            ),
            Some(user.clone()),
        ),
        // Nine links: root to user 1, ..., user 8 to A.
        (
            "chain_too_long",
            {
                let keys: Vec<SecretKey> = (0..8).map(|i| key(100 + i)).collect();
                let mut c = s.grant_to(keys[0].public(), "search", valid());
                for i in 1..8 {
                    c = delegate(&c, &keys[i - 1], keys[i].public(), |_| {});
                }
                delegate(&c, &keys[7], me, |_| {})
            },
            None,
        ),
        // A root issued by a user key B's catalog does not know as administrator.
        (
            "root_not_authorized",
            grant(&user, s.b().public(), me, &[s.study], "search", valid()),
            None,
        ),
        // Download only.
        ("not_permitted", s.grant_to(me, "download", valid()), None),
    ];
    for (code, chain, invoker) in cases {
        assert_eq!(s.outcome(chain, invoker).await, denied(code), "{code}");
    }
    assert_eq!(s.fake.calls(), ran, "nothing ran for a refused request");

    // No grant for B at all: not even asked.
    let r = s.search(Authorization::none()).await;
    assert_eq!(
        r.nodes
            .iter()
            .find(|n| n.node == s.b().public())
            .unwrap()
            .outcome,
        denied("no_grant")
    );

    // The user's own grant, invoked with the user's key: answered.
    assert_eq!(
        s.outcome(
            s.grant_to(user.public(), "search", valid()),
            Some(user.clone())
        )
        .await,
        NodeOutcome::Ok
    );
    // A root by a user B's catalog says administers the study: answered.
    s.fake.admins.lock().unwrap().insert(user.public());
    let by_admin = grant(&user, s.b().public(), me, &[s.study], "search", valid());
    assert_eq!(s.outcome(by_admin, None).await, NodeOutcome::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_spreads_and_is_enforced() {
    let s = setup().await;
    let me = s.net.nodes[0].public();
    let chain = s.grant_to(me, "search", valid());
    assert_eq!(s.outcome(chain.clone(), None).await, NodeOutcome::Ok);
    // B's issuer (its node key) revokes it; A learns it first and spreads it to B.
    let rev = Signed::sign(
        Revocation::new(s.b().public(), chain.leaf().unwrap().hash(), now()),
        &s.b().key,
    )
    .unwrap();
    assert!(s.net.nodes[0]
        .client
        .push_revocation(rev.clone())
        .await
        .unwrap());
    let mut last = NodeOutcome::Ok;
    for _ in 0..50 {
        last = s.outcome(chain.clone(), None).await;
        if last == denied("revoked") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last, denied("revoked"));
    // Stored at B, so it survives a restart; a second push is not new.
    assert!(s.b().home.revocation_path(&rev.hash()).exists());
    assert!(!s.net.nodes[0]
        .client
        .push_revocation(rev.clone())
        .await
        .unwrap());
    // A revocation of the same grant signed by a stranger's key is another document: it spreads
    // but replaces nothing, so after a restart (the state reloaded from B's home) the grant
    // stays revoked.
    let stranger = SecretKey::from_seed(&[99; 32]);
    let forged = Signed::sign(
        Revocation::new(stranger.public(), chain.leaf().unwrap().hash(), now()),
        &stranger,
    )
    .unwrap();
    assert!(s.net.nodes[0]
        .client
        .push_revocation(forged.clone())
        .await
        .unwrap());
    let forged_path = s.b().home.revocation_path(&forged.hash());
    for _ in 0..50 {
        if forged_path.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(forged_path.exists());
    let reloaded = federation::state::known_revocations(&s.b().home).unwrap();
    assert!(reloaded.is_revoked(&chain.leaf().unwrap().hash(), [&s.b().public()]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_search_and_count_are_audited_on_the_answering_node_before_the_answer() {
    let s = setup().await;
    let me = s.net.nodes[0].public();
    let search = s.grant_to(me, "search", valid());
    assert_eq!(s.outcome(search.clone(), None).await, NodeOutcome::Ok);
    let count = s.grant_to(me, "count", valid());
    assert_eq!(s.outcome(count.clone(), None).await, NodeOutcome::Ok);
    let audited = s.fake.audited.lock().unwrap().clone();
    assert_eq!(audited.len(), 2, "{audited:?}");
    assert_eq!(audited[0].peer, me);
    assert_eq!(audited[0].requester, me);
    assert_eq!(audited[0].grant, search.leaf().unwrap().hash());
    assert!(!audited[0].count_only);
    assert_eq!(audited[0].total, "30");
    assert_eq!(audited[0].facets, 1);
    assert_eq!(audited[1].grant, count.leaf().unwrap().hash());
    assert!(audited[1].count_only);
    // A refused search answers nothing, so there is nothing to audit as answered.
    let _ = s.outcome(tamper(&search), None).await;
    assert_eq!(s.fake.audited.lock().unwrap().len(), 2);
}
