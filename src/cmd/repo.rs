//! `neurofed init`, `stats`, `ls`, `reindex`, `export`, `fsck`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use node::{export_bids, export_dicom_with, export_nifti_with, ExportFilter};
use node::{Home, Node};
use serde::Serialize;

use crate::out::{cut, human_bytes, json};
use crate::outln;
use crate::progress::{Bar, Unit};

/// `--json` alone.
#[derive(Debug, clap::Args)]
pub struct JsonArg {
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// Arguments of `neurofed init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// This node's center, e.g. "Rennes Neurinfo".
    #[arg(long, default_value = "neurofed center")]
    center: String,
    /// Install the consortium's shared linkage key (a file of 64 hex digits) so that the same
    /// person imaged at two centers gets the same pseudonym.
    #[arg(long, value_name = "FILE")]
    linkage_key: Option<PathBuf>,
    /// Machine-readable output: `{"center", "center_id", "home"}`.
    #[arg(long)]
    json: bool,
}

pub fn init(home: &Home, a: InitArgs) -> anyhow::Result<ExitCode> {
    let key = match &a.linkage_key {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| p.display().to_string())?;
            Some(node::parse_key(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?)
        }
        None => None,
    };
    let node = home.init(&a.center, key)?;
    let center = node.catalog.node_center()?;
    if a.json {
        json(&serde_json::json!({
            "center": center.name, "center_id": center.id, "home": home.root(),
        }))?;
    } else {
        outln!(
            "Node for center {:?} ready in {}",
            center.name,
            home.root().display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn stats(home: &Home, a: JsonArg) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let s = node.catalog.stats()?;
    if a.json {
        json(&s)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("centers       {}", s.centers)?;
    outln!("studies       {}", s.studies)?;
    outln!("subjects      {}", s.subjects)?;
    outln!("examinations  {}", s.examinations)?;
    outln!("acquisitions  {}", s.acquisitions)?;
    outln!("datasets      {}", s.datasets)?;
    outln!("instances     {}", s.instances)?;
    outln!("bytes         {} ({})", s.bytes, human_bytes(s.bytes))?;
    Ok(ExitCode::SUCCESS)
}

/// One row of `neurofed ls --json`.
#[derive(Debug, Serialize)]
struct LsRow {
    dataset: String,
    study: String,
    subject: String,
    examination_date: Option<String>,
    modality: String,
    series_description: Option<String>,
    dimensions: Vec<u32>,
    instances: u32,
    content_id: String,
    nature: Option<String>,
    /// The nature study cards assigned at import (kept when cards are re-applied).
    original_nature: Option<String>,
    contrast: Option<String>,
    qc_grade: Option<String>,
    nifti: bool,
}

impl From<node::DatasetRow> for LsRow {
    fn from(r: node::DatasetRow) -> Self {
        let p = &r.acquisition.protocol;
        let dimensions = match &p.dims {
            Some(d) => d.clone(),
            None => [p.columns, p.rows, Some(p.frames)]
                .into_iter()
                .flatten()
                .collect(),
        };
        let cards = &r.acquisition.cards;
        LsRow {
            dataset: r.dataset.id.to_string(),
            study: r.study.name,
            subject: r.subject.pseudonym,
            examination_date: r.examination.date,
            modality: r.acquisition.modality,
            series_description: r.acquisition.series_description,
            dimensions,
            instances: r.dataset.dicom.instances,
            content_id: r.dataset.dicom.manifest.to_hex(),
            nature: cards.current.nature.map(|n| n.to_string()),
            original_nature: cards
                .original
                .as_ref()
                .and_then(|o| o.nature)
                .map(|n| n.to_string()),
            contrast: cards.current.contrast.clone(),
            qc_grade: cards.grade.map(|g| g.to_string()),
            nifti: r.dataset.nifti.is_some(),
        }
    }
}

pub fn ls(home: &Home, a: JsonArg) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let rows: Vec<LsRow> = node
        .catalog
        .dataset_rows()?
        .into_iter()
        .map(LsRow::from)
        .collect();
    if a.json {
        json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{:<16} {:<14} {:<10} {:<4} {:<24} {:<14} {:>6}  CONTENT ID",
        "STUDY",
        "SUBJECT",
        "DATE",
        "MOD",
        "SERIES",
        "DIMS",
        "INST"
    )?;
    for r in &rows {
        let dims: Vec<String> = r.dimensions.iter().map(u32::to_string).collect();
        outln!(
            "{:<16} {:<14} {:<10} {:<4} {:<24} {:<14} {:>6}  {}",
            cut(&r.study, 16),
            cut(&r.subject, 14),
            r.examination_date.as_deref().unwrap_or("-"),
            cut(&r.modality, 4),
            cut(r.series_description.as_deref().unwrap_or("-"), 24),
            dims.join("x"),
            r.instances,
            r.content_id.get(..16).unwrap_or(&r.content_id)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn reindex(home: &Home, a: JsonArg) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let bar = Bar::new("indexing", Unit::Items("datasets"));
    let n = node.index.rebuild_with(&node.catalog, &bar);
    bar.finish();
    let n = n?;
    if a.json {
        json(&serde_json::json!({ "datasets": n }))?;
    } else {
        outln!("Indexed {n} datasets.")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Export formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// The de-identified DICOM exactly as stored.
    Dicom,
    /// NIfTI-1 (`.nii.gz`) with its BIDS JSON sidecar, one pair per dataset.
    Nifti,
    /// One study as a BIDS dataset (participants, sessions, scans, phenotype from the scores).
    Bids,
}

/// Arguments of `neurofed export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "dicom")]
    format: ExportFormat,
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Only this study.
    #[arg(long)]
    study: Option<String>,
    /// Machine-readable summary.
    #[arg(long)]
    json: bool,
}

pub fn export(home: &Home, a: ExportArgs) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let filter = ExportFilter { study: a.study };
    let bar = Bar::new("exporting", Unit::Bytes);
    let s = match a.format {
        ExportFormat::Dicom => export_dicom_with(&node, &a.out, &filter, &bar),
        ExportFormat::Nifti => export_nifti_with(&node, &a.out, &filter, &bar),
        ExportFormat::Bids => export_bids(&node, &a.out, &filter, &bar),
    };
    bar.finish();
    let s = s?;
    if a.json {
        json(&s)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "Exported {} datasets, {} files ({}) to {}",
        s.datasets,
        s.files,
        human_bytes(s.bytes),
        a.out.display()
    )?;
    for n in &s.not_exported {
        outln!("  not exported: {} ({}): {}", n.series, n.dataset, n.reason)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `neurofed fsck`.
#[derive(Debug, clap::Args)]
pub struct FsckArgs {
    /// Also remove unreferenced blobs and staging leftovers.
    #[arg(long)]
    gc: bool,
    /// Machine-readable report.
    #[arg(long)]
    json: bool,
}

pub fn fsck(home: &Home, a: FsckArgs) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let bar = Bar::new("checking", Unit::Items("blobs"));
    let r = node::fsck_with(&node, a.gc, &bar);
    bar.finish();
    let r = r?;
    let code = if r.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    if a.json {
        json(&r)?;
        return Ok(code);
    }
    outln!(
        "Checked {} blobs ({}) and {} catalog references.",
        r.blobs_checked,
        human_bytes(r.bytes_checked),
        r.references_checked
    )?;
    if r.garbage_blobs > 0 || r.staging_files > 0 {
        outln!(
            "{} {} unreferenced blobs ({}) and {} staging files{}.",
            if r.collected { "Removed" } else { "Found" },
            r.garbage_blobs,
            human_bytes(r.garbage_bytes),
            r.staging_files,
            if r.collected {
                ""
            } else {
                " (harmless; `neurofed fsck --gc` removes them)"
            }
        )?;
    }
    if r.quarantine_orphans > 0 {
        outln!(
            "{} {} files in quarantine/ that no quarantined instance names{}.",
            if r.collected { "Removed" } else { "Found" },
            r.quarantine_orphans,
            if r.collected {
                ""
            } else {
                " (harmless; `neurofed fsck --gc` removes them)"
            }
        )?;
    }
    if r.is_clean() {
        outln!("No inconsistency.")?;
    } else {
        outln!("{} inconsistencies:", r.problems.len())?;
        for p in &r.problems {
            outln!("  {p}")?;
        }
    }
    Ok(code)
}
