//! Helpers shared by the integration tests: write a small corpus, list its files, read
//! values and truth.tsv.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dicom_object::DefaultDicomObject;
use sample::{write_sample, SampleOptions, SampleSize, Summary, TRUTH_COLUMNS};

pub fn small(subjects: u32, examinations: u32) -> SampleOptions {
    SampleOptions::new(subjects, examinations).with_size(SampleSize::Small)
}

pub fn write(out: &Path, opts: &SampleOptions) -> Summary {
    let mut calls: Vec<(u64, u64)> = Vec::new();
    let s = write_sample(out, opts, &mut |d, t| calls.push((d, t))).unwrap();
    let total = calls[0].1;
    assert_eq!(calls[0].0, 0);
    assert!(calls
        .windows(2)
        .all(|w| w[1].0 == w[0].0 + 1 && w[1].1 == total));
    assert_eq!(calls.last(), Some(&(total, total)));
    assert_eq!(total, s.instances + 2);
    s
}

/// Every regular file under `dir`, relative, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

pub fn images(dir: &Path) -> Vec<PathBuf> {
    files(dir)
        .into_iter()
        .filter(|p| p.components().count() == 4)
        .collect()
}

pub fn text(o: &DefaultDicomObject, tag: dicom_core::Tag) -> String {
    o.element(tag).unwrap().to_str().unwrap().trim().to_string()
}

pub fn floats(o: &DefaultDicomObject, tag: dicom_core::Tag) -> Vec<f64> {
    o.element(tag).unwrap().to_multi_float64().unwrap()
}

pub fn truth(dir: &Path) -> Vec<BTreeMap<String, String>> {
    let t = std::fs::read_to_string(dir.join("truth.tsv")).unwrap();
    let mut lines = t.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(header, TRUTH_COLUMNS);
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            assert_eq!(cells.len(), header.len(), "{l}");
            header
                .iter()
                .zip(cells)
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}
