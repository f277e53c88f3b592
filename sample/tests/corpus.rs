//! A small corpus, written for real and read back with dicom-rs: every file opens, the geometry
//! of every series is consistent, and the DICOMDIR lists every file (followed by its offsets).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/common.rs"]
mod common;
#[path = "support/dicomdir.rs"]
mod dicomdir;

use std::collections::{BTreeMap, BTreeSet};

use common::{files, floats, images, small, text, write};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{open_file, DefaultDicomObject};

#[test]
fn every_file_opens_and_every_series_has_consistent_geometry() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    let s = write(&out, &small(1, 1));
    assert_eq!((s.subjects, s.examinations, s.series), (1, 1, 3));
    let all = files(&out);
    assert_eq!(all.len() as u64, s.files);
    let on_disk: u64 = all
        .iter()
        .map(|p| std::fs::metadata(out.join(p)).unwrap().len())
        .sum();
    assert_eq!(on_disk, s.bytes);
    let mut series: BTreeMap<String, Vec<DefaultDicomObject>> = BTreeMap::new();
    for rel in images(&out) {
        let o = open_file(out.join(&rel)).unwrap();
        assert_eq!(o.meta().transfer_syntax(), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        assert_eq!(
            o.meta().media_storage_sop_class_uid(),
            uids::MR_IMAGE_STORAGE
        );
        assert_eq!(
            o.meta().media_storage_sop_instance_uid(),
            text(&o, tags::SOP_INSTANCE_UID)
        );
        assert!(!o.meta().implementation_class_uid().is_empty());
        assert_eq!(text(&o, tags::SOP_CLASS_UID), uids::MR_IMAGE_STORAGE);
        let (rows, cols) = (
            o.element(tags::ROWS).unwrap().to_int::<usize>().unwrap(),
            o.element(tags::COLUMNS).unwrap().to_int::<usize>().unwrap(),
        );
        let px = o.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap();
        assert_eq!(px.len(), rows * cols * 2, "{rel:?}");
        assert_eq!(
            o.element(tags::BITS_ALLOCATED)
                .unwrap()
                .to_int::<u16>()
                .unwrap(),
            16
        );
        series
            .entry(text(&o, tags::SERIES_INSTANCE_UID))
            .or_default()
            .push(o);
    }
    assert_eq!(series.len(), 3);
    let mut kinds = BTreeSet::new();
    for (uid, mut objs) in series {
        objs.sort_by_key(|o| {
            o.element(tags::INSTANCE_NUMBER)
                .unwrap()
                .to_int::<u32>()
                .unwrap()
        });
        let iop = floats(&objs[0], tags::IMAGE_ORIENTATION_PATIENT);
        let (r, c) = ([iop[0], iop[1], iop[2]], [iop[3], iop[4], iop[5]]);
        let dotp = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        assert!((dotp(r, r) - 1.0).abs() < 1e-6 && (dotp(c, c) - 1.0).abs() < 1e-6);
        assert!(dotp(r, c).abs() < 1e-6, "{uid}: {iop:?}");
        let n = [
            r[1] * c[2] - r[2] * c[1],
            r[2] * c[0] - r[0] * c[2],
            r[0] * c[1] - r[1] * c[0],
        ];
        let step = floats(&objs[0], tags::SPACING_BETWEEN_SLICES)[0];
        assert!(floats(&objs[0], tags::SLICE_THICKNESS)[0] <= step + 1e-9);
        let volumes = objs[0]
            .element_opt(tags::NUMBER_OF_TEMPORAL_POSITIONS)
            .unwrap()
            .map_or(1, |e| e.to_int::<usize>().unwrap());
        assert_eq!(objs.len() % volumes, 0);
        let per_volume = objs.len() / volumes;
        let oblique = iop
            .iter()
            .any(|v| v.abs() > 1e-6 && (v.abs() - 1.0).abs() > 1e-6);
        kinds.insert((
            text(&objs[0], tags::MR_ACQUISITION_TYPE),
            volumes > 1,
            oblique,
        ));
        for (i, o) in objs.iter().enumerate() {
            assert_eq!(floats(o, tags::IMAGE_ORIENTATION_PATIENT), iop, "{uid}");
            let (t, k) = (i / per_volume, i % per_volume);
            if volumes > 1 {
                let tpi = o.element(tags::TEMPORAL_POSITION_IDENTIFIER).unwrap();
                assert_eq!(tpi.to_int::<usize>().unwrap(), t + 1);
                let acq = o.element(tags::ACQUISITION_NUMBER).unwrap();
                assert_eq!(acq.to_int::<usize>().unwrap(), t + 1);
            }
            let ipp = floats(o, tags::IMAGE_POSITION_PATIENT);
            let first = floats(&objs[t * per_volume], tags::IMAGE_POSITION_PATIENT);
            let d = [ipp[0] - first[0], ipp[1] - first[1], ipp[2] - first[2]];
            // Along the normal by k steps, nothing in-plane.
            assert!(
                (dotp(d, n) - k as f64 * step).abs() < 1e-4,
                "{uid} slice {k}"
            );
            assert!(dotp(d, r).abs() < 1e-4 && dotp(d, c).abs() < 1e-4, "{uid}");
            let loc = floats(o, tags::SLICE_LOCATION)[0];
            assert!((loc - dotp([ipp[0], ipp[1], ipp[2]], n)).abs() < 1e-4);
            if t > 0 {
                let same = floats(&objs[k], tags::IMAGE_POSITION_PATIENT);
                assert_eq!(ipp, same, "volumes share positions");
            }
        }
    }
    // A 3-D T1, a 2-D T2, a 2-D oblique time series.
    let want: BTreeSet<(String, bool, bool)> = [
        ("3D".to_string(), false, false),
        ("2D".to_string(), false, false),
        ("2D".to_string(), true, true),
    ]
    .into();
    assert_eq!(kinds, want);
}

