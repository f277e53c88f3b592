//! Federated search across nodes: counts, hits, deadlines, nodes dying mid-query.

use std::sync::Arc;
use std::time::{Duration, Instant};

use federation::{Authorization, NodeOutcome, SearchBackend};
use node::AccessScope;
use protocol::id::StudyId;
use protocol::query::{
    Count, FacetField, FacetRequest, Page, SearchQuery, Sort, SortKey, SortOrder,
};

use crate::fake::{synth, Fake};
use crate::util::{config, grant, valid, Net};

/// Three nodes, each with its own datasets of its own study; node 0 holds grants on the others.
async fn three(sizes: [usize; 3]) -> (Net, Vec<Arc<Fake>>, Vec<StudyId>, Authorization) {
    three_with(sizes, config()).await
}

async fn three_with(
    sizes: [usize; 3],
    config: federation::FedConfig,
) -> (Net, Vec<Arc<Fake>>, Vec<StudyId>, Authorization) {
    let centers = ["Rennes", "Lyon", "Nancy"];
    let studies: Vec<StudyId> = (0..3).map(|_| StudyId::new()).collect();
    let fakes: Vec<Arc<Fake>> = (0..3)
        .map(|i| {
            Arc::new(Fake::new(
                centers[i],
                synth(sizes[i], 10 + i as u64, centers[i], studies[i]),
            ))
        })
        .collect();
    let backends = centers
        .iter()
        .zip(&fakes)
        .map(|(c, f)| (*c, f.clone() as Arc<dyn SearchBackend>))
        .collect();
    let net = Net::start(backends, config).await;
    let me = net.nodes[0].public();
    let chains = (1..3)
        .map(|i| {
            let n = &net.nodes[i];
            grant(
                &n.key,
                n.public(),
                me,
                &[studies[i]],
                "count,search",
                valid(),
            )
        })
        .collect();
    (net, fakes, studies, Authorization::new(chains, None))
}

