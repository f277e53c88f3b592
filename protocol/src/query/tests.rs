use super::*;
use crate::cbor;

fn sample() -> SearchQuery {
    SearchQuery {
        text: Some("T1w MS".into()),
        filters: vec![
            Filter::Term {
                field: FacetField::Modality,
                values: vec!["MR".into()],
                exclude: false,
            },
            Filter::Range {
                field: RangeField::FieldStrength,
                min: Some(2.9),
                max: Some(3.1),
            },
            Filter::Range {
                field: RangeField::Age,
                min: Some(30.0),
                max: None,
            },
            Filter::DateRange {
                from: "2020-01-01".parse().ok(),
                to: None,
            },
            Filter::Score(ScoreFilter {
                instrument: "EDSS".into(),
                variable: None,
                test: ScoreTest::Range {
                    min: Some(4.0),
                    max: None,
                    min_exclusive: true,
                    max_exclusive: false,
                },
            }),
            Filter::Score(ScoreFilter {
                instrument: "EDSS".into(),
                variable: Some("course".into()),
                test: ScoreTest::Values {
                    values: vec!["SP".into(), "PP".into()],
                },
            }),
            Filter::Score(ScoreFilter {
                instrument: "MMSE".into(),
                variable: Some("total".into()),
                test: ScoreTest::Any,
            }),
        ],
        facets: vec![
            FacetRequest {
                field: FacetField::Center,
                size: 10,
            },
            FacetRequest {
                field: FacetField::Nature,
                size: 20,
            },
        ],
        sort: Sort {
            by: SortKey::ExamDate,
            order: SortOrder::Asc,
        },
        page: Page {
            offset: 0,
            size: 50,
        },
    }
}

