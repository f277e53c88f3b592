//! Bearer credentials: API tokens for scripts (`nft_…`, long-lived, labelled, revocable) and web
//! sessions (`nfs_…`, [`SESSION_SECS`]). Both are 32 random bytes shown once; only their blake3
//! hash is stored, so a copy of the catalog does not let anyone in.

use protocol::id::UserId;
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::{
    check_text, dec, enc, end_of_day, read_table, require_future, users, Access, AccessError,
    Principal, Result, User,
};
use crate::audit::{Audit, AuditAction, NewEvent};
use crate::clock::{Date, UnixTime};

/// blake3(token) -> [`TokenRecord`] (CBOR).
const TOKENS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("access_tokens");

/// How long a web session lasts.
pub const SESSION_SECS: UnixTime = 12 * 3600;
/// How often a token's last use is written down at most.
const LAST_USED_GRANULARITY: UnixTime = 60;
const TOKEN_HEX_LEN: usize = 64;

/// API token or web session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// For scripts: `nft_` + 64 hex digits.
    Api,
    /// For the web portal: `nfs_` + 64 hex digits.
    Session,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Api => "nft_",
            TokenKind::Session => "nfs_",
        }
    }
}

impl std::fmt::Display for TokenKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenKind::Api => "API token",
            TokenKind::Session => "session",
        })
    }
}

/// What is known about a token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Public handle for listing and revoking: the first 16 hex digits of the token's hash.
    pub id: String,
    /// Whose.
    pub user: UserId,
    /// Kind.
    pub kind: TokenKind,
    /// What it is for.
    pub label: String,
    /// Created, unix seconds.
    pub created_at: UnixTime,
    /// Expires (exclusive), unix seconds; `None`: never.
    pub expires_at: Option<UnixTime>,
    /// Last successful use (to the minute), unix seconds.
    pub last_used_at: Option<UnixTime>,
}

fn hash(token: &str) -> [u8; 32] {
    *blake3::hash(token.as_bytes()).as_bytes()
}

