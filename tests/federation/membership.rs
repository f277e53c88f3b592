//! Who may join: hello checks, bans, non-members, newly admitted members, roster spreading.

use std::sync::Arc;
use std::time::Duration;

use federation::{Event, FedConfig, Federation, MemberState, SearchBackend};
use futures::StreamExt;
use protocol::grant::RosterMember;

use crate::fake::Fake;
use crate::util::{config, join, key, node_public, revocation_list, roster, Net};

async fn two() -> (Net, Arc<Fake>) {
    let fake = Arc::new(Fake::new("Lyon", vec![]));
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
    (net, fake)
}

/// Wait for a `MemberRefused` event from `events` and return its code.
async fn refusal(events: &mut federation::Events) -> String {
    let wait = async {
        while let Some(ev) = events.next().await {
            if let Event::MemberRefused { code, .. } = ev {
                return code;
            }
        }
        String::new()
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .expect("no refusal within 10 s")
}

/// A node that is not of our consortium (valid key, its own coordinator) is refused at hello,
/// banned and disconnected; it never gets to run anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_of_another_consortium_is_refused_at_hello() {
    let (mut net, fake) = two().await;
    let mut events = net.nodes[1].events.take().unwrap();
    let lyon = &net.nodes[1];
    // The stranger's own consortium lists Lyon at its real address.
    let home = node::Home::new(net.dir.path().join("stranger"));
    let other = key(77);
    let r = roster(
        &other,
        1,
        vec![
            RosterMember {
                node: lyon.public(),
                addrs: lyon
                    .client
                    .listen_addrs()
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                center: "Lyon".into(),
            },
            RosterMember {
                node: node_public(&home),
                addrs: vec![],
                center: "Stranger".into(),
            },
        ],
    );
    join(&home, &other, "Stranger", &r, &revocation_list(&other, 1));
    let (stranger, _ev, _h) =
        Federation::start_with(&home, Arc::new(Fake::new("S", vec![])), config())
            .await
            .unwrap();
    assert_eq!(refusal(&mut events).await, "unknown_consortium");
    // The stranger sees why, and never gets verified.
    let seen = async {
        loop {
            let m = stranger.members();
            let l = m.iter().find(|m| m.node == lyon.public()).unwrap();
            if l.last_error.as_deref() == Some("refused us: unknown_consortium") {
                return l.state;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let state = tokio::time::timeout(Duration::from_secs(5), seen)
        .await
        .unwrap();
    assert_ne!(state, MemberState::Verified);
    // Banned: disconnected, and later dials are refused while the ban lasts.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let st = lyon.client.status();
    assert_eq!(st.connected_peers, 1, "only Rennes stays connected: {st:?}");
    assert_eq!(fake.calls(), 0, "nothing ran for the stranger");
}

/// A node with a valid membership that the roster does not list (and no newer roster to show)
/// is refused as `not_a_member`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_missing_from_the_roster_is_refused() {
    let (mut net, _) = two().await;
    let mut events = net.nodes[1].events.take().unwrap();
    let home = node::Home::new(net.dir.path().join("unlisted"));
    // Admitted by the same coordinator, but the roster it holds is the current one, without it.
    join(&home, &net.coordinator, "Unlisted", &net.roster, &net.list);
    let (_c, _e, _h) = Federation::start_with(&home, Arc::new(Fake::new("U", vec![])), config())
        .await
        .unwrap();
    assert_eq!(refusal(&mut events).await, "not_a_member");
}

/// A newly admitted node holding a newer roster is refused at first, pushes its roster, and is
/// then verified by everyone; the roster spreads to all members.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newly_admitted_member_brings_the_new_roster() {
    let (net, _) = two().await;
    let home = node::Home::new(net.dir.path().join("newcomer"));
    let mut members = net.roster.body().members.clone();
    members.push(RosterMember {
        node: node_public(&home),
        addrs: vec![],
        center: "Nancy".into(),
    });
    let r3 = roster(&net.coordinator, 3, members);
    join(&home, &net.coordinator, "Nancy", &r3, &net.list);
    let (newcomer, _e, _h) =
        Federation::start_with(&home, Arc::new(Fake::new("N", vec![])), config())
            .await
            .unwrap();
    assert!(
        newcomer.wait_for_members(2, Duration::from_secs(15)).await,
        "{:?}",
        newcomer.members()
    );
    for n in &net.nodes {
        assert_eq!(n.client.status().roster_serial, 3);
        assert!(n.client.wait_for_members(2, Duration::from_secs(10)).await);
    }
    // The stored roster is the new one.
    let stored = federation::state::load_joined(&net.nodes[0].home)
        .unwrap()
        .unwrap();
    assert_eq!(stored.roster.body().serial, 3);
}

/// A member whose membership gets revoked is disconnected by the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_membership_is_disconnected() {
    let (net, _) = two().await;
    let lyon_membership = federation::state::load_joined(&net.nodes[1].home)
        .unwrap()
        .unwrap()
        .membership;
    let list = protocol::signed::Signed::sign(
        protocol::grant::RevocationList::new(
            net.coordinator.public(),
            2,
            crate::util::now(),
            [lyon_membership.hash()].into(),
        ),
        &net.coordinator,
    )
    .unwrap();
    assert!(net.nodes[0]
        .client
        .push_revocation_list(list)
        .await
        .unwrap());
    let gone = async {
        loop {
            let st = net.nodes[0].client.status();
            let l = st
                .members
                .iter()
                .find(|m| m.node == net.nodes[1].public())
                .unwrap();
            if l.state != MemberState::Verified && st.connected_peers == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), gone)
        .await
        .unwrap();
    assert_eq!(net.nodes[0].client.status().revocation_serial, Some(2));
}

