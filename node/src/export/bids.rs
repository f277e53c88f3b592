//! `neurofed export --format bids`: one study as a BIDS dataset that `bids-validator` accepts.
//!
//! ```text
//! dataset_description.json  README  participants.tsv/.json
//! sub-<label>/sub-<label>_sessions.tsv/.json   (scores recorded at an examination: columns)
//! sub-<label>/ses-<nn>/sub-<label>_ses-<nn>_scans.tsv
//! sub-<label>/ses-<nn>/<datatype>/sub-<label>_ses-<nn>[_task-<task>][_run-<n>]_<suffix>.nii.gz/.json
//! phenotype/<instrument>.tsv/.json             (scores about the subject: one row each)
//! ```
//! Labels are the pseudonyms reduced to letters and digits (BIDS labels are alphanumeric);
//! sessions are numbered by examination date; the datatype and suffix come from the study card's
//! nature (`TOF` is written as `angio`); `task-` from the series description (`rest` for a
//! resting BOLD) and `TaskName` added to its sidecar; `run-` numbers the series of one name in a
//! session, by series number. Sidecars are the stored ones (the keys the DICOM holds). What BIDS
//! would need more than the node derives is left out with its reason: diffusion without
//! bval/bvec, field maps without their echo times, multi-echo and multi-inversion series,
//! natures without a BIDS suffix (localizers, SWI), datasets without NIfTI.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::Path;

use dicom::{BidsDatatype, Nature};
use serde_json::{json, Map, Value};

use super::{io_err, selected_rows, write_all, ExportEntry, ExportError, ExportFilter};
use super::{ExportSummary, NotExported};
use crate::catalog::DatasetRow;
use crate::meter::Meter;
use crate::node::Node;
use crate::scores::{Instrument, VariableKind};

/// The BIDS version the export follows.
pub const BIDS_VERSION: &str = "1.9.0";

/// Letters and digits only, never empty: a BIDS label.
fn label(s: &str) -> String {
    let l: String = s
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(64)
        .collect();
    if l.is_empty() {
        "x".into()
    } else {
        l
    }
}

/// The datatype and suffix BIDS files a nature under, or why it is not exported.
fn bids_name(row: &DatasetRow) -> Result<(BidsDatatype, String), String> {
    let cards = &row.acquisition.cards.current;
    let Some(nature) = cards.nature else {
        return Err("no nature from the study cards: BIDS needs a suffix (T1w, bold...)".into());
    };
    use Nature::*;
    let suffix = match nature {
        T1w | T2w | PDw | T2starw | Flair | InplaneT1 | InplaneT2 | Pdt2 | Angio | Unit1
        | T1map | T2map | T2starmap | PDmap | Bold => nature.to_string(),
        Tof => "angio".to_string(),
        Dwi => return Err("diffusion: the node does not derive bval/bvec yet".into()),
        Mp2rage | Megre | Mese => {
            return Err(format!(
                "{nature}: the inv-/echo- entities are not derived yet"
            ))
        }
        Phasediff | Phase1 | Phase2 | Magnitude | Magnitude1 | Magnitude2 | Fieldmap | Epi => {
            return Err(format!(
                "field map ({nature}): EchoTime1/2 and IntendedFor are not derived yet"
            ))
        }
        other => return Err(format!("nature {other} has no BIDS raw-data suffix")),
    };
    let datatype = cards
        .bids_datatype
        .or_else(|| nature.bids_datatype())
        .unwrap_or(BidsDatatype::Anat);
    if !matches!(datatype, BidsDatatype::Anat | BidsDatatype::Func) {
        return Err(format!("BIDS datatype {datatype} is not exported yet"));
    }
    Ok((datatype, suffix))
}

/// The task of a BOLD series: `rest` for a resting one, else the first word of its description
/// that is not a sequence name.
fn task_of(row: &DatasetRow) -> String {
    let a = &row.acquisition;
    let desc = a
        .series_description
        .as_deref()
        .or(a.protocol_name.as_deref())
        .unwrap_or("")
        .to_ascii_lowercase();
    if desc.contains("rest") {
        return "rest".into();
    }
    const NOISE: [&str; 8] = ["bold", "fmri", "ep2d", "epi", "func", "mb", "task", "run"];
    desc.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| !w.is_empty() && !NOISE.contains(w) && !w.chars().all(|c| c.is_ascii_digit()))
        .map(label)
        .unwrap_or_else(|| "unknown".into())
}