fn facet_query(size: u32) -> SearchQuery {
    SearchQuery {
        facets: [
            FacetField::Modality,
            FacetField::Nature,
            FacetField::Sex,
            FacetField::AgeBand,
            FacetField::Model,
        ]
        .into_iter()
        .map(|field| FacetRequest { field, size: 3 })
        .collect(),
        page: Page { offset: 0, size },
        ..SearchQuery::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federated_counts_equal_one_node_holding_everything() {
    let (net, fakes, _, auth) = three([120, 75, 40]).await;
    // The reference: one node that imported everything.
    let all: Vec<_> = fakes.iter().flat_map(|f| f.datasets.clone()).collect();
    let single = Fake::new("all", all);
    for size in [0, 1000] {
        let q = facet_query(size);
        let fed = net.nodes[0]
            .client
            .search(q.clone(), &auth, Some(AccessScope::All))
            .await
            .unwrap();
        let one = single.search(&q, &AccessScope::All).unwrap();
        assert_eq!(fed.results.total, Count::Exact(235));
        assert_eq!(fed.results.total, one.total);
        assert_eq!(fed.results.facets, one.facets, "facet counts differ");
        assert!(fed.results.facets.iter().all(|f| f.error_bound.is_none()));
        assert_eq!(fed.coverage.answered, 3);
        assert_eq!(fed.coverage.members, 3);
        for n in &fed.nodes {
            assert_eq!(n.outcome, NodeOutcome::Ok, "{n:?}");
            assert!(n.latency_ms.is_some());
        }
        assert!(fed.nodes[0].local, "the asking node comes first");
        let mut got: Vec<_> = fed.results.hits.iter().map(|h| h.dataset).collect();
        let mut want: Vec<_> = one.hits.iter().map(|h| h.dataset).collect();
        got.sort_by_key(|d| d.to_bytes());
        want.sort_by_key(|d| d.to_bytes());
        assert_eq!(got, want, "page size {size}");
        // Every hit names its node, and that node holds it.
        for h in &fed.results.hits {
            let owner = fakes
                .iter()
                .position(|f| f.datasets.iter().any(|d| d.hit.dataset == h.dataset))
                .unwrap();
            assert_eq!(h.node, Some(net.nodes[owner].public()));
            assert_eq!(h.center, net.nodes[owner].center);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_follow_the_merged_order() {
    let (net, _, _, auth) = three([30, 30, 30]).await;
    let mut q = facet_query(90);
    q.sort = Sort {
        by: SortKey::Subject,
        order: SortOrder::Asc,
    };
    let client = &net.nodes[0].client;
    let all = client
        .search(q.clone(), &auth, Some(AccessScope::All))
        .await
        .unwrap();
    assert_eq!(all.results.hits.len(), 90);
    let subjects: Vec<&str> = all
        .results
        .hits
        .iter()
        .map(|h| h.subject.as_str())
        .collect();
    assert!(subjects.windows(2).all(|w| w[0] <= w[1]), "{subjects:?}");
    q.page = Page {
        offset: 25,
        size: 10,
    };
    let page = client
        .search(q, &auth, Some(AccessScope::All))
        .await
        .unwrap();
    assert_eq!(page.results.hits, all.results.hits[25..35].to_vec());
    // Each content id is remembered with its node, for fetching.
    let remote = all
        .results
        .hits
        .iter()
        .find(|h| h.node != Some(client.node()))
        .unwrap();
    assert_eq!(
        client.providers(&remote.content).first(),
        remote.node.as_ref()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_node_is_reported_at_the_deadline() {
    let (net, fakes, _, auth) = three([20, 20, 20]).await;
    fakes[2].set_delay(Duration::from_secs(3));
    let t = Instant::now();
    let fed = net.nodes[0]
        .client
        .search_with_deadline(
            facet_query(10),
            &auth,
            Some(AccessScope::All),
            Duration::from_millis(500),
        )
        .await
        .unwrap();
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(480) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    let stalled = fed
        .nodes
        .iter()
        .find(|n| n.node == net.nodes[2].public())
        .unwrap();
    assert_eq!(stalled.outcome, NodeOutcome::Timeout);
    assert_eq!(stalled.latency_ms, None);
    assert_eq!(fed.coverage.answered, 2);
    assert_eq!(fed.results.total, Count::Exact(40), "the others are merged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_query_is_marked_and_the_rest_answer() {
    let (net, fakes, _, auth) = three([20, 20, 20]).await;
    fakes[1].set_delay(Duration::from_millis(800));
    let client = net.nodes[0].client.clone();
    let auth2 = auth.clone();
    let t = Instant::now();
    let search = tokio::spawn(async move {
        client
            .search_with_deadline(
                facet_query(10),
                &auth,
                Some(AccessScope::All),
                Duration::from_secs(3),
            )
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Kill node 1 while it works on the query: its swarm and connections go away.
    net.nodes[1].client.shutdown().await;
    let fed = search.await.unwrap().unwrap();
    let took = t.elapsed();
    assert!(
        took < Duration::from_millis(3300),
        "answered by the deadline: {took:?}"
    );
    let dead = fed
        .nodes
        .iter()
        .find(|n| n.node == net.nodes[1].public())
        .unwrap();
    assert!(
        matches!(
            dead.outcome,
            NodeOutcome::Unreachable { .. } | NodeOutcome::Timeout
        ),
        "{dead:?}"
    );
    assert_eq!(fed.coverage.answered, 2);
    assert_eq!(fed.results.total, Count::Exact(40));
    // The next search knows it is gone without waiting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = Instant::now();
    let again = net.nodes[0]
        .client
        .search(facet_query(0), &auth2, Some(AccessScope::All))
        .await
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    let dead = again
        .nodes
        .iter()
        .find(|n| n.node == net.nodes[1].public())
        .unwrap();
    assert!(
        matches!(dead.outcome, NodeOutcome::Unreachable { .. }),
        "{dead:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_only_grants_get_suppressed_counts_and_no_hits() {
    let (net, fakes, studies, _) = three([3, 40, 0]).await;
    let me = net.nodes[0].public();
    let n1 = &net.nodes[1];
    let count_only = grant(&n1.key, n1.public(), me, &[studies[1]], "count", valid());
    let auth = Authorization::new(vec![count_only], None);
    let mut q = facet_query(50);
    q.facets = vec![FacetRequest {
        field: FacetField::AgeBand,
        size: 100,
    }];
    let fed = net.nodes[0]
        .client
        .search(q.clone(), &auth, None)
        .await
        .unwrap();
    let r = fed.nodes.iter().find(|n| n.node == n1.public()).unwrap();
    assert_eq!(r.outcome, NodeOutcome::Ok);
    assert_eq!(r.hits, 0, "count-only: no hits");
    assert!(fed.results.hits.is_empty());
    assert_eq!(fed.results.total, Count::Exact(40));
    let truth = fakes[1].search(&q, &AccessScope::All).unwrap();
    let fc = &fed.results.facets[0];
    let mut small = 0;
    for v in &truth.facets[0].values {
        let got = fc.values.iter().find(|x| x.value == v.value);
        let n = v.count.exact().unwrap();
        if n < 5 {
            // Not listed: absent values may be small cells or none.
            assert!(
                got.is_none(),
                "{}: a small cell is not listed: {fc:?}",
                v.value
            );
            small += 1;
        } else {
            assert_eq!(
                got.map(|g| g.count),
                Some(Count::Exact(n / 5 * 5)),
                "{}: rounded down",
                v.value
            );
        }
    }
    assert!(small > 0, "the data has a small cell: {truth:?}");
    assert!(
        fc.values.iter().all(|v| v.count != Count::Below(5)),
        "no \"<5\" listed (it would say \"at least one\"): {fc:?}"
    );
    assert_ne!(fc.other, Count::Exact(0), "never complete: {fc:?}");
}

/// Count-only searches are answered up to the grant's budget for the day, then refused
/// (`count_budget`): differencing needs many of them. Full-search grants are not counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_only_searches_stop_at_the_grants_daily_budget() {
    let (net, _, studies, full) = three_with(
        [3, 40, 12],
        federation::FedConfig {
            count_budget_per_day: 3,
            ..config()
        },
    )
    .await;
    let me = net.nodes[0].public();
    let n1 = &net.nodes[1];
    let count_only = grant(&n1.key, n1.public(), me, &[studies[1]], "count", valid());
    let auth = Authorization::new(vec![count_only], None);
    let outcome = |fed: &federation::FederatedResults| {
        fed.nodes
            .iter()
            .find(|n| n.node == n1.public())
            .unwrap()
            .outcome
            .clone()
    };
    for _ in 0..3 {
        let fed = net.nodes[0]
            .client
            .search(facet_query(10), &auth, None)
            .await
            .unwrap();
        assert_eq!(outcome(&fed), NodeOutcome::Ok);
    }
    let fed = net.nodes[0]
        .client
        .search(facet_query(10), &auth, None)
        .await
        .unwrap();
    assert_eq!(
        outcome(&fed),
        NodeOutcome::Denied {
            code: "count_budget".into()
        }
    );
    // A grant that may search is not a count-only one: no budget.
    for _ in 0..5 {
        let fed = net.nodes[0]
            .client
            .search(facet_query(10), &full, None)
            .await
            .unwrap();
        assert_eq!(outcome(&fed), NodeOutcome::Ok);
    }
}
