//! `neurofed consortium`: the coordinator creates the consortium key, admits nodes, publishes
//! rosters and revocation lists; a member node joins with its membership and a roster.
//!
//! Coordinator state: `<home>/keys/consortium/<slug>.key` and `<home>/consortium/coordinated/<slug>/`
//! (`name`, `members/<peer id>.cbor`, `roster.cbor`, `revocations.cbor`: the last ones issued).
//! Member state: `<home>/consortium/joined/` (`roster.cbor`, `membership.cbor`).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use node::{list_keys, Home, KeyFile};
use protocol::cbor;
use protocol::grant::{Membership, Revocation, RevocationList, Role, Roster, RosterMember};
use protocol::id::StudyId;
use protocol::keys::PublicKey;
use protocol::signed::{GrantHash, Signed};
use protocol::verify::{accept_roster, verify_membership, Policy, Revocations};

use super::common::{joined_roster, node_key, now, read, write_atomic};

/// Consortium commands.
#[derive(Debug, Clone, Subcommand)]
pub enum ConsortiumCmd {
    /// Create a consortium: its coordinator signing key (once).
    Create {
        /// Its name, e.g. "OFSEP imaging".
        name: String,
    },
    /// Admit a center's node: sign its membership grant.
    Admit {
        /// The node's PeerId (`neurofed keys show` on that node).
        #[arg(long)]
        node: String,
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
    },
    /// Publish the next version of the roster (all admitted members).
    Roster {
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
        /// Which consortium, when this node coordinates several.
        #[arg(long)]
        consortium: Option<String>,
    },
    /// Publish the next revocation list: the revocations stored here plus `--revoke` hashes.
    Revocations {
        /// Also revoke this grant hash (a membership, say); repeatable.
        #[arg(long = "revoke")]
        revoke: Vec<GrantHash>,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
        /// Which consortium, when this node coordinates several.
        #[arg(long)]
        consortium: Option<String>,
    },
    /// Join a consortium (or take a newer roster): ROSTER and this node's MEMBERSHIP grant.
    Join {
        /// The roster file.
        roster: PathBuf,
        /// This node's membership grant file.
        membership: PathBuf,
        /// The coordinator's revocation list (`consortium revocations`): a serving node refuses
        /// every grant until it holds one less than a day old (members then spread newer ones).
        #[arg(long)]
        revocations: Option<PathBuf>,
    },
    /// Hand a newer roster, revocation list or revocation (`grant revoke` writes those under
    /// `<home>/revocations/`) to the running node (`neurofed serve --p2p`), which applies it and
    /// spreads it to every member. Needs an admin's API token.
    Push {
        /// The signed document.
        file: PathBuf,
        /// The running node's HTTP API.
        #[arg(long, env = "NEUROFED_NODE", default_value = "http://127.0.0.1:8080")]
        node: String,
        /// An admin's API token (`neurofed user token`).
        #[arg(long, env = "NEUROFED_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
}

/// A consortium name as a file name: lowercase letters and digits, other runs become `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(64);
    out
}

/// The coordinator key and state directory of the consortium named `which` (or the only one).
fn coordinator(home: &Home, which: Option<&str>) -> Result<(KeyFile, PathBuf)> {
    let s = match which {
        Some(name) => slug(name),
        None => {
            let all = list_keys(&home.consortium_keys_dir())?;
            match all.as_slice() {
                [one] => one.clone(),
                [] => bail!("this node coordinates no consortium (`neurofed consortium create`)"),
                many => bail!(
                    "this node coordinates several consortia, choose one with --consortium: {}",
                    many.join(", ")
                ),
            }
        }
    };
    let key = KeyFile::load(&home.consortium_key_path(&s)?)
        .with_context(|| format!("this node does not coordinate consortium {s:?}"))?;
    Ok((key, home.coordinated_dir(&s)))
}

