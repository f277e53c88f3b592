//! Test support for neurofed: where the shared reference material is, the generated multi-subject
//! MR corpus (made on first use, under a lock so parallel tests share it), its `truth.tsv`, and
//! the PHI strings planted in it.
//!
//! The shared reference material (real DICOM/NIfTI files, the `make_series.py` generator, the
//! DICOM standard tables) lives outside the repository. It is looked for, in order, in
//! `NEUROFED_SHARED` (the folder holding `reference/`), in a `shared/` folder beside this
//! checkout or one of its parents, and beside the checkout this clone was made from (a local
//! `origin`). Without it, [`shared_dir`] and [`reference_corpus`] are `None`: tests that need it
//! call [`need_shared!`] and are skipped with a message, and the generated corpus is written by
//! the project's own generator (`neurofed-sample`) instead of `make_series.py`, with the same
//! layout and `truth.tsv` ([`synth_is_make_series`] tells which one it is).
//!
//! The generated corpus lives in `NEUROFED_SYNTH` if set, else `<workspace>/target/corpus/synth`
//! (and `synth_enhanced` beside it, `make_series.py` only). `make_series.py` needs python3 with
//! pydicom, nibabel, numpy, highdicom and Debian's mricron-data: `scripts/test` installs them.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![deny(missing_docs, unreachable_pub, rustdoc::broken_intra_doc_links)]
#![forbid(unsafe_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use fs4::fs_std::FileExt;

pub mod hospital;
mod scan;

pub use scan::{inflated, needle_forms, Hit, Needle, PhiScanner};

/// The workspace root (the folder with the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit sits in the workspace")
        .to_path_buf()
}

/// The first `shared/` holding `reference/` among `dir` and its parents.
fn shared_above(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join("shared"))
        .find(|c| c.join("reference").is_dir())
}

/// The local folder this checkout was cloned from, if its `origin` is one.
fn local_origin() -> Option<PathBuf> {
    let out = Command::new("git")
        .arg("-C")
        .arg(workspace_root())
        .args(["remote", "get-url", "origin"])
        .output()
        .ok()?;
    let url = String::from_utf8(out.stdout).ok()?;
    let url = url.trim().trim_start_matches("file://");
    let p = PathBuf::from(url);
    (out.status.success() && p.is_absolute() && p.is_dir()).then_some(p)
}

/// The shared folder holding `reference/` (corpus, generator, DICOM standard tables), if present.
pub fn shared_dir() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("NEUROFED_SHARED") {
        let p = PathBuf::from(p);
        return p.join("reference").is_dir().then_some(p);
    }
    shared_above(&workspace_root()).or_else(|| local_origin().and_then(|o| shared_above(&o)))
}

/// Skip the calling test (return early, with a message) when the shared reference material is
/// absent. `need_shared!()` in a test returning `()`, `need_shared!(Ok(()))` in one returning a
/// `Result`.
#[macro_export]
macro_rules! need_shared {
    () => {
        $crate::need_shared!(())
    };
    ($ret:expr) => {
        if $crate::shared_dir().is_none() {
            eprintln!(
                "skipped: the shared reference material is absent (set NEUROFED_SHARED to the folder holding reference/)"
            );
            return $ret;
        }
    };
}

/// Skip the calling test (with a message) unless the generated corpus is `make_series.py`'s: for
/// tests written against its exact series (sizes, names, counts). Same forms as [`need_shared!`].
#[macro_export]
macro_rules! need_make_series {
    () => {
        $crate::need_make_series!(())
    };
    ($ret:expr) => {
        if !$crate::synth_is_make_series() {
            eprintln!(
                "skipped: written against make_series.py's corpus, which needs the shared reference material"
            );
            return $ret;
        }
    };
}

