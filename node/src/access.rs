//! Access control: who may see, download, import into or administer which study, and the
//! accounts, credentials, requests and agreements behind it.
//!
//! - [`users`]: local accounts with argon2id password hashes and a role (admin or user).
//! - [`tokens`]: API tokens for scripts and short-lived web sessions, stored only as blake3 hashes.
//! - [`rights`]: per-study rights (`see`, `download`, `import`, `administer`) with an optional
//!   expiry date and an optional list of centers; granting and revoking.
//! - [`agreements`]: a per-study, versioned data-use agreement that a user must accept before any
//!   right on that study takes effect.
//! - [`requests`]: access and account requests, decided by a study administrator.
//! - [`policy`]: the decision itself: [`Access::scope`] (the studies and centers a principal may
//!   act on, which the search index turns into a query filter so that hits and facet counts are
//!   filtered alike) and [`Access::check`] (one study and center, with a precise [`Denied`] reason).
//!
//! Everything lives in `access_*` tables of the catalog database; every change writes its
//! [`audit`](crate::audit) record in the same transaction. This module never stores a password,
//! a token or a session in clear, and never panics on what users type.

mod agreements;
mod passwords;
mod policy;
mod requests;
mod rights;
mod tokens;
mod users;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use protocol::id::{CenterId, StudyId, UserId};
use redb::{ReadTransaction, ReadableDatabase, TableDefinition};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::audit::AuditError;
use crate::catalog::{Catalog, CatalogError};
use crate::clock::{end_of_day, Date, UnixTime};

pub use agreements::{Acceptance, Agreement, Agreements, MAX_AGREEMENT_CHARS};
pub use policy::{AccessScope, Denied, PendingAgreement, StudyScope};
pub use requests::{
    AccessRequest, Decision, RequestId, RequestStatus, Requests, MAX_MOTIVATION_CHARS,
};
pub use rights::{Grant, Rights, StudyRight};
pub use tokens::{Sessions, TokenInfo, TokenKind, Tokens, SESSION_SECS};
pub use users::{
    normalize_name, NewUser, PasswordCost, Role, User, Users, MAX_PASSWORD_BYTES,
    MIN_PASSWORD_CHARS,
};

/// An access-control error.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The principal may not do this; the reason says why.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// No account with this name.
    #[error("no user {0:?}")]
    UnknownUser(String),
    /// No study with this id.
    #[error("no study {0}")]
    UnknownStudy(StudyId),
    /// No center with this id.
    #[error("no center {0}")]
    UnknownCenter(CenterId),
    /// An account with this name exists already.
    #[error("user {0:?} already exists")]
    UserExists(String),
    /// A user name that is not allowed.
    #[error("invalid user name {name:?}: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A password that is not allowed.
    #[error("password refused: {0}")]
    WeakPassword(&'static str),
    /// Wrong user name or password (which of the two is not said).
    #[error("wrong user name or password")]
    BadCredentials,
    /// The account exists and the password is right, but the account is disabled.
    #[error("account {0:?} is disabled")]
    AccountDisabled(String),
    /// A token or session that is unknown, revoked, expired or of the wrong kind.
    #[error("invalid, revoked or expired {0}")]
    BadToken(TokenKind),
    /// No token with this id.
    #[error("no token {0}")]
    UnknownToken(String),
    /// `rights revoke` of a right that does not exist.
    #[error("user {user:?} has no rights on study {study}")]
    NoSuchRight {
        /// The user.
        user: String,
        /// The study.
        study: StudyId,
    },
    /// No access request with this id.
    #[error("no access request {0}")]
    UnknownRequest(RequestId),
    /// The request was decided already.
    #[error("access request {id} is already {status}")]
    AlreadyDecided {
        /// The request.
        id: RequestId,
        /// Its status.
        status: RequestStatus,
    },
    /// The study has no data-use agreement, or not this version of it.
    #[error("study {study} has no data-use agreement version {version} in force")]
    AgreementMismatch {
        /// The study.
        study: StudyId,
        /// The version the user tried to accept.
        version: u32,
    },
    /// A request the access layer refuses (empty rights, past date, too long a text...).
    #[error("{0}")]
    Invalid(String),
    /// Password hashing failed.
    #[error("password hashing: {0}")]
    Hash(String),
    /// The operating system's random source failed.
    #[error("random source: {0}")]
    Random(String),
    /// A stored record does not decode.
    #[error("access record {what} does not decode: {detail}")]
    Corrupt {
        /// Which record.
        what: String,
        /// Decoder message.
        detail: String,
    },
    /// The storage engine failed.
    #[error("access storage: {0}")]
    Db(#[from] redb::Error),
    /// The catalog failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The audit log failed (and with it the change it was recording).
    #[error(transparent)]
    Audit(#[from] AuditError),
}

crate::db::from_redb!(AccessError);

/// Result alias.
pub(crate) type Result<T, E = AccessError> = std::result::Result<T, E>;

/// One per-study right, and the action it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    /// Find the study's datasets, their metadata and facet counts.
    See,
    /// Download its datasets.
    Download,
    /// Import data into it.
    Import,
    /// Manage its rights, requests and agreement.
    Administer,
}

impl Right {
    /// Every right, in order.
    pub const ALL: [Right; 4] = [
        Right::See,
        Right::Download,
        Right::Import,
        Right::Administer,
    ];

    /// Lower-case name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Right::See => "see",
            Right::Download => "download",
            Right::Import => "import",
            Right::Administer => "administer",
        }
    }
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Right {
    type Err = AccessError;

    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        Right::ALL
            .into_iter()
            .find(|r| r.name() == t)
            .ok_or_else(|| {
                AccessError::Invalid(format!(
                    "unknown right {:?} (valid: see, download, import, administer)",
                    truncate(s, 40)
                ))
            })
    }
}

