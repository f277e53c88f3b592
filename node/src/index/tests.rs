//! Unit tests of the index on synthetic rows: counts checked against the rows themselves,
//! the query translation, sorting and paging, the rights matrix through `Access::scope`, and
//! bad input (errors, never panics).

use std::collections::BTreeMap;

use protocol::id::{
    AcquisitionId, CenterId, DatasetId, EquipmentId, ExaminationId, StudyId, SubjectId,
};
use protocol::query::{
    FacetField, FacetRequest, Filter, Page, SearchQuery, Sort, SortKey, SortOrder,
};
use protocol::ContentId;

use super::*;
use crate::access::testing::{Fixture, DAY, T0};
use crate::access::{Grant, Principal, Right, RightSet, Role, StudyScope};
use crate::catalog::{
    Acquisition, Center, Dataset, DicomExpression, Equipment, Examination, Protocol, Study,
    StudyStatus, Subject,
};
use dicom::{Grade, Nature};

/// One synthetic dataset.
#[derive(Clone)]
struct Spec {
    study: (StudyId, &'static str),
    center: CenterId,
    equipment: Option<EquipmentId>,
    desc: &'static str,
    nature: Option<Nature>,
    tr: Option<f64>,
    sex: &'static str,
    age: Option<f64>,
    date: Option<&'static str>,
    tags: Vec<&'static str>,
    grade: Option<Grade>,
}

fn row(s: &Spec) -> DatasetRow {
    let subject = Subject {
        id: SubjectId::new(),
        study: s.study.0,
        pseudonym: format!("P{}", SubjectId::new()),
        sex: Some(s.sex.to_string()),
        birth_year: None,
        subject_type: None,
    };
    let examination = Examination {
        id: ExaminationId::new(),
        study: s.study.0,
        subject: subject.id,
        study_uid: "1.2.3".into(),
        date: s.date.map(str::to_string),
        age_years: s.age,
        center: s.center,
        equipment: s.equipment,
        comment: None,
    };
    let mut acquisition = Acquisition {
        id: AcquisitionId::new(),
        study: s.study.0,
        subject: subject.id,
        examination: examination.id,
        series_uid: "1.2.3.4".into(),
        modality: "MR".into(),
        sop_class_uid: "1.2.840.10008.5.1.4.1.1.4".into(),
        series_number: Some(2),
        series_description: Some(s.desc.to_string()),
        protocol_name: None,
        protocol: Protocol {
            repetition_time: s.tr,
            frames: 10,
            ..Default::default()
        },
        cards: Default::default(),
    };
    acquisition.cards.current.nature = s.nature;
    acquisition.cards.current.tags = s.tags.iter().map(|t| t.to_string()).collect();
    acquisition.cards.grade = s.grade;
    let dataset = Dataset {
        id: DatasetId::new(),
        acquisition: acquisition.id,
        study: s.study.0,
        subject: subject.id,
        examination: examination.id,
        dicom: DicomExpression {
            manifest: ContentId::of(s.desc.as_bytes()),
            manifest_bytes: 10,
            instances: 10,
            bytes: 1000,
        },
        nifti: None,
        nifti_refusal: None,
        created_at: 0,
        updated_at: 0,
    };
    DatasetRow {
        dataset,
        acquisition,
        examination,
        subject,
        study: Study {
            id: s.study.0,
            name: s.study.1.to_string(),
            status: StudyStatus::InProgress,
            description: String::new(),
            public: false,
            embargo_until: None,
            profile: "default".into(),
            created_at: 0,
        },
    }
}

struct World {
    _dir: tempfile::TempDir,
    index: Index,
    rows: Vec<DatasetRow>,
    a: StudyId,
    b: StudyId,
    rennes: CenterId,
    paris: CenterId,
}

const SERIES: [(&str, Option<Nature>, Option<f64>); 4] = [
    ("t1_mprage_sag_1mm", Some(Nature::T1w), Some(2300.0)),
    ("t2_tse_tra_2mm", Some(Nature::T2w), Some(6000.0)),
    ("bold_rest_ep2d", Some(Nature::Bold), Some(2000.0)),
    ("localizer", None, None),
];

/// 2 studies x 2 centers x 3 subjects x 4 series, committed in several batches (segments).
fn world_with(a: StudyId, b: StudyId, rennes: CenterId, paris: CenterId) -> World {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::open(&dir.path().join("index")).unwrap();
    let prisma = EquipmentId::new();
    let avanto = EquipmentId::new();
    index
        .set_context(Context::from_parts(
            vec![
                Center {
                    id: rennes,
                    name: "Rennes".into(),
                },
                Center {
                    id: paris,
                    name: "Paris".into(),
                },
            ],
            vec![
                Equipment {
                    id: prisma,
                    manufacturer: "Siemens".into(),
                    model: "Prisma".into(),
                    field_strength: Some(3.0),
                    serial_hash: None,
                    center: rennes,
                },
                Equipment {
                    id: avanto,
                    manufacturer: "Siemens".into(),
                    model: "Avanto".into(),
                    field_strength: Some(1.5),
                    serial_hash: None,
                    center: paris,
                },
            ],
        ))
        .unwrap();
    let dates = [Some("2019-03-04"), Some("2021-11-30"), None];
    let ages = [Some(34.0), Some(47.5), None];
    let mut rows = Vec::new();
    for (study, name) in [(a, "Study A"), (b, "Study B")] {
        for (center, eq) in [(rennes, prisma), (paris, avanto)] {
            let mut batch = Vec::new();
            for subj in 0..3 {
                for (desc, nature, tr) in SERIES {
                    batch.push(row(&Spec {
                        study: (study, name),
                        center,
                        equipment: Some(eq),
                        desc,
                        nature,
                        tr,
                        sex: if subj == 1 { "F" } else { "M" },
                        age: ages[subj],
                        date: dates[subj],
                        tags: if nature == Some(Nature::Bold) {
                            vec!["fmri", "3T"]
                        } else {
                            vec![]
                        },
                        grade: nature.map(|n| {
                            if n == Nature::Bold {
                                Grade::Warning
                            } else {
                                Grade::Pass
                            }
                        }),
                    }));
                }
            }
            index.index_datasets(&batch).unwrap();
            rows.extend(batch);
        }
    }
    World {
        _dir: dir,
        index,
        rows,
        a,
        b,
        rennes,
        paris,
    }
}

fn world() -> World {
    world_with(
        StudyId::new(),
        StudyId::new(),
        CenterId::new(),
        CenterId::new(),
    )
}

fn facets(fields: &[FacetField]) -> Vec<FacetRequest> {
    fields
        .iter()
        .map(|&field| FacetRequest { field, size: 100 })
        .collect()
}

fn counts(r: &SearchResults, i: usize) -> BTreeMap<String, u64> {
    r.facets[i]
        .values
        .iter()
        .map(|v| (v.value.clone(), v.count.exact().unwrap()))
        .collect()
}

/// Facet counts computed from the rows, for comparison.
fn expected(
    w: &World,
    keep: impl Fn(&DatasetRow) -> bool,
    field: FacetField,
) -> BTreeMap<String, u64> {
    let ctx = w.index.context.read().unwrap().clone();
    let mut m = BTreeMap::new();
    for r in w.rows.iter().filter(|r| keep(r)) {
        let s = Summary::of(r, &ctx);
        for (f, vs) in &s.facets {
            if *f == field {
                for v in vs {
                    *m.entry(v.clone()).or_default() += 1;
                }
            }
        }
    }
    m
}

fn total(r: &SearchResults) -> u64 {
    r.total.exact().unwrap()
}

#[test]
fn every_facet_counts_what_the_rows_hold() {
    let w = world();
    let q = SearchQuery {
        facets: facets(FacetField::ALL),
        ..Default::default()
    };
    let r = w.index.search(&q, &AccessScope::All).unwrap();
    assert_eq!(total(&r), 48);
    assert_eq!(w.index.doc_count(), 48);
    for (i, f) in FacetField::ALL.iter().enumerate() {
        assert_eq!(counts(&r, i), expected(&w, |_| true, *f), "facet {f}");
        assert_eq!(r.facets[i].other, Count::Exact(0));
        assert_eq!(r.facets[i].error_bound, None);
    }
    assert_eq!(counts(&r, FacetField::Nature as usize)["T1w"], 12);
    assert_eq!(counts(&r, FacetField::FieldStrength as usize)["1.5"], 24);
    assert_eq!(counts(&r, FacetField::AgeBand as usize)["30-39"], 16);
    assert_eq!(counts(&r, FacetField::ExamYear as usize)["2021"], 16);
    assert_eq!(counts(&r, FacetField::Tags as usize)["fmri"], 12);
    assert_eq!(counts(&r, FacetField::Center as usize)["Paris"], 24);
}

#[test]
fn facet_size_keeps_the_most_frequent_and_counts_the_rest() {
    let w = world();
    let q = SearchQuery {
        facets: vec![FacetRequest {
            field: FacetField::Nature,
            size: 2,
        }],
        ..Default::default()
    };
    let r = w.index.search(&q, &AccessScope::All).unwrap();
    let f = &r.facets[0];
    // Three natures of 12 each: ties by value.
    let vals: Vec<&str> = f.values.iter().map(|v| v.value.as_str()).collect();
    assert_eq!(vals, ["T1w", "T2w"]);
    assert_eq!(f.other, Count::Exact(12));
}

#[test]
fn text_matches_words_and_whole_forms() {
    let w = world();
    for text in ["mprage", "MPRAGE", "t1_mprage_sag_1mm", "mprage sag", "t1w"] {
        let r = w
            .index
            .search(&SearchQuery::text(text), &AccessScope::All)
            .unwrap();
        assert_eq!(total(&r), 12, "{text}");
        assert!(r
            .hits
            .iter()
            .all(|h| h.series_description.as_deref() == Some("t1_mprage_sag_1mm")));
        assert!(r.hits.iter().all(|h| h.score.is_some_and(f32::is_finite)));
    }
    let r = w
        .index
        .search(&SearchQuery::text("mprage tse"), &AccessScope::All)
        .unwrap();
    assert_eq!(total(&r), 0, "every word must match");
    let r = w
        .index
        .search(&SearchQuery::text("  _-  "), &AccessScope::All)
        .unwrap();
    assert_eq!(total(&r), 48, "no word: everything");
    let r = w
        .index
        .search(&SearchQuery::text("paris fmri"), &AccessScope::All)
        .unwrap();
    assert_eq!(total(&r), 6);
}

#[test]
fn filters_terms_exclusions_ranges_and_dates() {
    let w = world();
    let run = |filters: Vec<Filter>| {
        let q = SearchQuery {
            filters,
            facets: facets(&[FacetField::Nature]),
            ..Default::default()
        };
        w.index.search(&q, &AccessScope::All).unwrap()
    };
    let r = run(vec![parse_filter("nature:t1W").unwrap()]);
    assert_eq!(total(&r), 12);
    assert_eq!(counts(&r, 0), BTreeMap::from([("T1w".to_string(), 12)]));
    let r = run(vec![parse_filter("nature:T1w, bold").unwrap()]);
    assert_eq!(total(&r), 24);
    let r = run(vec![parse_filter("-nature:T1w").unwrap()]);
    assert_eq!(total(&r), 36, "exclusion keeps datasets without a nature");
    let r = run(vec![parse_filter("tr:[1000 TO 2500]").unwrap()]);
    assert_eq!(total(&r), 24);
    let r = run(vec![parse_filter("tr:[2300 TO *]").unwrap()]);
    assert_eq!(total(&r), 24);
    let r = run(vec![
        parse_filter("tr:[* TO 2300]").unwrap(),
        parse_filter("center:PARIS").unwrap(),
    ]);
    assert_eq!(total(&r), 12);
    let r = run(vec![parse_filter("field_strength:[2 TO 3]").unwrap()]);
    assert_eq!(total(&r), 24);
    let r = run(vec![parse_filter("field_strength:1.5").unwrap()]);
    assert_eq!(total(&r), 24);
    let r = run(vec![parse_filter("age:[40 TO 50]").unwrap()]);
    assert_eq!(total(&r), 16);
    let r = run(vec![parse_filter("exam_date:[2020-01-01 TO *]").unwrap()]);
    assert_eq!(total(&r), 16);
    let r = run(vec![parse_filter("exam_date:2019-03-04").unwrap()]);
    assert_eq!(total(&r), 16);
    let r = run(vec![parse_filter("study:\"study a\"").unwrap()]);
    assert_eq!(total(&r), 24);
    let r = run(vec![parse_filter("nature:nothing").unwrap()]);
    assert_eq!(total(&r), 0);
    assert!(r.facets[0].values.is_empty());
}

#[test]
fn sorting_and_paging_are_stable_across_segments() {
    let w = world();
    let all = |sort: Sort| {
        let q = SearchQuery {
            sort,
            page: Page {
                offset: 0,
                size: 100,
            },
            ..Default::default()
        };
        w.index.search(&q, &AccessScope::All).unwrap().hits
    };
    // Relevance without text: dataset id order.
    let hits = all(Sort::default());
    let ids: Vec<DatasetId> = hits.iter().map(|h| h.dataset).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert_eq!(ids.len(), 48);

    for order in [SortOrder::Asc, SortOrder::Desc] {
        let hits = all(Sort {
            by: SortKey::ExamDate,
            order,
        });
        let dated: Vec<_> = hits.iter().filter_map(|h| h.exam_date).collect();
        assert_eq!(dated.len(), 32);
        assert!(
            hits[32..].iter().all(|h| h.exam_date.is_none()),
            "missing last"
        );
        let mut expect = dated.clone();
        expect.sort();
        if order == SortOrder::Desc {
            expect.reverse();
        }
        assert_eq!(dated, expect);
        // Ties by dataset id, ascending.
        for pair in hits.windows(2) {
            if pair[0].exam_date == pair[1].exam_date {
                assert!(pair[0].dataset < pair[1].dataset);
            }
        }
        // A page is a slice of the whole order.
        let q = SearchQuery {
            sort: Sort {
                by: SortKey::ExamDate,
                order,
            },
            page: Page {
                offset: 10,
                size: 7,
            },
            ..Default::default()
        };
        let page = w.index.search(&q, &AccessScope::All).unwrap();
        assert_eq!(total(&page), 48);
        assert_eq!(page.hits, hits[10..17].to_vec());
    }
    let hits = all(Sort {
        by: SortKey::Center,
        order: SortOrder::Asc,
    });
    assert!(hits[..24].iter().all(|h| h.center == "Paris"));
    let hits = all(Sort {
        by: SortKey::Nature,
        order: SortOrder::Desc,
    });
    let natures: Vec<_> = hits.iter().map(|h| h.nature.clone()).collect();
    assert_eq!(natures[0].as_deref(), Some("bold"));
    assert!(natures[36..].iter().all(Option::is_none));
    let hits = all(Sort {
        by: SortKey::QcGrade,
        order: SortOrder::Desc,
    });
    assert_eq!(hits[0].qc_grade, Some(protocol::query::QcGrade::Warning));
    let q = SearchQuery {
        page: Page { offset: 0, size: 0 },
        facets: facets(&[FacetField::Sex]),
        ..Default::default()
    };
    let r = w.index.search(&q, &AccessScope::All).unwrap();
    assert!(r.hits.is_empty());
    assert_eq!(total(&r), 48);
    assert_eq!(counts(&r, 0)["F"], 16);
}

#[test]
fn relevance_orders_by_score_then_id() {
    let w = world();
    let q = SearchQuery {
        text: Some("bold fmri".into()),
        page: Page {
            offset: 0,
            size: 100,
        },
        ..Default::default()
    };
    let r = w.index.search(&q, &AccessScope::All).unwrap();
    assert_eq!(total(&r), 12);
    for pair in r.hits.windows(2) {
        let (a, b) = (pair[0].score.unwrap(), pair[1].score.unwrap());
        assert!(a > b || (a == b && pair[0].dataset < pair[1].dataset));
    }
}

#[test]
fn replacing_a_dataset_keeps_one_document() {
    let w = world();
    let mut r = w.rows[0].clone();
    r.acquisition.cards.current.nature = Some(Nature::Flair);
    w.index.index_datasets(&[r]).unwrap();
    assert_eq!(w.index.doc_count(), 48);
    let q = SearchQuery {
        filters: vec![parse_filter("nature:FLAIR").unwrap()],
        ..Default::default()
    };
    let res = w.index.search(&q, &AccessScope::All).unwrap();
    assert_eq!(total(&res), 1);
    assert_eq!(res.hits[0].dataset, w.rows[0].dataset.id);
}

#[test]
fn scopes_filter_hits_and_counts_alike() {
    let w = world();
    let q = SearchQuery {
        facets: facets(&[FacetField::Study, FacetField::Center]),
        page: Page {
            offset: 0,
            size: 100,
        },
        ..Default::default()
    };
    let run = |scope: AccessScope| w.index.search(&q, &scope).unwrap();

    let none = run(AccessScope::none());
    assert_eq!(total(&none), 0);
    assert!(none.hits.is_empty());
    assert!(none
        .facets
        .iter()
        .all(|f| f.values.is_empty() && f.other == Count::Exact(0)));
    assert_eq!(none.facets.len(), 2);

    let only_a = run(AccessScope::Studies(vec![StudyScope {
        study: w.a,
        centers: None,
    }]));
    assert_eq!(total(&only_a), 24);
    assert!(only_a.hits.iter().all(|h| h.study.id == w.a));
    assert_eq!(
        counts(&only_a, 0),
        BTreeMap::from([("Study A".to_string(), 24)])
    );
    assert_eq!(
        counts(&only_a, 1),
        expected(&w, |r| r.study.id == w.a, FacetField::Center)
    );

    let a_paris = run(AccessScope::Studies(vec![StudyScope {
        study: w.a,
        centers: Some(vec![w.paris]),
    }]));
    assert_eq!(total(&a_paris), 12);
    assert_eq!(
        counts(&a_paris, 1),
        BTreeMap::from([("Paris".to_string(), 12)])
    );

    let elsewhere = run(AccessScope::Studies(vec![StudyScope {
        study: w.a,
        centers: Some(vec![CenterId::new()]),
    }]));
    assert_eq!(total(&elsewhere), 0);
    assert!(elsewhere.facets.iter().all(|f| f.values.is_empty()));

    let mixed = run(AccessScope::Studies(vec![
        StudyScope {
            study: w.a,
            centers: Some(vec![w.rennes]),
        },
        StudyScope {
            study: w.b,
            centers: None,
        },
    ]));
    assert_eq!(total(&mixed), 36);
    assert_eq!(
        counts(&mixed, 0),
        BTreeMap::from([("Study A".to_string(), 12), ("Study B".to_string(), 24)])
    );
}

#[test]
fn suggestions_complete_prefixes_within_scope() {
    let w = world();
    assert_eq!(
        w.index.suggest("mpr", &AccessScope::All, 10).unwrap(),
        ["t1_mprage_sag_1mm"]
    );
    assert_eq!(
        w.index.suggest("T1_MPR", &AccessScope::All, 10).unwrap(),
        ["t1_mprage_sag_1mm"]
    );
    let s = w.index.suggest("stu", &AccessScope::All, 10).unwrap();
    assert_eq!(s, ["Study A", "Study B"]);
    let s = w.index.suggest("study b", &AccessScope::All, 10).unwrap();
    assert_eq!(s, ["Study B"]);
    let only_a = AccessScope::Studies(vec![StudyScope {
        study: w.a,
        centers: Some(vec![w.rennes]),
    }]);
    assert_eq!(w.index.suggest("stu", &only_a, 10).unwrap(), ["Study A"]);
    assert_eq!(
        w.index.suggest("par", &only_a, 10).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        w.index.suggest("par", &AccessScope::All, 10).unwrap(),
        ["Paris"]
    );
    assert!(w
        .index
        .suggest("mpr", &AccessScope::none(), 10)
        .unwrap()
        .is_empty());
    assert!(w
        .index
        .suggest("", &AccessScope::All, 10)
        .unwrap()
        .is_empty());
    assert!(w
        .index
        .suggest("zzz", &AccessScope::All, 10)
        .unwrap()
        .is_empty());
    assert_eq!(w.index.suggest("s", &AccessScope::All, 1).unwrap().len(), 1);
    assert!(matches!(
        w.index.suggest("s", &AccessScope::All, 1_000_000),
        Err(IndexError::Query(_))
    ));
    assert!(matches!(
        w.index.suggest(&"x".repeat(10_000), &AccessScope::All, 5),
        Err(IndexError::Query(_))
    ));
}

#[test]
fn invalid_queries_are_query_errors() {
    let w = world();
    let bad = [
        SearchQuery {
            page: Page {
                offset: 0,
                size: 1_000_000,
            },
            ..Default::default()
        },
        SearchQuery {
            page: Page {
                offset: u32::MAX,
                size: 10,
            },
            ..Default::default()
        },
        SearchQuery {
            facets: vec![FacetRequest {
                field: FacetField::Nature,
                size: 0,
            }],
            ..Default::default()
        },
        SearchQuery {
            filters: vec![Filter::Range {
                field: protocol::query::RangeField::Tr,
                min: Some(f64::NAN),
                max: None,
            }],
            ..Default::default()
        },
        SearchQuery::text("x".repeat(5000)),
    ];
    for q in bad {
        assert!(
            matches!(
                w.index.search(&q, &AccessScope::All),
                Err(IndexError::Query(_))
            ),
            "{q:?}"
        );
    }
}

#[test]
fn parsers_refuse_bad_input_with_reasons() {
    for (input, needle) in [
        ("nature", "field:value"),
        ("colour:red", "unknown field"),
        ("nature:", "no value"),
        ("tr:[1 TO", "[min TO max]"),
        ("tr:[1 2]", "[min TO max]"),
        ("tr:[a TO 3]", "not a number"),
        ("tr:[NaN TO 3]", "not a number"),
        ("tr:[inf TO *]", "not a number"),
        ("tr:[5 TO 3]", "min is greater than max"),
        ("tr:[* TO *]", "needs a min or a max"),
        ("modality:[1 TO 2]", "not a range field"),
        ("exam_date:2020-13-01", "not a date"),
        ("exam_date:[2021-01-01 TO 2020-01-01]", "from is after to"),
        ("-tr:[1 TO 2]", "cannot be excluded"),
        ("nature:,", "has no value"),
        ("-te:30", "cannot be excluded"),
    ] {
        let e = parse_filter(input).unwrap_err().to_string();
        assert!(e.contains(needle), "{input}: {e}");
    }
    let long = format!("study:{}", "x".repeat(300));
    assert!(parse_filter(&long).is_err());
    let many = format!("tags:{}", vec!["a"; 300].join(","));
    assert!(parse_filter(&many).is_err());

    assert_eq!(
        parse_facet("nature:5").unwrap(),
        FacetRequest {
            field: FacetField::Nature,
            size: 5
        }
    );
    assert_eq!(parse_facet(" sex ").unwrap().size, DEFAULT_FACET_SIZE);
    for bad in [
        "nature:0",
        "nature:100000",
        "nature:-1",
        "nature:x",
        "colour",
        "",
    ] {
        assert!(parse_facet(bad).is_err(), "{bad}");
    }
    assert_eq!(
        parse_sort("exam_date:asc").unwrap(),
        Sort {
            by: SortKey::ExamDate,
            order: SortOrder::Asc
        }
    );
    assert_eq!(parse_sort("study").unwrap().order, SortOrder::Asc);
    assert_eq!(parse_sort("relevance").unwrap().order, SortOrder::Desc);
    assert_eq!(parse_sort("exam_date:DESC").unwrap().order, SortOrder::Desc);
    assert_eq!(
        parse_filter("te:30").unwrap(),
        Filter::Range {
            field: protocol::query::RangeField::Te,
            min: Some(30.0),
            max: Some(30.0)
        }
    );
    assert_eq!(
        parse_filter("center:\"Rennes, CHU\"").unwrap(),
        Filter::Term {
            field: FacetField::Center,
            values: vec!["Rennes, CHU".into()],
            exclude: false
        }
    );
    for bad in ["date", "study:up", ""] {
        assert!(parse_sort(bad).is_err(), "{bad}");
    }
}

#[test]
fn reopening_keeps_the_index_and_a_damaged_one_is_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let a = StudyId::new();
    {
        let index = Index::open(&path).unwrap();
        assert!(index.was_recreated() && index.is_empty());
        index
            .index_datasets(&[row(&Spec {
                study: (a, "A"),
                center: CenterId::new(),
                equipment: None,
                desc: "flair_3d",
                nature: Some(Nature::Flair),
                tr: None,
                sex: "F",
                age: None,
                date: None,
                tags: vec![],
                grade: None,
            })])
            .unwrap();
    }
    let index = Index::open(&path).unwrap();
    assert!(!index.was_recreated());
    assert_eq!(index.doc_count(), 1);
    drop(index);
    std::fs::write(path.join("meta.json"), b"{ not json").unwrap();
    let index = Index::open(&path).unwrap();
    assert!(index.was_recreated() && index.is_empty());
}

