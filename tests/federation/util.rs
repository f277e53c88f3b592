//! A consortium of nodes in one process, each with its own temporary home and its own swarm on
//! 127.0.0.1, admitted by a test coordinator.

use std::collections::BTreeSet;

use std::sync::Arc;
use std::time::Duration;

use federation::state::{self, Joined};
use federation::{Client, Events, FedConfig, Federation, SearchBackend};
use node::{Home, KeyFile};
use protocol::grant::{
    ActionSet, Capability, CapabilityChain, Membership, Resource, RevocationList, Roster,
    RosterMember,
};
use protocol::id::StudyId;
use protocol::keys::{PublicKey, SecretKey};
use protocol::signed::Signed;
use tokio::task::JoinHandle;

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32])
}

pub struct TestNode {
    pub home: Home,
    pub key: SecretKey,
    pub center: String,
    pub client: Client,
    pub events: Option<Events>,
    pub _handle: JoinHandle<()>,
}

impl TestNode {
    pub fn public(&self) -> PublicKey {
        self.key.public()
    }
}

pub struct Net {
    pub dir: tempfile::TempDir,
    pub coordinator: SecretKey,
    pub nodes: Vec<TestNode>,
    pub roster: Signed<Roster>,
    pub list: Signed<RevocationList>,
}

/// Quick timeouts for tests.
pub fn config() -> FedConfig {
    FedConfig {
        hello_timeout: Duration::from_secs(3),
        redial_min: Duration::from_millis(200),
        redial_max: Duration::from_secs(2),
        ..FedConfig::loopback()
    }
}

/// A membership that ends at `expires` (unix seconds).
pub fn membership_until(
    coord: &SecretKey,
    node: PublicKey,
    center: &str,
    expires: u64,
) -> Signed<Membership> {
    Signed::sign(
        Membership::new(coord.public(), node, center, now() - 60, expires),
        coord,
    )
    .unwrap()
}

pub fn roster(coord: &SecretKey, serial: u64, members: Vec<RosterMember>) -> Signed<Roster> {
    Signed::sign(Roster::new(coord.public(), serial, now(), members), coord).unwrap()
}

pub fn revocation_list(coord: &SecretKey, serial: u64) -> Signed<RevocationList> {
    Signed::sign(
        RevocationList::new(coord.public(), serial, now(), BTreeSet::new()),
        coord,
    )
    .unwrap()
}

/// Make `home` a member: node key, joined roster and membership, revocation list.
pub fn join(
    home: &Home,
    coord: &SecretKey,
    center: &str,
    roster: &Signed<Roster>,
    list: &Signed<RevocationList>,
) -> SecretKey {
    join_until(home, coord, center, roster, list, now() + 86_400)
}

/// [`join`] with a membership ending at `expires`.
pub fn join_until(
    home: &Home,
    coord: &SecretKey,
    center: &str,
    roster: &Signed<Roster>,
    list: &Signed<RevocationList>,
    expires: u64,
) -> SecretKey {
    let key = KeyFile::node(home).unwrap();
    let joined = Joined {
        roster: roster.clone(),
        membership: membership_until(coord, key.public(), center, expires),
    };
    state::store_joined(home, &joined).unwrap();
    state::store_revocation_list(home, list).unwrap();
    key.secret().clone()
}

pub fn node_public(home: &Home) -> PublicKey {
    KeyFile::node(home).unwrap().public()
}

impl Net {
    /// Start one node per backend, then publish a roster with their real addresses and wait
    /// until every node has verified every other.
    pub async fn start(backends: Vec<(&str, Arc<dyn SearchBackend>)>, config: FedConfig) -> Net {
        Self::start_expiring(backends, config, &[]).await
    }

    /// [`Net::start`], node `i`'s membership ending at `expires[i]` (a day when not given).
    pub async fn start_expiring(
        backends: Vec<(&str, Arc<dyn SearchBackend>)>,
        config: FedConfig,
        expires: &[u64],
    ) -> Net {
        let dir = tempfile::tempdir().unwrap();
        let coordinator = key(200);
        let homes: Vec<Home> = (0..backends.len())
            .map(|i| Home::new(dir.path().join(format!("node{i}"))))
            .collect();
        let members: Vec<RosterMember> = homes
            .iter()
            .zip(&backends)
            .map(|(h, (c, _))| RosterMember {
                node: node_public(h),
                addrs: vec![],
                center: c.to_string(),
            })
            .collect();
        let r1 = roster(&coordinator, 1, members.clone());
        let list = revocation_list(&coordinator, 1);
        let mut nodes = Vec::new();
        for (i, (home, (center, backend))) in homes.iter().zip(backends).enumerate() {
            let until = expires.get(i).copied().unwrap_or(now() + 86_400);
            let key = join_until(home, &coordinator, center, &r1, &list, until);
            let (client, events, handle) = Federation::start_with(home, backend, config.clone())
                .await
                .unwrap();
            nodes.push(TestNode {
                home: home.clone(),
                key,
                center: center.to_string(),
                client,
                events: Some(events),
                _handle: handle,
            });
        }
        let members: Vec<RosterMember> = members
            .into_iter()
            .zip(&nodes)
            .map(|(mut m, n)| {
                m.addrs = n
                    .client
                    .listen_addrs()
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                m
            })
            .collect();
        let r2 = roster(&coordinator, 2, members);
        for n in &nodes {
            // Some nodes may have it from a peer already.
            n.client.push_roster(r2.clone()).await.unwrap();
        }
        let net = Net {
            dir,
            coordinator,
            nodes,
            roster: r2,
            list,
        };
        net.wait_connected().await;
        net
    }

    pub async fn wait_connected(&self) {
        let others = self.nodes.len() - 1;
        for n in &self.nodes {
            assert!(
                n.client
                    .wait_for_members(others, Duration::from_secs(15))
                    .await,
                "{} sees {:?}",
                n.center,
                n.client.members()
            );
        }
    }
}

/// A chain of one root grant by `issuer` (a node key: the owner) to `audience`.
pub fn grant(
    issuer: &SecretKey,
    node: PublicKey,
    audience: PublicKey,
    studies: &[StudyId],
    actions: &str,
    window: (u64, u64),
) -> CapabilityChain {
    let resource = Resource::Studies {
        ids: studies.iter().copied().collect(),
        node,
    };
    let actions: ActionSet = actions.parse().unwrap();
    let c = Capability::new(
        issuer.public(),
        audience,
        resource,
        actions,
        window.0,
        window.1,
    );
    CapabilityChain::new(vec![Signed::sign(c, issuer).unwrap()]).unwrap()
}

/// Valid for an hour from a minute ago.
pub fn valid() -> (u64, u64) {
    (now() - 60, now() + 3600)
}

/// Extend `chain` with a link from its audience (`signer`) to `audience`.
pub fn delegate(
    chain: &CapabilityChain,
    signer: &SecretKey,
    audience: PublicKey,
    edit: impl FnOnce(&mut Capability),
) -> CapabilityChain {
    let leaf = chain.leaf().unwrap();
    let mut c = Capability::delegate(leaf, audience);
    edit(&mut c);
    chain.with(Signed::sign(c, signer).unwrap()).unwrap()
}