/// Whether an external tool the tests drive (dcmtk, chromium, a Python package) is there, by running
/// `program args...` and looking at its exit status.
pub fn tool_runs(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether the suite runs as CI runs it (`scripts/test` sets `NEUROFED_REQUIRE_TOOLS=1` after
/// `scripts/setup` installed every tool): then a missing tool is a failure, not a skip.
pub fn tools_required() -> bool {
    std::env::var_os("NEUROFED_REQUIRE_TOOLS").is_some_and(|v| v == "1")
}

/// Skip the calling test (with a message) when `program args...` does not run, or fail it when
/// the suite runs under `scripts/test` ([`tools_required`]). `need_tool!("storescu", ["--version"])`
/// in a test returning `()`; `need_tool!("storescu", ["--version"], Ok(()))` in one returning a `Result`.
#[macro_export]
macro_rules! need_tool {
    ($program:expr, [$($arg:expr),* $(,)?]) => {
        $crate::need_tool!($program, [$($arg),*], ())
    };
    ($program:expr, [$($arg:expr),* $(,)?], $ret:expr) => {
        if !$crate::tool_runs($program, &[$($arg),*]) {
            if $crate::tools_required() {
                panic!("{} is not installed although scripts/setup should have installed it", $program);
            }
            eprintln!("SKIPPED: {} is not installed (run scripts/setup)", $program);
            return $ret;
        }
    };
}

/// `shared/reference/corpus`: real DICOM and NIfTI files, with `MANIFEST.tsv`. Call
/// [`need_shared!`] first: this panics when the shared material is absent.
pub fn reference_corpus() -> PathBuf {
    shared_dir()
        .expect("the shared reference material (guard the test with testkit::need_shared!())")
        .join("reference")
        .join("corpus")
}

/// Where generated corpora go.
fn corpus_root() -> PathBuf {
    workspace_root().join("target").join("corpus")
}

/// Whether the generated corpus is `make_series.py`'s (1524 files, 18 series, an enhanced
/// variant) rather than `neurofed-sample`'s (same layout and `truth.tsv`, other sizes).
pub fn synth_is_make_series() -> bool {
    std::env::var_os("NEUROFED_SYNTH").is_some() || shared_dir().is_some()
}

/// The generated classic MR corpus with its `truth.tsv`, generated on first use.
pub fn synth_corpus() -> PathBuf {
    if let Ok(p) = std::env::var("NEUROFED_SYNTH") {
        return PathBuf::from(p);
    }
    ensure_generated();
    corpus_root().join("synth")
}

/// The enhanced (Legacy Converted Enhanced MR, one file per series) variant, generated on first
/// use by `make_series.py` (call [`need_shared!`] first).
pub fn synth_enhanced_corpus() -> PathBuf {
    if let Ok(p) = std::env::var("NEUROFED_SYNTH_ENHANCED") {
        return PathBuf::from(p);
    }
    assert!(
        synth_is_make_series(),
        "the enhanced corpus needs make_series.py (guard the test with testkit::need_shared!())"
    );
    ensure_generated();
    corpus_root().join("synth_enhanced")
}

fn ensure_generated() {
    let root = corpus_root();
    std::fs::create_dir_all(&root).unwrap();
    let lock = File::create(root.join(".lock")).unwrap();
    lock.lock_exclusive().unwrap();
    let shared = shared_dir();
    // Which generator made what is there: regenerate when that changes.
    let done = root.join(if shared.is_some() {
        ".complete"
    } else {
        ".complete-sample"
    });
    if !done.exists() {
        let synth = root.join("synth");
        let enh = root.join("synth_enhanced");
        let _ = std::fs::remove_dir_all(&synth);
        let _ = std::fs::remove_dir_all(&enh);
        let _ = std::fs::remove_file(root.join(".complete"));
        let _ = std::fs::remove_file(root.join(".complete-sample"));
        match shared {
            Some(shared) => {
                let script = shared.join("reference").join("make_series.py");
                let status = Command::new("python3")
                    .arg(&script)
                    .arg("--out")
                    .arg(&synth)
                    .arg("--enhanced-out")
                    .arg(&enh)
                    .status()
                    .expect("python3 runs");
                assert!(
                    status.success(),
                    "{} failed: install its needs with scripts/test (pydicom, nibabel, numpy, highdicom, mricron-data)",
                    script.display()
                );
            }
            None => {
                sample::write_sample(&synth, &sample::SampleOptions::default(), &mut |_, _| {})
                    .unwrap();
            }
        }
        std::fs::write(&done, b"ok").unwrap();
    }
    fs4::fs_std::FileExt::unlock(&lock).unwrap();
}

/// One row of `truth.tsv`: one generated series and the PHI planted in it.
#[derive(Debug, Clone)]
pub struct TruthRow {
    /// Column name -> value, in file order.
    pub fields: Vec<(String, String)>,
}

impl TruthRow {
    /// The value of a column (empty string when absent).
    pub fn get(&self, col: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == col)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

/// The rows of `truth.tsv` in `dir`.
pub fn truth(dir: &Path) -> Vec<TruthRow> {
    let text = std::fs::read_to_string(dir.join("truth.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split('\t')
        .map(String::from)
        .collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| TruthRow {
            fields: header
                .iter()
                .cloned()
                .zip(l.split('\t').map(String::from))
                .collect(),
        })
        .collect()
}

/// Every PHI string planted by the generator that must not survive de-identification: from
/// `truth.tsv` (name parts, ids, birth dates, institution, physicians, accession numbers, study
/// dates, original UIDs) plus the values the generator writes outside `truth.tsv` (the private
/// "ANCHORS SYNTH" block and AdditionalPatientHistory repeat names and the institution; address,
/// phone, other patient ids, operators, station names, device serials). Only strings of 4 or more
/// characters (shorter ones match by chance).
pub fn planted_phi(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in truth(dir) {
        let name = r.get("PatientName");
        out.extend(name.split('^').map(String::from));
        for col in [
            "PatientID",
            "PatientBirthDate",
            "InstitutionName",
            "AccessionNumber",
            "StudyDate",
            "StudyInstanceUID",
            "SeriesInstanceUID",
        ] {
            out.push(r.get(col).to_string());
        }
        out.extend(r.get("ReferringPhysicianName").split('^').map(String::from));
    }
    // Fixed pools the generator draws physicians, operators, streets and cities from: any of them
    // appearing would be a leak of the header, whichever subject it came from.
    for s in [
        "Hartmann",
        "Osei",
        "Lefebvre",
        "Ito^Haruki",
        "Reyes",
        "Novak",
        "Smith^John",
        "Kaur^Amrit",
        "Tanaka^Mika",
        "Berg^Lena",
        "Maple Avenue",
        "Church Lane",
        "Bahnhofstrasse",
        "Quay Street",
        "Oak Drive",
        "Harbour Road",
        "Elm Street",
        "Lindenallee",
        "Riverside",
        "St. Aldric",
        "Klinikum Nordstadt",
        "+44 20 7946",
        "Neuroradiology",
        "reports headaches",
        "Referred by",
        "scanned at",
    ] {
        out.push(s.to_string());
    }
    out.retain(|s| s.len() >= 4);
    out.sort();
    out.dedup();
    out
}

/// Where `needle` occurs in `haystack` as a leak. A needle made only of digits (a date, a number)
/// counts only when not preceded by a digit: inside a random 2.25 UID, an 8-digit date string
/// occurs by chance, while a leaked DA/DT value always starts right after a non-digit byte.
pub fn find_leak(haystack: &[u8], needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    if n.is_empty() || haystack.len() < n.len() {
        return None;
    }
    let digits_only = n.iter().all(u8::is_ascii_digit);
    let mut start = 0;
    while let Some(pos) = find(&haystack[start..], n) {
        let at = start + pos;
        if !digits_only || at == 0 || !haystack[at - 1].is_ascii_digit() {
            return Some(at);
        }
        start = at + 1;
    }
    None
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

#[cfg(test)]
mod scan_tests {
    use super::*;

    #[test]
    fn scan_finds_utf8_latin1_and_respects_digit_boundaries() {
        let dir = tempfile_dir();
        std::fs::write(dir.join("a"), b"xx Schmidt yy").unwrap();
        std::fs::write(dir.join("b"), b"2.25.1220201107").unwrap();
        std::fs::write(dir.join("c"), b"\x08\x0020201107").unwrap();
        std::fs::write(dir.join("d"), [b'M', 0xfc, b'l', b'l', b'e', b'r']).unwrap();
        let needles = vec![
            "Schmidt".to_string(),
            "20201107".to_string(),
            "Müller".to_string(),
        ];
        let mut hits: Vec<(String, String)> = scan_for_phi(&dir, &needles)
            .into_iter()
            .map(|(p, n)| (p.file_name().unwrap().to_string_lossy().into_owned(), n))
            .collect();
        hits.sort();
        assert_eq!(
            hits,
            vec![
                ("a".to_string(), "Schmidt".to_string()),
                ("c".to_string(), "20201107".to_string()),
                ("d".to_string(), "Müller".to_string()),
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("testkit-scan-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}

/// Every regular file below `dir`, at any depth (links not followed; unreadable folders skipped).
pub(crate) fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            match e.file_type() {
                Ok(ft) if ft.is_dir() => stack.push(e.path()),
                Ok(ft) if ft.is_file() => files.push(e.path()),
                _ => {}
            }
        }
    }
    files
}

/// Every file under `dir` whose bytes contain one of `needles` (see [`find_leak`]), as
/// `(file, needle)` pairs. Needles are searched as UTF-8 and, when different, as Latin-1, all in
/// one pass per file (Aho-Corasick).
pub fn scan_for_phi(dir: &Path, needles: &[String]) -> Vec<(PathBuf, String)> {
    // Pattern i -> needle index; a needle contributes its UTF-8 form and its Latin-1 form.
    let mut patterns: Vec<Vec<u8>> = Vec::new();
    let mut owner: Vec<usize> = Vec::new();
    for (i, n) in needles.iter().enumerate() {
        patterns.push(n.as_bytes().to_vec());
        owner.push(i);
        if !n.is_ascii() {
            let latin1: Option<Vec<u8>> = n.chars().map(|c| u8::try_from(c as u32).ok()).collect();
            if let Some(l) = latin1 {
                patterns.push(l);
                owner.push(i);
            }
        }
    }
    let ac = aho_corasick::AhoCorasick::new(&patterns).unwrap();
    let digits_only: Vec<bool> = needles
        .iter()
        .map(|n| n.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let mut hits = Vec::new();
    for p in files_below(dir) {
        let bytes = std::fs::read(&p).unwrap();
        let mut found = vec![false; needles.len()];
        for m in ac.find_overlapping_iter(&bytes) {
            let i = owner[m.pattern().as_usize()];
            let at = m.start();
            if digits_only[i] && at > 0 && bytes[at - 1].is_ascii_digit() {
                continue;
            }
            found[i] = true;
        }
        for (i, f) in found.iter().enumerate() {
            if *f {
                hits.push((p.clone(), needles[i].clone()));
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_needles_need_a_boundary() {
        assert_eq!(find_leak(b"\x08\x0020201107", "20201107"), Some(2));
        assert_eq!(find_leak(b"2.25.1220201107", "20201107"), None);
        assert_eq!(find_leak(b"x Schmidt y", "Schmidt"), Some(2));
        assert_eq!(find_leak(b"", "abc"), None);
    }
}
