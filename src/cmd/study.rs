//! `neurofed study ls|show|rename|rm|agreement|reports`, and the rule that a mistyped study name never
//! creates a study: [`ensure_exists`] (used by `import` and `studycard add`) wants `--create`,
//! or a yes on a terminal.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use node::{format_time, Access, CatalogError, Home, Node, Principal, Study};
use serde::Serialize;

use crate::out::{cut, human_bytes, json};
use crate::outln;

/// `neurofed study ...`.
#[derive(Debug, clap::Subcommand)]
pub enum StudyCommand {
    /// List the studies with their counts.
    Ls {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// One study: its settings, counts, cards and agreement.
    Show {
        /// Study name.
        name: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Rename a study (audited; searches name it anew).
    Rename {
        /// Its name now.
        name: String,
        /// Its new name.
        new_name: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Remove a study with its cards; one that holds data only with --force (audited; its
    /// blobs are then garbage for `neurofed fsck --gc`).
    Rm {
        /// Study name.
        name: String,
        /// Also remove its subjects, examinations and datasets.
        #[arg(long)]
        force: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Set a new version of a study's data-use agreement, which every user must accept before
    /// their rights on the study take effect.
    Agreement {
        /// Study name.
        #[arg(long)]
        study: String,
        /// Text file with the agreement.
        #[arg(long, value_name = "TEXT")]
        file: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// E-mail reports of every import into a study (sent through `[smtp]` of config.toml to
    /// subscribers with an address who may see the study): subscribe or unsubscribe an
    /// account, or list the subscribers.
    Reports {
        /// Study name.
        #[arg(long)]
        study: String,
        /// Subscribe this account.
        #[arg(long, value_name = "USER", conflicts_with = "unsubscribe")]
        subscribe: Option<String>,
        /// Unsubscribe this account.
        #[arg(long, value_name = "USER")]
        unsubscribe: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// Fail unless the study `name` exists, or `create` is given, or the user says yes on a
/// terminal; the error names the studies that exist.
pub fn ensure_exists(node: &Node, name: &str, create: bool) -> anyhow::Result<()> {
    let e = match node.catalog.require_study(name) {
        Ok(_) => return Ok(()),
        Err(e @ CatalogError::NoSuchStudy { .. }) => e,
        Err(e) => return Err(e.into()),
    };
    if create {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() && std::io::stderr().is_terminal() {
        eprint!("{e}.\nCreate study {:?} now? [y/N] ", name.trim());
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        stdin.lock().read_line(&mut answer)?;
        if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
            return Ok(());
        }
    }
    Err(e.into())
}

/// A study with its counts (`study ls --json`, `study show --json`).
#[derive(Debug, Serialize)]
struct StudyRow {
    #[serde(flatten)]
    study: Study,
    created: String,
    subjects: u64,
    examinations: u64,
    datasets: u64,
    instances: u64,
    bytes: u64,
}

fn rows(node: &Node) -> anyhow::Result<Vec<StudyRow>> {
    #[derive(Default)]
    struct Counts {
        subjects: HashSet<[u8; 16]>,
        exams: HashSet<[u8; 16]>,
        datasets: u64,
        instances: u64,
        bytes: u64,
    }
    let mut counts: BTreeMap<[u8; 16], Counts> = BTreeMap::new();
    for r in node.catalog.dataset_rows()? {
        let c = counts.entry(r.study.id.to_bytes()).or_default();
        c.subjects.insert(r.subject.id.to_bytes());
        c.exams.insert(r.examination.id.to_bytes());
        c.datasets += 1;
        c.instances += u64::from(r.dataset.dicom.instances);
        c.bytes += r.dataset.dicom.bytes;
    }
    Ok(node
        .catalog
        .studies()?
        .into_iter()
        .map(|study| {
            let c = counts.remove(&study.id.to_bytes()).unwrap_or_default();
            StudyRow {
                created: format_time(study.created_at),
                study,
                subjects: c.subjects.len() as u64,
                examinations: c.exams.len() as u64,
                datasets: c.datasets,
                instances: c.instances,
                bytes: c.bytes,
            }
        })
        .collect())
}

pub fn run(home: &Home, cmd: StudyCommand) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let who = Principal::Operator.audit_name();
    match cmd {
        StudyCommand::Ls { json: as_json } => {
            let rows = rows(&node)?;
            if as_json {
                json(&rows)?;
                return Ok(ExitCode::SUCCESS);
            }
            outln!(
                "{:<24} {:<30} {:>8} {:>8} {:>10} {:<10} CREATED",
                "NAME",
                "ID",
                "SUBJECTS",
                "DATASETS",
                "BYTES",
                "PROFILE"
            )?;
            for r in &rows {
                outln!(
                    "{:<24} {:<30} {:>8} {:>8} {:>10} {:<10} {}",
                    cut(&r.study.name, 24),
                    r.study.id.to_string(),
                    r.subjects,
                    r.datasets,
                    human_bytes(r.bytes),
                    cut(&r.study.profile, 10),
                    r.created
                )?;
            }
        }
        StudyCommand::Show {
            name,
            json: as_json,
        } => {
            let study = node.catalog.require_study(&name)?;
            let row = rows(&node)?
                .into_iter()
                .find(|r| r.study.id == study.id)
                .context("the study vanished while being read")?;
            let cards: Vec<_> = node
                .catalog
                .cards(study.id)?
                .into_iter()
                .map(|c| serde_json::json!({"card": c.card.name, "version": c.version}))
                .collect();
            let agreement = Access::new(&node.catalog)
                .agreements()
                .current(study.id)?
                .map(|a| a.version);
            if as_json {
                let mut v = serde_json::to_value(&row)?;
                if let Some(o) = v.as_object_mut() {
                    o.insert("cards".into(), cards.into());
                    o.insert("agreement_version".into(), agreement.into());
                }
                json(&v)?;
                return Ok(ExitCode::SUCCESS);
            }
            let s = &row.study;
            outln!("study         {} ({})", s.name, s.id)?;
            outln!("status        {:?}", s.status)?;
            outln!("profile       {}", s.profile)?;
            outln!("public        {}", s.public)?;
            outln!("created       {}", row.created)?;
            outln!("subjects      {}", row.subjects)?;
            outln!("examinations  {}", row.examinations)?;
            outln!("datasets      {}", row.datasets)?;
            outln!("instances     {}", row.instances)?;
            outln!("bytes         {} ({})", row.bytes, human_bytes(row.bytes))?;
            let names: Vec<String> = cards
                .iter()
                .map(|c| format!("{} v{}", c["card"].as_str().unwrap_or("?"), c["version"]))
                .collect();
            outln!(
                "cards         {}",
                if names.is_empty() {
                    "-".to_string()
                } else {
                    names.join(", ")
                }
            )?;
            outln!(
                "agreement     {}",
                agreement.map_or("none".to_string(), |v| format!("version {v}"))
            )?;
        }
        StudyCommand::Rename {
            name,
            new_name,
            json: as_json,
        } => {
            let s = node.rename_study(&name, &new_name, &who)?;
            if as_json {
                json(&serde_json::json!({"id": s.id, "from": name.trim(), "name": s.name}))?;
            } else {
                outln!("Study {:?} is now {:?} ({}).", name.trim(), s.name, s.id)?;
            }
        }
        StudyCommand::Rm {
            name,
            force,
            json: as_json,
        } => {
            let r = node.remove_study(&name, force, &who)?;
            if as_json {
                json(&r)?;
            } else {
                outln!(
                    "Removed study {:?}: {} subjects, {} datasets, {} instances, {} card versions; {} no longer referenced (`neurofed fsck --gc` frees it).",
                    name.trim(),
                    r.subjects,
                    r.datasets.len(),
                    r.instances,
                    r.cards,
                    human_bytes(r.bytes_released)
                )?;
            }
        }
        StudyCommand::Agreement {
            study,
            file,
            json: as_json,
        } => {
            let text =
                std::fs::read_to_string(&file).with_context(|| file.display().to_string())?;
            let study = node.catalog.require_study(&study)?;
            let a = Access::new(&node.catalog).agreements().set(
                &Principal::Operator,
                study.id,
                &text,
                node::now(),
            )?;
            if as_json {
                json(
                    &serde_json::json!({"study": study.name, "study_id": study.id, "version": a.version}),
                )?;
            } else {
                outln!(
                    "Study {:?} now requires accepting its data-use agreement version {}.",
                    study.name,
                    a.version
                )?;
            }
        }
        StudyCommand::Reports {
            study,
            subscribe,
            unsubscribe,
            json: as_json,
        } => {
            let study = node.catalog.require_study(&study)?;
            let t = node::now();
            if let Some(user) = &subscribe {
                let u = Access::new(&node.catalog)
                    .users()
                    .get(user)?
                    .ok_or_else(|| {
                        anyhow::anyhow!("no account {user:?} (`neurofed user ls` lists them)")
                    })?;
                if u.email.is_none() {
                    eprintln!("warning: account {user:?} has no e-mail address: no report reaches it until it has one");
                }
                node.catalog.subscribe_reports(study.id, user, "cli", t)?;
            }
            if let Some(user) = &unsubscribe {
                if !node.catalog.unsubscribe_reports(study.id, user, "cli", t)? {
                    anyhow::bail!(
                        "{user:?} is not subscribed to the reports of {:?}",
                        study.name
                    );
                }
            }
            let subscribers = node.catalog.report_subscribers(study.id)?;
            if as_json {
                json(&serde_json::json!({"study": study.name, "subscribers": subscribers}))?;
            } else if subscribers.is_empty() {
                outln!(
                    "Nobody is subscribed to the import reports of {:?}.",
                    study.name
                )?;
            } else {
                outln!(
                    "Import reports of {:?} go to: {}.",
                    study.name,
                    subscribers.join(", ")
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