/// Whether `token` has the shape of a `kind` token (checked before any lookup).
fn well_formed(kind: TokenKind, token: &str) -> bool {
    token.strip_prefix(kind.prefix()).is_some_and(|h| {
        h.len() == TOKEN_HEX_LEN && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// Make a token and store its hash; `event` (without detail) is the audit record to write with it.
fn issue(
    access: Access<'_>,
    kind: TokenKind,
    user: &User,
    label: &str,
    expires_at: Option<UnixTime>,
    event: NewEvent,
) -> Result<(String, TokenInfo)> {
    let now = event.at;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| AccessError::Random(e.to_string()))?;
    let token = format!("{}{}", kind.prefix(), hex::encode(secret));
    let h = hash(&token);
    let info = TokenInfo {
        id: hex::encode(&h[..8]),
        user: user.id,
        kind,
        label: label.to_string(),
        created_at: now,
        expires_at,
        last_used_at: None,
    };
    let txn = access.db().begin_write()?;
    {
        let mut t = txn.open_table(TOKENS)?;
        if kind == TokenKind::Session {
            purge_expired(&mut t, now)?;
        }
        t.insert(h, enc(&info).as_slice())?;
        Audit::append_in(
            &txn,
            event.detail(format!(
                "user={} {kind} id={}{}",
                user.name,
                info.id,
                if label.is_empty() {
                    String::new()
                } else {
                    format!(" label={label:?}")
                }
            )),
        )?;
    }
    txn.commit()?;
    Ok((token, info))
}

fn purge_expired(t: &mut redb::Table<[u8; 32], &[u8]>, now: UnixTime) -> Result<()> {
    let mut dead = Vec::new();
    for item in t.iter()? {
        let (k, v) = item?;
        let info: TokenInfo = dec("token", &k.value(), v.value())?;
        if info.expires_at.is_some_and(|e| now >= e) {
            dead.push(k.value());
        }
    }
    for k in dead {
        t.remove(k)?;
    }
    Ok(())
}

/// The account behind a valid, unexpired `kind` token; records its use (to the minute).
fn verify(access: Access<'_>, kind: TokenKind, token: &str, now: UnixTime) -> Result<User> {
    let bad = || AccessError::BadToken(kind);
    if !well_formed(kind, token.trim()) {
        return Err(bad());
    }
    let h = hash(token.trim());
    let (info, user) = {
        let txn = access.begin_read()?;
        let Some(t) = read_table(&txn, TOKENS)? else {
            return Err(bad());
        };
        let info: TokenInfo = match t.get(h)? {
            Some(v) => dec("token", &h, v.value())?,
            None => return Err(bad()),
        };
        if info.kind != kind || info.expires_at.is_some_and(|e| now >= e) {
            return Err(bad());
        }
        let user = users::user_in(&txn, info.user)?.ok_or_else(bad)?;
        (info, user)
    };
    if user.disabled {
        return Err(AccessError::AccountDisabled(user.name));
    }
    if info
        .last_used_at
        .is_none_or(|t| now - t >= LAST_USED_GRANULARITY)
    {
        // Bookkeeping, not a security record: no fsync for it.
        let mut txn = access.db().begin_write()?;
        let _ = txn.set_durability(redb::Durability::None);
        {
            let mut t = txn.open_table(TOKENS)?;
            // Re-read: the token may have been revoked since.
            let cur = match t.get(h)? {
                Some(v) => Some(dec::<TokenInfo>("token", &h, v.value())?),
                None => None,
            };
            match cur {
                Some(mut info) => {
                    info.last_used_at = Some(now);
                    t.insert(h, enc(&info).as_slice())?;
                }
                None => return Err(bad()),
            }
        }
        txn.commit()?;
    }
    Ok(user)
}

/// Delete every web session of `user` inside `txn` (a password change ends them); returns how
/// many were open. API tokens are kept: they are revoked one by one.
pub(super) fn end_sessions_in(txn: &redb::WriteTransaction, user: UserId) -> Result<usize> {
    let mut t = txn.open_table(TOKENS)?;
    let mut dead = Vec::new();
    for item in t.iter()? {
        let (k, v) = item?;
        let info: TokenInfo = dec("token", &k.value(), v.value())?;
        if info.user == user && info.kind == TokenKind::Session {
            dead.push(k.value());
        }
    }
    for k in &dead {
        t.remove(k)?;
    }
    Ok(dead.len())
}

/// API tokens.
#[derive(Debug, Clone, Copy)]
pub struct Tokens<'a> {
    access: Access<'a>,
}

impl<'a> Tokens<'a> {
    pub(crate) fn new(access: Access<'a>) -> Self {
        Tokens { access }
    }

    /// A new API token for `user_name` (`actor`: the user, an admin or the operator), valid
    /// through `expires` (UTC) if given. The token is returned once and never stored.
    pub fn create(
        &self,
        actor: &Principal,
        user_name: &str,
        label: &str,
        expires: Option<Date>,
        now: UnixTime,
    ) -> Result<(String, TokenInfo)> {
        let label = label.trim();
        check_text("the token label", label, 100)?;
        if label.contains('\n') {
            return Err(AccessError::Invalid("a token label is one line".into()));
        }
        if let Some(d) = expires {
            require_future(d, now)?;
        }
        let user = self.access.users().require(user_name)?;
        self.access.require_self_or_admin(actor, user.id)?;
        issue(
            self.access,
            TokenKind::Api,
            &user,
            label,
            expires.map(end_of_day),
            NewEvent::new(&actor.audit_name(), AuditAction::TokenCreate, now),
        )
    }

    /// The account behind an API token, if it is valid now.
    pub fn verify(&self, token: &str, now: UnixTime) -> Result<User> {
        verify(self.access, TokenKind::Api, token, now)
    }

    /// The API tokens of `user_name`, oldest first.
    pub fn list(&self, user_name: &str) -> Result<Vec<TokenInfo>> {
        let user = self.access.users().require(user_name)?;
        let txn = self.access.begin_read()?;
        let Some(t) = read_table(&txn, TOKENS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let info: TokenInfo = dec("token", &k.value(), v.value())?;
            if info.user == user.id && info.kind == TokenKind::Api {
                out.push(info);
            }
        }
        out.sort_by_key(|i| i.created_at);
        Ok(out)
    }

    /// Revoke the API token with this id (`actor`: its user, an admin or the operator).
    pub fn revoke(&self, actor: &Principal, id: &str, now: UnixTime) -> Result<TokenInfo> {
        let id = id.trim().to_ascii_lowercase();
        let txn = self.access.db().begin_write()?;
        let info = {
            let mut t = txn.open_table(TOKENS)?;
            let mut found = None;
            for item in t.iter()? {
                let (k, v) = item?;
                if hex::encode(&k.value()[..8]) == id {
                    let info: TokenInfo = dec("token", &k.value(), v.value())?;
                    if info.kind == TokenKind::Api {
                        found = Some((k.value(), info));
                    }
                    break;
                }
            }
            let (k, info) = found.ok_or_else(|| AccessError::UnknownToken(id.clone()))?;
            self.access.require_self_or_admin(actor, info.user)?;
            t.remove(k)?;
            Audit::append_in(
                &txn,
                NewEvent::new(&actor.audit_name(), AuditAction::TokenRevoke, now)
                    .detail(format!("API token id={}", info.id)),
            )?;
            info
        };
        txn.commit()?;
        Ok(info)
    }
}

/// Web sessions.
#[derive(Debug, Clone, Copy)]
pub struct Sessions<'a> {
    access: Access<'a>,
}

