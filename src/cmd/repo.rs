//! `neurofed init`, `stats`, `ls`, `export`, `fsck`.

use std::path::PathBuf;
use std::process::ExitCode;

use node::{export_dicom, export_nifti, ExportFilter};
use node::{Home, Node};
use serde::Serialize;

use super::{human_bytes, print_json};

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
}

pub fn init(home: &Home, a: InitArgs) -> anyhow::Result<ExitCode> {
    let key = match &a.linkage_key {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            Some(node::parse_key(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?)
        }
        None => None,
    };
    let node = home.init(&a.center, key)?;
    let center = node.catalog.node_center()?;
    println!(
        "Node for center {:?} ready in {}",
        center.name,
        home.root().display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn stats(home: &Home, a: JsonArg) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let s = node.catalog.stats()?;
    if a.json {
        print_json(&s)?;
    } else {
        println!("centers       {}", s.centers);
        println!("studies       {}", s.studies);
        println!("subjects      {}", s.subjects);
        println!("examinations  {}", s.examinations);
        println!("acquisitions  {}", s.acquisitions);
        println!("datasets      {}", s.datasets);
        println!("instances     {}", s.instances);
        println!("bytes         {} ({})", s.bytes, human_bytes(s.bytes));
    }
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

pub fn ls(home: &Home, a: JsonArg) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let rows: Vec<LsRow> = node
        .catalog
        .dataset_rows()?
        .into_iter()
        .map(|r| {
            let p = &r.acquisition.protocol;
            let dimensions = match &p.dims {
                Some(d) => d.clone(),
                None => [p.columns, p.rows, Some(p.frames)]
                    .into_iter()
                    .flatten()
                    .collect(),
            };
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
                nature: r.acquisition.cards.current.nature.map(|n| n.to_string()),
                original_nature: r
                    .acquisition
                    .cards
                    .original
                    .as_ref()
                    .and_then(|o| o.nature)
                    .map(|n| n.to_string()),
                contrast: r.acquisition.cards.current.contrast.clone(),
                qc_grade: r.acquisition.cards.grade.map(|g| g.to_string()),
                nifti: r.dataset.nifti.is_some(),
            }
        })
        .collect();
    if a.json {
        print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<16} {:<14} {:<10} {:<4} {:<24} {:<14} {:>6}  CONTENT ID",
        "STUDY", "SUBJECT", "DATE", "MOD", "SERIES", "DIMS", "INST"
    );
    for r in &rows {
        let dims: Vec<String> = r.dimensions.iter().map(u32::to_string).collect();
        println!(
            "{:<16} {:<14} {:<10} {:<4} {:<24} {:<14} {:>6}  {}",
            truncate(&r.study, 16),
            truncate(&r.subject, 14),
            r.examination_date.as_deref().unwrap_or("-"),
            truncate(&r.modality, 4),
            truncate(r.series_description.as_deref().unwrap_or("-"), 24),
            dims.join("x"),
            r.instances,
            &r.content_id[..16]
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Export formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// The de-identified DICOM exactly as stored.
    Dicom,
    /// NIfTI-1 (`.nii.gz`) with its BIDS JSON sidecar, one pair per dataset.
    Nifti,
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
    let s = match a.format {
        ExportFormat::Dicom => export_dicom(&node, &a.out, &filter)?,
        ExportFormat::Nifti => export_nifti(&node, &a.out, &filter)?,
    };
    if a.json {
        print_json(&s)?;
    } else {
        println!(
            "Exported {} datasets, {} files ({}) to {}",
            s.datasets,
            s.files,
            human_bytes(s.bytes),
            a.out.display()
        );
        for n in &s.not_exported {
            println!("  not exported: {} ({}): {}", n.series, n.dataset, n.reason);
        }
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
    let r = node::fsck(&node, a.gc)?;
    if a.json {
        print_json(&r)?;
    } else {
        println!(
            "Checked {} blobs ({}) and {} catalog references.",
            r.blobs_checked,
            human_bytes(r.bytes_checked),
            r.references_checked
        );
        if r.garbage_blobs > 0 || r.staging_files > 0 {
            println!(
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
            );
        }
        if r.is_clean() {
            println!("No inconsistency.");
        } else {
            println!("{} inconsistencies:", r.problems.len());
            for p in &r.problems {
                println!("  {p}");
            }
        }
    }
    Ok(if r.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
