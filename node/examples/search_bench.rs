//! Search benchmark (issue 5): a catalog of N synthetic datasets (metadata only) written through
//! `Catalog::commit_series` with fake manifests (no blob exists: search never reads them), the
//! index rebuilt from it with `Index::rebuild`, then
//! - single-client latency (p50/p99) of a mix of text, filter, filter+facets, range and
//!   date-sorted queries, and of each kind;
//! - throughput with 4 clients: 4 threads calling `Index::search` in-process on the shared
//!   index (the HTTP server is not in this branch; see docs/BENCHMARKS.md).
//!
//! usage: search_bench [--datasets N] [--queries Q] [--seconds S] [--dir DIR]
//! (default DIR: a temporary directory in /dev/shm when it exists, removed at the end)
//! The last line printed is one JSON object: {"datasets", "p50_ms", "p99_ms", "qps_4_clients"}.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use node::access::{AccessScope, StudyScope};
use node::catalog::{Catalog, NewEquipment, Protocol, SeriesCommit};
use node::index::{parse_facet, parse_filter, parse_sort, Index};
use node::studycard::model::{BidsDatatype, Grade, Nature};
use node::studycard::AcquisitionCards;
use protocol::query::{Page, SearchQuery};
use protocol::ContentId;

/// SplitMix64: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// (description, nature, contrast, datatype, TR range, TE range, TI, flip, slice mm)
type SeriesKind = (
    &'static str,
    Option<Nature>,
    &'static str,
    Option<BidsDatatype>,
    (f64, f64),
    (f64, f64),
    Option<f64>,
    f64,
    f64,
);

const KINDS: [SeriesKind; 8] = [
    (
        "t1_mprage_sag_1mm",
        Some(Nature::T1w),
        "T1",
        Some(BidsDatatype::Anat),
        (1900.0, 2400.0),
        (2.0, 3.5),
        Some(900.0),
        9.0,
        1.0,
    ),
    (
        "t2_tse_tra_2mm",
        Some(Nature::T2w),
        "T2",
        Some(BidsDatatype::Anat),
        (4000.0, 8000.0),
        (80.0, 110.0),
        None,
        150.0,
        2.0,
    ),
    (
        "t2_flair_sag_3d",
        Some(Nature::Flair),
        "FLAIR",
        Some(BidsDatatype::Anat),
        (5000.0, 9000.0),
        (300.0, 400.0),
        Some(1800.0),
        120.0,
        1.0,
    ),
    (
        "bold_rest_ep2d",
        Some(Nature::Bold),
        "T2*",
        Some(BidsDatatype::Func),
        (700.0, 3000.0),
        (25.0, 35.0),
        None,
        70.0,
        2.4,
    ),
    (
        "dwi_ep2d_64dir",
        Some(Nature::Dwi),
        "DWI",
        Some(BidsDatatype::Dwi),
        (7000.0, 12000.0),
        (60.0, 95.0),
        None,
        90.0,
        2.0,
    ),
    (
        "swi_3d",
        Some(Nature::Swi),
        "SWI",
        Some(BidsDatatype::Anat),
        (25.0, 50.0),
        (15.0, 25.0),
        None,
        15.0,
        1.5,
    ),
    (
        "gre_field_mapping",
        Some(Nature::Phasediff),
        "none",
        Some(BidsDatatype::Fmap),
        (400.0, 700.0),
        (4.0, 7.0),
        None,
        60.0,
        3.0,
    ),
    (
        "localizer",
        Some(Nature::Localizer),
        "none",
        None,
        (8.0, 10.0),
        (3.0, 5.0),
        None,
        20.0,
        7.0,
    ),
];

const SCANNERS: [(&str, &str, f64); 20] = [
    ("Siemens", "Prisma", 3.0),
    ("Siemens", "Skyra", 3.0),
    ("Siemens", "Verio", 3.0),
    ("Siemens", "Avanto", 1.5),
    ("Siemens", "Aera", 1.5),
    ("Siemens", "Terra", 7.0),
    ("Siemens", "Vida", 3.0),
    ("GE", "Discovery MR750", 3.0),
    ("GE", "Signa Premier", 3.0),
    ("GE", "Signa HDxt", 1.5),
    ("GE", "Optima MR450w", 1.5),
    ("GE", "Signa Architect", 3.0),
    ("Philips", "Achieva", 3.0),
    ("Philips", "Ingenia", 3.0),
    ("Philips", "Ingenia Elition", 3.0),
    ("Philips", "Intera", 1.5),
    ("Philips", "Ingenia Ambition", 1.5),
    ("Canon", "Vantage Galan", 3.0),
    ("Canon", "Vantage Orian", 1.5),
    ("Hitachi", "Echelon", 1.5),
];

