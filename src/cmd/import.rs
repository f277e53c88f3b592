//! `neurofed import`.

use std::path::PathBuf;
use std::process::ExitCode;

use node::{Home, Node};
use node::{ImportOptions, ImportSummary, Importer};

use crate::out::json;
use crate::outln;
use crate::progress::{Bar, Unit};

/// Arguments of `neurofed import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Study to import into (default: the node's default study). It must exist unless
    /// `--create` is given (or you answer yes when asked on a terminal).
    #[arg(long)]
    study: Option<String>,
    /// Create the study if it does not exist.
    #[arg(long)]
    create: bool,
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
    /// Print one JSON object with the summary (with `"error"` when nothing could be imported).
    #[arg(long)]
    json: bool,
    /// Files, folders, DICOMDIR trees or zip archives.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// Why an import that stored nothing failed: every input was skipped.
fn failure(s: &ImportSummary) -> Option<String> {
    (s.instances == 0 && s.duplicates == 0 && s.quarantined == 0 && !s.skipped.is_empty()).then(
        || {
            format!(
                "nothing imported: all {} inputs were skipped (see \"skipped\" for each reason)",
                s.skipped.len()
            )
        },
    )
}

pub fn run(home: &Home, a: ImportArgs) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    if let Some(name) = &a.study {
        super::study::ensure_exists(&node, name, a.create)?;
    }
    let opts = ImportOptions {
        study: a.study.clone(),
        profile: a.profile.clone(),
        threads: a.threads,
        batch_instances: a.batch,
        reject_failed: a.reject_failed,
        actor: None,
        deidentified: false,
        skip_pixel_check: false,
    };
    let bar = Bar::new("importing", Unit::Items("files"));
    let study_name = a
        .study
        .clone()
        .unwrap_or_else(|| node.config.import.default_study.clone());
    let watch = web::ReportWatch::before(&node, &study_name);
    let summary = Importer::new(&node).run(&a.paths, &opts, &bar);
    bar.finish();
    let s = summary?;
    if let Some(w) = watch {
        w.after(&node);
    }
    let failed = failure(&s);
    let code = if failed.is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    };
    if a.json {
        let mut v = serde_json::to_value(&s)?;
        if let (Some(why), Some(o)) = (&failed, v.as_object_mut()) {
            o.insert("error".into(), why.clone().into());
        }
        json(&v)?;
        return Ok(code);
    }
    let study = a
        .study
        .unwrap_or_else(|| node.config.import.default_study.clone());
    let rate = if s.seconds > 0.0 {
        s.files as f64 / s.seconds
    } else {
        0.0
    };
    outln!(
        "Imported {} instances ({} series, {} subjects, {} examinations) into study {study:?} in {:.1} s ({rate:.0} files/s).",
        s.instances, s.series, s.subjects, s.examinations, s.seconds
    )?;
    outln!("Already present: {}.", s.duplicates)?;
    if s.quarantined > 0 {
        let reasons: Vec<String> = s
            .quarantine_reasons
            .iter()
            .map(|(r, n)| format!("{n} {r}"))
            .collect();
        outln!(
            "Quarantined for their pixels: {} instances ({}); `neurofed quarantine ls` lists them.",
            s.quarantined,
            reasons.join(", ")
        )?;
    }
    if s.removed_unlisted > 0 {
        outln!(
            "De-identification removed {} attributes that neither Table E.1-1 nor the keep-list names.",
            s.removed_unlisted
        )?;
    }
    if s.nifti + s.nifti_refused > 0 {
        outln!(
            "NIfTI: {} series converted, {} without NIfTI (`neurofed ls --json` says why).",
            s.nifti,
            s.nifti_refused
        )?;
    }
    if s.skipped.is_empty() {
        outln!("Skipped: none.")?;
    } else {
        outln!("Skipped {} files:", s.skipped.len())?;
        for f in &s.skipped {
            outln!("  {}: {}", f.path, f.reason)?;
        }
    }
    if let Some(why) = failed {
        eprintln!("error: {why}");
    }
    Ok(code)
}