#[test]
fn json_shape_is_readable_and_round_trips() {
    let q = sample();
    assert_eq!(q.validate(), Ok(()));
    let json = serde_json::to_value(&q).unwrap();
    assert_eq!(json["filters"][0]["term"]["field"], "modality");
    assert_eq!(json["filters"][1]["range"]["min"], 2.9);
    assert_eq!(json["filters"][3]["date_range"]["from"], "2020-01-01");
    assert_eq!(json["filters"][4]["score"]["instrument"], "EDSS");
    assert_eq!(json["filters"][4]["score"]["test"]["range"]["min"], 4.0);
    assert_eq!(
        json["filters"][4]["score"]["test"]["range"]["min_exclusive"],
        true
    );
    assert_eq!(
        json["filters"][5]["score"]["test"]["values"]["values"][1],
        "PP"
    );
    assert_eq!(json["filters"][6]["score"]["test"], "any");
    let text: Vec<String> = q.filters[4..]
        .iter()
        .map(|f| match f {
            Filter::Score(s) => s.to_string(),
            _ => String::new(),
        })
        .collect();
    assert_eq!(
        text,
        [
            "score.EDSS:{4 TO *]",
            "score.EDSS.course:SP,PP",
            "score.MMSE.total:*"
        ]
    );
    assert_eq!(json["sort"]["by"], "exam_date");
    let back: SearchQuery = serde_json::from_value(json).unwrap();
    assert_eq!(back, q);
    // Minimal JSON works with defaults.
    let min: SearchQuery = serde_json::from_str(r#"{"text":"flair"}"#).unwrap();
    assert_eq!(min.page, Page::default());
    assert_eq!(min.sort, Sort::default());
    // Typos are errors, not silently ignored.
    assert!(serde_json::from_str::<SearchQuery>(r#"{"txt":"flair"}"#).is_err());
}

#[test]
fn cbor_round_trip_is_canonical() {
    let q = sample();
    let bytes = cbor::encode(&q, "query").unwrap();
    assert_eq!(
        cbor::decode::<SearchQuery>(&bytes, "query", 1 << 16).unwrap(),
        q
    );
}

#[test]
fn every_limit_has_a_precise_error() {
    let ok = SearchQuery::default();
    let with = |f: &dyn Fn(&mut SearchQuery)| {
        let mut q = ok.clone();
        f(&mut q);
        q.validate().unwrap_err()
    };
    assert!(matches!(
        with(&|q| q.text = Some("x".repeat(MAX_TEXT_LEN + 1))),
        QueryError::TextTooLong { .. }
    ));
    let term = |values: Vec<String>| Filter::Term {
        field: FacetField::Nature,
        values,
        exclude: false,
    };
    assert!(matches!(
        with(&|q| q.filters = vec![term(vec!["a".into()]); MAX_FILTERS + 1]),
        QueryError::TooManyFilters { count: 65, .. }
    ));
    assert_eq!(
        with(&|q| q.filters = vec![term(vec![])]),
        QueryError::EmptyTermFilter {
            index: 0,
            field: FacetField::Nature
        }
    );
    assert!(matches!(
        with(&|q| q.filters = vec![term(vec!["a".into(); MAX_TERM_VALUES + 1])]),
        QueryError::TooManyValues { .. }
    ));
    assert!(matches!(
        with(&|q| q.filters = vec![term(vec![String::new()])]),
        QueryError::BadValueLength { len: 0, .. }
    ));
    let range = |min, max| Filter::Range {
        field: RangeField::Te,
        min,
        max,
    };
    for (min, max) in [
        (None, None),
        (Some(f64::NAN), None),
        (None, Some(f64::INFINITY)),
        (Some(5.0), Some(4.0)),
    ] {
        assert!(matches!(
            with(&|q| q.filters = vec![term(vec!["a".into()]), range(min, max)]),
            QueryError::BadRange {
                index: 1,
                field: RangeField::Te,
                ..
            }
        ));
    }
    assert!(matches!(
        with(&|q| q.filters = vec![Filter::DateRange {
            from: "2021-01-02".parse().ok(),
            to: "2021-01-01".parse().ok()
        }]),
        QueryError::BadDateRange { .. }
    ));
    let score = |instrument: &str, variable: Option<&str>, test| {
        Filter::Score(ScoreFilter {
            instrument: instrument.into(),
            variable: variable.map(str::to_string),
            test,
        })
    };
    let range = |min, max, min_exclusive, max_exclusive| ScoreTest::Range {
        min,
        max,
        min_exclusive,
        max_exclusive,
    };
    for (f, why) in [
        (score("", None, ScoreTest::Any), "instrument"),
        (score("ED SS", None, ScoreTest::Any), "instrument"),
        (score("EDSS", Some("a.b"), ScoreTest::Any), "variable"),
        (
            score("EDSS", None, range(None, None, false, false)),
            "needs a min or a max",
        ),
        (
            score("EDSS", None, range(Some(f64::NAN), None, false, false)),
            "finite",
        ),
        (
            score("EDSS", None, range(None, Some(3.0), true, false)),
            "open bound",
        ),
        (
            score("EDSS", None, range(Some(5.0), Some(4.0), false, false)),
            "empty",
        ),
        (
            score("EDSS", None, range(Some(4.0), Some(4.0), false, true)),
            "empty",
        ),
        (
            score("EDSS", None, ScoreTest::Values { values: vec![] }),
            "no value",
        ),
        (
            score(
                "EDSS",
                None,
                ScoreTest::Values {
                    values: vec![" ".into()],
                },
            ),
            "1 to 256 bytes",
        ),
    ] {
        let e = with(&|q| q.filters = vec![f.clone()]);
        assert!(
            matches!(e, QueryError::BadScore { index: 0, .. }) && e.to_string().contains(why),
            "{f:?}: {e}"
        );
    }
    assert_eq!(
        SearchQuery {
            filters: vec![score(
                "EDSS",
                None,
                range(Some(4.0), Some(4.0), false, false)
            )],
            ..Default::default()
        }
        .validate(),
        Ok(())
    );
    let facet = |field, size| FacetRequest { field, size };
    assert!(matches!(
        with(&|q| q.facets = FacetField::ALL
            .iter()
            .cycle()
            .take(MAX_FACETS + 1)
            .map(|&f| facet(f, 1))
            .collect()),
        QueryError::TooManyFacets { .. }
    ));
    assert_eq!(
        with(&|q| q.facets = vec![facet(FacetField::Sex, 5), facet(FacetField::Sex, 5)]),
        QueryError::DuplicateFacet {
            field: FacetField::Sex
        }
    );
    assert!(matches!(
        with(&|q| q.facets = vec![facet(FacetField::Sex, MAX_FACET_SIZE + 1)]),
        QueryError::FacetSize { .. }
    ));
    assert!(matches!(
        with(&|q| q.facets = vec![facet(FacetField::Sex, 0)]),
        QueryError::FacetSize { size: 0, .. }
    ));
    assert!(matches!(
        with(&|q| q.page.size = MAX_PAGE_SIZE + 1),
        QueryError::PageTooLarge { .. }
    ));
    assert!(matches!(
        with(&|q| q.page.offset = MAX_OFFSET + 1),
        QueryError::OffsetTooLarge { .. }
    ));
    assert!(matches!(
        "scanner".parse::<FacetField>(),
        Err(QueryError::UnknownField { .. })
    ));
    assert_eq!("qc_grade".parse::<FacetField>(), Ok(FacetField::QcGrade));
}

#[test]
fn counts_serialize_as_numbers_or_suppressed_text() {
    assert_eq!(Count::suppressed(3, 5), Count::Below(5));
    assert_eq!(Count::suppressed(0, 5), Count::Exact(0));
    assert_eq!(Count::suppressed(5, 5), Count::Exact(5));
    // Count-only answers: zero and small cells alike, the rest rounded down to multiples of k.
    assert_eq!(Count::coarse(0, 5), Count::Below(5));
    assert_eq!(Count::coarse(4, 5), Count::Below(5));
    assert_eq!(Count::coarse(5, 5), Count::Exact(5));
    assert_eq!(Count::coarse(23, 5), Count::Exact(20));
    assert_eq!(Count::coarse(7, 1), Count::Exact(7));
    // Differencing: 23 in all and 21 outside one year differ by 2, which both answers hide.
    assert_eq!(Count::coarse(23, 5), Count::coarse(21, 5));
    assert_eq!(serde_json::to_string(&Count::Exact(12)).unwrap(), "12");
    assert_eq!(serde_json::to_string(&Count::Below(5)).unwrap(), "\"<5\"");
    assert_eq!(
        serde_json::from_str::<Count>("\"<5\"").unwrap(),
        Count::Below(5)
    );
    assert!(serde_json::from_str::<Count>("\"<05\"").is_err());
    assert!(serde_json::from_str::<Count>("-1").is_err());
    for c in [Count::Exact(0), Count::Exact(70_000), Count::Below(11)] {
        let b = cbor::encode(&c, "count").unwrap();
        assert_eq!(cbor::decode::<Count>(&b, "count", 64).unwrap(), c);
    }
}

#[test]
fn results_round_trip_in_json_and_cbor() {
    let hit = Hit {
        node: None,
        dataset: crate::id::DatasetId::from_bytes([9; 16]),
        center: "Rennes".into(),
        study: StudyRef {
            id: crate::id::StudyId::from_bytes([1; 16]),
            name: "OFSEP".into(),
        },
        subject: "sub-7f3a".into(),
        exam_date: "2019-05-04".parse().ok(),
        modality: "MR".into(),
        series_description: Some("t1_mprage_sag".into()),
        nature: Some("T1w".into()),
        contrast: None,
        qc_grade: Some(QcGrade::Pass),
        dims: vec![256, 256, 176],
        instances: 176,
        content: crate::ContentId::of(b"manifest"),
        has_nifti: true,
        score: Some(1.25),
    };
    let results = SearchResults {
        total: Count::Exact(1),
        hits: vec![hit],
        facets: vec![FacetCounts {
            field: FacetField::Center,
            values: vec![FacetValue {
                value: "Rennes".into(),
                count: Count::Below(5),
            }],
            other: Count::Exact(0),
            error_bound: Some(2),
        }],
    };
    let json = serde_json::to_string(&results).unwrap();
    assert!(json.contains("\"count\":\"<5\""), "{json}");
    assert_eq!(
        serde_json::from_str::<SearchResults>(&json).unwrap(),
        results
    );
    let b = cbor::encode(&results, "results").unwrap();
    assert_eq!(
        cbor::decode::<SearchResults>(&b, "results", 1 << 16).unwrap(),
        results
    );
    assert_eq!(results.check_limits(), Ok(()));
}
