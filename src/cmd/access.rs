//! `neurofed user`, `rights`, `study agreement`, `audit`: accounts, rights and the audit log.
//!
//! The command line acts as the node's operator ([`Principal::Operator`], `cli` in the audit log):
//! whoever can run it on the home can read the catalog anyway.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use node::Study;
use node::{self, Access, Grant, NewUser, Principal, RightSet, Role};
use node::{format_time, AuditFilter};
use node::{Home, Node};
use protocol::id::{CenterId, StudyId};
use serde::Serialize;

use super::print_json;

/// `neurofed user ...`.
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from the first line of standard input.
    Add(UserAddArgs),
    /// List accounts.
    Ls {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Print a new API token for an account (shown once; only its hash is kept).
    Token(TokenArgs),
    /// Replace an account's password (read from the first line of standard input).
    Passwd {
        /// Login name.
        name: String,
    },
    /// Disable an account: it keeps its rights on record, but none takes effect.
    Disable {
        /// Login name.
        name: String,
    },
    /// Enable a disabled account.
    Enable {
        /// Login name.
        name: String,
    },
}

/// Arguments of `neurofed user add`.
#[derive(Debug, clap::Args)]
pub struct UserAddArgs {
    /// Login name: 3-64 characters of a-z, 0-9, '.', '_', '-'.
    name: String,
    /// Make it an administrator (every right on every study).
    #[arg(long)]
    admin: bool,
    /// Name shown in the portal.
    #[arg(long)]
    display_name: Option<String>,
    /// Contact e-mail address.
    #[arg(long)]
    email: Option<String>,
}

/// Arguments of `neurofed user token`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// Login name.
    name: String,
    /// What the token is for.
    #[arg(long, default_value = "")]
    label: String,
    /// Last valid day (UTC), YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    expires: Option<String>,
}

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
}

/// `neurofed study ...`.
#[derive(Debug, clap::Subcommand)]
pub enum StudyCommand {
    /// Set a new version of a study's data-use agreement, which every user must accept before
    /// their rights on the study take effect.
    Agreement {
        /// Study name.
        #[arg(long)]
        study: String,
        /// Text file with the agreement.
        #[arg(long, value_name = "TEXT")]
        file: PathBuf,
    },
}

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

fn study_by_name(node: &Node, name: &str) -> anyhow::Result<Study> {
    if let Some(s) = node.catalog.study_by_name(name.trim())? {
        return Ok(s);
    }
    let names: Vec<String> = node
        .catalog
        .studies()?
        .into_iter()
        .map(|s| format!("{:?}", s.name))
        .collect();
    if names.is_empty() {
        bail!("no study {name:?}: this node has no study yet (`neurofed import --study NAME` creates one)")
    }
    bail!("no study {name:?} (studies: {})", names.join(", "))
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

fn date_arg(s: &Option<String>) -> anyhow::Result<Option<node::Date>> {
    Ok(s.as_deref().map(node::parse_date).transpose()?)
}

/// First line of standard input, without its line ending. Prompts when it is a terminal.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        // No echo suppression here: type it where nobody watches, or pipe it in.
        eprint!("{prompt}");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let pw = line.trim_end_matches(['\n', '\r']).to_string();
    if pw.is_empty() {
        bail!("no password on standard input (e.g. `printf '%s\\n' \"$PW\" | neurofed user add NAME`)");
    }
    Ok(pw)
}

