//! Synthetic catalogs for benchmarks (feature `synthetic`): deterministic datasets with
//! realistic metadata (10 studies, 20 scanner models of 6 manufacturers at 1.5/3/7 T, 8 series
//! kinds with their TR/TE/TI/flip/slice ranges, subjects of 1-3 visits with 4-8 series, exam
//! dates 2005-2024, sex, age, tags, QC grades), committed through [`Catalog::commit_series`]
//! with fake manifests (no blob exists; search never reads one). Used by the search benchmark
//! (`web/examples/search_bench.rs`) and the federated search benchmark
//! (`federation/benches/search.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::catalog::{Catalog, NewEquipment, Protocol, SeriesCommit};
use dicom::AcquisitionCards;
use dicom::{BidsDatatype, Grade, Nature};
use protocol::ContentId;

/// SplitMix64: deterministic, dependency-free.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// (description, nature, contrast, datatype, TR range, TE range, TI, flip, slice mm)
pub type SeriesKind = (
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

pub const KINDS: [SeriesKind; 8] = [
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

pub const SCANNERS: [(&str, &str, f64); 20] = [
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

pub const STUDIES: [&str; 10] = [
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

/// Write `n` synthetic datasets into `catalog` (its center initialized), spread over the
/// [`STUDIES`]; the study ids.
///
/// # Panics
/// On any catalog error: this is benchmark support.
pub fn build_catalog(catalog: &Catalog, n: usize, rng: &mut Rng) -> Vec<protocol::id::StudyId> {
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
