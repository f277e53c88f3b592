use std::collections::BTreeMap;

use proptest::prelude::*;
use protocol::id::{DatasetId, StudyId};
use protocol::keys::SecretKey;
use protocol::query::{FacetRequest, StudyRef};
use protocol::ContentId;

use super::*;

fn node(n: u8) -> PublicKey {
    SecretKey::from_seed(&[n; 32]).public()
}

fn hit(ds: u8, score: Option<f32>, subject: &str) -> Hit {
    Hit {
        node: None,
        dataset: DatasetId::from_bytes([ds; 16]),
        center: "C".into(),
        study: StudyRef {
            id: StudyId::from_bytes([1; 16]),
            name: "S".into(),
        },
        subject: subject.into(),
        exam_date: None,
        modality: "MR".into(),
        series_description: None,
        nature: None,
        contrast: None,
        qc_grade: None,
        dims: vec![],
        instances: 1,
        content: ContentId::from_bytes([ds; 32]),
        has_nifti: false,
        score,
    }
}

fn facet(field: FacetField, values: &[(&str, Count)], other: Count) -> FacetCounts {
    FacetCounts {
        field,
        values: values
            .iter()
            .map(|(v, c)| FacetValue {
                value: v.to_string(),
                count: *c,
            })
            .collect(),
        other,
        error_bound: None,
    }
}

fn query(facets: &[(FacetField, u32)], offset: u32, size: u32) -> SearchQuery {
    SearchQuery {
        facets: facets
            .iter()
            .map(|&(field, size)| FacetRequest { field, size })
            .collect(),
        page: Page { offset, size },
        ..SearchQuery::default()
    }
}

/// A member's complete or truncated facet from its true counts.
fn member_facet(field: FacetField, truth: &BTreeMap<String, u64>, listed: usize) -> FacetCounts {
    let mut v: Vec<(&String, &u64)> = truth.iter().filter(|(_, &c)| c > 0).collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let other: u64 = v.iter().skip(listed).map(|(_, &c)| c).sum();
    FacetCounts {
        field,
        values: v
            .iter()
            .take(listed)
            .map(|(k, &c)| FacetValue {
                value: (*k).clone(),
                count: Count::Exact(c),
            })
            .collect(),
        other: Count::Exact(other),
        error_bound: None,
    }
}

fn truths() -> impl Strategy<Value = Vec<BTreeMap<String, u64>>> {
    let value = prop::sample::select(vec!["a", "b", "c", "d", "e", "f", "g", "h"]);
    prop::collection::vec(
        prop::collection::btree_map(value.prop_map(String::from), 0u64..60, 0..8),
        1..5,
    )
}

fn parts_from(truths: &[BTreeMap<String, u64>], listed: &[usize]) -> Vec<NodeResults> {
    truths
        .iter()
        .enumerate()
        .map(|(i, t)| NodeResults {
            node: node(i as u8 + 1),
            results: SearchResults {
                total: Count::Exact(t.values().sum()),
                hits: vec![],
                facets: vec![member_facet(
                    FacetField::Modality,
                    t,
                    listed.get(i).copied().unwrap_or(usize::MAX),
                )],
            },
        })
        .collect()
}

