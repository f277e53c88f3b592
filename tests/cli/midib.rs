//! A scored de-identification test in the MIDI-B style (the MICCAI 2024 challenge's checks, per
//! instance): the hospital corpus of `testkit::hospital` is imported (profiles `default` and
//! `basic`), exported as DICOM, NIfTI and BIDS, and every instance is scored on
//! - removal: text removed (every planted identifier absent, in every encoding, from the home,
//!   the exports and the CLI's output), date shifted (by one offset per subject), UID changed,
//!   pixels hidden (burned-in SC and PDF not handed out);
//! - retention: text retained, tag retained (research attributes with their values), UID
//!   consistent (one new UID per original, SR references resolve), patient id consistent (one
//!   pseudonym per patient), and the research pipeline (NIfTI per MR series, a study card's BIDS
//!   T1w per patient).
//!
//! The score tables are printed (`cargo test --test cli midib -- --nocapture`); failures name the
//! file, the check, where, and the planted value's label; the test asserts 100%.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::hospital::VR;
use testkit::hospital::{
    self, describe, flatten_object, Flat, FlatValue, Hospital, Instance, Kind,
};
use testkit::{Needle, PhiScanner};

use crate::util::*;

const STUDY: &str = "midib";

/// One import + exports of the corpus under a profile.
struct Run {
    _dir: tempfile::TempDir,
    profile: &'static str,
    home: PathBuf,
    dicom: PathBuf,
    nifti: PathBuf,
    bids: Option<PathBuf>,
    /// stdout and stderr of every command.
    cli: Vec<u8>,
}