const STUDIES: [&str; 10] = [
    "MS cohort",
    "Alzheimer prodromal",
    "Stroke recovery",
    "Healthy aging",
    "Epilepsy surgery",
    "Parkinson imaging",
    "Glioma follow-up",
    "Migraine fMRI",
    "Autism connectome",
    "Depression TMS",
];

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn build_catalog(catalog: &Catalog, n: usize, rng: &mut Rng) -> Vec<protocol::id::StudyId> {
    catalog.init_center("Bench center").unwrap();
    let studies: Vec<_> = STUDIES
        .iter()
        .map(|s| catalog.ensure_study(s, None).unwrap().0.id)
        .collect();
    let mut done = 0;
    let mut subject = 0u64;
    while done < n {
        subject += 1;
        let study = studies[rng.below(studies.len())];
        let sex = *rng.pick(&["F", "M", "F", "M", "O"]);
        let base_age = 18.0 + rng.unit() * 70.0;
        let scanner = rng.pick(&SCANNERS);
        let visits = 1 + rng.below(3);
        for visit in 0..visits {
            let year = 2005 + rng.below(20);
            let date = format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
            let series = 4 + rng.below(5);
            for s in 0..series {
                if done >= n {
                    break;
                }
                let k = rng.pick(&KINDS);
                let tr = k.4 .0 + rng.unit() * (k.4 .1 - k.4 .0);
                let te = k.5 .0 + rng.unit() * (k.5 .1 - k.5 .0);
                let mut cards = AcquisitionCards::default();
                cards.current.nature = k.1;
                cards.current.contrast = Some(k.2.to_string());
                cards.current.bids_datatype = k.3;
                if scanner.2 >= 3.0 {
                    cards.current.tags.push("3T".into());
                }
                if k.1 == Some(Nature::Bold) {
                    cards.current.tags.push("fmri".into());
                }
                cards.grade = Some(*rng.pick(&[
                    Grade::Pass,
                    Grade::Pass,
                    Grade::Pass,
                    Grade::Warning,
                    Grade::Fail,
                ]));
                let uid = format!("2.25.{subject}.{visit}");
                let c = SeriesCommit {
                    study,
                    pseudonym: format!("SUBJ{subject:07}"),
                    sex: Some(sex.to_string()),
                    birth_year: None,
                    study_uid: uid.clone(),
                    exam_date: Some(date.clone()),
                    age_years: Some((base_age + visit as f64).floor()),
                    equipment: Some(NewEquipment {
                        manufacturer: scanner.0.to_string(),
                        model: scanner.1.to_string(),
                        field_strength: Some(scanner.2),
                        serial_hash: None,
                    }),
                    series_uid: format!("{uid}.{s}"),
                    modality: "MR".into(),
                    sop_class_uid: "1.2.840.10008.5.1.4.1.1.4".into(),
                    series_number: Some(s as i64 + 1),
                    series_description: Some(k.0.to_string()),
                    protocol_name: Some(k.0.to_string()),
                    protocol: Protocol {
                        repetition_time: Some(tr.round()),
                        echo_time: Some((te * 100.0).round() / 100.0),
                        inversion_time: k.6,
                        flip_angle: Some(k.7),
                        field_strength: Some(scanner.2),
                        slice_thickness: Some(k.8),
                        pixel_spacing: Some([k.8.min(1.0), k.8.min(1.0)]),
                        rows: Some(256),
                        columns: Some(256),
                        frames: 160,
                        ..Default::default()
                    },
                    instances: Vec::new(),
                    manifest: ContentId::of(format!("{uid}.{s}").as_bytes()),
                    manifest_size: 100,
                    manifest_base: None,
                    total_instances: 160,
                    total_bytes: 160 * 131_072,
                    nifti: None,
                    nifti_refusal: None,
                    cards: Some(cards),
                };
                // `commit_series` exists on every branch (bulk commit APIs differ): one fsync each.
                catalog.commit_series(&c).unwrap();
                done += 1;
            }
        }
    }
    studies
}

/// A query of each kind, with varying values.
fn query(kind: usize, rng: &mut Rng) -> SearchQuery {
    let f = |s: &str| parse_filter(s).unwrap();
    let facets = |names: &[&str]| names.iter().map(|n| parse_facet(n).unwrap()).collect();
    let nature = *rng.pick(&["T1w", "T2w", "FLAIR", "bold", "dwi"]);
    match kind {
        // Text.
        0 => SearchQuery::text(*rng.pick(&[
            "mprage",
            "flair",
            "bold rest",
            "prisma",
            "siemens 3d",
            "t1_mprage_sag_1mm",
            "ms cohort",
            "dwi 64dir",
        ])),
        // Filters.
        1 => {
            SearchQuery {
                filters: vec![
                    f(&format!("nature:{nature}")),
                    f(rng.pick::<&str>(&[
                        "field_strength:3",
                        "field_strength:1.5",
                        "manufacturer:GE",
                    ])),
                ],
                ..Default::default()
            }
        }
        // Filtered facet query (the target).
        2 => SearchQuery {
            filters: vec![
                f(&format!("nature:{nature}")),
                f(rng.pick::<&str>(&["sex:F", "sex:M", "qc_grade:pass"])),
            ],
            facets: facets(&[
                "study",
                "center",
                "manufacturer",
                "model",
                "field_strength",
                "exam_year",
                "age_band",
                "sex",
            ]),
            ..Default::default()
        },
        // Ranges.
        3 => SearchQuery {
            filters: vec![
                f("tr:[1000 TO 2500]"),
                f(rng.pick::<&str>(&[
                    "age:[30 TO 50]",
                    "te:[* TO 10]",
                    "slice_thickness:[* TO 1.5]",
                ])),
            ],
            facets: facets(&["nature"]),
            ..Default::default()
        },
        // Sorted by date, with a date range.
        _ => SearchQuery {
            filters: vec![f(&format!(
                "exam_date:[{}-01-01 TO *]",
                2005 + rng.below(18)
            ))],
            sort: parse_sort("exam_date:desc").unwrap(),
            page: Page {
                offset: 0,
                size: 50,
            },
            ..Default::default()
        },
    }
}

