//! `neurofed pacs echo|find|retrieve --pacs NAME`: the node as a DIMSE client of a PACS
//! configured as `[pacs.NAME]` (web::Pacs). `retrieve` finds the matching series (C-FIND, Study
//! Root), fetches each one by C-GET over the same association into a spool folder outside the
//! home, then imports the spool into `--study` as `neurofed import` does (the study's profile,
//! de-identification, study cards, NIfTI) and removes it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context;
use node::{Home, ImportOptions, Importer, Node};
use serde::Serialize;
use web::{Pacs, PacsLevel, PacsMatch, PacsQuery};

use crate::out::{cut, json};
use crate::outln;
use crate::progress::{Bar, Unit};

/// `neurofed pacs`.
#[derive(Debug, clap::Subcommand)]
pub enum PacsCmd {
    /// C-ECHO: is the PACS there and does it accept the node's AE title?
    Echo(EchoArgs),
    /// C-FIND (Study Root): the studies or series that match.
    Find(FindArgs),
    /// C-FIND, then C-GET of every matching series, imported into `--study`.
    Retrieve(RetrieveArgs),
}

/// Arguments of `neurofed pacs echo`.
#[derive(Debug, clap::Args)]
pub struct EchoArgs {
    /// The PACS, by its name in config.toml (`[pacs.NAME]`).
    #[arg(long)]
    pacs: String,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// The C-FIND matching keys.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// PatientID (the PACS's wildcards `*` and `?`).
    #[arg(long)]
    patient_id: Option<String>,
    /// StudyDate: YYYYMMDD, YYYYMMDD-YYYYMMDD, -YYYYMMDD or YYYYMMDD-.
    #[arg(long)]
    study_date: Option<String>,
    /// Modality (MR, CT, PT ...).
    #[arg(long)]
    modality: Option<String>,
    /// StudyInstanceUID.
    #[arg(long)]
    study_uid: Option<String>,
}

impl QueryArgs {
    pub(crate) fn query(&self) -> PacsQuery {
        PacsQuery {
            patient_id: self.patient_id.clone(),
            study_date: self.study_date.clone(),
            modality: self.modality.clone(),
            study_uid: self.study_uid.clone(),
        }
    }
}

/// The C-FIND level.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LevelArg {
    /// One line per study.
    Study,
    /// One line per series.
    Series,
}

/// Arguments of `neurofed pacs find`.
#[derive(Debug, clap::Args)]
pub struct FindArgs {
    /// The PACS, by its name in config.toml (`[pacs.NAME]`).
    #[arg(long)]
    pacs: String,
    #[command(flatten)]
    query: QueryArgs,
    /// Answer per study or per series.
    #[arg(long, value_enum, default_value = "study")]
    level: LevelArg,
    /// Print one JSON array.
    #[arg(long)]
    json: bool,
}

/// Arguments of `neurofed pacs retrieve`.
#[derive(Debug, clap::Args)]
pub struct RetrieveArgs {
    /// The PACS, by its name in config.toml (`[pacs.NAME]`).
    #[arg(long)]
    pacs: String,
    /// The study the retrieved instances are imported into (with its profile).
    #[arg(long)]
    study: String,
    /// Create the study if it does not exist.
    #[arg(long)]
    create: bool,
    #[command(flatten)]
    query: QueryArgs,
    /// Print one JSON object with the summary.
    #[arg(long)]
    json: bool,
}

pub fn run(home: &Home, c: PacsCmd) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match c {
        PacsCmd::Echo(a) => echo(home, &rt, a),
        PacsCmd::Find(a) => find(home, &rt, a),
        PacsCmd::Retrieve(a) => retrieve(home, &rt, a),
    }
}

fn pacs_of(home: &Home, name: &str) -> anyhow::Result<(Node, Pacs)> {
    let node = Node::open(home)?;
    let pacs = Pacs::from_config(&node.config, name)?;
    Ok((node, pacs))
}