/// A set of rights.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RightSet(BTreeSet<Right>);

impl RightSet {
    /// The empty set.
    pub fn new() -> Self {
        RightSet::default()
    }

    /// Whether `r` is in the set.
    pub fn contains(&self, r: Right) -> bool {
        self.0.contains(&r)
    }

    /// Add `r`.
    pub fn insert(&mut self, r: Right) {
        self.0.insert(r);
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The rights, in order.
    pub fn iter(&self) -> impl Iterator<Item = Right> + '_ {
        self.0.iter().copied()
    }

    /// Union with `other`.
    pub fn union(&self, other: &RightSet) -> RightSet {
        RightSet(self.0.union(&other.0).copied().collect())
    }
}

impl FromIterator<Right> for RightSet {
    fn from_iter<I: IntoIterator<Item = Right>>(iter: I) -> Self {
        RightSet(iter.into_iter().collect())
    }
}

impl fmt::Display for RightSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Right::name).collect();
        f.write_str(&names.join(","))
    }
}

impl FromStr for RightSet {
    type Err = AccessError;

    /// `see,download` (spaces allowed, duplicates ignored; empty refused).
    fn from_str(s: &str) -> Result<Self> {
        let set = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(str::parse)
            .collect::<Result<RightSet>>()?;
        if set.is_empty() {
            return Err(AccessError::Invalid(
                "no rights given (valid: see, download, import, administer)".into(),
            ));
        }
        Ok(set)
    }
}

/// Who acts. Rights are evaluated for a principal; the audit log names it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Principal {
    /// The local operator: whoever runs `neurofed` on the node's home directory, and so can read
    /// its catalog and keys anyway. All rights; audited as `cli`.
    Operator,
    /// A local account. Its role and state are re-read from the catalog on every decision, so a
    /// principal built at login loses its rights as soon as the account is disabled.
    User(User),
}

impl Principal {
    /// The name the audit log records.
    pub fn audit_name(&self) -> String {
        match self {
            Principal::Operator => "cli".into(),
            Principal::User(u) => u.name.clone(),
        }
    }

    /// The account, for a user principal.
    pub fn user(&self) -> Option<&User> {
        match self {
            Principal::Operator => None,
            Principal::User(u) => Some(u),
        }
    }
}

/// Access control over a node's catalog. Cheap to make: it borrows the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    catalog: &'a Catalog,
    cost: PasswordCost,
}

impl<'a> Access<'a> {
    /// Access control with the production password cost.
    pub fn new(catalog: &'a Catalog) -> Self {
        Access {
            catalog,
            cost: PasswordCost::DEFAULT,
        }
    }

    /// Access control hashing new passwords at `cost` (tests use [`PasswordCost::INSECURE_FAST`]).
    /// Verification always uses the cost recorded in each stored hash.
    pub fn with_password_cost(catalog: &'a Catalog, cost: PasswordCost) -> Self {
        Access { catalog, cost }
    }

