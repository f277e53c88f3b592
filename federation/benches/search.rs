//! Federated search latency: N nodes in one process on 127.0.0.1 (each its own home, swarm and
//! synthetic catalog of D datasets), K sequential federated facet queries from node 0 holding a
//! grant on every other node; p50/p99 of the whole `Client::search` (fan-out, members' verify +
//! search + sign, answer checks, merge).
//!
//! Two backends: `synthetic` (a flat table scanned on every query: the network and protocol
//! cost alone) and `index` (a real node per member: its home, catalog of synthetic datasets
//! from `node::synthetic` and tantivy index, answered through `NodeBackend` as in production).
//!
//! usage: cargo bench -p neurofed-federation --bench search -- [NODES] [DATASETS] [QUERIES] [synthetic|index]
//! Prints one line of JSON. `scripts/bench/federation-search` runs 3 and 32 nodes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use federation::state::{self, Joined};
use federation::{Authorization, FedConfig, Federation, NodeBackend, NodeOutcome, SearchBackend};
use node::AccessScope;
use protocol::grant::{
    ActionSet, Capability, CapabilityChain, Membership, Resource, RevocationList, Roster,
    RosterMember,
};
use protocol::id::{DatasetId, StudyId};
use protocol::keys::{PublicKey, SecretKey};
use protocol::query::{
    Count, FacetCounts, FacetField, FacetRequest, Hit, Page, SearchQuery, SearchResults, StudyRef,
};
use protocol::signed::Signed;
use protocol::ContentId;

const FIELDS: [FacetField; 5] = [
    FacetField::Modality,
    FacetField::Nature,
    FacetField::Sex,
    FacetField::AgeBand,
    FacetField::Model,
];

/// A catalog scanned on every query (as a naive index would): counts are computed, not cached.
struct Synthetic {
    study: StudyId,
    values: Vec<[u8; 5]>,
    hits: Vec<Hit>,
}

const VOCAB: [&[&str]; 5] = [
    &["MR", "CT", "PT"],
    &["T1w", "T2w", "FLAIR", "DWI", "bold", "SWI", "ASL"],
    &["F", "M"],
    &["20-29", "30-39", "40-49", "50-59", "60-69", "70-79"],
    &[
        "Prisma",
        "Skyra",
        "Achieva",
        "Ingenia",
        "Signa",
        "Discovery",
        "Aera",
        "Vida",
    ],
];

impl Synthetic {
    fn new(n: usize, seed: u64, center: &str) -> Self {
        let study = StudyId::new();
        let mut x = seed | 1;
        let mut next = move |m: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % m as u64) as usize
        };
        let mut values = Vec::with_capacity(n);
        let mut hits = Vec::with_capacity(n);
        for i in 0..n {
            let v = [
                next(3) as u8,
                next(7) as u8,
                next(2) as u8,
                next(6) as u8,
                next(8) as u8,
            ];
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&seed.to_be_bytes());
            id[8..].copy_from_slice(&(i as u64).to_be_bytes());
            hits.push(Hit {
                node: None,
                dataset: DatasetId::from_bytes(id),
                center: center.into(),
                study: StudyRef {
                    id: study,
                    name: "cohort".into(),
                },
                subject: format!("sub-{:05}", next(100_000)),
                exam_date: None,
                modality: VOCAB[0][v[0] as usize].into(),
                series_description: None,
                nature: Some(VOCAB[1][v[1] as usize].into()),
                contrast: None,
                qc_grade: None,
                dims: vec![],
                instances: 100,
                content: ContentId::of(&id),
                has_nifti: true,
                score: Some((next(1000) as f32) / 100.0),
            });
            values.push(v);
        }
        Synthetic {
            study,
            values,
            hits,
        }
    }
}