impl<'a> Sessions<'a> {
    pub(crate) fn new(access: Access<'a>) -> Self {
        Sessions { access }
    }

    /// Open a session for `user` (after [`Users::authenticate`](super::Users::authenticate)),
    /// valid [`SESSION_SECS`]. Expired sessions are purged on the way.
    pub fn create(&self, user: &User, now: UnixTime) -> Result<(String, TokenInfo)> {
        let cur = self
            .access
            .users()
            .by_id(user.id)?
            .ok_or_else(|| AccessError::UnknownUser(user.name.clone()))?;
        if cur.disabled {
            return Err(AccessError::AccountDisabled(cur.name));
        }
        issue(
            self.access,
            TokenKind::Session,
            &cur,
            "",
            Some(now.saturating_add(SESSION_SECS)),
            NewEvent::new(&cur.name, AuditAction::Login, now),
        )
    }

    /// The account behind a session token, if it is valid now.
    pub fn verify(&self, token: &str, now: UnixTime) -> Result<User> {
        verify(self.access, TokenKind::Session, token, now)
    }

    /// Close a session (logout). Closing an unknown or expired one is not an error.
    pub fn revoke(&self, token: &str, now: UnixTime) -> Result<()> {
        if !well_formed(TokenKind::Session, token.trim()) {
            return Ok(());
        }
        let h = hash(token.trim());
        let txn = self.access.db().begin_write()?;
        {
            let mut t = txn.open_table(TOKENS)?;
            let info = match t.remove(h)? {
                Some(v) => Some(dec::<TokenInfo>("token", &h, v.value())?),
                None => None,
            };
            if let Some(info) = info {
                let who = users::user_in_write(&txn, info.user)?
                    .map(|u| u.name)
                    .unwrap_or_else(|| info.user.to_string());
                Audit::append_in(
                    &txn,
                    NewEvent::new(&who, AuditAction::Logout, now)
                        .detail(format!("session id={}", info.id)),
                )?;
            }
        }
        txn.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fixture, DAY, T0};
    use super::super::Role;
    use super::*;
    use crate::audit::AuditFilter;