pub fn user(home: &Home, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let access = Access::new(&node.catalog);
    let op = Principal::Operator;
    let now = node::now();
    match cmd {
        UserCommand::Add(a) => {
            let password = read_password(&format!("Password for {}: ", a.name))?;
            let new = NewUser {
                display_name: a.display_name.unwrap_or_default(),
                email: a.email,
                ..NewUser::new(&a.name, if a.admin { Role::Admin } else { Role::User })
            };
            let u = access.users().add(&op, new, &password, now)?;
            println!("Created {} {} ({}).", u.role, u.name, u.id);
        }
        UserCommand::Ls { json } => {
            let users = access.users().list()?;
            if json {
                print_json(&users)?;
            } else {
                println!(
                    "{:<24} {:<6} {:<9} {:<28} E-MAIL",
                    "NAME", "ROLE", "STATE", "DISPLAY NAME"
                );
                for u in &users {
                    println!(
                        "{:<24} {:<6} {:<9} {:<28} {}",
                        u.name,
                        u.role.to_string(),
                        if u.disabled { "disabled" } else { "active" },
                        u.display_name,
                        u.email.as_deref().unwrap_or("-")
                    );
                }
            }
        }
        UserCommand::Token(a) => {
            let expires = date_arg(&a.expires)?;
            let (token, info) = access
                .tokens()
                .create(&op, &a.name, &a.label, expires, now)?;
            println!("{token}");
            eprintln!(
                "API token {} for {}{}: shown once, keep it secret.",
                info.id,
                a.name.trim().to_lowercase(),
                match &a.expires {
                    Some(d) => format!(", valid through {d}"),
                    None => String::new(),
                }
            );
        }
        UserCommand::Passwd { name } => {
            let password = read_password(&format!("New password for {name}: "))?;
            access.users().set_password(&op, &name, &password, now)?;
            println!("Password of {} replaced.", name.trim().to_lowercase());
        }
        UserCommand::Disable { name } => {
            let u = access.users().set_disabled(&op, &name, true, now)?;
            println!("Disabled {}.", u.name);
        }
        UserCommand::Enable { name } => {
            let u = access.users().set_disabled(&op, &name, false, now)?;
            println!("Enabled {}.", u.name);
        }
    }
    Ok(ExitCode::SUCCESS)
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

pub fn rights(home: &Home, cmd: RightsCommand) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let access = Access::new(&node.catalog);
    let op = Principal::Operator;
    let now = node::now();
    match cmd {
        RightsCommand::Grant(a) => {
            let rights: RightSet = a.rights.parse()?;
            let until = date_arg(&a.until)?;
            let study = study_by_name(&node, &a.study)?;
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
            let r = access.rights().grant(
                &op,
                &a.name,
                study.id,
                Grant {
                    rights,
                    until,
                    centers,
                },
                now,
            )?;
            println!(
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
            );
        }
        RightsCommand::Revoke { name, study } => {
            let study = study_by_name(&node, &study)?;
            let r = match access.rights().revoke(&op, &name, study.id, now) {
                Err(node::AccessError::NoSuchRight { user, .. }) => {
                    bail!("{user} has no rights on study {:?}", study.name)
                }
                r => r?,
            };
            println!(
                "Revoked {} of {} on study {:?}.",
                r.rights,
                name.trim().to_lowercase(),
                study.name
            );
        }
        RightsCommand::Ls { study, json } => {
            let only = study
                .as_deref()
                .map(|s| study_by_name(&node, s))
                .transpose()?;
            let users: HashMap<_, _> = access
                .users()
                .list()?
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect();
            let studies: HashMap<_, _> = node
                .catalog
                .studies()?
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect();
            let centers: HashMap<_, _> = node
                .catalog
                .centers()?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect();
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
            if json {
                print_json(&rows)?;
            } else {
                println!(
                    "{:<20} {:<20} {:<30} {:<12} CENTERS",
                    "STUDY", "USER", "RIGHTS", "UNTIL"
                );
                for r in &rows {
                    println!(
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
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn study(home: &Home, cmd: StudyCommand) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let access = Access::new(&node.catalog);
    match cmd {
        StudyCommand::Agreement { study, file } => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| anyhow!("{}: {e}", file.display()))?;
            let study = study_by_name(&node, &study)?;
            let a = access
                .agreements()
                .set(&Principal::Operator, study.id, &text, node::now())?;
            println!(
                "Study {:?} now requires accepting its data-use agreement version {}.",
                study.name, a.version
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One record of `neurofed audit --json`.
#[derive(Debug, Serialize)]
struct AuditRow {
    #[serde(flatten)]
    event: node::AuditEvent,
    time: String,
    study_name: Option<String>,
}

pub fn audit(home: &Home, a: AuditArgs) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    let only = a
        .study
        .as_deref()
        .map(|s| study_by_name(&node, s))
        .transpose()?;
    let studies: HashMap<_, _> = node
        .catalog
        .studies()?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
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
        print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>6} {:<20} {:<16} {:<16} {:<20} DETAIL",
        "SEQ", "TIME (UTC)", "WHO", "ACTION", "STUDY"
    );
    for r in &rows {
        let mut detail = r.event.detail.clone();
        if let Some(d) = r.event.dataset {
            detail = format!("dataset={d} {detail}");
        }
        println!(
            "{:>6} {:<20} {:<16} {:<16} {:<20} {}",
            r.event.seq,
            r.time,
            r.event.who,
            r.event.action.to_string(),
            r.study_name.as_deref().unwrap_or("-"),
            detail
        );
    }
    Ok(ExitCode::SUCCESS)
}
