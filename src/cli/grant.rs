//! `neurofed grant`: issue, verify, revoke, keep and list access capabilities.
//!
//! A capability file holds a chain (CBOR array of signed grants, root first); `grant issue
//! --parent` extends the parent's chain. Received grants are kept under `<home>/grants/`
//! (`<leaf hash>.grant`), revocations under `<home>/revocations/` (`<hash>.rev`).
//!
//! The catalog answers two questions through [`StudyAuthority`]: which study a name denotes on
//! this node, and whether a local user's key administers a study (the right to issue root grants).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use node::Home;
use protocol::grant::{
    ActionSet, Capability, CapabilityChain, Membership, Resource, Revocation, RevocationList,
    Roster,
};
use protocol::id::StudyId;
use protocol::keys::PublicKey;
use protocol::signed::{envelope_kind, Kind, Signed, SignedBody};
use protocol::time::{format_utc, parse_expiry};
use protocol::verify::{verify_membership, verify_offline, Policy, Refusal, RootAuthority};

use super::common::{
    find_local_key, joined_roster, load_revocations, local_keys, node_key, now, print_json, read,
    user_key, write_atomic,
};

/// What the catalog tells the grant commands.
pub trait StudyAuthority {
    /// The id of the study called `name` on this node (or given as `st_...`).
    fn resolve(&self, name: &str) -> Result<StudyId>;
    /// Whether `key` (a local user's key) holds `administer` on `study` of this node.
    fn administers(&self, key: &PublicKey, study: &StudyId) -> Result<bool>;
}

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
    },
    /// Keep a grant this node or one of its users received, so its requests carry it.
    Add {
        /// The grant file.
        file: PathBuf,
    },
    /// List the grants kept here and whether each is still valid.
    Ls {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// Run a grant command; returns the exit code.
pub fn run_with(cmd: GrantCmd, home: &Home, studies: &dyn StudyAuthority) -> Result<i32> {
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
        } => {
            let expires = parse_expiry(&expires)?;
            let node = node_key(home)?;
            let (body, parent_chain, signer) = match parent {
                None => {
                    let signer = match &as_user {
                        Some(u) => user_key(home, u)?,
                        None => node_key(home)?,
                    };
                    let resource = if public {
                        Resource::Public {
                            node: node.public(),
                        }
                    } else {
                        if names.is_empty() {
                            bail!("name at least one --study (or --public)");
                        }
                        let ids = names
                            .iter()
                            .map(|n| studies.resolve(n))
                            .collect::<Result<_>>()?;
                        Resource::Studies {
                            node: node.public(),
                            ids,
                        }
                    };
                    let actions = actions.context("--actions is required for a root grant")?;
                    let c = Capability::new(signer.public(), to, resource, actions, now(), expires);
                    (c, None, signer)
                }
                Some(path) => {
                    let chain = read_chain(&path)?;
                    let leaf = chain.leaf().context("the parent file holds no grant")?;
                    let audience = leaf.body().audience;
                    let (_, signer) = find_local_key(home, &audience)?.with_context(|| {
                        format!("the parent grant is for {audience}, whose key is not on this node")
                    })?;
                    let mut c = Capability::delegate(leaf, to);
                    c.not_before = c.not_before.max(now());
                    if !names.is_empty() {
                        let ids = names
                            .iter()
                            .map(|n| n.parse::<StudyId>().or_else(|_| studies.resolve(n)))
                            .collect::<Result<_>>()?;
                        c.resource = Resource::Studies {
                            node: *leaf.body().resource.node(),
                            ids,
                        };
                    }
                    if let Some(a) = actions {
                        c.actions = a;
                    }
                    (c, Some(chain), signer)
                }
            };
            let mut body = body;
            body.expires = expires;
            if !modality.is_empty() {
                body.filters.modality = Some(modality.into_iter().collect());
            }
            if !nature.is_empty() {
                body.filters.nature = Some(nature.into_iter().collect());
            }
            let link = Signed::sign(body, signer.secret())?;
            let chain = match parent_chain {
                Some(p) => p.with(link)?,
                None => CapabilityChain::new(vec![link])?,
            };
            // Refuse to write a grant that would not verify, with the precise reason.
            let authority = Authority { home, studies };
            let revocations = load_revocations(home)?;
            if let Err(e) = verify_offline(&chain, &revocations, &authority, now()) {
                eprintln!("not issued: {e} [{}]", e.code());
                return Ok(1);
            }
            write_atomic(&out, chain.bytes())?;
            let leaf = chain.leaf().context("empty chain")?;
            println!(
                "grant {} for {} ({}, until {}), {} link(s), {} bytes, written to {}",
                leaf.hash(),
                to,
                leaf.body().actions,
                format_utc(leaf.body().expires),
                chain.links().len(),
                chain.bytes().len(),
                out.display()
            );
            Ok(0)
        }
        GrantCmd::Verify { file, json } => verify_file(home, studies, &file, json),
        GrantCmd::Revoke { file, reason } => {
            let chain = read_chain(&file)?;
            let leaf = chain.leaf().context("the file holds no grant")?;
            // The leaf's issuer, or an ancestor's, may revoke it.
            let mut signer = None;
            for link in chain.links().iter().rev() {
                if let Some(found) = find_local_key(home, &link.body().issuer)? {
                    signer = Some(found);
                    break;
                }
            }
            let Some((label, key)) = signer else {
                eprintln!(
                    "no issuer of this grant has a key on this node: it cannot be revoked here"
                );
                return Ok(1);
            };
            let mut rev = Revocation::new(key.public(), leaf.hash(), now());
            rev.reason = reason;
            let signed = Signed::sign(rev, key.secret())?;
            let path = home.revocation_path(&leaf.hash());
            write_atomic(&path, signed.bytes())?;
            println!(
                "revoked {} (signed by the {label} key); revocation stored at {}",
                leaf.hash(),
                path.display()
            );
            println!("it spreads to the consortium with the next push or revocation list");
            Ok(0)
        }
        GrantCmd::Add { file } => {
            let chain = read_chain(&file)?;
            let leaf = chain.leaf().context("the file holds no grant")?;
            let audience = leaf.body().audience;
            let Some((label, _)) = find_local_key(home, &audience)? else {
                eprintln!("grant is for {audience}, not for this node or one of its users");
                return Ok(1);
            };
            let authority = Authority { home, studies };
            if let Err(e) = verify_offline(&chain, &load_revocations(home)?, &authority, now()) {
                eprintln!("not kept: {e} [{}]", e.code());
                return Ok(1);
            }
            let path = home.grant_path(&leaf.hash());
            write_atomic(&path, chain.bytes())?;
            println!(
                "kept grant {} for the {label} key at {}",
                leaf.hash(),
                path.display()
            );
            Ok(0)
        }
        GrantCmd::Ls { json } => {
            let keys = local_keys(home)?;
            let revocations = load_revocations(home)?;
            let authority = Authority { home, studies };
            let mut rows = Vec::new();
            let mut entries: Vec<_> = match std::fs::read_dir(home.grants_dir()) {
                Ok(e) => e.filter_map(Result::ok).map(|e| e.path()).collect(),
                Err(_) => vec![],
            };
            entries.sort();
            for path in entries
                .iter()
                .filter(|p| p.extension().is_some_and(|x| x == "grant"))
            {
                let Ok(chain) = read_chain(path) else {
                    continue;
                };
                let Some(leaf) = chain.leaf() else { continue };
                let b = leaf.body();
                let holder = keys
                    .iter()
                    .find(|(_, k)| k.public() == b.audience)
                    .map(|(l, _)| l.clone())
                    .unwrap_or_else(|| b.audience.to_string());
                let status = match verify_offline(&chain, &revocations, &authority, now()) {
                    Ok(_) => "valid".to_string(),
                    Err(e) => e.code().to_string(),
                };
                rows.push(serde_json::json!({
                    "hash": leaf.hash(),
                    "holder": holder,
                    "node": b.resource.node(),
                    "resource": b.resource,
                    "actions": b.actions.to_string(),
                    "expires": format_utc(b.expires),
                    "links": chain.links().len(),
                    "status": status,
                }));
            }
            if json {
                print_json(&rows)?;
            } else if rows.is_empty() {
                println!("no grants kept (add one with `neurofed grant add FILE`)");
            } else {
                for r in &rows {
                    let studies = match &r["resource"] {
                        serde_json::Value::Object(o) if o.contains_key("public") => "public".into(),
                        v => format!(
                            "{} studies",
                            v["studies"]["ids"].as_array().map_or(0, Vec::len)
                        ),
                    };
                    println!(
                        "{}  {:<14} {:<16} {:<14} until {}  [{}]",
                        &r["hash"].as_str().unwrap_or("")
                            [..12.min(r["hash"].as_str().unwrap_or("").len())],
                        r["holder"].as_str().unwrap_or(""),
                        r["actions"].as_str().unwrap_or(""),
                        studies,
                        r["expires"].as_str().unwrap_or(""),
                        r["status"].as_str().unwrap_or(""),
                    );
                }
            }
            Ok(0)
        }
    }
}