proptest! {
    #[test]
    fn complete_lists_merge_to_exact_sums(truths in truths(), k in 1u32..10) {
        let parts = parts_from(&truths, &[]);
        let merged = merge(&query(&[(FacetField::Modality, k)], 0, 0), &parts);
        let mut sum: BTreeMap<String, u64> = BTreeMap::new();
        for t in &truths {
            for (v, c) in t {
                *sum.entry(v.clone()).or_default() += c;
            }
        }
        let expected = member_facet(FacetField::Modality, &sum, k as usize);
        prop_assert_eq!(&merged.facets[0], &expected);
        prop_assert_eq!(merged.total, Count::Exact(sum.values().sum()));
    }

    #[test]
    fn error_bound_holds_for_truncated_lists(
        truths in truths(),
        listed in prop::collection::vec(0usize..5, 5),
        k in 1u32..8,
    ) {
        let parts = parts_from(&truths, &listed);
        let merged = merge(&query(&[(FacetField::Modality, k)], 0, 0), &parts);
        let fc = &merged.facets[0];
        let bound = fc.error_bound.unwrap_or(0);
        let any_incomplete = parts.iter().any(|p| p.results.facets[0].other != Count::Exact(0));
        if !any_incomplete {
            prop_assert_eq!(fc.error_bound, None);
        }
        for v in &fc.values {
            let truth: u64 = truths.iter().map(|t| t.get(&v.value).copied().unwrap_or(0)).sum();
            let got = v.count.exact().unwrap_or(0);
            prop_assert!(got <= truth, "{} merged {} > true {}", v.value, got, truth);
            prop_assert!(truth <= got + bound, "{} true {} > merged {} + bound {}", v.value, truth, got, bound);
        }
        // Nothing is lost: listed + other = total.
        let listed_sum: u64 = fc.values.iter().filter_map(|v| v.count.exact()).sum();
        prop_assert_eq!(listed_sum + fc.other.exact().unwrap_or(0), merged.total.exact().unwrap_or(0));
    }

    #[test]
    fn merge_is_commutative(
        truths in truths(),
        listed in prop::collection::vec(0usize..5, 5),
        suppress in prop::collection::vec(any::<bool>(), 5),
        hits in prop::collection::vec(prop::collection::vec((0u8..20, prop::option::of(0f32..3.0)), 0..6), 5),
        rotate in 0usize..5,
        offset in 0u32..4,
        size in 0u32..8,
    ) {
        let mut parts = parts_from(&truths, &listed);
        for (i, p) in parts.iter_mut().enumerate() {
            if suppress[i] {
                for v in &mut p.results.facets[0].values {
                    if let Count::Exact(n) = v.count {
                        v.count = Count::suppressed(n, 5);
                    }
                }
                p.results.total = match p.results.total { Count::Exact(n) => Count::suppressed(n, 5), c => c };
            }
            p.results.hits = hits[i].iter().map(|&(ds, s)| hit(ds, s, "x")).collect();
        }
        let q = query(&[(FacetField::Modality, 3), (FacetField::Sex, 2)], offset, size);
        let a = merge(&q, &parts);
        let mut rotated = parts.clone();
        let r = rotate % rotated.len();
        rotated.rotate_left(r);
        rotated.reverse();
        let b = merge(&q, &rotated);
        prop_assert_eq!(a, b);
    }
}

#[test]
fn suppressed_cells_stay_suppressed_and_widen_the_bound() {
    let f = FacetField::Sex;
    let parts = vec![
        NodeResults {
            node: node(1),
            results: SearchResults {
                total: Count::Exact(121),
                hits: vec![],
                facets: vec![facet(
                    f,
                    &[("F", Count::Exact(120)), ("M", Count::Below(5))],
                    Count::Exact(0),
                )],
            },
        },
        NodeResults {
            node: node(2),
            results: SearchResults {
                total: Count::Below(5),
                hits: vec![],
                facets: vec![facet(
                    f,
                    &[("F", Count::Below(5)), ("M", Count::Below(5))],
                    Count::Exact(0),
                )],
            },
        },
    ];
    let m = merge(&query(&[(f, 10)], 0, 0), &parts);
    // 120 + "<5": at least 121, at most 124.
    assert_eq!(m.total, Count::Exact(122));
    let fc = &m.facets[0];
    assert_eq!(fc.values[0].value, "F");
    assert_eq!(fc.values[0].count, Count::Exact(121));
    // "<5" + "<5": at most 8.
    assert_eq!(fc.values[1].value, "M");
    assert_eq!(fc.values[1].count, Count::Below(9));
    assert_eq!(fc.error_bound, Some(3));
    // One suppressed cell alone is reported as it was.
    let one = merge(&query(&[(f, 10)], 0, 0), &parts[1..]);
    assert_eq!(one.total, Count::Below(5));
    assert_eq!(one.facets[0].values[0].count, Count::Below(5));
}