fn tsv(header: &[&str], rows: &[Vec<String>]) -> String {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    let mut out = header.join("\t");
    out.push('\n');
    for r in rows {
        out.push_str(&r.iter().map(|c| clean(c)).collect::<Vec<_>>().join("\t"));
        out.push('\n');
    }
    out
}

fn na(v: Option<String>) -> String {
    v.filter(|s| !s.is_empty()).unwrap_or_else(|| "n/a".into())
}

/// A generated file: written under a temporary name and renamed (the whole tree is synced once
/// at the end of the export).
fn write_text(out: &Path, rel: &str, text: &[u8]) -> Result<u64, ExportError> {
    let dest = rel.split('/').fold(out.to_path_buf(), |p, c| p.join(c));
    let dir = dest.parent().unwrap_or(out);
    fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        dest.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    fs::write(&tmp, text).map_err(io_err("write", &tmp))?;
    fs::rename(&tmp, &dest).map_err(io_err("rename", &dest))?;
    Ok(text.len() as u64)
}

fn pretty(v: &Value) -> Vec<u8> {
    let mut b = serde_json::to_vec_pretty(v).unwrap_or_default();
    b.push(b'\n');
    b
}

/// One exported series.
struct Scan<'r> {
    row: &'r DatasetRow,
    datatype: BidsDatatype,
    suffix: String,
    task: Option<String>,
}

/// A BIDS dataset as files: the images (stored blobs, under their BIDS names) and the generated
/// text files (sidecars, TSVs, descriptions), as `neurofed export --format bids` writes them and
/// the API streams them.
#[derive(Debug, Clone, Default)]
pub struct BidsLayout {
    /// The images: blobs under their paths.
    pub images: Vec<ExportEntry>,
    /// The generated files: path and bytes.
    pub texts: Vec<(String, Vec<u8>)>,
    /// Datasets exported (with a NIfTI expression) and left out, with the reason.
    pub summary: ExportSummary,
}

/// Export one study (`filter.study`, or the only one) to `out` as a BIDS dataset.
pub fn export_bids(
    node: &Node,
    out: &Path,
    filter: &ExportFilter,
    meter: &dyn Meter,
) -> Result<ExportSummary, ExportError> {
    let rows = selected_rows(node, filter)?;
    let layout = bids_layout(node, rows)?;
    fs::create_dir_all(out).map_err(io_err("create", out))?;
    let mut summary = layout.summary;
    for (rel, text) in &layout.texts {
        summary.bytes += write_text(out, rel, text)?;
        summary.files += 1;
    }
    let blobs = write_all(&node.store, out, &layout.images, meter)?;
    summary.bytes += blobs.bytes;
    summary.files += blobs.files;
    Ok(summary)
}