impl SearchBackend for Synthetic {
    fn center(&self) -> String {
        "bench".into()
    }
    fn audit_search(&self, _: &federation::InboundSearch) -> Result<(), String> {
        Ok(())
    }
    fn search(&self, q: &SearchQuery, _scope: &AccessScope) -> Result<SearchResults, String> {
        let mut counts = [[0u64; 8]; 5];
        for v in &self.values {
            for f in 0..5 {
                counts[f][v[f] as usize] += 1;
            }
        }
        let facets = q
            .facets
            .iter()
            .filter_map(|r| FIELDS.iter().position(|f| *f == r.field).map(|i| (r, i)))
            .map(|(r, i)| {
                let counted = VOCAB[i]
                    .iter()
                    .enumerate()
                    .map(|(k, name)| (*name, counts[i][k]));
                FacetCounts::ranked(r.field, counted, r.size as usize)
            })
            .collect();
        // Top hits by score (a partial selection, as an index would).
        let k = q.page.size as usize;
        let mut idx: Vec<usize> = (0..self.hits.len()).collect();
        let cmp = |a: &usize, b: &usize| {
            federation::merge::compare_hits(q.sort, &self.hits[*a], &self.hits[*b])
        };
        if k < idx.len() && k > 0 {
            idx.select_nth_unstable_by(k, cmp);
            idx.truncate(k);
        }
        idx.sort_by(cmp);
        Ok(SearchResults {
            total: Count::Exact(self.values.len() as u64),
            hits: idx
                .into_iter()
                .take(k)
                .map(|i| self.hits[i].clone())
                .collect(),
            facets,
        })
    }
    fn public_studies(&self) -> Result<Vec<StudyId>, String> {
        Ok(vec![])
    }
    fn administers(&self, _: &PublicKey, _: &BTreeSet<StudyId>) -> bool {
        false
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run(nodes: usize, datasets: usize, queries: usize, real_index: bool) -> serde_json::Value {
    // Memory-backed when possible: catalog commits are durable (one sync per series).
    let shm = std::path::Path::new("/dev/shm");
    let dir = if real_index && shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let coord = SecretKey::from_seed(&[250; 32]);
    let t = now();
    let homes: Vec<_> = (0..nodes)
        .map(|i| node::Home::new(dir.path().join(format!("n{i}"))))
        .collect();
    // Real nodes: catalog of synthetic datasets (`node::synthetic`) and tantivy index.
    let build = Instant::now();
    let mut real: Vec<Option<node::Node>> = homes
        .iter()
        .enumerate()
        .map(|(i, home)| {
            real_index.then(|| {
                let node = home.init(&format!("C{i}"), Some([7; 32])).unwrap();
                let mut rng = node::synthetic::Rng(1000 + i as u64);
                node::synthetic::build_catalog(&node.catalog, datasets, &mut rng);
                node.index.rebuild(&node.catalog).unwrap();
                node
            })
        })
        .collect();
    let build_s = build.elapsed().as_secs_f64();
    let keys: Vec<SecretKey> = homes
        .iter()
        .map(|h| state::node_key(h).unwrap().secret().clone())
        .collect();
    let member = |i: usize, addrs: Vec<String>| RosterMember {
        node: keys[i].public(),
        addrs,
        center: format!("C{i}"),
    };
    let r1 = Signed::sign(
        Roster::new(
            coord.public(),
            1,
            t,
            (0..nodes).map(|i| member(i, vec![])).collect(),
        ),
        &coord,
    )
    .unwrap();
    let list = Signed::sign(
        RevocationList::new(coord.public(), 1, t, BTreeSet::new()),
        &coord,
    )
    .unwrap();
    let mut clients = Vec::new();
    let mut studies = Vec::new();
    for (i, home) in homes.iter().enumerate() {
        let membership = Signed::sign(
            Membership::new(
                coord.public(),
                keys[i].public(),
                format!("C{i}"),
                t - 60,
                t + 86_400,
            ),
            &coord,
        )
        .unwrap();
        state::store_joined(
            home,
            &Joined {
                roster: r1.clone(),
                membership,
            },
        )
        .unwrap();
        state::store_revocation_list(home, &list).unwrap();
        let backend: Arc<dyn SearchBackend> = if let Some(node) = real[i].take() {
            let ids: Vec<StudyId> = node
                .catalog
                .studies()
                .unwrap()
                .iter()
                .map(|s| s.id)
                .collect();
            studies.push(ids);
            Arc::new(NodeBackend::new(Arc::new(node)))
        } else {
            let b = Synthetic::new(datasets, 1000 + i as u64, &format!("C{i}"));
            studies.push(vec![b.study]);
            Arc::new(b)
        };
        let config = FedConfig {
            max_concurrent_searches: 256,
            ..FedConfig::loopback()
        };
        let (client, _events, _h) = Federation::start_with(home, backend, config).await.unwrap();
        clients.push(client);
    }
    let addrs: Vec<Vec<String>> = clients
        .iter()
        .map(|c| c.listen_addrs().iter().map(ToString::to_string).collect())
        .collect();
    let r2 = Signed::sign(
        Roster::new(
            coord.public(),
            2,
            now(),
            (0..nodes).map(|i| member(i, addrs[i].clone())).collect(),
        ),
        &coord,
    )
    .unwrap();
    for c in &clients {
        c.push_roster(r2.clone()).await.unwrap();
    }
    let setup = Instant::now();
    for c in &clients {
        assert!(
            c.wait_for_members(nodes - 1, Duration::from_secs(120))
                .await,
            "mesh incomplete: {:?}",
            c.members().iter().map(|m| m.state).collect::<Vec<_>>()
        );
    }
    let mesh_ms = setup.elapsed().as_millis();
    let me = keys[0].public();
    let chains: Vec<CapabilityChain> = (1..nodes)
        .map(|i| {
            let cap = Capability::new(
                keys[i].public(),
                me,
                Resource::Studies {
                    ids: studies[i].iter().copied().collect(),
                    node: keys[i].public(),
                },
                "count,search".parse::<ActionSet>().unwrap(),
                t - 60,
                t + 86_400,
            );
            CapabilityChain::new(vec![Signed::sign(cap, &keys[i]).unwrap()]).unwrap()
        })
        .collect();
    let auth = Authorization::new(chains, None);
    let query = SearchQuery {
        facets: FIELDS
            .iter()
            .map(|&field| FacetRequest { field, size: 10 })
            .collect(),
        page: Page {
            offset: 0,
            size: 20,
        },
        ..SearchQuery::default()
    };
    let client = &clients[0];
    let mut lat = Vec::with_capacity(queries);
    for i in 0..queries + queries / 10 {
        let t0 = Instant::now();
        let r = client
            .search(query.clone(), &auth, Some(AccessScope::All))
            .await
            .unwrap();
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(
            r.coverage.answered,
            nodes,
            "{:?}",
            r.nodes
                .iter()
                .filter(|n| n.outcome != NodeOutcome::Ok)
                .collect::<Vec<_>>()
        );
        assert_eq!(r.results.total, Count::Exact((nodes * datasets) as u64));
        if i >= queries / 10 {
            lat.push(ms); // the first tenth warms up
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    for c in &clients {
        c.shutdown().await;
    }
    serde_json::json!({
        "bench": "federated_search",
        "nodes": nodes,
        "datasets_per_node": datasets,
        "queries": queries,
        "facets": FIELDS.len(),
        "page": 20,
        "p50_ms": (percentile(&lat, 0.5) * 100.0).round() / 100.0,
        "p99_ms": (percentile(&lat, 0.99) * 100.0).round() / 100.0,
        "mean_ms": ((lat.iter().sum::<f64>() / lat.len() as f64) * 100.0).round() / 100.0,
        "max_ms": (lat[lat.len() - 1] * 100.0).round() / 100.0,
        "mesh_setup_ms": mesh_ms,
        "backend": if real_index { "index" } else { "synthetic" },
        "build_s": (build_s * 10.0).round() / 10.0,
    })
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let arg = |i: usize, d: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (nodes, datasets, queries) = (arg(0, 3).max(2), arg(1, 2000), arg(2, 200).max(10));
    let real_index = match args.get(3).map(String::as_str) {
        None | Some("synthetic") => false,
        Some("index") => true,
        Some(other) => panic!("backend {other:?}: synthetic or index"),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let out = rt.block_on(run(nodes, datasets, queries, real_index));
    println!("{out}");
}
