//! `neurofed grant`: issue, verify, revoke, keep and list access capabilities
//! ([`federation::grants`], with the node's catalog as [`NodeStudies`]).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use federation::grants::{self, IssueRequest, NodeStudies};
use node::Home;
use protocol::grant::{ActionSet, Resource};
use protocol::keys::PublicKey;
use protocol::time::{format_utc, parse_expiry};

use crate::out::json_pretty;
use crate::outln;

/// Grant commands.
#[derive(Debug, Clone, Subcommand)]
pub enum GrantCmd {
    /// Grant a principal (user or node key) actions on studies of this node, or delegate a
    /// narrower part of a grant received (`--parent`).
    Issue {
        /// The principal's key (PeerId text form).
        #[arg(long)]
        to: PublicKey,
        /// A study, by its name on this node (or its `st_` id); repeatable. With --parent, only
        /// `st_` ids of the parent's studies, or nothing to keep the parent's studies.
        #[arg(long = "study")]
        studies: Vec<String>,
        /// Grant this node's public studies instead of named ones.
        #[arg(long, conflicts_with = "studies")]
        public: bool,
        /// Comma-separated actions: count, search, download, import. With --parent, defaults to
        /// the parent's.
        #[arg(long)]
        actions: Option<ActionSet>,
        /// Last valid day (YYYY-MM-DD) or instant (YYYY-MM-DDTHH:MM:SSZ).
        #[arg(long)]
        expires: String,
        /// Only these modalities (repeatable).
        #[arg(long)]
        modality: Vec<String>,
        /// Only these dataset natures (repeatable).
        #[arg(long)]
        nature: Vec<String>,
        /// The grant file to delegate from (this node or user must be its audience).
        #[arg(long)]
        parent: Option<PathBuf>,
        /// Sign as this local user instead of the node.
        #[arg(long = "as")]
        as_user: Option<String>,
        /// Where to write the grant (chain) file.
        #[arg(long)]
        out: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Check a grant file offline: exit 0 if valid, else 1 and the reason.
    Verify {
        /// A capability, membership, roster, revocation or revocation list file.
        file: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a grant this node or one of its users issued (or one delegated from it).
    Revoke {
        /// The grant file.
        file: PathBuf,
        /// Why (kept in the revocation).
        #[arg(long)]
        reason: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Keep a grant this node or one of its users received, so its requests carry it.
    Add {
        /// The grant file.
        file: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// List the grants kept here and whether each is still valid.
    Ls {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(home: &Home, cmd: GrantCmd) -> anyhow::Result<ExitCode> {
    let studies = NodeStudies::new(home);
    let now = node::now();
    match cmd {
        GrantCmd::Issue {
            to,
            studies: names,
            public,
            actions,
            expires,
            modality,
            nature,
            parent,
            as_user,
            out,
            json,
        } => {
            let r = IssueRequest {
                to,
                studies: names,
                public,
                actions,
                expires: parse_expiry(&expires)?,
                modality,
                nature,
                parent,
                as_user,
            };
            let chain = grants::issue(home, &studies, r, now)?;
            node::write_atomic(&out, chain.bytes())
                .with_context(|| format!("writing {}", out.display()))?;
            let leaf = chain.leaf().context("empty chain")?;
            let b = leaf.body();
            if json {
                json_pretty(&serde_json::json!({
                    "grant": leaf.hash(), "to": to, "actions": b.actions.to_string(),
                    "expires": format_utc(b.expires), "links": chain.links().len(),
                    "bytes": chain.bytes().len(), "out": out,
                }))?;
            } else {
                outln!(
                    "grant {} for {to} ({}, until {}), {} link(s), {} bytes, written to {}",
                    leaf.hash(),
                    b.actions,
                    format_utc(b.expires),
                    chain.links().len(),
                    chain.bytes().len(),
                    out.display()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        GrantCmd::Verify { file, json } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let v = grants::verify(home, &studies, &bytes, now)?;
            if json {
                json_pretty(&v.to_json())?;
            } else {
                match &v.outcome {
                    Ok(details) => {
                        outln!("valid")?;
                        for (k, val) in details.as_object().into_iter().flatten() {
                            let text = val.as_str().map_or_else(|| val.to_string(), str::to_string);
                            outln!("  {k}: {text}")?;
                        }
                    }
                    Err(e) => outln!("invalid: {e} [{}]", e.code())?,
                }
            }
            Ok(if v.is_valid() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        GrantCmd::Revoke { file, reason, json } => {
            let r = grants::revoke(home, &file, reason, now)?;
            if json {
                json_pretty(&r)?;
            } else {
                outln!(
                    "revoked {} (signed by the {} key); revocation stored at {}",
                    r.grant,
                    r.signer,
                    r.path.display()
                )?;
                outln!("it spreads to the consortium with the next push or revocation list")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        GrantCmd::Add { file, json } => {
            let k = grants::keep(home, &studies, &file, now)?;
            if json {
                json_pretty(&k)?;
            } else {
                outln!(
                    "kept grant {} for the {} key at {}",
                    k.grant,
                    k.holder,
                    k.path.display()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        GrantCmd::Ls { json } => {
            let rows = grants::list(home, &studies, now)?;
            if json {
                json_pretty(&rows)?;
            } else if rows.is_empty() {
                outln!("no grants kept (add one with `neurofed grant add FILE`)")?;
            } else {
                for r in &rows {
                    let what = match &r.resource {
                        Resource::Public { .. } => "public".to_string(),
                        Resource::Studies { ids, .. } => format!("{} studies", ids.len()),
                    };
                    let hash = r.hash.to_string();
                    outln!(
                        "{}  {:<14} {:<16} {:<14} until {}  [{}]",
                        hash.get(..12).unwrap_or(&hash),
                        r.holder,
                        r.actions,
                        what,
                        r.expires,
                        r.status
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
