//! `neurofed audit`: the audit log, newest first.

use std::process::ExitCode;

use node::{format_time, AuditFilter, Home, Node};
use serde::Serialize;

use super::rights::names;
use crate::out::json;
use crate::outln;

/// Arguments of `neurofed audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Only records about this study.
    #[arg(long)]
    study: Option<String>,
    /// At most this many records, newest first.
    #[arg(long, default_value_t = 100)]
    limit: usize,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// One record of `neurofed audit --json`.
#[derive(Debug, Serialize)]
struct AuditRow {
    #[serde(flatten)]
    event: node::AuditEvent,
    time: String,
    study_name: Option<String>,
}

pub fn run(home: &Home, a: AuditArgs) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let only = a
        .study
        .as_deref()
        .map(|s| node.catalog.require_study(s))
        .transpose()?;
    let studies = names(node.catalog.studies()?.into_iter().map(|s| (s.id, s.name)));
    let events = node.catalog.audit().list(&AuditFilter {
        study: only.map(|s| s.id),
        since: None,
        limit: Some(a.limit),
        offset: 0,
    })?;
    let rows: Vec<AuditRow> = events
        .into_iter()
        .map(|e| AuditRow {
            time: format_time(e.at),
            study_name: e.study.and_then(|s| studies.get(&s).cloned()),
            event: e,
        })
        .collect();
    if a.json {
        json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{:>6} {:<20} {:<16} {:<16} {:<20} DETAIL",
        "SEQ",
        "TIME (UTC)",
        "WHO",
        "ACTION",
        "STUDY"
    )?;
    for r in &rows {
        let mut detail = r.event.detail.clone();
        if let Some(d) = r.event.dataset {
            detail = format!("dataset={d} {detail}");
        }
        outln!(
            "{:>6} {:<20} {:<16} {:<16} {:<20} {}",
            r.event.seq,
            r.time,
            r.event.who,
            r.event.action.to_string(),
            r.study_name.as_deref().unwrap_or("-"),
            detail
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
