//! `neurofed quarantine ls|release|delete`: instances held back at import because their pixels
//! may carry burned-in text (`dicom::pixel_risk`). The local operator decides, like the other
//! administration commands; every release and deletion is audited.

use std::collections::HashMap;
use std::process::ExitCode;

use node::{format_time, Home, Node, Principal, QuarantineEntry};
use serde::Serialize;

use crate::out::json;
use crate::outln;

/// `neurofed quarantine ...`
#[derive(Debug, clap::Subcommand)]
pub enum QuarantineCmd {
    /// List the quarantined instances (ids, studies, pseudonyms, reasons; oldest first).
    Ls {
        /// Only this study's.
        #[arg(long)]
        study: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Import a quarantined instance into its study (without the pixel check), then forget it.
    Release {
        /// Its id (`quarantine ls`).
        id: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Delete a quarantined instance: its stored bytes and its entry.
    Delete {
        /// Its id (`quarantine ls`).
        id: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// One entry as `quarantine ls --json` prints it.
#[derive(Debug, Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    entry: &'a QuarantineEntry,
    study_name: &'a str,
}

pub fn run(home: &Home, cmd: QuarantineCmd) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let who = Principal::Operator.audit_name();
    match cmd {
        QuarantineCmd::Ls {
            study,
            json: as_json,
        } => {
            let only = match &study {
                Some(name) => Some(node.catalog.require_study(name)?.id),
                None => None,
            };
            let entries = node.catalog.quarantine_list(only)?;
            let names: HashMap<_, _> = node
                .catalog
                .studies()?
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect();
            let rows: Vec<Row> = entries
                .iter()
                .map(|e| Row {
                    entry: e,
                    study_name: names.get(&e.study).map_or("?", String::as_str),
                })
                .collect();
            if as_json {
                json(&rows)?;
            } else if rows.is_empty() {
                outln!("No quarantined instance.")?;
            } else {
                for r in &rows {
                    let e = r.entry;
                    outln!(
                        "{}  {}  {}  {}  {}  {}",
                        e.id,
                        format_time(e.at),
                        r.study_name,
                        e.pseudonym,
                        e.modality.as_deref().unwrap_or("-"),
                        e.reason
                    )?;
                }
                outln!(
                    "{} quarantined; `neurofed quarantine release ID` imports one, `delete ID` removes it.",
                    rows.len()
                )?;
            }
        }
        QuarantineCmd::Release { id, json: as_json } => {
            let s = node::release_quarantined(&node, &id, &who)?;
            if as_json {
                json(&serde_json::json!({"released": id, "import": s}))?;
            } else {
                outln!(
                    "Released {id}: {} instances imported, {} already present.",
                    s.instances,
                    s.duplicates
                )?;
            }
        }
        QuarantineCmd::Delete { id, json: as_json } => {
            let e = node::delete_quarantined(&node, &id, &who)?;
            if as_json {
                json(&serde_json::json!({"deleted": e.id}))?;
            } else {
                outln!("Deleted quarantined instance {}.", e.id)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