/// The BIDS dataset of `rows`, which must all be of one study (a BIDS dataset holds one).
pub fn bids_layout(node: &Node, mut rows: Vec<DatasetRow>) -> Result<BidsLayout, ExportError> {
    super::sort_rows(&mut rows);
    let studies: Vec<&str> = {
        let set: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.study.name.as_str()).collect();
        set.into_iter().collect()
    };
    if studies.len() > 1 {
        return Err(ExportError::Bids(format!(
            "a BIDS dataset holds one study: give --study (one of {})",
            studies.join(", ")
        )));
    }
    let study_name = studies.first().copied().unwrap_or("neurofed export");
    let mut summary = ExportSummary::default();
    let mut texts: Vec<(String, Vec<u8>)> = Vec::new();

    // Subjects and their sessions, labelled once.
    let mut subject_label: HashMap<[u8; 16], String> = HashMap::new();
    let mut used_labels: HashSet<String> = HashSet::new();
    let mut sessions: BTreeMap<String, Vec<&DatasetRow>> = BTreeMap::new();
    for r in &rows {
        let key = r.subject.id.to_bytes();
        let l = subject_label
            .entry(key)
            .or_insert_with(|| {
                let base = label(&r.subject.pseudonym);
                let mut l = base.clone();
                let mut n = 2;
                while !used_labels.insert(l.clone()) {
                    l = format!("{base}{n}");
                    n += 1;
                }
                l
            })
            .clone();
        sessions.entry(l).or_default().push(r);
    }

    let scores = match rows.first() {
        Some(r) => Scores::of(node, r.study.id)?,
        None => Scores::default(),
    };
    let mut entries = Vec::new();
    let mut participants = Vec::new();
    let mut session_label: HashMap<[u8; 16], (String, String)> = HashMap::new();
    for (sub, rows) in &sessions {
        // Examinations by date (undated last), numbered.
        let mut exams: Vec<&DatasetRow> = Vec::new();
        for r in rows {
            if !exams.iter().any(|e| e.examination.id == r.examination.id) {
                exams.push(r);
            }
        }
        exams.sort_by_key(|r| (r.examination.date.is_none(), r.examination.date.clone()));
        let width = if exams.len() > 99 { 3 } else { 2 };
        let mut session_rows = Vec::new();
        for (i, e) in exams.iter().enumerate() {
            let ses = format!("{:0width$}", i + 1);
            session_label.insert(e.examination.id.to_bytes(), (sub.clone(), ses.clone()));
            let mut row = vec![
                format!("ses-{ses}"),
                na(e.examination.date.as_ref().map(|d| format!("{d}T00:00:00"))),
                na(e.examination.age_years.map(|a| format!("{a:.1}"))),
            ];
            row.extend(scores.session_values(e.examination.id.to_bytes()));
            session_rows.push(row);
        }
        let mut header = vec!["session_id", "acq_time", "age"];
        header.extend(scores.columns.iter().map(|(c, _)| c.as_str()));
        texts.push((
            format!("sub-{sub}/sub-{sub}_sessions.tsv"),
            tsv(&header, &session_rows).into_bytes(),
        ));
        texts.push((
            format!("sub-{sub}/sub-{sub}_sessions.json"),
            pretty(&scores.sessions_json()),
        ));
        let first = exams[0];
        participants.push(vec![
            format!("sub-{sub}"),
            na(first.subject.sex.clone()),
            na(first.examination.age_years.map(|a| format!("{a:.1}"))),
            first.subject.pseudonym.clone(),
        ]);

        // Scans per session, named with run- when a name repeats.
        let mut by_session: BTreeMap<String, Vec<Scan<'_>>> = BTreeMap::new();
        for r in rows {
            let (datatype, suffix) = match (bids_name(r), &r.dataset.nifti) {
                (_, None) => {
                    summary.not_exported.push(not_exported(
                        r,
                        r.dataset
                            .nifti_refusal
                            .clone()
                            .unwrap_or_else(|| "no NIfTI expression".into()),
                    ));
                    continue;
                }
                (Err(why), _) => {
                    summary.not_exported.push(not_exported(r, why));
                    continue;
                }
                (Ok(n), Some(_)) => n,
            };
            let task = (datatype == BidsDatatype::Func).then(|| task_of(r));
            let ses = session_label[&r.examination.id.to_bytes()].1.clone();
            by_session.entry(ses).or_default().push(Scan {
                row: r,
                datatype,
                suffix,
                task,
            });
        }
        for (ses, scans) in &by_session {
            let mut counts: HashMap<String, usize> = HashMap::new();
            let stem = |s: &Scan<'_>| {
                let task = s
                    .task
                    .as_ref()
                    .map(|t| format!("_task-{t}"))
                    .unwrap_or_default();
                format!("{}/sub-{sub}_ses-{ses}{task}", s.datatype)
            };
            for s in scans {
                *counts
                    .entry(format!("{}_{}", stem(s), s.suffix))
                    .or_default() += 1;
            }
            let mut runs: HashMap<String, usize> = HashMap::new();
            let mut scan_rows = Vec::new();
            for s in scans {
                let key = format!("{}_{}", stem(s), s.suffix);
                let run = if counts[&key] > 1 {
                    let n = runs.entry(key.clone()).or_default();
                    *n += 1;
                    format!("_run-{n}")
                } else {
                    String::new()
                };
                let rel = format!("{}{run}_{}", stem(s), s.suffix);
                let Some(n) = &s.row.dataset.nifti else {
                    continue;
                };
                let ext = if n.gzip { "nii.gz" } else { "nii" };
                let dir = format!("sub-{sub}/ses-{ses}");
                entries.push(ExportEntry {
                    path: format!("{dir}/{rel}.{ext}"),
                    blob: n.nifti,
                    size: n.bytes,
                });
                let mut side = sidecar(node, s.row)?;
                if let Some(t) = &s.task {
                    side.insert("TaskName".into(), json!(t));
                }
                texts.push((format!("{dir}/{rel}.json"), pretty(&Value::Object(side))));
                scan_rows.push(vec![format!("{rel}.{ext}")]);
                summary.datasets += 1;
            }
            texts.push((
                format!("sub-{sub}/ses-{ses}/sub-{sub}_ses-{ses}_scans.tsv"),
                tsv(&["filename"], &scan_rows).into_bytes(),
            ));
        }
    }

    texts.push((
        "participants.tsv".into(),
        tsv(
            &["participant_id", "sex", "age", "pseudonym"],
            &participants,
        )
        .into_bytes(),
    ));
    texts.push(("participants.json".into(), pretty(&participants_json())));
    texts.push((
        "dataset_description.json".into(),
        pretty(&json!({
            "Name": study_name,
            "BIDSVersion": BIDS_VERSION,
            "DatasetType": "raw",
            "GeneratedBy": [{
                "Name": "neurofed",
                "Version": env!("CARGO_PKG_VERSION"),
                "Description": "de-identified export of a neurofed node",
            }],
        })),
    ));
    texts.push((
        "README".into(),
        format!(
            "{study_name}\n\nExported by neurofed {} from a de-identified node: subjects are \
             pseudonyms, dates are shifted per subject. participants.tsv gives each \
             subject's pseudonym; phenotype/ holds the clinical scores.\n",
            env!("CARGO_PKG_VERSION")
        )
        .into_bytes(),
    ));
    scores.phenotype(&subject_label, &sessions, &mut texts);
    Ok(BidsLayout {
        images: entries,
        texts,
        summary,
    })
}