    /// The catalog.
    pub fn catalog(&self) -> &'a Catalog {
        self.catalog
    }

    pub(crate) fn db(&self) -> &'a redb::Database {
        self.catalog.db()
    }

    /// Accounts.
    pub fn users(&self) -> Users<'a> {
        Users::new(*self)
    }

    /// API tokens.
    pub fn tokens(&self) -> Tokens<'a> {
        Tokens::new(*self)
    }

    /// Web sessions.
    pub fn sessions(&self) -> Sessions<'a> {
        Sessions::new(*self)
    }

    /// Per-study rights.
    pub fn rights(&self) -> Rights<'a> {
        Rights::new(*self)
    }

    /// Data-use agreements.
    pub fn agreements(&self) -> Agreements<'a> {
        Agreements::new(*self)
    }

    /// Access and account requests.
    pub fn requests(&self) -> Requests<'a> {
        Requests::new(*self)
    }

    /// The studies (and per study, the centers) on which `principal` may exercise `right` at
    /// `now` (unix seconds). The search index turns this into its query filter.
    pub fn scope(&self, principal: &Principal, right: Right, now: UnixTime) -> Result<AccessScope> {
        Ok(policy::Facts::load(*self, principal)?.scope(right, now))
    }

    /// [`Access::scope`], and the studies it leaves out only because `principal` has not
    /// accepted their data-use agreement's version in force (see [`PendingAgreement`]): read at
    /// one moment, so the two agree.
    pub fn scope_with_pending(
        &self,
        principal: &Principal,
        right: Right,
        now: UnixTime,
    ) -> Result<(AccessScope, Vec<PendingAgreement>)> {
        let facts = policy::Facts::load(*self, principal)?;
        Ok((
            facts.scope(right, now),
            facts.pending_agreements(right, now),
        ))
    }

    /// Whether `principal` may exercise `right` on `study` at `center` (`None`: an action on the
    /// whole study, which a center-limited right does not allow). `Err(AccessError::Denied)`
    /// says why not.
    pub fn check(
        &self,
        principal: &Principal,
        right: Right,
        study: StudyId,
        center: Option<CenterId>,
        now: UnixTime,
    ) -> Result<()> {
        policy::Facts::load(*self, principal)?.check(right, study, center, now)?;
        Ok(())
    }

    /// The catalog's study, or [`AccessError::UnknownStudy`].
    pub(crate) fn require_study(&self, study: StudyId) -> Result<crate::catalog::Study> {
        self.catalog
            .study(study)?
            .ok_or(AccessError::UnknownStudy(study))
    }

    /// Refuse unless `actor` may administer `study`: the operator, an admin, or a user holding
    /// `administer` on it.
    pub(crate) fn require_administer(
        &self,
        actor: &Principal,
        study: StudyId,
        now: UnixTime,
    ) -> Result<()> {
        self.check(actor, Right::Administer, study, None, now)
    }

    /// Refuse unless `actor` is the operator or an enabled admin.
    pub(crate) fn require_admin(&self, actor: &Principal) -> Result<()> {
        match actor {
            Principal::Operator => Ok(()),
            Principal::User(u) => {
                let cur = self
                    .users()
                    .by_id(u.id)?
                    .ok_or_else(|| AccessError::UnknownUser(u.name.clone()))?;
                if cur.disabled {
                    return Err(Denied::Disabled(cur.name).into());
                }
                if cur.role != Role::Admin {
                    return Err(Denied::NotAdmin(cur.name).into());
                }
                Ok(())
            }
        }
    }

    /// Refuse unless `actor` is `user` itself (enabled) or may manage accounts.
    pub(crate) fn require_self_or_admin(&self, actor: &Principal, user: UserId) -> Result<()> {
        if let Principal::User(u) = actor {
            if u.id == user {
                let cur = self
                    .users()
                    .by_id(u.id)?
                    .ok_or_else(|| AccessError::UnknownUser(u.name.clone()))?;
                if cur.disabled {
                    return Err(Denied::Disabled(cur.name).into());
                }
                return Ok(());
            }
        }
        self.require_admin(actor)
    }

    pub(crate) fn begin_read(&self) -> Result<ReadTransaction> {
        Ok(self.db().begin_read()?)
    }
}

/// Open a table for reading; `None` when it was never written (a catalog from before access
/// control, or nothing of that kind recorded yet). Writers create tables on first use.
pub(crate) fn read_table<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>> {
    match txn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn enc<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    // Serializing our own record types into a Vec does not fail.
    let _ = ciborium::into_writer(v, &mut out);
    out
}