/// The rights matrix through `Access::scope`: what a user may see decides hits and counts.
#[test]
fn rights_matrix_through_access_scope() {
    let fx = Fixture::new();
    let a = fx.study("Study A");
    let b = fx.study("Study B");
    let rennes = fx.center.id;
    let w = world_with(a, b, rennes, CenterId::new());
    let access = fx.access();
    let alice = Principal::User(fx.user("alice", Role::User));
    let admin = Principal::User(fx.user("boss", Role::Admin));
    let q = SearchQuery {
        facets: facets(&[FacetField::Study, FacetField::Nature]),
        page: Page {
            offset: 0,
            size: 100,
        },
        ..Default::default()
    };
    let see = |p: &Principal, now: crate::clock::UnixTime| {
        let scope = access.scope(p, Right::See, now).unwrap();
        w.index.search(&q, &scope).unwrap()
    };
    let studies = |r: &SearchResults| counts(r, 0);
    let grant = |study, until, centers| {
        access
            .rights()
            .grant(
                &Principal::Operator,
                "alice",
                study,
                Grant {
                    rights: "see".parse::<RightSet>().unwrap(),
                    until,
                    centers,
                },
                T0,
            )
            .unwrap();
    };

    // No right: nothing, and no count.
    let r = see(&alice, T0);
    assert_eq!(total(&r), 0);
    assert!(r.facets.iter().all(|f| f.values.is_empty()));
    // The operator and admins see everything.
    assert_eq!(total(&see(&Principal::Operator, T0)), 48);
    assert_eq!(total(&see(&admin, T0)), 48);

    // See on A only.
    let until = Some(crate::clock::Date::from_unix(T0 + 10 * DAY));
    grant(a, until, None);
    let r = see(&alice, T0);
    assert_eq!(studies(&r), BTreeMap::from([("Study A".to_string(), 24)]));
    assert!(r.hits.iter().all(|h| h.study.id == a));
    assert_eq!(counts(&r, 1)["T1w"], 6);

    // Expired: the day after `until`, nothing.
    let r = see(&alice, T0 + 11 * DAY);
    assert_eq!(total(&r), 0);
    assert!(r.facets.iter().all(|f| f.values.is_empty()));

    // Center-limited: the node's center, then another one.
    grant(a, None, Some(vec![rennes]));
    let r = see(&alice, T0);
    assert_eq!(studies(&r), BTreeMap::from([("Study A".to_string(), 12)]));
    assert!(r.hits.iter().all(|h| h.center == "Rennes"));
    grant(a, None, Some(vec![CenterId::new()]));
    assert_eq!(total(&see(&alice, T0)), 0);

    // A public study is visible to every account.
    let mut sb = fx.catalog.study(b).unwrap().unwrap();
    sb.public = true;
    fx.catalog.update_study(&sb).unwrap();
    let r = see(&alice, T0);
    assert_eq!(studies(&r), BTreeMap::from([("Study B".to_string(), 24)]));
    let carol = Principal::User(fx.user("carol", Role::User));
    assert_eq!(total(&see(&carol, T0)), 24);

    // An agreement not yet accepted hides the study; accepted, it shows again.
    grant(a, None, None);
    let ag = access
        .agreements()
        .set(&Principal::Operator, a, "Cite us.", T0)
        .unwrap();
    let r = see(&alice, T0);
    assert_eq!(studies(&r), BTreeMap::from([("Study B".to_string(), 24)]));
    access
        .agreements()
        .accept(&alice, a, ag.version, T0)
        .unwrap();
    let r = see(&alice, T0);
    assert_eq!(
        studies(&r),
        BTreeMap::from([("Study A".to_string(), 24), ("Study B".to_string(), 24)])
    );
    // Suggestions follow the same scope.
    let scope = access.scope(&carol, Right::See, T0).unwrap();
    assert_eq!(w.index.suggest("stud", &scope, 5).unwrap(), ["Study B"]);
}