/// Run a consortium command; returns the exit code.
pub fn run(
    cmd: ConsortiumCmd,
    home: &Home,
    _resolve_study: &dyn Fn(&str) -> Result<StudyId>,
) -> Result<i32> {
    match cmd {
        ConsortiumCmd::Create { name } => {
            let s = slug(&name);
            if s.is_empty() {
                bail!("{name:?} cannot name a consortium");
            }
            let path = home.consortium_key_path(&s)?;
            if path.exists() {
                bail!("consortium {s:?} already exists ({})", path.display());
            }
            let key = KeyFile::load_or_create(&path)?;
            let dir = home.coordinated_dir(&s);
            fs::create_dir_all(dir.join("members"))?;
            write_atomic(&dir.join("name"), name.as_bytes())?;
            println!("consortium {name:?} created");
            println!("consortium id (coordinator key): {}", key.public());
            println!(
                "signing key: {} (keep it safe; back it up)",
                key.path().display()
            );
            Ok(0)
        }
        ConsortiumCmd::Admit {
            node,
            center,
            addrs,
            expires,
            delegate,
            out,
            consortium,
        } => {
            let (key, dir) = coordinator(home, consortium.as_deref())?;
            let member: PublicKey = node.parse()?;
            let expires = protocol::time::parse_expiry(&expires)?;
            let mut m = Membership::new(key.public(), member, center.clone(), now(), expires);
            if delegate {
                m.roles.insert(Role::CoordinatorDelegate);
            }
            let signed = Signed::sign(m, key.secret())?;
            let entry = RosterMember {
                node: member,
                center: center.clone(),
                addrs,
            };
            write_atomic(
                &dir.join("members").join(format!("{member}.cbor")),
                &cbor::encode(&entry, "roster member")?,
            )?;
            write_atomic(&out, signed.bytes())?;
            println!(
                "admitted {member} ({center}) until {}; membership {} written to {}",
                protocol::time::format_utc(expires),
                signed.hash(),
                out.display()
            );
            println!("publish a new roster with `neurofed consortium roster --out FILE`");
            Ok(0)
        }
        ConsortiumCmd::Roster { out, consortium } => {
            let (key, dir) = coordinator(home, consortium.as_deref())?;
            let mut members = Vec::new();
            for e in fs::read_dir(dir.join("members"))?.filter_map(Result::ok) {
                let bytes = read(&e.path())?;
                let m: RosterMember = cbor::decode(&bytes, "roster member", 64 << 10)
                    .with_context(|| format!("{}", e.path().display()))?;
                members.push(m);
            }
            let last = dir.join("roster.cbor");
            let serial = if last.exists() {
                Signed::<Roster>::from_bytes(&read(&last)?)?.body().serial + 1
            } else {
                1
            };
            let n = members.len();
            let signed = Signed::sign(
                Roster::new(key.public(), serial, now(), members),
                key.secret(),
            )?;
            write_atomic(&last, signed.bytes())?;
            write_atomic(&out, signed.bytes())?;
            println!(
                "roster version {serial} with {n} members written to {}",
                out.display()
            );
            Ok(0)
        }
        ConsortiumCmd::Revocations {
            revoke,
            out,
            consortium,
        } => {
            let (key, dir) = coordinator(home, consortium.as_deref())?;
            let last = dir.join("revocations.cbor");
            let (serial, mut revoked) = if last.exists() {
                let l = Signed::<RevocationList>::from_bytes(&read(&last)?)?;
                (l.body().serial + 1, l.body().revoked.clone())
            } else {
                (1, BTreeSet::new())
            };
            revoked.extend(revoke);
            if let Ok(entries) = fs::read_dir(home.revocations_dir()) {
                for e in entries.filter_map(Result::ok) {
                    if e.path().extension().is_some_and(|x| x == "rev") {
                        let rev = Signed::<Revocation>::from_bytes(&read(&e.path())?)?;
                        if rev.verify_signature().is_ok() {
                            revoked.insert(rev.body().grant);
                        }
                    }
                }
            }
            let n = revoked.len();
            let list = RevocationList::new(key.public(), serial, now(), revoked);
            let signed = Signed::sign(list, key.secret())?;
            write_atomic(&last, signed.bytes())?;
            write_atomic(&out, signed.bytes())?;
            println!(
                "revocation list version {serial} ({n} grants) written to {}",
                out.display()
            );
            Ok(0)
        }
        ConsortiumCmd::Push { file, node, token } => push(&file, &node, token.as_deref()),
        ConsortiumCmd::Join {
            roster,
            membership,
            revocations,
        } => {
            let roster = Signed::<Roster>::from_bytes(&read(&roster)?)
                .with_context(|| format!("{} is not a roster", roster.display()))?;
            let membership = Signed::<Membership>::from_bytes(&read(&membership)?)
                .with_context(|| format!("{} is not a membership grant", membership.display()))?;
            let me = node_key(home)?.public();
            let consortium = roster.body().consortium;
            let held = joined_roster(home)?;
            if let Some(h) = &held {
                if h.body().consortium != consortium {
                    bail!(
                        "this node already belongs to consortium {}; not joining {}",
                        h.body().consortium,
                        consortium
                    );
                }
            }
            let refused = |what: &str, e: protocol::verify::Refusal| {
                eprintln!("{what} refused: {e} [{}]", e.code());
                Ok(1)
            };
            if let Err(e) = verify_membership(
                &membership,
                &me,
                &[consortium],
                &Revocations::new(),
                &Policy::offline(),
                now(),
            ) {
                return refused("membership", e);
            }
            if let Err(e) = accept_roster(&roster, held.as_ref().map(|h| h.body()), &consortium) {
                return refused("roster", e);
            }
            if let Some(path) = &revocations {
                let list = Signed::<RevocationList>::from_bytes(&read(path)?)
                    .with_context(|| format!("{} is not a revocation list", path.display()))?;
                let target = home.revocation_list_path();
                let mut held = Revocations::new();
                if let Ok(bytes) = fs::read(&target) {
                    if let Ok(l) = Signed::<RevocationList>::from_bytes(&bytes) {
                        let _ = held.apply_list(&l, &consortium);
                    }
                }
                if let Err(e) = held.apply_list(&list, &consortium) {
                    return refused("revocation list", e);
                }
                write_atomic(&target, list.bytes())?;
            }
            write_atomic(&home.joined_roster_path(), roster.bytes())?;
            write_atomic(&home.joined_membership_path(), membership.bytes())?;
            let r = roster.body();
            println!(
                "member of consortium {} as {:?}; roster version {} with {} members",
                consortium,
                membership.body().center,
                r.serial,
                r.members.len()
            );
            if r.member(&me).is_none() {
                eprintln!("note: this roster does not list this node yet (ask for a newer one)");
            }
            Ok(0)
        }
    }
}

/// `consortium push`: POST the document to the running node.
fn push(file: &Path, node: &str, token: Option<&str>) -> Result<i32> {
    let bytes = read(file)?;
    let url = format!("{}/api/v1/consortium/push", node.trim_end_matches('/'));
    let mut req = ureq::post(&url).header("Content-Type", "application/cbor");
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let resp = req
        .config()
        .http_status_as_error(false)
        .build()
        .send(&bytes[..])
        .map_err(|e| {
            anyhow::anyhow!("cannot reach {node}: {e} (is `neurofed serve --p2p` running?)")
        })?;
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp
        .into_body()
        .read_json()
        .context("the node's answer is not JSON")?;
    if status != 200 {
        eprintln!(
            "{node} refused it (HTTP {status}): {}",
            body["error"]["message"].as_str().unwrap_or("")
        );
        return Ok(1);
    }
    let kind = body["kind"].as_str().unwrap_or("document");
    if body["applied"] == true {
        println!("{node} applied the {kind} and spreads it to the consortium");
    } else {
        println!("{node} already holds this {kind} or a newer one: nothing changed");
    }
    Ok(0)
}