    #[test]
    fn api_tokens_verify_until_revoked_or_expired() {
        let f = Fixture::new();
        let a = f.access();
        let alice = f.user("alice", Role::User);
        let op = Principal::Operator;
        let (tok, info) = a
            .tokens()
            .create(&op, "alice", "nightly sync", None, T0)
            .unwrap();
        assert!(well_formed(TokenKind::Api, &tok), "{tok}");
        assert_eq!(info.label, "nightly sync");
        assert_eq!(a.tokens().verify(&tok, T0 + 1).unwrap().id, alice.id);
        assert_eq!(
            a.tokens().verify(&format!(" {tok}\n"), T0 + 1).unwrap().id,
            alice.id
        );
        // Last use is recorded.
        assert_eq!(
            a.tokens().list("alice").unwrap()[0].last_used_at,
            Some(T0 + 1)
        );

        // Nothing secret is stored or logged.
        let secret = &tok[4..];
        let log = f.catalog.audit().list(&AuditFilter::default()).unwrap();
        assert!(log.iter().all(|e| !e.detail.contains(secret)));
        assert_eq!(log[0].action, AuditAction::TokenCreate);

        for bad in [
            "",
            "nft_",
            &tok[..tok.len() - 1],
            &tok.to_uppercase(),
            &tok.replacen("nft_", "nfs_", 1),
            &format!("nft_{}", "0".repeat(64)),
        ] {
            assert!(
                matches!(a.tokens().verify(bad, T0), Err(AccessError::BadToken(_))),
                "{bad}"
            );
        }
        // A session token is not an API token.
        let (sess, _) = a.sessions().create(&alice, T0).unwrap();
        assert!(a.tokens().verify(&sess, T0).is_err());

        let until = Date::new(2026, 3, 2);
        let (tok2, info2) = a.tokens().create(&op, "alice", "", until, T0).unwrap();
        assert!(a.tokens().verify(&tok2, T0 + 2 * DAY - 1).is_ok());
        assert!(a.tokens().verify(&tok2, T0 + 2 * DAY).is_err());
        assert_eq!(a.tokens().list("alice").unwrap().len(), 2);

        let bob = Principal::User(f.user("bob", Role::User));
        assert!(a.tokens().create(&bob, "alice", "", None, T0).is_err());
        assert!(a.tokens().revoke(&bob, &info.id, T0).is_err());
        assert_eq!(
            a.tokens()
                .revoke(&Principal::User(alice), &info.id, T0)
                .unwrap()
                .id,
            info.id
        );
        assert!(a.tokens().verify(&tok, T0).is_err());
        assert!(matches!(
            a.tokens().revoke(&op, &info.id, T0),
            Err(AccessError::UnknownToken(_))
        ));
        let left: Vec<String> = a
            .tokens()
            .list("alice")
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(left, [info2.id]);
    }

    #[test]
    fn tokens_of_disabled_accounts_stop_working() {
        let f = Fixture::new();
        let a = f.access();
        f.user("alice", Role::User);
        let op = Principal::Operator;
        let (tok, _) = a.tokens().create(&op, "alice", "", None, T0).unwrap();
        a.users().set_disabled(&op, "alice", true, T0).unwrap();
        assert!(matches!(
            a.tokens().verify(&tok, T0),
            Err(AccessError::AccountDisabled(_))
        ));
        a.users().set_disabled(&op, "alice", false, T0).unwrap();
        assert!(a.tokens().verify(&tok, T0).is_ok());
    }

    #[test]
    fn sessions_expire_and_log_out() {
        let f = Fixture::new();
        let a = f.access();
        let alice = f.user("alice", Role::User);
        let (s1, info) = a.sessions().create(&alice, T0).unwrap();
        assert!(s1.starts_with("nfs_"));
        assert_eq!(info.expires_at, Some(T0 + SESSION_SECS));
        assert_eq!(
            a.sessions().verify(&s1, T0 + SESSION_SECS - 1).unwrap().id,
            alice.id
        );
        assert!(a.sessions().verify(&s1, T0 + SESSION_SECS).is_err());

        let (s2, _) = a.sessions().create(&alice, T0 + 10).unwrap();
        a.sessions().revoke(&s2, T0 + 20).unwrap();
        assert!(a.sessions().verify(&s2, T0 + 21).is_err());
        a.sessions().revoke(&s2, T0 + 20).unwrap();
        a.sessions().revoke("garbage", T0 + 20).unwrap();
        let log = f.catalog.audit().list(&AuditFilter::default()).unwrap();
        assert_eq!(log[0].action, AuditAction::Logout);
        assert_eq!(log[0].who, "alice");

        // Creating a session purges the expired ones.
        let (_s3, _) = a.sessions().create(&alice, T0 + SESSION_SECS + 11).unwrap();
        let txn = a.begin_read().unwrap();
        let t = read_table(&txn, TOKENS).unwrap().unwrap();
        assert_eq!(redb::ReadableTableMetadata::len(&t).unwrap(), 1);
    }
}
