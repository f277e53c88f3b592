//! `neurofed rights ...`: per-study rights.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::bail;
use node::{format_time, Access, Grant, Home, Node, Principal, RightSet};
use protocol::id::{CenterId, StudyId};
use serde::Serialize;

use crate::out::json;
use crate::outln;

/// `neurofed rights ...`.
#[derive(Debug, clap::Subcommand)]
pub enum RightsCommand {
    /// Set a user's rights on a study (replacing what they had there).
    Grant(GrantArgs),
    /// Remove a user's rights on a study.
    Revoke {
        /// Login name.
        name: String,
        /// Study name.
        #[arg(long)]
        study: String,
        /// Machine-readable output: the right removed.
        #[arg(long)]
        json: bool,
    },
    /// List rights.
    Ls {
        /// Only this study.
        #[arg(long)]
        study: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `neurofed rights grant`.
#[derive(Debug, clap::Args)]
pub struct GrantArgs {
    /// Login name.
    name: String,
    /// Study name.
    #[arg(long)]
    study: String,
    /// Comma-separated rights: see, download, import, administer.
    #[arg(long, value_name = "RIGHTS")]
    rights: String,
    /// Last valid day (UTC), YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Only data acquired at this center (name or id); repeat for several.
    #[arg(long = "center", value_name = "CENTER")]
    centers: Vec<String>,
    /// Machine-readable output: the right as recorded.
    #[arg(long)]
    json: bool,
}

fn center_by_name(node: &Node, wanted: &str) -> anyhow::Result<CenterId> {
    let centers = node.catalog.centers()?;
    let w = wanted.trim();
    if let Some(c) = centers
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(w) || c.id.to_string() == w)
    {
        return Ok(c.id);
    }
    let names: Vec<String> = centers.iter().map(|c| format!("{:?}", c.name)).collect();
    bail!("no center {wanted:?} (centers: {})", names.join(", "))
}

/// One row of `neurofed rights ls --json`.
#[derive(Debug, Serialize)]
struct RightRow {
    user: String,
    study: String,
    study_id: StudyId,
    rights: RightSet,
    until: Option<String>,
    centers: Option<Vec<String>>,
    expired: bool,
    granted_by: String,
    granted_at: String,
}

/// Ids to names.
pub fn names<K: std::hash::Hash + Eq, I: IntoIterator<Item = (K, String)>>(
    i: I,
) -> HashMap<K, String> {
    i.into_iter().collect()
}

pub fn run(home: &Home, cmd: RightsCommand) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let access = Access::new(&node.catalog);
    let op = Principal::Operator;
    let now = node::now();
    match cmd {
        RightsCommand::Grant(a) => {
            let rights: RightSet = a.rights.parse()?;
            let until = a.until.as_deref().map(node::parse_date).transpose()?;
            let study = node.catalog.require_study(&a.study)?;
            let centers = if a.centers.is_empty() {
                None
            } else {
                Some(
                    a.centers
                        .iter()
                        .map(|c| center_by_name(&node, c))
                        .collect::<anyhow::Result<Vec<_>>>()?,
                )
            };
            let grant = Grant {
                rights,
                until,
                centers,
            };
            let r = access.rights().grant(&op, &a.name, study.id, grant, now)?;
            if a.json {
                json(&r)?;
                return Ok(ExitCode::SUCCESS);
            }
            outln!(
                "{} now has {} on study {:?}{}{}.",
                a.name.trim().to_lowercase(),
                r.rights,
                study.name,
                match r.until {
                    Some(d) => format!(" through {d}"),
                    None => String::new(),
                },
                if a.centers.is_empty() {
                    String::new()
                } else {
                    format!(" at {}", a.centers.join(", "))
                }
            )?;
        }
        RightsCommand::Revoke {
            name,
            study,
            json: as_json,
        } => {
            let study = node.catalog.require_study(&study)?;
            let r = match access.rights().revoke(&op, &name, study.id, now) {
                Err(node::AccessError::NoSuchRight { user, .. }) => {
                    bail!("{user} has no rights on study {:?}", study.name)
                }
                r => r?,
            };
            if as_json {
                json(&r)?;
                return Ok(ExitCode::SUCCESS);
            }
            outln!(
                "Revoked {} of {} on study {:?}.",
                r.rights,
                name.trim().to_lowercase(),
                study.name
            )?;
        }
        RightsCommand::Ls {
            study,
            json: as_json,
        } => {
            let only = study
                .as_deref()
                .map(|s| node.catalog.require_study(s))
                .transpose()?;
            let users = names(access.users().list()?.into_iter().map(|u| (u.id, u.name)));
            let studies = names(node.catalog.studies()?.into_iter().map(|s| (s.id, s.name)));
            let centers = names(node.catalog.centers()?.into_iter().map(|c| (c.id, c.name)));
            let mut rows: Vec<RightRow> = access
                .rights()
                .list(only.map(|s| s.id))?
                .into_iter()
                .map(|r| RightRow {
                    user: users
                        .get(&r.user)
                        .cloned()
                        .unwrap_or_else(|| r.user.to_string()),
                    study: studies
                        .get(&r.study)
                        .cloned()
                        .unwrap_or_else(|| r.study.to_string()),
                    study_id: r.study,
                    expired: r.until.is_some_and(|d| now >= node::end_of_day(d)),
                    until: r.until.map(|d| d.to_string()),
                    centers: r.centers.as_ref().map(|cs| {
                        cs.iter()
                            .map(|c| centers.get(c).cloned().unwrap_or_else(|| c.to_string()))
                            .collect()
                    }),
                    rights: r.rights,
                    granted_by: r.granted_by,
                    granted_at: format_time(r.granted_at),
                })
                .collect();
            rows.sort_by(|a, b| (&a.study, &a.user).cmp(&(&b.study, &b.user)));
            if as_json {
                json(&rows)?;
                return Ok(ExitCode::SUCCESS);
            }
            outln!(
                "{:<20} {:<20} {:<30} {:<12} CENTERS",
                "STUDY",
                "USER",
                "RIGHTS",
                "UNTIL"
            )?;
            for r in &rows {
                outln!(
                    "{:<20} {:<20} {:<30} {:<12} {}",
                    r.study,
                    r.user,
                    r.rights.to_string(),
                    match (&r.until, r.expired) {
                        (Some(d), true) => format!("{d} (expired)"),
                        (Some(d), false) => d.clone(),
                        (None, _) => "-".into(),
                    },
                    r.centers.as_ref().map_or("all".into(), |c| c.join(", "))
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
