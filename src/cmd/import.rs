//! `neurofed import`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use node::{Home, Node};
use node::{ImportOptions, Importer, Progress};

/// Arguments of `neurofed import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Study to import into (created if missing).
    #[arg(long)]
    study: Option<String>,
    /// De-identification profile for a new study (built-in: default, basic).
    #[arg(long)]
    profile: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Instances per durability batch (default from config.toml).
    #[arg(long, default_value_t = 0, hide = true)]
    batch: usize,
    /// Skip series that a quality card grades `fail` (each file is reported with the reason).
    #[arg(long)]
    reject_failed: bool,
    /// Print one JSON object with the summary.
    #[arg(long)]
    json: bool,
    /// Files, folders, DICOMDIR trees or zip archives.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn input_done(&self) {
        self.0.inc(1);
    }
    fn committing(&self, instances: usize) {
        self.0
            .set_message(format!("making {instances} instances durable"));
    }
    fn converting(&self, series: usize) {
        self.0
            .set_message(format!("converting {series} series to NIfTI"));
    }
}

pub fn run(home: &Home, a: ImportArgs) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} files  {per_sec}  {elapsed}  {msg}")
            .context("progress template")?,
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let opts = ImportOptions {
        study: a.study.clone(),
        profile: a.profile.clone(),
        threads: a.threads,
        batch_instances: a.batch,
        reject_failed: a.reject_failed,
        actor: None,
    };
    let progress = Bar(bar);
    let summary = Importer::new(&node).run(&a.paths, &opts, &progress);
    progress.0.finish_and_clear();
    let s = summary?;
    if a.json {
        super::print_json(&s)?;
        return Ok(ExitCode::SUCCESS);
    }
    let study = a
        .study
        .unwrap_or_else(|| node.config.import.default_study.clone());
    let rate = if s.seconds > 0.0 {
        s.files as f64 / s.seconds
    } else {
        0.0
    };
    println!(
        "Imported {} instances ({} series, {} subjects, {} examinations) into study {study:?} in {:.1} s ({rate:.0} files/s).",
        s.instances, s.series, s.subjects, s.examinations, s.seconds
    );
    println!("Already present: {}.", s.duplicates);
    if s.nifti + s.nifti_refused > 0 {
        println!(
            "NIfTI: {} series converted, {} without NIfTI (`neurofed ls --json` says why).",
            s.nifti, s.nifti_refused
        );
    }
    if s.skipped.is_empty() {
        println!("Skipped: none.");
    } else {
        println!("Skipped {} files:", s.skipped.len());
        for f in &s.skipped {
            println!("  {}: {}", f.path, f.reason);
        }
    }
    Ok(ExitCode::SUCCESS)
}