pub(crate) fn dec<T: DeserializeOwned>(what: &str, key: &[u8], bytes: &[u8]) -> Result<T> {
    ciborium::from_reader(bytes).map_err(|e| AccessError::Corrupt {
        what: format!("{what} {}", hex::encode(key)),
        detail: e.to_string(),
    })
}

/// Parse a `YYYY-MM-DD` date (as given to `--until` and `--expires`).
pub fn parse_date(s: &str) -> Result<Date> {
    s.trim().parse::<Date>().map_err(|_| {
        AccessError::Invalid(format!(
            "bad date {:?}: expected YYYY-MM-DD, e.g. 2027-01-31",
            truncate(s, 40)
        ))
    })
}

/// Refuse a date already over at `now`.
pub(crate) fn require_future(date: Date, now: UnixTime) -> Result<()> {
    if end_of_day(date) <= now {
        return Err(AccessError::Invalid(format!("{date} is in the past")));
    }
    Ok(())
}

/// At most `n` characters of `s`, for error messages about user input.
pub(crate) fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Check a free text a user typed: at most `max` characters, no control characters other than
/// newlines and tabs.
pub(crate) fn check_text(what: &str, s: &str, max: usize) -> Result<()> {
    if s.chars().count() > max {
        return Err(AccessError::Invalid(format!(
            "{what} is longer than {max} characters"
        )));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(AccessError::Invalid(format!(
            "{what} contains control characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod testing {
    //! A temporary catalog and cheap password hashing for this module's tests.
    use super::*;

    pub(crate) struct Fixture {
        pub _dir: tempfile::TempDir,
        pub catalog: Catalog,
        pub center: crate::catalog::Center,
    }

    impl Fixture {
        pub(crate) fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let catalog = Catalog::open(&dir.path().join("catalog.redb")).unwrap();
            let center = catalog.init_center("Rennes").unwrap();
            Fixture {
                _dir: dir,
                catalog,
                center,
            }
        }

        pub(crate) fn access(&self) -> Access<'_> {
            Access::with_password_cost(&self.catalog, PasswordCost::INSECURE_FAST)
        }

        pub(crate) fn study(&self, name: &str) -> StudyId {
            self.catalog.ensure_study(name, None).unwrap().0.id
        }

        pub(crate) fn user(&self, name: &str, role: Role) -> User {
            self.access()
                .users()
                .add(
                    &Principal::Operator,
                    NewUser::new(name, role),
                    "correct horse",
                    T0,
                )
                .unwrap()
        }
    }

    /// 2026-03-01T00:00:00Z.
    pub(crate) const T0: UnixTime = 1_772_323_200;
    /// One day.
    pub(crate) const DAY: UnixTime = crate::clock::DAY;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_parse_and_list_valid_names() {
        let s: RightSet = "see, Download,see".parse().unwrap();
        assert_eq!(s.to_string(), "see,download");
        let err = "see,delete".parse::<RightSet>().unwrap_err().to_string();
        assert!(
            err.contains("\"delete\"") && err.contains("administer"),
            "{err}"
        );
        assert!("".parse::<RightSet>().is_err());
        assert!(" , ".parse::<RightSet>().is_err());
    }

    #[test]
    fn until_means_through_the_end_of_that_day_utc() {
        let d = parse_date("2027-01-31").unwrap();
        let end = end_of_day(d);
        assert_eq!(Date::from_unix(end - 1), d);
        assert_eq!(Date::from_unix(end), parse_date("2027-02-01").unwrap());
        assert!(parse_date("2027-02-30").is_err());
        assert!(parse_date("31/01/2027").is_err());
        assert!(require_future(d, end - 1).is_ok());
        assert!(require_future(d, end).is_err());
    }

    #[test]
    fn dates_round_trip_through_cbor_and_json() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct W {
            #[serde(default)]
            d: Option<Date>,
        }
        let w = W {
            d: Some(parse_date("2027-01-31").unwrap()),
        };
        let back: W = dec("w", b"", &enc(&w)).unwrap();
        assert_eq!(back, w);
        assert_eq!(serde_json::to_string(&w).unwrap(), r#"{"d":"2027-01-31"}"#);
        let none: W = dec("w", b"", &enc(&W { d: None })).unwrap();
        assert_eq!(none.d, None);
    }

    #[test]
    fn texts_are_bounded() {
        assert!(check_text("motivation", "line\nline\ttab", 100).is_ok());
        assert!(check_text("motivation", "bell\u{7}", 100).is_err());
        assert!(check_text("motivation", &"x".repeat(101), 100).is_err());
    }
}