/// A member whose membership ends loses its standing at the other side on that side's own
/// clock, long before any heartbeat would carry the expired membership.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_membership_ends_on_the_other_sides_own_timer() {
    let config = FedConfig {
        heartbeat: Duration::from_secs(600),
        ..config()
    };
    let ends = crate::util::now() + 6;
    let mut net = Net::start_expiring(
        vec![
            (
                "Rennes",
                Arc::new(Fake::new("Rennes", vec![])) as Arc<dyn SearchBackend>,
            ),
            (
                "Lyon",
                Arc::new(Fake::new("Lyon", vec![])) as Arc<dyn SearchBackend>,
            ),
        ],
        config,
        &[crate::util::now() + 86_400, ends],
    )
    .await;
    let mut events = net.nodes[0].events.take().unwrap();
    let lyon = net.nodes[1].public();
    let verified = |net: &Net| {
        net.nodes[0]
            .client
            .status()
            .members
            .iter()
            .any(|m| m.node == lyon && m.state == MemberState::Verified)
    };
    assert!(verified(&net), "Lyon verified while its membership holds");
    assert_eq!(refusal(&mut events).await, "expired");
    let at = crate::util::now();
    assert!(
        at >= ends && at <= ends + 2,
        "refused at {at}, membership ended at {ends}"
    );
    let gone = async {
        while verified(&net) || net.nodes[0].client.status().connected_peers > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), gone)
        .await
        .expect("Lyon no longer a verified, connected member");
}

/// A revocation list larger than a request frame (1 MiB) still reaches every member: it is too
/// big to push, so the holder says hello and the other pulls it in a response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_list_over_a_mebibyte_reaches_every_member() {
    let (net, _) = two().await;
    let revoked: std::collections::BTreeSet<protocol::GrantHash> = (0u32..40_000)
        .map(|i| protocol::GrantHash::of(&i.to_be_bytes()))
        .collect();
    let list = protocol::signed::Signed::sign(
        protocol::grant::RevocationList::new(
            net.coordinator.public(),
            2,
            crate::util::now(),
            revoked,
        ),
        &net.coordinator,
    )
    .unwrap();
    let bytes = protocol::wire::encode_request(&protocol::wire::Request::Push(
        protocol::wire::Push::RevocationList(list.clone()),
    ))
    .unwrap();
    assert!(
        bytes.len() > protocol::wire::MAX_REQUEST_BYTES,
        "{} bytes: too big to push",
        bytes.len()
    );
    assert!(net.nodes[0]
        .client
        .push_revocation_list(list)
        .await
        .unwrap());
    let arrived = async {
        while net.nodes[1].client.status().revocation_serial != Some(2) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), arrived)
        .await
        .expect("the large list reached the other member");
    // Both still verify each other under it.
    net.wait_connected().await;
}

/// Without a joined consortium there is nothing to start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_without_joining_says_how_to_join() {
    let dir = tempfile::tempdir().unwrap();
    let err = Federation::start_with(
        &node::Home::new(dir.path()),
        Arc::new(Fake::new("X", vec![])),
        FedConfig::loopback(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("consortium join"), "{err}");
}

/// One peer cannot hold a node's connections: a stranger dialing the same node eight times keeps
/// at most `max_connections_per_peer` (4) established; the node still serves its members.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_peer_holds_at_most_four_connections_to_a_node() {
    use libp2p::swarm::dial_opts::DialOpts;
    use libp2p::swarm::SwarmEvent;
    let (net, _) = two().await;
    let addr = net.nodes[0].client.listen_addrs()[0].clone();
    let mut swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            libp2p::tcp::Config::default(),
            libp2p::noise::Config::new,
            libp2p::yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| libp2p::swarm::dummy::Behaviour)
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build();
    for _ in 0..8 {
        swarm
            .dial(DialOpts::unknown_peer_id().address(addr.clone()).build())
            .unwrap();
    }
    let (mut opened, mut ended) = (0u32, 0u32);
    let watch = async {
        loop {
            match swarm.select_next_some().await {
                SwarmEvent::ConnectionEstablished { .. } => opened += 1,
                SwarmEvent::ConnectionClosed { .. }
                | SwarmEvent::OutgoingConnectionError { .. } => ended += 1,
                _ => {}
            }
        }
    };
    // Within the hello timeout (3 s), before the node drops a stranger that never says hello.
    let _ = tokio::time::timeout(Duration::from_millis(1500), watch).await;
    let established = swarm.network_info().connection_counters().num_established();
    assert!(
        established <= 4,
        "{established} connections held by one peer"
    );
    assert!(
        established >= 1,
        "the node accepted none: opened {opened}, ended {ended}"
    );
    assert!(
        ended >= 4,
        "the node refused the extra ones: opened {opened}, ended {ended}"
    );
    // The members still see each other.
    net.wait_connected().await;
}