#[test]
fn a_member_without_the_facet_makes_it_uncertain() {
    let f = FacetField::Modality;
    let parts = vec![
        NodeResults {
            node: node(1),
            results: SearchResults {
                total: Count::Exact(10),
                hits: vec![],
                facets: vec![facet(f, &[("MR", Count::Exact(10))], Count::Exact(0))],
            },
        },
        NodeResults {
            node: node(2),
            results: SearchResults {
                total: Count::Exact(7),
                hits: vec![],
                facets: vec![],
            },
        },
    ];
    let m = merge(&query(&[(f, 5)], 0, 0), &parts);
    assert_eq!(m.facets[0].values[0].count, Count::Exact(10));
    assert_eq!(m.facets[0].other, Count::Exact(7));
    assert_eq!(m.facets[0].error_bound, Some(7));
}

#[test]
fn hits_merge_by_sort_key_then_node_then_dataset() {
    let (n1, n2) = (node(1), node(2));
    let (lo, hi) = if n1 < n2 { (n1, n2) } else { (n2, n1) };
    let parts = vec![
        NodeResults {
            node: hi,
            results: SearchResults {
                total: Count::Exact(3),
                hits: vec![
                    hit(1, Some(2.0), "b"),
                    hit(2, Some(1.0), "a"),
                    hit(3, None, "c"),
                ],
                facets: vec![],
            },
        },
        NodeResults {
            node: lo,
            results: SearchResults {
                total: Count::Exact(2),
                hits: vec![hit(9, Some(2.0), "a"), hit(4, Some(0.5), "d")],
                facets: vec![],
            },
        },
    ];
    let q = query(&[], 0, 10);
    let m = merge(&q, &parts);
    let order: Vec<(u8, PublicKey)> = m
        .hits
        .iter()
        .map(|h| (h.dataset.to_bytes()[0], h.node.unwrap()))
        .collect();
    // Score 2.0 twice: the lower node key first; the hit without a score last.
    assert_eq!(order, vec![(9, lo), (1, hi), (2, hi), (4, lo), (3, hi)]);
    assert_eq!(m.total, Count::Exact(5));

    // Paging cuts the merged order.
    let page = merge(&query(&[], 1, 2), &parts);
    let ids: Vec<u8> = page.hits.iter().map(|h| h.dataset.to_bytes()[0]).collect();
    assert_eq!(ids, vec![1, 2]);

    // Ascending by subject; ties by node then dataset.
    let mut q = query(&[], 0, 10);
    q.sort = Sort {
        by: SortKey::Subject,
        order: SortOrder::Asc,
    };
    let m = merge(&q, &parts);
    let subjects: Vec<&str> = m.hits.iter().map(|h| h.subject.as_str()).collect();
    assert_eq!(subjects, vec!["a", "a", "b", "c", "d"]);
    assert_eq!(
        m.hits[0].node,
        Some(lo),
        "tie on subject: lower node key first"
    );
}

#[test]
fn plan_asks_for_all_values_or_over_requests() {
    let q = query(&[(FacetField::Modality, 5), (FacetField::Tags, 10)], 20, 30);
    let p = plan(&q).unwrap();
    assert_eq!(
        p.page,
        Page {
            offset: 0,
            size: 50
        }
    );
    assert_eq!(p.facets[0].size, MAX_FACET_SIZE);
    assert_eq!(p.facets[1].size, 25);
    let q = query(&[(FacetField::Tags, 1000)], 0, 0);
    assert_eq!(plan(&q).unwrap().facets[0].size, MAX_FACET_SIZE);
    assert!(matches!(
        plan(&query(&[], 990, 20)),
        Err(PlanError::TooDeep { .. })
    ));
}