fn run_cmd(cli: &mut Vec<u8>, cmd: &mut Command) -> String {
    let out = cmd.output().expect("neurofed runs");
    assert_success(&out, cmd);
    cli.extend_from_slice(&out.stdout);
    cli.extend_from_slice(&out.stderr);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn import_and_export(corpus: &Path, profile: &'static str) -> Run {
    let (dir, home) = new_home("Klinikum Test");
    let mut cli = Vec::new();
    let cards = profile == "default";
    if cards {
        for card in ["mr-natures.toml", "mr-quality.toml"] {
            run_cmd(
                &mut cli,
                neurofed(&home)
                    .args(["studycard", "add", "--create", "--study", STUDY])
                    .arg(testkit::workspace_root().join("docs/cards").join(card)),
            );
        }
    }
    run_cmd(
        &mut cli,
        neurofed(&home)
            .args(["import", "--create", "--study", STUDY, "--profile", profile])
            .arg(corpus),
    );
    run_cmd(
        &mut cli,
        neurofed(&home)
            .args([
                "import",
                "--json",
                "--create",
                "--study",
                STUDY,
                "--profile",
                profile,
            ])
            .arg(corpus),
    );
    run_cmd(&mut cli, neurofed(&home).args(["ls", "--json"]));
    run_cmd(&mut cli, neurofed(&home).args(["stats"]));
    let dicom = dir.path().join("export-dicom");
    let nifti = dir.path().join("export-nifti");
    for (format, out) in [("dicom", &dicom), ("nifti", &nifti)] {
        run_cmd(
            &mut cli,
            neurofed(&home)
                .args(["export", "--format", format, "--out"])
                .arg(out),
        );
    }
    let bids = cards.then(|| {
        let b = dir.path().join("export-bids");
        run_cmd(
            &mut cli,
            neurofed(&home)
                .args(["export", "--format", "bids", "--study", STUDY, "--out"])
                .arg(&b),
        );
        b
    });
    Run {
        _dir: dir,
        profile,
        home,
        dicom,
        nifti,
        bids,
        cli,
    }
}

/// An exported DICOM file, read back.
struct Exported {
    path: PathBuf,
    bytes: Vec<u8>,
    flat: Vec<Flat>,
    meta_instance_uid: String,
}

impl Exported {
    fn get(&self, path: &str) -> Option<&Flat> {
        self.flat.iter().find(|f| f.path == path)
    }
    fn text(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(|f| f.value.text())
    }
}

fn read_exports(dir: &Path) -> Vec<Exported> {
    files_under(dir)
        .into_iter()
        .filter_map(|path| {
            let obj = dicom_object::open_file(&path).ok()?;
            let meta_instance_uid = obj
                .meta()
                .media_storage_sop_instance_uid()
                .trim_end_matches('\0')
                .to_string();
            Some(Exported {
                bytes: std::fs::read(&path).unwrap(),
                flat: flatten_object(&obj),
                path,
                meta_instance_uid,
            })
        })
        .collect()
}

const INSTANCE_NUMBER: &str = "00200013";
const PATIENT_ID: &str = "00100020";
const PATIENT_NAME: &str = "00100010";
const TOP_LEVEL_REFERENCED: [&str; 4] = ["00080018", "0020000E", "0020000D", "00200052"];

/// The checks, in table order: (name, removal?).
const CHECKS: [(&str, bool); 10] = [
    ("text removed", true),
    ("date shifted", true),
    ("UID changed", true),
    ("pixels hidden", true),
    ("text retained", false),
    ("tag retained", false),
    ("allow-list retained", false),
    ("UID consistent", false),
    ("patient id consistent", false),
    ("research pipeline", false),
];

#[derive(Default)]
struct Score {
    /// check -> (passed, total).
    counts: BTreeMap<&'static str, (usize, usize)>,
    failures: Vec<String>,
}

impl Score {
    /// One item of `check`: passed when `problems` is empty, else one failure line each.
    fn item(&mut self, check: &'static str, subject: &str, problems: Vec<String>) {
        let c = self.counts.entry(check).or_default();
        c.1 += 1;
        if problems.is_empty() {
            c.0 += 1;
        }
        for p in problems {
            self.failures.push(format!("{subject}: {check}: {p}"));
        }
    }

    fn table(&self, profile: &str) -> String {
        let mut s = format!("MIDI-B style score, profile {profile}\n");
        let _ = writeln!(s, "{:<10} {:<22} {:>9} {:>7}", "", "check", "passed", "%");
        for group in [true, false] {
            let mut sum = (0, 0);
            for (check, removal) in CHECKS {
                if removal != group {
                    continue;
                }
                let (p, t) = self.counts.get(check).copied().unwrap_or((0, 0));
                sum.0 += p;
                sum.1 += t;
                let _ = writeln!(
                    s,
                    "{:<10} {:<22} {:>9} {:>7}",
                    if removal { "removal" } else { "retention" },
                    check,
                    format!("{p}/{t}"),
                    pct(p, t)
                );
            }
            let _ = writeln!(
                s,
                "{:<10} {:<22} {:>9} {:>7}",
                if group { "removal" } else { "retention" },
                "ALL",
                format!("{}/{}", sum.0, sum.1),
                pct(sum.0, sum.1)
            );
        }
        s
    }

    fn perfect(&self) -> bool {
        self.counts.values().all(|(p, t)| p == t)
    }
}

/// The elements of an exported file whose value holds `n` (text as decoded, binary as it is).
fn elements_holding(e: &Exported, n: &Needle) -> Vec<String> {
    let scanner = PhiScanner::new(vec![n.clone()]);
    e.flat
        .iter()
        .filter(|f| {
            let bytes = match &f.value {
                FlatValue::Text(t) => t.as_bytes(),
                FlatValue::Bytes(b) => b.as_slice(),
            };
            !scanner.scan_bytes(bytes).is_empty()
        })
        .map(|f| format!("{} {:?}", describe(&f.path), f.vr))
        .collect()
}

fn pct(p: usize, t: usize) -> String {
    if t == 0 {
        "-".into()
    } else {
        format!("{:.1}", 100.0 * p as f64 / t as f64)
    }
}

fn days(date: &str) -> Option<i64> {
    let y: i64 = date.get(..4)?.parse().ok()?;
    let m: i64 = date.get(4..6)?.parse().ok()?;
    let d: i64 = date.get(6..8)?.parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn same_value(a: &FlatValue, b: &FlatValue) -> bool {
    match (a, b) {
        (FlatValue::Text(x), FlatValue::Text(y)) => {
            let nums = |s: &str| -> Option<Vec<f64>> {
                s.split('\\')
                    .map(|v| v.trim().parse::<f64>().ok())
                    .collect()
            };
            match (nums(x), nums(y)) {
                (Some(p), Some(q)) => {
                    p.len() == q.len() && p.iter().zip(&q).all(|(u, v)| (u - v).abs() < 1e-6)
                }
                _ => x.trim() == y.trim(),
            }
        }
        (FlatValue::Bytes(x), FlatValue::Bytes(y)) => x == y,
        _ => false,
    }
}

fn short(v: &FlatValue) -> String {
    match v {
        FlatValue::Text(s) => format!("{s:?}"),
        FlatValue::Bytes(b) => format!("{} bytes", b.len()),
    }
}

fn score(h: &Hospital, corpus: &Path, run: &Run) -> Score {
    let basic = run.profile == "basic";
    let keep = hospital::keep_list();
    let mut sc = Score::default();
    let exports = read_exports(&run.dicom);
    let by_number: BTreeMap<u32, &Exported> = exports
        .iter()
        .filter_map(|e| Some((e.text(INSTANCE_NUMBER)?.trim().parse().ok()?, e)))
        .collect();
    let exported = |i: &Instance| by_number.get(&i.instance_number).copied();
    let name = |i: &Instance| i.file.display().to_string();
    let rel = |p: &Path| {
        p.strip_prefix(run._dir.path())
            .unwrap_or(p)
            .display()
            .to_string()
    };

    // Everything the node holds or hands out, scanned once for every planted identifier. A hit
    // in an exported file, or in the blob it is a copy of, belongs to that instance alone.
    let owner_of: BTreeMap<String, u32> = by_number
        .iter()
        .flat_map(|(n, e)| {
            let hash = blake3::hash(&e.bytes).to_hex().to_string();
            [(hash, *n), (e.path.display().to_string(), *n)]
        })
        .collect();
    let scanner = PhiScanner::new(h.needles());
    // needle value -> (owner instance, description of the place).
    let mut anywhere: BTreeMap<String, Vec<(Option<u32>, String)>> = BTreeMap::new();
    let mut note = |needle: &Needle, enc: &str, owner: Option<u32>, place: String| {
        anywhere
            .entry(needle.value.clone())
            .or_default()
            .push((owner, format!("{enc} in {place}")));
    };
    for dir in [
        Some(&run.home),
        Some(&run.dicom),
        Some(&run.nifti),
        run.bids.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        for (p, hit) in scanner.scan_dir(dir) {
            let file = p.file_name().unwrap().to_string_lossy().into_owned();
            let owner = owner_of
                .get(&p.display().to_string())
                .or_else(|| owner_of.get(&file))
                .copied();
            note(&scanner.needles()[hit.needle], hit.encoding, owner, rel(&p));
        }
    }
    // The index compresses what it stores: ask it. Every stored field of every hit goes to the
    // scanned output, and every one-word identifier is searched for (a hit is a leak).
    let mut cli = run.cli.clone();
    cli.extend(ok(neurofed(&run.home).args(["search", "--json", "--limit", "1000"])).into_bytes());
    for n in scanner.needles() {
        let word = n.value.chars().all(char::is_alphabetic) && n.value.chars().count() >= 4;
        if !word {
            continue;
        }
        let out = json(
            neurofed(&run.home)
                .args(["search", "--limit", "0"])
                .arg(&n.value),
        );
        if out["total"].as_u64().unwrap_or(0) > 0 {
            note(
                n,
                "a term",
                None,
                format!("the index (search finds {})", out["total"]),
            );
        }
    }
    for hit in scanner.scan_bytes(&cli) {
        note(
            &scanner.needles()[hit.needle],
            hit.encoding,
            None,
            "CLI output".into(),
        );
    }
    // The check can fail: the originals hold what the truth says.
    let orig = PhiScanner::new(h.instances[1].phi.clone());
    assert_eq!(
        orig.scan_bytes(&std::fs::read(corpus.join(&h.instances[1].file)).unwrap())
            .len(),
        h.instances[1].phi.len()
    );

    // UID maps over the whole corpus: original -> new values seen, new -> originals.
    let mut forward: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut backward: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for i in &h.instances {
        let Some(e) = exported(i) else { continue };
        for (path, uid) in i.uids().filter(|(_, u)| !hospital::is_standard_uid(u)) {
            if let Some(new) = e.text(path).filter(|v| !v.is_empty()) {
                forward.entry(uid).or_default().insert(new.to_string());
                backward.entry(new.to_string()).or_default().insert(uid);
            }
        }
    }
    // Top-level UIDs of exported instances: original -> exported value.
    let mut top: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for i in &h.instances {
        for path in TOP_LEVEL_REFERENCED {
            if let Some(FlatValue::Text(u)) = i.original(path).map(|f| &f.value) {
                let new = exported(i).and_then(|e| e.text(path)).map(String::from);
                let slot = top.entry(u.as_str()).or_default();
                if slot.is_none() {
                    *slot = new;
                }
            }
        }
    }
    // Pseudonyms per patient (majority), for consistency.
    let mut ids: BTreeMap<usize, BTreeMap<String, usize>> = BTreeMap::new();
    for i in h.instances.iter().filter(|i| !i.hide) {
        if let Some(id) = exported(i).and_then(|e| e.text(PATIENT_ID)) {
            *ids.entry(i.patient)
                .or_default()
                .entry(id.to_string())
                .or_default() += 1;
        }
    }
    let majority: BTreeMap<usize, String> = ids
        .iter()
        .filter_map(|(p, m)| Some((*p, m.iter().max_by_key(|(_, n)| **n)?.0.clone())))
        .collect();
    // Date offsets per patient (majority).
    let mut offsets: BTreeMap<usize, BTreeMap<i64, usize>> = BTreeMap::new();
    for i in &h.instances {
        let Some(e) = exported(i) else { continue };
        for (path, date) in i.dates() {
            if let Some(new) = e.text(path).filter(|v| v.len() >= 8) {
                if let (Some(a), Some(b)) = (days(date), days(&new[..8])) {
                    *offsets
                        .entry(i.patient)
                        .or_default()
                        .entry(b - a)
                        .or_default() += 1;
                }
            }
        }
    }
    let offset: BTreeMap<usize, i64> = offsets
        .iter()
        .filter_map(|(p, m)| Some((*p, *m.iter().max_by_key(|(_, n)| **n)?.0)))
        .collect();

    for i in &h.instances {
        let subject = format!("{} ({})", name(i), i.kind.name());
        let e = exported(i);
        // text removed: this file's planted identifiers, anywhere.
        let mut problems = Vec::new();
        for n in &i.phi {
            if let Some(places) = anywhere.get(&n.value) {
                let mine: Vec<&str> = places
                    .iter()
                    .filter(|(owner, _)| owner.is_none_or(|o| o == i.instance_number))
                    .map(|(_, place)| place.as_str())
                    .collect();
                if !mine.is_empty() {
                    let elements = e.map(|e| elements_holding(e, n)).unwrap_or_default();
                    problems.push(format!(
                        "{} found{}: {}",
                        n.label,
                        if elements.is_empty() {
                            String::new()
                        } else {
                            format!(" in {}", elements.join(", "))
                        },
                        mine.iter().take(3).copied().collect::<Vec<_>>().join("; ")
                    ));
                }
            }
        }
        sc.item("text removed", &subject, problems);

        // pixels hidden.
        if i.hide {
            let mut problems = Vec::new();
            if let Some(e) = e {
                problems.push(format!("handed out as {}", rel(&e.path)));
            }
            sc.item("pixels hidden", &subject, problems);
        }

        let Some(e) = e else {
            if !i.hide {
                for check in [
                    "date shifted",
                    "UID changed",
                    "text retained",
                    "tag retained",
                ] {
                    sc.item(check, &subject, vec!["not exported".into()]);
                }
            }
            continue;
        };

        // date shifted.
        let mut problems = Vec::new();
        for (path, date) in i.dates() {
            let Some(new) = e.text(path).filter(|v| !v.is_empty()) else {
                continue; // removed
            };
            if new.get(..8) == Some(date) {
                problems.push(format!("{} kept as it was", describe(path)));
            } else if !basic {
                let d = days(&new[..new.len().min(8)])
                    .zip(days(date))
                    .map(|(b, a)| b - a);
                if d != offset.get(&i.patient).copied() {
                    problems.push(format!(
                        "{} shifted by {d:?} days, the subject's other dates by {:?}",
                        describe(path),
                        offset.get(&i.patient)
                    ));
                }
            }
        }
        sc.item("date shifted", &subject, problems);

        // UID changed.
        let mut problems = Vec::new();
        for (path, uid) in i.uids().filter(|(_, u)| !hospital::is_standard_uid(u)) {
            if e.text(path) == Some(uid) {
                problems.push(format!("{} kept", describe(path)));
            }
            if path == "00080018" && e.meta_instance_uid == uid {
                problems.push("MediaStorageSOPInstanceUID kept".into());
            }
        }
        sc.item("UID changed", &subject, problems);

        // text retained / tag retained.
        for (check, text) in [("text retained", true), ("tag retained", false)] {
            let mut problems = Vec::new();
            let mut any = false;
            for r in i
                .retain
                .iter()
                .filter(|r| r.text == text && (r.basic || !basic))
            {
                any = true;
                let want = &i.original(&r.path).unwrap().value;
                match e.get(&r.path) {
                    None => problems.push(format!("{} lost", describe(&r.path))),
                    Some(got) if !same_value(want, &got.value) => problems.push(format!(
                        "{}: {} became {}",
                        describe(&r.path),
                        short(want),
                        short(&got.value)
                    )),
                    Some(_) => {}
                }
            }
            if any {
                sc.item(check, &subject, problems);
            }
        }

        // allow-list retained: every keep-listed attribute of the original that holds no planted
        // identifier (and is not a UID, date, time or name, which change by design) is exported
        // with its value.
        let mut problems = Vec::new();
        let planted = PhiScanner::new(i.phi.clone());
        for f in &i.elements {
            let last = f.path.rsplit('/').next().unwrap_or("");
            if !keep.contains(last)
                || matches!(f.vr, VR::UI | VR::DA | VR::DT | VR::TM | VR::PN)
                || last == "00080005"
            {
                continue;
            }
            let holds_phi = match &f.value {
                FlatValue::Text(t) => !planted.scan_bytes(t.as_bytes()).is_empty(),
                FlatValue::Bytes(b) => !planted.scan_bytes(b).is_empty(),
            };
            if holds_phi {
                continue;
            }
            match e.get(&f.path) {
                None => problems.push(format!("{} lost", describe(&f.path))),
                Some(got) if !same_value(&f.value, &got.value) => problems.push(format!(
                    "{}: {} became {}",
                    describe(&f.path),
                    short(&f.value),
                    short(&got.value)
                )),
                Some(_) => {}
            }
        }
        sc.item("allow-list retained", &subject, problems);

        // UID consistent: one new value per original and back; references resolve.
        let mut problems = Vec::new();
        for (path, uid) in i.uids().filter(|(_, u)| !hospital::is_standard_uid(u)) {
            if forward.get(uid).is_some_and(|s| s.len() > 1) {
                problems.push(format!("{} maps to several new UIDs", describe(path)));
            }
            if let Some(new) = e.text(path) {
                if backward.get(new).is_some_and(|s| s.len() > 1) {
                    problems.push(format!(
                        "{} shares its new UID with another",
                        describe(path)
                    ));
                }
            }
            if path.contains('/') {
                if let Some(Some(target)) = top.get(uid) {
                    if e.text(path) != Some(target.as_str()) {
                        problems.push(format!(
                            "reference {} does not resolve to the exported instance",
                            describe(path)
                        ));
                    }
                }
            }
        }
        sc.item("UID consistent", &subject, problems);

        // patient id consistent.
        let mut problems = Vec::new();
        let id = e.text(PATIENT_ID).unwrap_or("");
        let want = majority.get(&i.patient).map(String::as_str).unwrap_or("");
        if id.is_empty() || id != want {
            problems.push(format!(
                "PatientID {id:?}, the patient's other files {want:?}"
            ));
        }
        if e.text(PATIENT_NAME) != Some(id) {
            problems.push(format!(
                "PatientName {:?} is not the pseudonym",
                e.text(PATIENT_NAME)
            ));
        }
        if majority.iter().any(|(p, m)| *p != i.patient && m == id) {
            problems.push("same pseudonym as another patient".into());
        }
        sc.item("patient id consistent", &subject, problems);
    }

    // Research pipeline: every MR series converts (NIfTI with its sidecar's timing), and with
    // the study cards the BIDS export has each patient's T1w.
    // (sidecar path, sidecar, the image's dim[1..=3]).
    let sidecars: Vec<(String, serde_json::Value, Vec<i16>)> = files_under(&run.nifti)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| {
            let v = serde_json::from_slice(&std::fs::read(&p).ok()?).ok()?;
            let nii = testkit::inflated(&std::fs::read(p.with_extension("nii.gz")).ok()?)?;
            let dims = (0..3)
                .map(|k| i16::from_le_bytes([nii[42 + 2 * k], nii[43 + 2 * k]]))
                .collect();
            Some((p.display().to_string(), v, dims))
        })
        .collect();
    for (pi, p) in h.patients.iter().enumerate() {
        let pseudonym = majority.get(&pi).cloned().unwrap_or_default();
        let series = [
            (Kind::Mr, "T1 MPRAGE sag", 2.3, 0.00298, 9.0),
            (Kind::EnhancedMr, "FLAIR 3D tra", 5.0, 0.388, 120.0),
        ];
        for (kind, desc, tr, te, flip) in series {
            let close =
                |v: &serde_json::Value, x: f64| v.as_f64().is_some_and(|y| (x - y).abs() < 1e-9);
            let mine: Vec<(&serde_json::Value, &Vec<i16>)> = sidecars
                .iter()
                .filter(|(path, s, _)| {
                    path.contains(&format!("sub-{pseudonym}/")) && close(&s["RepetitionTime"], tr)
                })
                .map(|(_, s, dims)| (s, dims))
                .collect();
            let mut problems = Vec::new();
            match mine.as_slice() {
                [(s, dims)] => {
                    if dims.as_slice() != [32, 32, 4] {
                        problems.push(format!("NIfTI dimensions {dims:?}, not 32 x 32 x 4"));
                    }
                    for (key, ok) in [
                        ("EchoTime", close(&s["EchoTime"], te)),
                        ("FlipAngle", close(&s["FlipAngle"], flip)),
                        ("MagneticFieldStrength", close(&s["MagneticFieldStrength"], 3.0)),
                        ("Manufacturer", s["Manufacturer"] == "SIEMENS"),
                        ("SeriesDescription", basic || s["SeriesDescription"] == desc),
                    ] {
                        if !ok {
                            problems.push(format!("sidecar {key} is {}", s[key]));
                        }
                    }
                }
                other => problems.push(format!(
                    "{} NIfTI+sidecar pairs under sub-{pseudonym} with RepetitionTime {tr} s, not 1",
                    other.len()
                )),
            }
            sc.item(
                "research pipeline",
                &format!("{} {} series (NIfTI)", p.label, kind.name()),
                problems,
            );
        }
        if let Some(bids) = &run.bids {
            let t1w = files_under(bids).iter().any(|f| {
                let s = f.to_string_lossy();
                s.contains("/anat/")
                    && s.ends_with("_T1w.nii.gz")
                    && s.contains(&format!("sub-{pseudonym}"))
            });
            sc.item(
                "research pipeline",
                &format!("{} T1w in BIDS (study card)", p.label),
                if t1w {
                    Vec::new()
                } else {
                    vec!["no sub-<pseudonym>/anat/*_T1w.nii.gz".into()]
                },
            );
        }
    }
    sc
}

#[test]
fn midib_scored_deidentification() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("hospital");
    let h = hospital::write_hospital(&corpus).unwrap();
    let mut report = String::new();
    let mut perfect = true;
    // NEUROFED_MIDIB_KEEP=1 keeps the corpus, the homes and the exports to look at.
    let keep = std::env::var_os("NEUROFED_MIDIB_KEEP").is_some();
    for profile in ["default", "basic"] {
        let run = import_and_export(&corpus, profile);
        let sc = score(&h, &corpus, &run);
        report.push_str(&sc.table(profile));
        if !sc.failures.is_empty() {
            let _ = writeln!(report, "failures ({}):", sc.failures.len());
            for f in &sc.failures {
                let _ = writeln!(report, "  {f}");
            }
        }
        report.push('\n');
        perfect &= sc.perfect();
        if keep {
            println!("kept: {} ({profile})", run._dir.keep().display());
        }
    }
    if keep {
        println!("kept: {}", dir.keep().display());
    }
    println!("{report}");
    assert!(
        perfect,
        "the de-identification scored below 100%:\n{report}"
    );
}