/// The node's answer to "does this issuer administer these studies": its own key always does
/// for its own studies; a local user's key if the catalog says so; other nodes' studies cannot be
/// checked here.
struct Authority<'a> {
    home: &'a Home,
    studies: &'a dyn StudyAuthority,
}

impl RootAuthority for Authority<'_> {
    fn administers(&self, issuer: &PublicKey, resource: &Resource) -> Option<bool> {
        let me = node_key(self.home).ok()?.public();
        if *resource.node() != me {
            return None;
        }
        match resource {
            Resource::Studies { ids, .. } => Some(
                ids.iter()
                    .all(|id| self.studies.administers(issuer, id).unwrap_or(false)),
            ),
            Resource::Public { .. } => Some(false),
        }
    }
}

fn read_chain(path: &Path) -> Result<CapabilityChain> {
    let bytes = read(path)?;
    // A single signed capability is accepted as a chain of one.
    if let Ok(Kind::Capability) = envelope_kind(&bytes) {
        let link = Signed::<Capability>::from_bytes(&bytes)?;
        return Ok(CapabilityChain::new(vec![link])?);
    }
    CapabilityChain::from_bytes(&bytes)
        .with_context(|| format!("{} is not a grant file", path.display()))
}

fn report(
    json: bool,
    document: serde_json::Value,
    result: Result<serde_json::Value, Refusal>,
) -> Result<i32> {
    match (&result, json) {
        (Ok(details), true) => print_json(&serde_json::json!({
            "valid": true, "details": details, "document": document,
        }))?,
        (Err(e), true) => print_json(&serde_json::json!({
            "valid": false, "reason": e.code(), "message": e.to_string(), "document": document,
        }))?,
        (Ok(details), false) => {
            println!("valid");
            if let serde_json::Value::Object(o) = details {
                for (k, v) in o {
                    println!(
                        "  {k}: {}",
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    );
                }
            }
        }
        (Err(e), false) => println!("invalid: {e} [{}]", e.code()),
    }
    Ok(if result.is_ok() { 0 } else { 1 })
}

