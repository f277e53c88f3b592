//! `neurofed consortium`: the coordinator's commands ([`federation::coordinator`]), a member's
//! `join` ([`federation::state::join`]) and `push` to the running node ([`web::ApiClient`]).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use federation::coordinator::{Admission, Coordinator};
use node::Home;
use protocol::keys::PublicKey;
use protocol::signed::GrantHash;
use protocol::time::{format_utc, parse_expiry};

use super::search::ApiArgs;
use crate::out::json_pretty;
use crate::outln;

/// Consortium commands.
#[derive(Debug, Subcommand)]
pub enum ConsortiumCmd {
    /// Create a consortium: its coordinator signing key (once).
    Create {
        /// Its name, e.g. "OFSEP imaging".
        name: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Admit a center's node: sign its membership grant.
    Admit {
        /// The node's PeerId (`neurofed keys show` on that node).
        #[arg(long)]
        node: PublicKey,
        /// The center's name.
        #[arg(long)]
        center: String,
        /// Where to reach it (libp2p multiaddr), for the roster; repeatable.
        #[arg(long = "addr")]
        addrs: Vec<String>,
        /// Last day of membership (YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ).
        #[arg(long)]
        expires: String,
        /// Also relay the coordinator's rosters and revocation lists.
        #[arg(long)]
        delegate: bool,
        /// Where to write the membership grant.
        #[arg(long)]
        out: PathBuf,
        /// Which consortium, when this node coordinates several.
        #[arg(long)]
        consortium: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Publish the next version of the roster (all admitted members).
    Roster {
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
        /// Which consortium, when this node coordinates several.
        #[arg(long)]
        consortium: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Publish the next revocation list: the last list's grants plus `--revoke` hashes (the
    /// coordinator's own decisions; revocations this node received are not folded in). A
    /// coordinator served with `neurofed serve --coordinator` re-signs and spreads it itself.
    Revocations {
        /// Also revoke this grant hash (a membership, say); repeatable.
        #[arg(long = "revoke")]
        revoke: Vec<GrantHash>,
        /// How long members trust the list (90, 15m, 1h, 7d; at most 90 days).
        #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = duration_secs)]
        valid: u64,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
        /// Which consortium, when this node coordinates several.
        #[arg(long)]
        consortium: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Join a consortium (or take a newer roster): ROSTER and this node's MEMBERSHIP grant.
    Join {
        /// The roster file.
        roster: PathBuf,
        /// This node's membership grant file.
        membership: PathBuf,
        /// The coordinator's revocation list (`consortium revocations`, or the one `consortium
        /// create` wrote). Optional: a serving node takes the current list from the coordinator
        /// or the first member it reaches, and refuses every grant until it holds one.
        #[arg(long)]
        revocations: Option<PathBuf>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Hand a newer roster, revocation list or revocation (`grant revoke` writes those under
    /// `<home>/revocations/`) to the running node (`neurofed serve --p2p`), which applies it and
    /// spreads it to every member. Needs an admin's API token.
    Push {
        /// The signed document.
        file: PathBuf,
        /// Machine-readable output: `{"kind", "applied"}`.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        api: ApiArgs,
    },
}

/// A clap parser of durations in seconds (`protocol::time::parse_duration`).
pub fn duration_secs(s: &str) -> Result<u64, protocol::time::ParseDurationError> {
    protocol::time::parse_duration(s)
}

fn write(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    node::write_atomic(path, bytes).with_context(|| format!("writing {}", path.display()))
}

pub fn run(home: &Home, cmd: ConsortiumCmd) -> anyhow::Result<ExitCode> {
    let now = node::now();
    match cmd {
        ConsortiumCmd::Create { name, json } => {
            let c = Coordinator::create(home, &name, now)?;
            let list = home.coordinated_revocations_path(c.slug());
            if json {
                json_pretty(&serde_json::json!({
                    "name": name, "slug": c.slug(), "consortium": c.consortium(),
                    "key": c.key_path(), "revocations": list,
                }))?;
            } else {
                outln!("consortium {name:?} created")?;
                outln!("consortium id (coordinator key): {}", c.consortium())?;
                outln!(
                    "signing key: {} (keep it safe; back it up)",
                    c.key_path().display()
                )?;
                outln!(
                    "first revocation list (valid 7 days): {}; `neurofed serve --coordinator` \
                     re-signs it hourly",
                    list.display()
                )?;
            }
        }
        ConsortiumCmd::Admit {
            node,
            center,
            addrs,
            expires,
            delegate,
            out,
            consortium,
            json,
        } => {
            let c = Coordinator::open(home, consortium.as_deref())?;
            let expires = parse_expiry(&expires)?;
            let a = Admission {
                node,
                center: center.clone(),
                addrs,
                expires,
                delegate,
            };
            let m = c.admit(a, now)?;
            write(&out, m.bytes())?;
            if json {
                json_pretty(&serde_json::json!({
                    "member": node, "center": center, "expires": format_utc(expires),
                    "membership": m.hash(), "out": out,
                }))?;
            } else {
                outln!(
                    "admitted {node} ({center}) until {}; membership {} written to {}",
                    format_utc(expires),
                    m.hash(),
                    out.display()
                )?;
                outln!("publish a new roster with `neurofed consortium roster --out FILE`")?;
            }
        }
        ConsortiumCmd::Roster {
            out,
            consortium,
            json,
        } => {
            let r = Coordinator::open(home, consortium.as_deref())?.roster(now)?;
            write(&out, r.bytes())?;
            let (serial, n) = (r.body().serial, r.body().members.len());
            if json {
                json_pretty(&serde_json::json!({"serial": serial, "members": n, "out": out}))?;
            } else {
                outln!(
                    "roster version {serial} with {n} members written to {}",
                    out.display()
                )?;
            }
        }
        ConsortiumCmd::Revocations {
            revoke,
            valid,
            out,
            consortium,
            json,
        } => {
            let l =
                Coordinator::open(home, consortium.as_deref())?.revocations(revoke, now, valid)?;
            write(&out, l.bytes())?;
            let (serial, n) = (l.body().serial, l.body().revoked.len());
            let until = l.body().valid_until.map(format_utc);
            if json {
                json_pretty(&serde_json::json!({
                    "serial": serial, "revoked": n, "valid_until": until, "out": out,
                }))?;
            } else {
                outln!(
                    "revocation list version {serial} ({n} grants, valid until {}) written to {}",
                    until.unwrap_or_default(),
                    out.display()
                )?;
            }
        }
        ConsortiumCmd::Join {
            roster,
            membership,
            revocations,
            json,
        } => {
            let r =
                federation::state::join(home, &roster, &membership, revocations.as_deref(), now)?;
            if json {
                json_pretty(&r)?;
            } else {
                outln!(
                    "member of consortium {} as {:?}; roster version {} with {} members",
                    r.consortium,
                    r.center,
                    r.roster_serial,
                    r.members
                )?;
            }
            if !r.listed {
                eprintln!("note: this roster does not list this node yet (ask for a newer one)");
            }
        }
        ConsortiumCmd::Push { file, json, api } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let p = api.client().push(&bytes)?;
            if json {
                json_pretty(&p)?;
            } else if p.applied {
                outln!(
                    "{} applied the {} and spreads it to the consortium",
                    api.node,
                    p.kind
                )?;
            } else {
                outln!(
                    "{} already holds this {} or a newer one: nothing changed",
                    api.node,
                    p.kind
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