#[test]
fn the_dicomdir_lists_every_file_with_legal_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    write(&out, &small(2, 2));
    let on_disk: BTreeSet<String> = images(&out)
        .iter()
        .map(|p| p.to_string_lossy().replace('/', "\\"))
        .collect();
    // Read with dicom-rs: every IMAGE record's file id, legal and present.
    let dir = open_file(out.join("DICOMDIR")).unwrap();
    assert_eq!(
        dir.meta().media_storage_sop_class_uid(),
        uids::MEDIA_STORAGE_DIRECTORY_STORAGE
    );
    let records = dir
        .element(tags::DIRECTORY_RECORD_SEQUENCE)
        .unwrap()
        .items()
        .unwrap();
    let mut listed = BTreeSet::new();
    for r in records {
        if let Some(id) = r.element_opt(tags::REFERENCED_FILE_ID).unwrap() {
            let parts = id.to_multi_str().unwrap();
            for p in parts.iter() {
                assert!(p.len() <= 8 && !p.is_empty(), "{p}");
                assert!(p
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'));
            }
            listed.insert(parts.join("\\"));
        }
    }
    assert_eq!(listed, on_disk);
    // Follow the byte offsets, as a media reader does: PATIENT > STUDY > SERIES > IMAGE.
    let bytes = std::fs::read(out.join("DICOMDIR")).unwrap();
    let tree = dicomdir::walk(&bytes);
    assert_eq!(tree.len(), records.len(), "every record reached once");
    let count = |kind: &str| tree.iter().filter(|(k, _)| k == kind).count();
    assert_eq!(
        (count("PATIENT"), count("STUDY"), count("SERIES")),
        (2, 4, 12)
    );
    assert_eq!(count("IMAGE"), on_disk.len());
    for (kind, depth) in &tree {
        let want = ["PATIENT", "STUDY", "SERIES", "IMAGE"][*depth];
        assert_eq!(kind, want);
    }
}
