//! A hospital-like corpus for the scored de-identification test in the MIDI-B style
//! (`tests/cli/midib.rs`): four fake patients, each with a classic MR series (4 slices), an
//! enhanced MR instance (4 frames), a Comprehensive SR, a secondary capture with burned-in text
//! and an encapsulated PDF, written by [`write_hospital`] with the truth beside it
//! ([`Hospital`]: per file the identifiers planted in it and the research attributes that must
//! survive).
//!
//! What is planted: names with diacritics (`MÜLLER^JÜRGEN`, Latin-1), a Japanese name in
//! ISO 2022 IR 87 (`Yamada^Tarou=山田^太郎`), UTF-8 names; the name reordered or in other case in
//! one file; ids, also with other separators (`12-345-678`), birth dates in other spellings
//! (`5.4.1971`, `05APR1971`), accession numbers, institutions, physicians, addresses, phone
//! numbers, e-mails, relatives in free text (`Mother Anna Schmidt called`), dates and a UID in
//! descriptions and report text; retired (OtherPatientIDs, InsurancePlanIdentification) and
//! unknown public tags with PHI; a SIEMENS CSA header block (0029,xx10) in SV10 format holding
//! the patient and station names as item strings, written as OB, OW or UN depending on the
//! patient; an unknown vendor block with the name in Latin-1 and UTF-16LE; one SR in Deflated
//! Explicit VR Little Endian; UIDs under a private root, one SOP instance under
//! `1.2.840.10008.` (as some sites do), SR references to MR instances and series.
//!
//! Everything is a pure function of nothing: the same bytes on every run.

mod ds;
mod objects;
mod people;

use std::path::{Path, PathBuf};

pub use dicom_core::VR;
pub use ds::{describe, flatten_object, tag_key, Charset, Flat, FlatValue};
pub use people::Patient;

use crate::scan::{Needle, PhiScanner};

/// The generator's (fake) private UID root.
pub const PRIVATE_ROOT: &str = "1.2.826.0.1.3680043.9.7431";

/// What an instance is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Classic MR Image Storage, one slice per file.
    Mr,
    /// Enhanced MR Image Storage, multi-frame.
    EnhancedMr,
    /// Comprehensive SR.
    Sr,
    /// Secondary Capture with BurnedInAnnotation YES.
    Sc,
    /// Encapsulated PDF.
    Pdf,
}

impl Kind {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Mr => "MR",
            Kind::EnhancedMr => "enhanced MR",
            Kind::Sr => "SR",
            Kind::Sc => "SC burned-in",
            Kind::Pdf => "PDF",
        }
    }
}

/// A research attribute that must survive de-identification with its value.
#[derive(Debug, Clone)]
pub struct Retain {
    /// Its path (see [`Flat`]).
    pub path: String,
    /// Whether the `basic` profile keeps it too (the keep-list: yes; descriptions, which only
    /// Clean Descriptors keeps, and patient characteristics: no).
    pub basic: bool,
    /// Whether this is text (`text retained`) rather than a number, code or pixels
    /// (`tag retained`).
    pub text: bool,
}

/// One generated file and its truth.
#[derive(Debug, Clone)]
pub struct Instance {
    /// The file, relative to the corpus folder.
    pub file: PathBuf,
    /// Index into [`Hospital::patients`].
    pub patient: usize,
    /// What it is.
    pub kind: Kind,
    /// InstanceNumber, unique in the corpus (how the test finds the file's export).
    pub instance_number: u32,
    /// The identifiers planted in this file (every one found in its bytes).
    pub phi: Vec<Needle>,
    /// The research attributes that must be retained.
    pub retain: Vec<Retain>,
    /// The original data set, flattened.
    pub elements: Vec<Flat>,
    /// Whether the node must not hand it out (burned-in text, a document).
    pub hide: bool,
    /// Written in Deflated Explicit VR Little Endian.
    pub deflated: bool,
}

impl Instance {
    /// The original element at `path`.
    pub fn original(&self, path: &str) -> Option<&Flat> {
        self.elements.iter().find(|f| f.path == path)
    }

    /// Every UI value of the original (path, uid), well-known standard UIDs included.
    pub fn uids(&self) -> impl Iterator<Item = (&str, &str)> {
        self.elements.iter().filter_map(|f| match (&f.value, f.vr) {
            (FlatValue::Text(v), VR::UI) => Some((f.path.as_str(), v.as_str())),
            _ => None,
        })
    }

    /// Every date of the original (path, `YYYYMMDD`): DA values and the date part of DT values.
    pub fn dates(&self) -> impl Iterator<Item = (&str, &str)> {
        self.elements.iter().filter_map(|f| match (&f.value, f.vr) {
            (FlatValue::Text(v), VR::DA | VR::DT) if v.len() >= 8 => {
                Some((f.path.as_str(), &v[..8]))
            }
            _ => None,
        })
    }
}

/// The corpus' truth.
#[derive(Debug, Clone)]
pub struct Hospital {
    /// The patients.
    pub patients: Vec<Patient>,
    /// Every file written.
    pub instances: Vec<Instance>,
}

impl Hospital {
    /// Every planted identifier of the corpus, once each.
    pub fn needles(&self) -> Vec<Needle> {
        let mut out: Vec<Needle> = Vec::new();
        for i in &self.instances {
            for n in &i.phi {
                if !out
                    .iter()
                    .any(|o| o.value.to_lowercase() == n.value.to_lowercase())
                {
                    out.push(n.clone());
                }
            }
        }
        out
    }
}

