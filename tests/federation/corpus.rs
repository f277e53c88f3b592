//! The real thing: the generated corpus split between three real nodes (import, catalog, index),
//! searched through the federation, against one node that imported everything.

use std::path::PathBuf;
use std::sync::Arc;

use federation::{Authorization, NodeBackend, NodeOutcome, SearchBackend};
use node::AccessScope;
use node::NoProgress;
use node::{Home, Node};
use node::{ImportOptions, Importer};
use protocol::query::{FacetField, FacetRequest, Page, SearchQuery};

use crate::util::{config, grant, valid, Net};

fn import(home: &std::path::Path, center: &str, paths: &[PathBuf]) -> Arc<Node> {
    let node = Home::new(home).init(center, Some([7; 32])).unwrap();
    let opts = ImportOptions {
        study: Some("MS cohort".into()),
        ..ImportOptions::default()
    };
    Importer::new(&node).run(paths, &opts, &NoProgress).unwrap();
    Arc::new(node)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federated_facets_over_the_corpus_equal_one_node_with_everything() {
    let corpus = testkit::synth_corpus();
    let mut subjects: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    subjects.sort();
    assert_eq!(subjects.len(), 3, "three subjects, one per center");
    let tmp = tempfile::tempdir().unwrap();
    let centers = ["Rennes", "Lyon", "Nancy"];
    let nodes: Vec<Arc<Node>> = (0..3)
        .map(|i| {
            import(
                &tmp.path().join(format!("n{i}")),
                centers[i],
                &subjects[i..=i],
            )
        })
        .collect();
    let everything = import(&tmp.path().join("all"), "All", &subjects);
    let backends = centers
        .iter()
        .zip(&nodes)
        .map(|(c, n)| {
            (
                *c,
                Arc::new(NodeBackend::new(n.clone())) as Arc<dyn SearchBackend>,
            )
        })
        .collect();
    let net = Net::start(backends, config()).await;
    let me = net.nodes[0].public();
    let chains = (1..3)
        .map(|i| {
            let study = nodes[i]
                .catalog
                .study_by_name("MS cohort")
                .unwrap()
                .unwrap()
                .id;
            let n = &net.nodes[i];
            grant(&n.key, n.public(), me, &[study], "count,search", valid())
        })
        .collect();
    let q = SearchQuery {
        facets: [
            FacetField::Modality,
            FacetField::Nature,
            FacetField::Sex,
            FacetField::Model,
        ]
        .into_iter()
        .map(|field| FacetRequest { field, size: 10 })
        .collect(),
        page: Page {
            offset: 0,
            size: 100,
        },
        ..SearchQuery::default()
    };
    let fed = net.nodes[0]
        .client
        .search(
            q.clone(),
            &Authorization::new(chains, None),
            Some(AccessScope::All),
        )
        .await
        .unwrap();
    for n in &fed.nodes {
        assert_eq!(n.outcome, NodeOutcome::Ok, "{n:?}");
    }
    let one = everything.index.search(&q, &AccessScope::All).unwrap();
    assert_eq!(fed.results.total, one.total);
    // Center names differ by node; every other facet must match exactly.
    assert_eq!(fed.results.facets, one.facets);
    assert_eq!(fed.results.hits.len(), one.hits.len());
}