const KIND_NAMES: [&str; 5] = ["text", "filter", "filter+facets", "range", "date sort"];

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--datasets").map_or(100_000, |v| v.parse().unwrap());
    let nq: usize = arg(&args, "--queries").map_or(5_000, |v| v.parse().unwrap());
    let secs: f64 = arg(&args, "--seconds").map_or(10.0, |v| v.parse().unwrap());
    // Memory-backed when possible: `commit_series` syncs once per series (280/s on this disk,
    // 6 minutes for 100k), and the benchmark is about search, not catalog durability.
    let shm = std::path::Path::new("/dev/shm");
    let tmp = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let dir: PathBuf = arg(&args, "--dir").map_or_else(|| tmp.path().to_path_buf(), PathBuf::from);
    let mut rng = Rng(42);

    let t = Instant::now();
    let catalog = Catalog::open(&dir.join("catalog/catalog.redb")).unwrap();
    let studies = build_catalog(&catalog, n, &mut rng);
    let catalog_s = t.elapsed().as_secs_f64();
    let index = Index::open(&dir.join("index")).unwrap();
    let t = Instant::now();
    let indexed = index.rebuild(&catalog).unwrap();
    let index_s = t.elapsed().as_secs_f64();
    assert_eq!(indexed, n);
    println!(
        "datasets {n}: catalog written in {catalog_s:.1} s ({:.0}/s), index rebuilt in {index_s:.1} s ({:.0}/s)",
        n as f64 / catalog_s,
        n as f64 / index_s
    );
    // A user's scope: 3 of the 10 studies.
    let user_scope = AccessScope::Studies(
        studies[..3]
            .iter()
            .map(|s| StudyScope {
                study: *s,
                centers: None,
            })
            .collect(),
    );

    // Warm-up, then the single-client mix (every kind in turn, half as a user with 3 studies).
    let scopes = [AccessScope::All, user_scope];
    for i in 0..200 {
        let q = query(i % 5, &mut rng);
        index.search(&q, &scopes[i % 2]).unwrap();
    }
    let mut per_kind: Vec<Vec<f64>> = vec![Vec::new(); 5];
    let mut all = Vec::with_capacity(nq);
    let mut hits = 0u64;
    for i in 0..nq {
        let kind = i % 5;
        let q = query(kind, &mut rng);
        let t = Instant::now();
        let r = index.search(&q, &scopes[(i / 5) % 2]).unwrap();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        hits += r.total.exact().unwrap_or(0);
        per_kind[kind].push(ms);
        all.push(ms);
    }
    std::hint::black_box(hits);
    println!("| query kind | p50 (ms) | p99 (ms) | queries |");
    println!("| --- | ---: | ---: | ---: |");
    for (k, v) in per_kind.iter_mut().enumerate() {
        v.sort_by(f64::total_cmp);
        println!(
            "| {} | {:.2} | {:.2} | {} |",
            KIND_NAMES[k],
            pct(v, 0.5),
            pct(v, 0.99),
            v.len()
        );
    }
    all.sort_by(f64::total_cmp);
    let (p50, p99) = (pct(&all, 0.5), pct(&all, 0.99));
    println!("| **mix** | {p50:.2} | {p99:.2} | {} |", all.len());

    // Throughput: 4 client threads, in-process.
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for c in 0..4u64 {
            let (index, stop, done, scopes) = (&index, &stop, &done, &scopes);
            s.spawn(move || {
                let mut rng = Rng(1000 + c);
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let q = query(i % 5, &mut rng);
                    index.search(&q, &scopes[(i / 5) % 2]).unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            });
        }
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
    });
    let qps = done.load(Ordering::Relaxed) as f64 / t.elapsed().as_secs_f64();
    println!("4 clients (threads calling Index::search in-process, not HTTP): {qps:.0} queries/s");
    println!(
        "{}",
        serde_json::json!({
            "datasets": n,
            "p50_ms": (p50 * 1000.0).round() / 1000.0,
            "p99_ms": (p99 * 1000.0).round() / 1000.0,
            "qps_4_clients": qps.round(),
        })
    );
}