/// Write the corpus into `dir` (created if missing): `P<n>/<kind>/<file>.dcm`.
pub fn write_hospital(dir: &Path) -> std::io::Result<Hospital> {
    let patients = people::patients();
    let mut instances = Vec::new();
    for (pi, p) in patients.iter().enumerate() {
        for built in objects::for_patient(pi, p) {
            let path = dir.join(&built.file);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let bytes = ds::part10(
                &built.ds,
                built.charset,
                &built.class,
                &built.instance_uid,
                built.deflated,
            );
            std::fs::write(&path, &bytes)?;
            // Planted = what this file's data set holds, in whatever encoding it was written.
            let mut candidates = people::needles(pi, p);
            let elements = built.ds.flatten();
            for f in &elements {
                match (&f.value, f.vr) {
                    (FlatValue::Text(v), VR::UI) if !is_standard_uid(v) => {
                        candidates.push(Needle {
                            label: format!("original UID of {}", describe(&f.path)),
                            value: v.clone(),
                        });
                    }
                    (FlatValue::Text(v), _) => {
                        // A UID typed into text.
                        for (at, _) in v.match_indices(PRIVATE_ROOT) {
                            let run: String = v[at..]
                                .chars()
                                .take_while(|c| c.is_ascii_digit() || *c == '.')
                                .collect();
                            candidates.push(Needle {
                                label: format!("UID in the text of {}", describe(&f.path)),
                                value: run.trim_end_matches('.').to_string(),
                            });
                        }
                    }
                    _ => {}
                }
            }
            let scanner = PhiScanner::new(dedup(candidates));
            let body = built.ds.encode(built.charset);
            let phi = scanner
                .scan_bytes(&body)
                .into_iter()
                .map(|h| scanner.needles()[h.needle].clone())
                .collect();
            instances.push(Instance {
                file: built.file,
                patient: pi,
                kind: built.kind,
                instance_number: built.instance_number,
                phi,
                retain: built.retain,
                elements,
                hide: matches!(built.kind, Kind::Sc | Kind::Pdf),
                deflated: built.deflated,
            });
        }
    }
    Ok(Hospital {
        patients,
        instances,
    })
}

/// One needle per value, ignoring case (the scanner ignores it too).
fn dedup(needles: Vec<Needle>) -> Vec<Needle> {
    let mut out: Vec<Needle> = Vec::new();
    for n in needles {
        if !out
            .iter()
            .any(|o| o.value.to_lowercase() == n.value.to_lowercase())
        {
            out.push(n);
        }
    }
    out
}

/// The de-identifier's keep-list (`dicom/data/keep-list/keep_list.txt`, PS3.6 keywords) as path
/// keys (`GGGGEEEE`, see [`tag_key`]): the attributes research needs that the allow-list names.
pub fn keep_list() -> std::collections::BTreeSet<String> {
    use dicom_core::dictionary::DataDictionary;
    let dict = dicom_dictionary_std::StandardDataDictionary;
    let text =
        std::fs::read_to_string(crate::workspace_root().join("dicom/data/keep-list/keep_list.txt"))
            .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::split_whitespace)
        .filter_map(|kw| dict.by_name(kw))
        .map(|e| tag_key(e.tag.inner()))
        .collect()
}

/// UIDs the standard defines that the corpus uses (SOP classes, transfer syntaxes, coding
/// schemes): kept by de-identification, so neither planted nor expected to change.
pub fn is_standard_uid(uid: &str) -> bool {
    objects::STANDARD_UIDS.contains(&uid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_is_deterministic_parses_and_plants_in_every_file() {
        let base = std::env::temp_dir().join(format!("testkit-hospital-{}", std::process::id()));
        let a = write_hospital(&base.join("a")).unwrap();
        let b = write_hospital(&base.join("b")).unwrap();
        assert_eq!(a.instances.len(), 32);
        assert_eq!(a.patients.len(), 4);
        for (x, y) in a.instances.iter().zip(&b.instances) {
            let bx = std::fs::read(base.join("a").join(&x.file)).unwrap();
            let by = std::fs::read(base.join("b").join(&y.file)).unwrap();
            assert_eq!(bx, by, "{}", x.file.display());
            assert!(x.phi.len() >= 10, "{}: {:?}", x.file.display(), x.phi);
            assert!(x.uids().count() >= 3);
            assert!(x.dates().count() >= 2);
            if x.deflated {
                continue;
            }
            // dicom-rs reads what was written, values equal (text in the declared charset).
            let obj = dicom_object::open_file(base.join("a").join(&x.file))
                .unwrap_or_else(|e| panic!("{}: {e}", x.file.display()));
            let flat = flatten_object(&obj);
            for r in &x.retain {
                let want = x.original(&r.path).unwrap();
                let got = flat.iter().find(|f| f.path == r.path).unwrap();
                assert_eq!(
                    want.value,
                    got.value,
                    "{} {}",
                    x.file.display(),
                    describe(&r.path)
                );
            }
            if x.patient != 1 {
                let name = flat.iter().find(|f| f.path == "00100010").unwrap();
                assert!(name.value.text().unwrap().len() > 5);
            }
        }
        let needles = a.needles();
        assert!(needles.len() > 100, "{}", needles.len());
        let keep = keep_list();
        assert!(keep.len() > 300, "{}", keep.len());
        for t in [
            dicom_dictionary_std::tags::REPETITION_TIME,
            dicom_dictionary_std::tags::PIXEL_DATA,
            dicom_dictionary_std::tags::TEXT_VALUE,
        ] {
            assert!(keep.contains(&tag_key(t)), "{}", tag_key(t));
        }
        std::fs::remove_dir_all(&base).unwrap();
    }
}