fn echo(home: &Home, rt: &tokio::runtime::Runtime, a: EchoArgs) -> anyhow::Result<ExitCode> {
    let (_node, pacs) = pacs_of(home, &a.pacs)?;
    let started = std::time::Instant::now();
    rt.block_on(pacs.echo())?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if a.json {
        json(
            &serde_json::json!({"pacs": a.pacs, "address": pacs.address(), "ok": true, "ms": ms}),
        )?;
    } else {
        outln!(
            "PACS {} at {} answered C-ECHO in {ms:.0} ms.",
            a.pacs,
            pacs.address()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn find(home: &Home, rt: &tokio::runtime::Runtime, a: FindArgs) -> anyhow::Result<ExitCode> {
    let (_node, pacs) = pacs_of(home, &a.pacs)?;
    let level = match a.level {
        LevelArg::Study => PacsLevel::Study,
        LevelArg::Series => PacsLevel::Series,
    };
    let found = rt.block_on(pacs.find(&a.query.query(), level))?;
    if a.json {
        json(&found)?;
        return Ok(ExitCode::SUCCESS);
    }
    for m in &found {
        let instances = m.instances.map(|n| n.to_string()).unwrap_or_default();
        match &m.series_uid {
            None => outln!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                m.patient_id,
                m.study_date,
                m.modality,
                instances,
                m.study_uid,
                cut(&m.study_description, 40)
            )?,
            Some(series) => outln!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                m.patient_id,
                m.study_date,
                m.modality,
                instances,
                m.study_uid,
                series,
                m.series_number.as_deref().unwrap_or(""),
                cut(m.series_description.as_deref().unwrap_or(""), 40)
            )?,
        }
    }
    let unit = match (level, found.len()) {
        (PacsLevel::Study, 1) => "study",
        (PacsLevel::Study, _) => "studies",
        (PacsLevel::Series, _) => "series",
    };
    eprintln!("{} {unit} on PACS {}.", found.len(), a.pacs);
    Ok(ExitCode::SUCCESS)
}

/// C-FIND the series matching `query`, then C-GET each into `dir` over one association, with a
/// bar per series (shared by `pacs retrieve` and `upload --pacs`).
pub(crate) fn retrieve_into(
    rt: &tokio::runtime::Runtime,
    pacs: &Pacs,
    query: &PacsQuery,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<Retrieved>> {
    rt.block_on(async {
        let mut assoc = pacs.connect().await?;
        let found = assoc.find(query, PacsLevel::Series).await?;
        let n = found.len();
        let mut out = Vec::with_capacity(n);
        for (i, m) in found.into_iter().enumerate() {
            let what = format!(
                "series {}/{n} {} #{}",
                i + 1,
                m.modality,
                m.series_number.as_deref().unwrap_or("?")
            );
            let bar = Bar::new(&what, Unit::Items("instances"));
            let (shown, total) = (AtomicU32::new(0), AtomicU32::new(0));
            let progress = |done: u32, of: u32| {
                if of > 0 && total.swap(of, Ordering::Relaxed) != of {
                    node::Meter::total(&bar, u64::from(of));
                }
                let before = shown.swap(done, Ordering::Relaxed);
                node::Meter::advance(&bar, u64::from(done.saturating_sub(before)));
            };
            let got = assoc.get(&m, dir, &progress).await;
            bar.finish();
            let got = got?;
            eprintln!(
                "{what}: {} instances received{}",
                got.received,
                if got.failed > 0 {
                    format!(", {} failed", got.failed)
                } else {
                    String::new()
                }
            );
            out.push(Retrieved {
                series: m,
                received: got.received,
                failed: got.failed,
            });
        }
        assoc.release().await;
        Ok::<_, web::PacsError>(out)
    })
    .map_err(anyhow::Error::from)
}

/// A spool folder outside the home, removed with everything in it when dropped.
pub(crate) struct Spool(pub(crate) PathBuf);

impl Spool {
    pub(crate) fn new() -> anyhow::Result<Spool> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("neurofed-pacs-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Spool(dir))
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One retrieved series (`retrieve --json`).
#[derive(Debug, Serialize)]
pub(crate) struct Retrieved {
    #[serde(flatten)]
    pub(crate) series: PacsMatch,
    pub(crate) received: u32,
    pub(crate) failed: u32,
}

fn retrieve(
    home: &Home,
    rt: &tokio::runtime::Runtime,
    a: RetrieveArgs,
) -> anyhow::Result<ExitCode> {
    let (node, pacs) = pacs_of(home, &a.pacs)?;
    super::study::ensure_exists(&node, &a.study, a.create)?;
    let spool = Spool::new()?;
    let retrieved = retrieve_into(rt, &pacs, &a.query.query(), &spool.0)?;
    let received: u32 = retrieved.iter().map(|r| r.received).sum();
    let failed: u32 = retrieved.iter().map(|r| r.failed).sum();
    let opts = ImportOptions {
        study: Some(a.study.clone()),
        actor: Some(format!("pacs:{}", a.pacs)),
        ..ImportOptions::default()
    };
    let summary = if received > 0 {
        let bar = Bar::new("importing", Unit::Items("files"));
        let watch = web::ReportWatch::before(&node, &a.study);
        let s = Importer::new(&node).run(std::slice::from_ref(&spool.0), &opts, &bar);
        bar.finish();
        let s = s?;
        if let Some(w) = watch {
            w.after(&node);
        }
        Some(s)
    } else {
        None
    };
    drop(spool);
    let code = if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    };
    if a.json {
        json(&serde_json::json!({
            "pacs": a.pacs,
            "study": a.study,
            "series": retrieved,
            "received": received,
            "failed": failed,
            "import": summary,
        }))?;
        return Ok(code);
    }
    outln!(
        "Retrieved {received} instances in {} series from PACS {}{}.",
        retrieved.len(),
        a.pacs,
        if failed > 0 {
            format!(" ({failed} failed)")
        } else {
            String::new()
        }
    )?;
    if let Some(s) = summary {
        outln!(
            "Imported {} instances ({} series, {} subjects, {} examinations) into study {:?}; already present: {}.",
            s.instances, s.series, s.subjects, s.examinations, a.study, s.duplicates
        )?;
        if !s.skipped.is_empty() {
            outln!("Skipped {} files:", s.skipped.len())?;
            for f in &s.skipped {
                outln!("  {}: {}", f.path, f.reason)?;
            }
        }
    }
    if failed > 0 {
        eprintln!("error: {failed} instances were not retrieved");
    }
    Ok(code)
}