mod fuzz {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn parsers_never_panic(s in ".{0,80}") {
            let _ = parse_filter(&s);
            let _ = parse_facet(&s);
            let _ = parse_sort(&s);
        }

        #[test]
        fn ranges_with_any_bounds_never_panic(field in "[a-z_]{1,16}", lo in ".{0,12}", hi in ".{0,12}") {
            let _ = parse_filter(&format!("{field}:[{lo} TO {hi}]"));
        }
    }

    #[test]
    fn odd_texts_and_prefixes_never_panic() {
        let w = world();
        for t in [
            "",
            " ",
            "\u{0}",
            "é",
            "🧠 mprage",
            "((",
            "a:b",
            "\"",
            "*",
            "-",
            "[1 TO 2]",
            &"mpr".repeat(300),
        ] {
            let _ = w
                .index
                .search(&SearchQuery::text(t), &AccessScope::All)
                .unwrap();
            let _ = w.index.suggest(t, &AccessScope::All, 10);
        }
    }
}

/// Two handles on one directory, as `serve` and a CLI import have: each write holds the
/// writer only while it runs, and each handle sees the other's commits.
#[test]
fn two_handles_share_one_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let one = Index::open(&path).unwrap();
    let two = Index::open(&path).unwrap();
    assert!(
        !two.was_recreated(),
        "the second handle opens the first one's index"
    );
    let spec = |desc| Spec {
        study: (StudyId::new(), "A"),
        center: CenterId::new(),
        equipment: None,
        desc,
        nature: None,
        tr: None,
        sex: "F",
        age: None,
        date: None,
        tags: vec![],
        grade: None,
    };
    one.index_datasets(&[row(&spec("first"))]).unwrap();
    two.index_datasets(&[row(&spec("second"))]).unwrap();
    one.index_datasets(&[row(&spec("third"))]).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while (one.doc_count(), two.doc_count()) != (3, 3) {
        assert!(std::time::Instant::now() < deadline, "commits not seen");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Scores: the datasets of 4 subjects (2 examinations each), scored at examinations or at the
/// subject level; each filter's hits are checked against the expected (subject, examination).
#[test]
fn score_filters_match_assessments_at_the_examination_or_the_subject_level() {
    use crate::scores::{Assessment, Instrument, ScoreValue};
    use protocol::id::AssessmentId;

    let dir = tempfile::tempdir().unwrap();
    let index = Index::open(&dir.path().join("index")).unwrap();
    let study = (StudyId::new(), "MS cohort");
    let center = CenterId::new();
    let spec = |desc| Spec {
        study,
        center,
        equipment: None,
        desc,
        nature: Some(Nature::T1w),
        tr: None,
        sex: "F",
        age: None,
        date: Some("2031-03-04"),
        tags: vec![],
        grade: None,
    };
    // rows[2 * s + e]: subject s, examination e.
    let mut rows = Vec::new();
    for _ in 0..4 {
        let first = row(&spec("t1_first"));
        let mut second = row(&spec("t1_second"));
        second.subject = first.subject.clone();
        second.examination.subject = first.subject.id;
        second.acquisition.subject = first.subject.id;
        second.dataset.subject = first.subject.id;
        rows.push(first);
        rows.push(second);
    }
    let subject = |s: usize| rows[2 * s].subject.id;
    let exam = |s: usize, e: usize| rows[2 * s + e].examination.id;
    let assessment =
        |s: usize, e: Option<usize>, instrument: &str, values: Vec<(&str, ScoreValue)>| {
            Assessment {
                id: AssessmentId::new(),
                study: study.0,
                subject: subject(s),
                examination: e.map(|e| exam(s, e)),
                instrument: instrument.into(),
                values: values
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
                recorded_by: "cli".into(),
                recorded_at: 0,
            }
        };
    let code = |c: &str| ScoreValue::Code(c.into());
    let assessments = vec![
        assessment(
            0,
            Some(0),
            "EDSS",
            vec![("EDSS", ScoreValue::Number(3.5)), ("course", code("RR"))],
        ),
        assessment(
            0,
            Some(1),
            "EDSS",
            vec![("EDSS", ScoreValue::Number(4.5)), ("course", code("SP"))],
        ),
        assessment(
            1,
            None,
            "EDSS",
            vec![("EDSS", ScoreValue::Number(6.0)), ("course", code("PP"))],
        ),
        assessment(
            2,
            Some(0),
            "MMSE",
            vec![
                ("total", ScoreValue::Integer(23)),
                ("memory", ScoreValue::Integer(-2)),
            ],
        ),
        assessment(3, None, "SDMT", vec![("score", ScoreValue::Integer(40))]),
        assessment(3, Some(1), "GRADE", vec![("GRADE", code("1"))]),
    ];
    let instrument = |toml: &str| Instrument::from_toml(toml).unwrap();
    let instruments = vec![
        instrument("name = \"E\"\nacronym = \"EDSS\"\n[[variables]]\nname = \"EDSS\"\ntype = \"number\"\n[[variables]]\nname = \"course\"\ntype = \"choice\"\nvalues = [\"RR\", \"SP\", \"PP\"]"),
        instrument("name = \"M\"\nacronym = \"MMSE\"\n[[variables]]\nname = \"total\"\ntype = \"integer\"\n[[variables]]\nname = \"memory\"\ntype = \"integer\""),
        instrument("name = \"S\"\nacronym = \"SDMT\"\n[[variables]]\nname = \"score\"\ntype = \"integer\""),
        instrument("name = \"G\"\nacronym = \"GRADE\"\n[[variables]]\nname = \"GRADE\"\ntype = \"choice\"\nvalues = [\"0\", \"1\"]"),
    ];
    index
        .set_context(Context::default().with_scores(instruments, assessments))
        .unwrap();
    index.index_datasets(&rows[..4]).unwrap();
    index.index_datasets(&rows[4..]).unwrap();

    let hits = |filter: &str| -> Vec<(usize, usize)> {
        let q = SearchQuery {
            filters: vec![parse_filter(filter).unwrap()],
            page: Page {
                offset: 0,
                size: 100,
            },
            ..Default::default()
        };
        let r = index.search(&q, &AccessScope::All).unwrap();
        assert_eq!(total(&r), r.hits.len() as u64, "{filter}");
        let mut out: Vec<(usize, usize)> = r
            .hits
            .iter()
            .map(|h| {
                let i = rows.iter().position(|r| r.dataset.id == h.dataset).unwrap();
                (i / 2, i % 2)
            })
            .collect();
        out.sort();
        out
    };
    let s1_both_s0_second = vec![(0, 1), (1, 0), (1, 1)];
    for (filter, want) in [
        ("score.EDSS:[4 TO 10]", s1_both_s0_second.clone()),
        ("score.edss.edss:[4 TO *]", s1_both_s0_second.clone()),
        ("score.EDSS:[* TO 4]", vec![(0, 0)]),
        ("score.EDSS:[3.5 TO 4.5]", vec![(0, 0), (0, 1)]),
        ("score.EDSS:{3.5 TO 4.5]", vec![(0, 1)]),
        ("score.EDSS:>4.5", vec![(1, 0), (1, 1)]),
        ("score.EDSS:>=4.5", s1_both_s0_second.clone()),
        ("score.EDSS:>4", s1_both_s0_second.clone()),
        ("score.EDSS:<3.5", vec![]),
        ("score.EDSS:<=3.5", vec![(0, 0)]),
        ("score.EDSS:4.5", vec![(0, 1)]),
        ("score.EDSS:*", vec![(0, 0), (0, 1), (1, 0), (1, 1)]),
        ("score.EDSS.course:SP,PP", s1_both_s0_second.clone()),
        ("score.EDSS.course:rr", vec![(0, 0)]),
        ("score.EDSS.course:[1 TO 2]", vec![]),
        ("score.MMSE.total:<24", vec![(2, 0)]),
        ("score.MMSE.total:<23", vec![]),
        ("score.MMSE.memory:<0", vec![(2, 0)]),
        ("score.MMSE.memory:[-3 TO -1]", vec![(2, 0)]),
        // Two variables, neither named MMSE: no default variable.
        ("score.MMSE:*", vec![]),
        // The only variable is the default one; subject level: both examinations.
        ("score.SDMT:[30 TO 50]", vec![(3, 0), (3, 1)]),
        ("score.SDMT.score:40", vec![(3, 0), (3, 1)]),
        ("score.SDMT:41", vec![]),
        // A choice code that reads as a number is a number too.
        ("score.GRADE:1", vec![(3, 1)]),
        ("score.GRADE:[0 TO 1]", vec![(3, 1)]),
        // Unknown instrument or variable, or a name that is a prefix of another: no match.
        ("score.UPDRS:*", vec![]),
        ("score.EDS:[0 TO 10]", vec![]),
        ("score.EDS:*", vec![]),
        ("score.EDSS.cours:RR", vec![]),
    ] {
        assert_eq!(hits(filter), want, "{filter}");
    }
    // With other filters: AND.
    let q = SearchQuery {
        filters: vec![
            parse_filter("score.EDSS:>4").unwrap(),
            parse_filter("score.EDSS.course:SP").unwrap(),
        ],
        ..Default::default()
    };
    assert_eq!(total(&index.search(&q, &AccessScope::All).unwrap()), 1);
    for (bad, why) in [
        ("-score.EDSS:*", "cannot be excluded"),
        ("score.EDSS:[5 TO 4]", "empty"),
        ("score.ED SS:*", "instrument"),
        ("score.EDSS.a.b:*", "variable"),
        ("score.EDSS:[* TO *]", "min or a max"),
    ] {
        let e = parse_filter(bad).unwrap_err().to_string();
        assert!(e.contains(why), "{bad}: {e}");
    }
}
