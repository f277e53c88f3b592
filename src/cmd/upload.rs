//! `neurofed upload` (see [`web::ApiClient::upload`]): arguments, progress and printing.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use web::{ApiClient, UploadProgress, UploadStage};

use crate::out::{human_bytes, json};
use crate::outln;
use crate::progress::{Bar, Unit};

/// Arguments of `neurofed upload`.
#[derive(Debug, clap::Args)]
pub struct UploadArgs {
    /// The study's node (its HTTP API, `https://...` behind a TLS proxy or `http://` on a
    /// trusted link).
    #[arg(long, value_name = "URL", env = "NEUROFED_NODE")]
    to: String,
    /// API token of an account with the `import` right on the study (`neurofed user token`).
    #[arg(long, env = "NEUROFED_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The study (its id or name), on the node.
    #[arg(long)]
    study: String,
    /// Worker threads de-identifying (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print one JSON object with the report.
    #[arg(long)]
    json: bool,
    /// Files, folders, DICOMDIR trees (a CD) or zip archives.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// One bar per stage.
struct Bars(Mutex<Option<Bar>>);

impl UploadProgress for Bars {
    fn stage(&self, stage: UploadStage, total: u64) {
        let (what, unit) = match stage {
            UploadStage::DeIdentifying => ("de-identifying", Unit::Items("files")),
            UploadStage::Sending => ("sending", Unit::Bytes),
            UploadStage::Committing => ("importing on the node", Unit::Items("series")),
        };
        let bar = Bar::new(what, unit);
        if total > 0 {
            node::Meter::total(&bar, total);
        }
        if let Ok(mut b) = self.0.lock() {
            if let Some(old) = b.replace(bar) {
                old.finish();
            }
        }
    }
    fn advance(&self, n: u64) {
        if let Ok(b) = self.0.lock() {
            if let Some(b) = b.as_ref() {
                node::Meter::advance(b, n);
            }
        }
    }
}

pub fn run(a: UploadArgs) -> anyhow::Result<ExitCode> {
    let client = ApiClient::new(&a.to, a.token.clone());
    let bars = Bars(Mutex::new(None));
    let r = client.upload(&a.study, &a.paths, a.threads, &bars);
    if let Ok(mut b) = bars.0.lock() {
        if let Some(b) = b.take() {
            b.finish();
        }
    }
    let r = r?;
    let nothing = r.instances == 0;
    if a.json {
        json(&r)?;
    } else {
        outln!(
            "De-identified {} instances ({} series) of {} files here for study {:?} of {}.",
            r.instances,
            r.series,
            r.files,
            r.study_name,
            a.to
        )?;
        outln!(
            "Sent {} ({}); {} had arrived before, {} the study already held.",
            r.sent,
            human_bytes(r.sent_bytes),
            r.already_sent,
            r.already_imported
        )?;
        outln!(
            "The node imported {} instances ({} already present, {} series converted to NIfTI) in {:.1} s.",
            r.imported,
            r.duplicates,
            r.nifti,
            r.seconds
        )?;
        for (what, list) in [
            ("Skipped here", &r.skipped),
            ("Refused by the node", &r.refused),
        ] {
            if !list.is_empty() {
                outln!("{what}: {}", list.len())?;
                for f in list {
                    outln!("  {}: {}", f.path, f.reason)?;
                }
            }
        }
    }
    if nothing {
        eprintln!("error: nothing to upload: no input could be read and de-identified");
        return Ok(ExitCode::FAILURE);
    }
    Ok(if r.refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