fn not_exported(r: &DatasetRow, reason: String) -> NotExported {
    NotExported {
        dataset: r.dataset.id.to_string(),
        series: super::layout::series_name(r),
        reason,
    }
}

/// The stored sidecar of a dataset's NIfTI, as a JSON object.
fn sidecar(node: &Node, row: &DatasetRow) -> Result<Map<String, Value>, ExportError> {
    let Some(n) = &row.dataset.nifti else {
        return Ok(Map::new());
    };
    let bytes = node.store.read_verified(&n.sidecar)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ExportError::Bids(format!(
            "the sidecar of dataset {} is not a JSON object",
            row.dataset.id
        ))),
    }
}

fn participants_json() -> Value {
    json!({
        "participant_id": {"Description": "BIDS label of the subject (its pseudonym, letters and digits)"},
        "sex": {"Description": "sex as recorded in the DICOM (M, F, O) when the study retains it",
                "Levels": {"M": "male", "F": "female", "O": "other"}},
        "age": {"Description": "age at the first session", "Units": "year"},
        "pseudonym": {"Description": "the subject's pseudonym on the node"},
    })
}

/// The study's clinical scores, placed as the legacy `bids-validator` accepts them (it wants
/// exactly one row per participant in a phenotype file): the values recorded at an examination
/// as columns `<ACRONYM>_<variable>` of the subject's `sessions.tsv` (described in its
/// `sessions.json`; the legacy validator does not take a root one), those about the subject (no examination) in `phenotype/<ACRONYM>.tsv`,
/// one row per participant (`n/a` where none).
/// Subject (id bytes) -> the values of an instrument's variables, in order.
type BySubject = HashMap<[u8; 16], Vec<String>>;

#[derive(Default)]
struct Scores {
    /// Session columns, in instrument then variable order, with their description.
    columns: Vec<(String, Value)>,
    /// Examination -> column -> value.
    by_session: HashMap<[u8; 16], HashMap<String, String>>,
    /// Instruments with subject-level values: definition, subject -> values.
    subject_level: Vec<(Instrument, BySubject)>,
}