fn verify_file(home: &Home, studies: &dyn StudyAuthority, file: &Path, json: bool) -> Result<i32> {
    let bytes = read(file)?;
    let t = now();
    let kind = envelope_kind(&bytes).ok();
    let trusted: Option<PublicKey> = joined_roster(home)?.map(|r| r.body().consortium);
    let revocations = load_revocations(home)?;
    match kind {
        Some(Kind::Membership) => {
            let m = Signed::<Membership>::from_bytes(&bytes)?;
            let consortium = trusted.unwrap_or(m.body().consortium);
            let r = verify_membership(
                &m,
                &m.body().member,
                &[consortium],
                &revocations,
                &Policy::offline(),
                t,
            )
            .map(|()| {
                serde_json::json!({
                    "kind": "membership", "hash": m.hash(), "member": m.body().member,
                    "center": m.body().center, "consortium": m.body().consortium,
                    "expires": format_utc(m.body().expires),
                    "consortium_trusted_here": trusted.is_some(),
                })
            });
            report(json, serde_json::to_value(&m)?, r)
        }
        Some(Kind::Roster) => signed_only::<Roster>(&bytes, json, trusted),
        Some(Kind::RevocationList) => signed_only::<RevocationList>(&bytes, json, trusted),
        Some(Kind::Revocation) => signed_only::<Revocation>(&bytes, json, None),
        Some(Kind::SearchResponse) => {
            signed_only::<protocol::wire::SearchResponse>(&bytes, json, None)
        }
        Some(Kind::Capability) | None => {
            let chain = match read_chain(file) {
                Ok(c) => c,
                Err(e) => {
                    let refusal = e
                        .downcast::<protocol::cbor::DecodeError>()
                        .map(Refusal::Malformed)
                        .unwrap_or(Refusal::EmptyChain);
                    return report(json, serde_json::Value::Null, Err(refusal));
                }
            };
            let authority = Authority { home, studies };
            let r = verify_offline(&chain, &revocations, &authority, t).map(|v| {
                let (nbf, exp) = v.window();
                serde_json::json!({
                    "kind": "capability",
                    "hash": v.leaf(),
                    "audience": v.audience,
                    "resource": v.resource,
                    "actions": v.actions.to_string(),
                    "filters": v.filters,
                    "valid_from": format_utc(nbf),
                    "expires": format_utc(exp),
                    "links": v.links.len(),
                    "root_authority": v.root,
                })
            });
            report(json, serde_json::to_value(&chain)?, r)
        }
    }
}

fn signed_only<T: SignedBody + serde::Serialize>(
    bytes: &[u8],
    json: bool,
    trusted: Option<PublicKey>,
) -> Result<i32> {
    let s = match Signed::<T>::from_bytes(bytes) {
        Ok(s) => s,
        Err(e) => return report(json, serde_json::Value::Null, Err(Refusal::Malformed(e))),
    };
    let signer = *s.body().signer();
    let r = if trusted.is_some_and(|t| t != signer) {
        Err(Refusal::UnknownConsortium { consortium: signer })
    } else {
        s.verify_signature()
            .map_err(|_| Refusal::BadSignature {
                what: T::WHAT,
                grant: s.hash(),
                signer,
            })
            .map(|()| serde_json::json!({ "kind": T::WHAT, "hash": s.hash(), "signer": signer }))
    };
    report(json, serde_json::to_value(&s)?, r)
}
