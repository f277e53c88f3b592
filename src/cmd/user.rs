//! `neurofed user ...`: accounts, their API tokens and passwords.
//!
//! The command line acts as the node's operator ([`Principal::Operator`], `cli` in the audit log):
//! whoever can run it on the home can read the catalog anyway.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};
use node::{format_time, Access, Home, NewUser, Node, Principal, Role};

use crate::out::{cut, json};
use crate::outln;

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
    /// List an account's API tokens (id, label, created, expires, last used; never the secret).
    Tokens {
        /// Login name.
        name: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Revoke one API token, by the id `user tokens` lists.
    TokenRevoke {
        /// The token's id (16 hex digits).
        id: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Replace an account's password (read from the first line of standard input); ends the
    /// account's web sessions.
    Passwd {
        /// Login name.
        name: String,
        /// Machine-readable output: the account.
        #[arg(long)]
        json: bool,
    },
    /// Disable an account: it keeps its rights on record, but none takes effect.
    Disable {
        /// Login name.
        name: String,
        /// Machine-readable output: the account.
        #[arg(long)]
        json: bool,
    },
    /// Enable a disabled account.
    Enable {
        /// Login name.
        name: String,
        /// Machine-readable output: the account.
        #[arg(long)]
        json: bool,
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
    /// Machine-readable output: the account.
    #[arg(long)]
    json: bool,
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
    /// Machine-readable output: `{"token", "id", "user", "label", "expires_at"}`.
    #[arg(long)]
    json: bool,
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

fn time_or_dash(t: Option<u64>) -> String {
    t.map(format_time).unwrap_or_else(|| "-".into())
}

pub fn run(home: &Home, cmd: UserCommand) -> anyhow::Result<ExitCode> {
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
            if a.json {
                json(&u)?;
            } else {
                outln!("Created {} {} ({}).", u.role, u.name, u.id)?;
            }
        }
        UserCommand::Ls { json: as_json } => {
            let users = access.users().list()?;
            if as_json {
                json(&users)?;
                return Ok(ExitCode::SUCCESS);
            }
            outln!(
                "{:<24} {:<6} {:<9} {:<28} E-MAIL",
                "NAME",
                "ROLE",
                "STATE",
                "DISPLAY NAME"
            )?;
            for u in &users {
                outln!(
                    "{:<24} {:<6} {:<9} {:<28} {}",
                    u.name,
                    u.role.to_string(),
                    if u.disabled { "disabled" } else { "active" },
                    u.display_name,
                    u.email.as_deref().unwrap_or("-")
                )?;
            }
        }
        UserCommand::Token(a) => {
            let expires = a.expires.as_deref().map(node::parse_date).transpose()?;
            let (token, info) = access
                .tokens()
                .create(&op, &a.name, &a.label, expires, now)?;
            let user = a.name.trim().to_lowercase();
            if a.json {
                json(&serde_json::json!({
                    "token": token, "id": info.id, "user": user, "label": info.label,
                    "expires_at": info.expires_at,
                }))?;
            } else {
                outln!("{token}")?;
                eprintln!(
                    "API token {} for {user}{}: shown once, keep it secret.",
                    info.id,
                    match &a.expires {
                        Some(d) => format!(", valid through {d}"),
                        None => String::new(),
                    }
                );
            }
        }
        UserCommand::Tokens {
            name,
            json: as_json,
        } => {
            let tokens = access.tokens().list(&name)?;
            if as_json {
                json(&tokens)?;
                return Ok(ExitCode::SUCCESS);
            }
            outln!(
                "{:<16}  {:<24} {:<20} {:<20} LAST USED",
                "ID",
                "LABEL",
                "CREATED",
                "EXPIRES"
            )?;
            for t in &tokens {
                outln!(
                    "{:<16}  {:<24} {:<20} {:<20} {}",
                    t.id,
                    cut(if t.label.is_empty() { "-" } else { &t.label }, 24),
                    format_time(t.created_at),
                    time_or_dash(t.expires_at),
                    time_or_dash(t.last_used_at)
                )?;
            }
        }
        UserCommand::TokenRevoke { id, json: as_json } => {
            let info = access.tokens().revoke(&op, &id, now)?;
            if as_json {
                json(&info)?;
            } else {
                outln!("Revoked API token {}.", info.id)?;
            }
        }
        UserCommand::Passwd {
            name,
            json: as_json,
        } => {
            let password = read_password(&format!("New password for {name}: "))?;
            access.users().set_password(&op, &name, &password, now)?;
            if as_json {
                json(&access.users().require(&name)?)?;
            } else {
                outln!(
                    "Password of {} replaced; its web sessions are closed.",
                    name.trim().to_lowercase()
                )?;
            }
        }
        UserCommand::Disable {
            name,
            json: as_json,
        } => {
            let u = access.users().set_disabled(&op, &name, true, now)?;
            if as_json {
                json(&u)?;
            } else {
                outln!("Disabled {}.", u.name)?;
            }
        }
        UserCommand::Enable {
            name,
            json: as_json,
        } => {
            let u = access.users().set_disabled(&op, &name, false, now)?;
            if as_json {
                json(&u)?;
            } else {
                outln!("Enabled {}.", u.name)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