impl Scores {
    fn of(node: &Node, study: protocol::id::StudyId) -> Result<Scores, ExportError> {
        let mut by_instrument: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for a in node.catalog.assessments(study, None)? {
            by_instrument
                .entry(a.instrument.clone())
                .or_default()
                .push(a);
        }
        let mut out = Scores::default();
        for (acronym, list) in by_instrument {
            let Some(inst) = node.catalog.instrument(&acronym)? else {
                continue;
            };
            let col = |v: &str| format!("{}_{}", label(&acronym), label(v));
            let mut subjects = HashMap::new();
            if list.iter().any(|a| a.examination.is_some()) {
                for v in &inst.variables {
                    out.columns.push((col(&v.name), variable_json(&inst, v)));
                }
            }
            for a in &list {
                let values = inst
                    .variables
                    .iter()
                    .map(|v| (v, na(a.values.get(&v.name).map(|x| x.to_string()))));
                match a.examination {
                    Some(x) => {
                        let m = out.by_session.entry(x.to_bytes()).or_default();
                        for (v, value) in values {
                            m.insert(col(&v.name), value);
                        }
                    }
                    None => {
                        subjects.insert(a.subject.to_bytes(), values.map(|(_, x)| x).collect());
                    }
                }
            }
            if !subjects.is_empty() {
                out.subject_level.push((inst, subjects));
            }
        }
        Ok(out)
    }

    fn session_values(&self, exam: [u8; 16]) -> Vec<String> {
        let m = self.by_session.get(&exam);
        self.columns
            .iter()
            .map(|(c, _)| na(m.and_then(|m| m.get(c)).cloned()))
            .collect()
    }

    fn sessions_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("acq_time".into(), json!({"Description": "the examination date (shifted per subject by the de-identification)"}));
        m.insert(
            "age".into(),
            json!({"Description": "age at the examination", "Units": "year"}),
        );
        for (c, d) in &self.columns {
            m.insert(c.clone(), d.clone());
        }
        Value::Object(m)
    }

    fn phenotype(
        &self,
        labels: &HashMap<[u8; 16], String>,
        subjects: &BTreeMap<String, Vec<&DatasetRow>>,
        texts: &mut Vec<(String, Vec<u8>)>,
    ) {
        for (inst, values) in &self.subject_level {
            let mut header = vec!["participant_id".to_string()];
            header.extend(inst.variables.iter().map(|v| v.name.clone()));
            let mut rows = Vec::new();
            for (sub, rs) in subjects {
                let id = rs[0].subject.id.to_bytes();
                debug_assert_eq!(labels.get(&id), Some(sub));
                let mut row = vec![format!("sub-{sub}")];
                match values.get(&id) {
                    Some(v) => row.extend(v.iter().cloned()),
                    None => row.extend(inst.variables.iter().map(|_| "n/a".to_string())),
                }
                rows.push(row);
            }
            let name = label(&inst.acronym);
            let h: Vec<&str> = header.iter().map(String::as_str).collect();
            texts.push((format!("phenotype/{name}.tsv"), tsv(&h, &rows).into_bytes()));
            texts.push((
                format!("phenotype/{name}.json"),
                pretty(&phenotype_json(inst)),
            ));
        }
    }
}

fn variable_json(inst: &Instrument, v: &crate::scores::Variable) -> Value {
    let mut d = Map::new();
    d.insert(
        "Description".into(),
        json!(format!(
            "{}: {}",
            inst.name,
            v.description.clone().unwrap_or_else(|| v.name.clone())
        )),
    );
    if let Some(u) = &v.unit {
        d.insert("Units".into(), json!(u));
    }
    if let VariableKind::Choice { values } = &v.kind {
        let levels: Map<String, Value> = values.iter().map(|c| (c.clone(), json!(c))).collect();
        d.insert("Levels".into(), Value::Object(levels));
    }
    Value::Object(d)
}

fn phenotype_json(inst: &Instrument) -> Value {
    let mut m = Map::new();
    m.insert(
        "MeasurementToolMetadata".into(),
        json!({"Description": inst.description.clone().unwrap_or_else(|| inst.name.clone())}),
    );
    m.insert(
        "participant_id".into(),
        json!({"Description": "BIDS label of the subject"}),
    );
    for v in &inst.variables {
        m.insert(v.name.clone(), variable_json(inst, v));
    }
    Value::Object(m)
}
