//! `neurofed upload` (see [`web::ApiClient::upload`]): arguments, progress and printing.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::Context;

use web::{ApiClient, UploadProgress, UploadStage};

use crate::out::{human_bytes, json};
use crate::outln;
use crate::progress::{Bar, Unit};

/// Arguments of `neurofed upload`.
#[derive(Debug, clap::Args)]
pub struct UploadArgs {
    /// The study's node (its HTTP API, `http://HOST:PORT`; plain HTTP only for now: across an
    /// untrusted network, through a tunnel such as `ssh -L`).
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
    /// Retrieve from this PACS instead of reading PATHS: `[pacs.NAME]` of `--config`; C-FIND the
    /// series matching the keys below, C-GET them into a private temporary folder, upload that.
    #[arg(long, value_name = "NAME", conflicts_with = "paths")]
    pacs: Option<String>,
    /// The workstation's config file with `[dicom] ae_title` and `[pacs.NAME]` (default: the
    /// home's config.toml).
    #[arg(long, value_name = "FILE", requires = "pacs")]
    config: Option<PathBuf>,
    #[command(flatten)]
    query: super::pacs::QueryArgs,
    /// Files, folders, DICOMDIR trees (a CD) or zip archives.
    #[arg(required_unless_present = "pacs", value_name = "PATH")]
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

pub fn run(home: &node::Home, a: UploadArgs) -> anyhow::Result<ExitCode> {
    let client = ApiClient::new(&a.to, a.token.clone());
    // From a PACS: retrieved into a private folder first (removed when done).
    let mut spool = None;
    let mut retrieved = None;
    let paths = match &a.pacs {
        None => a.paths.clone(),
        Some(name) => {
            let config = a.config.clone().unwrap_or_else(|| home.config_path());
            let config = node::Config::from_file(&config)
                .with_context(|| format!("reading the PACS settings in {}", config.display()))?;
            let pacs = web::Pacs::from_config(&config, name)?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            let s = super::pacs::Spool::new()?;
            let got = super::pacs::retrieve_into(&rt, &pacs, &a.query.query(), &s.0)?;
            let received: u32 = got.iter().map(|r| r.received).sum();
            let failed: u32 = got.iter().map(|r| r.failed).sum();
            eprintln!(
                "Retrieved {received} instances in {} series from PACS {name}{}.",
                got.len(),
                if failed > 0 {
                    format!(" ({failed} failed)")
                } else {
                    String::new()
                }
            );
            let dir = s.0.clone();
            spool = Some(s);
            retrieved = Some((received, failed));
            vec![dir]
        }
    };
    let bars = Bars(Mutex::new(None));
    let r = client.upload(&a.study, &paths, a.threads, &bars);
    drop(spool);
    if let Ok(mut b) = bars.0.lock() {
        if let Some(b) = b.take() {
            b.finish();
        }
    }
    let r = r?;
    let nothing = r.instances == 0;
    let pacs_failed = retrieved.is_some_and(|(_, failed)| failed > 0);
    if a.json {
        let mut v = serde_json::to_value(&r)?;
        if let (Some((received, failed)), Some(o)) = (retrieved, v.as_object_mut()) {
            o.insert(
                "pacs".into(),
                serde_json::json!({"name": a.pacs, "received": received, "failed": failed}),
            );
        }
        json(&v)?;
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
    Ok(if r.refused.is_empty() && !pacs_failed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
