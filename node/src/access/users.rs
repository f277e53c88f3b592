//! Local accounts: unique lower-case names, a role, an argon2id password hash (PHC string).
//!
//! A password never leaves [`Users::add`], [`Users::set_password`] or [`Users::authenticate`]
//! except as its hash, and the hash never leaves this module: [`User`] does not carry it.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use protocol::id::UserId;
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::{check_text, dec, enc, read_table, truncate, Access, AccessError, Principal, Result};
use crate::audit::{Audit, AuditAction, NewEvent};
use crate::clock::UnixTime;

type Id = [u8; 16];

/// User id -> [`UserRecord`] (CBOR).
pub(super) const USERS: TableDefinition<Id, &[u8]> = TableDefinition::new("access_users");
/// Lower-case user name -> user id.
const USER_NAMES: TableDefinition<&str, Id> = TableDefinition::new("access_user_names");

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (hashing cost must not be the caller's to choose).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Names that would be confused with non-user actors in the audit log.
const RESERVED_NAMES: &[&str] = &["cli", "system", "anonymous"];

/// What an account may do beyond its per-study rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Every right on every study, and account management.
    Admin,
    /// Only the rights granted per study (and `see` on public studies).
    User,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Admin => "admin",
            Role::User => "user",
        })
    }
}

/// An account, as other modules see it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Stable id.
    pub id: UserId,
    /// Unique login name: 3-64 characters of `a-z 0-9 . _ -`.
    pub name: String,
    /// Name shown in the portal.
    pub display_name: String,
    /// Contact address.
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// Creation time, unix seconds.
    pub created_at: UnixTime,
    /// A disabled account has no rights and cannot log in.
    pub disabled: bool,
}

/// The stored account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct UserRecord {
    pub(super) user: User,
    /// argon2id PHC string.
    pub(super) password_hash: String,
    #[serde(default)]
    pub(super) password_changed_at: UnixTime,
}

/// A new account's details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Login name (lower-cased before checking).
    pub name: String,
    /// Display name (defaults to the login name when empty).
    pub display_name: String,
    /// Contact address.
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// Create it disabled (account requests awaiting approval).
    pub disabled: bool,
}

impl NewUser {
    /// An enabled account with no display name or e-mail.
    pub fn new(name: &str, role: Role) -> Self {
        NewUser {
            name: name.to_string(),
            display_name: String::new(),
            email: None,
            role,
            disabled: false,
        }
    }
}

/// The argon2id cost of new password hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    /// Memory, KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl PasswordCost {
    /// OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane), argon2's default.
    pub const DEFAULT: PasswordCost = PasswordCost {
        memory_kib: Params::DEFAULT_M_COST,
        iterations: Params::DEFAULT_T_COST,
        parallelism: Params::DEFAULT_P_COST,
    };
    /// The cheapest argon2id allows: for tests only, never for real accounts.
    pub const INSECURE_FAST: PasswordCost = PasswordCost {
        memory_kib: Params::MIN_M_COST,
        iterations: 1,
        parallelism: 1,
    };

    fn hasher(self) -> Result<Argon2<'static>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| AccessError::Hash(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hash `password` with a fresh random salt; returns the PHC string.
    pub fn hash(self, password: &str) -> Result<String> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| AccessError::Random(e.to_string()))?;
        let h = self
            .hasher()?
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map_err(|e| AccessError::Hash(e.to_string()))?;
        Ok(h.to_string())
    }
}

/// Whether `password` matches the PHC string `hash` (constant-time comparison inside argon2; the
/// cost is the one recorded in the hash). A malformed hash never matches.
pub(super) fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Lower-case `name` and check it: 3-64 characters of `a-z 0-9 . _ -`, starting with a letter or
/// digit, not reserved.
pub fn normalize_name(name: &str) -> Result<String> {
    let n = name.trim().to_lowercase();
    let bad = |reason| AccessError::InvalidName {
        name: truncate(name, 70),
        reason,
    };
    let len = n.chars().count();
    if !(3..=64).contains(&len) {
        return Err(bad("a user name has 3 to 64 characters"));
    }
    if !n
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        return Err(bad("a user name has only letters a-z, digits and . _ -"));
    }
    if !n.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(bad("a user name starts with a letter or a digit"));
    }
    if RESERVED_NAMES.contains(&n.as_str()) {
        return Err(bad("this name is reserved"));
    }
    Ok(n)
}

pub(super) fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccessError::WeakPassword(
            "a password has at least 8 characters",
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccessError::WeakPassword(
            "a password has at most 1024 bytes",
        ));
    }
    Ok(())
}

fn check_email(email: &str) -> Result<()> {
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty() && !d.contains('@'));
    if ok {
        Ok(())
    } else {
        Err(AccessError::Invalid(format!(
            "{:?} is not an e-mail address",
            truncate(email, 60)
        )))
    }
}

fn user_from(t: &impl ReadableTable<Id, &'static [u8]>, id: UserId) -> Result<Option<User>> {
    let k = id.to_bytes();
    match t.get(k)? {
        Some(v) => Ok(Some(dec::<UserRecord>("user", &k, v.value())?.user)),
        None => Ok(None),
    }
}

/// The account with this id, as `txn` sees it.
pub(crate) fn user_in(txn: &redb::ReadTransaction, id: UserId) -> Result<Option<User>> {
    match read_table(txn, USERS)? {
        Some(t) => user_from(&t, id),
        None => Ok(None),
    }
}

/// The account with this id, inside a write transaction.
pub(crate) fn user_in_write(txn: &redb::WriteTransaction, id: UserId) -> Result<Option<User>> {
    user_from(&txn.open_table(USERS)?, id)
}

/// More work to do in the transaction that creates an account.
pub(crate) type AlsoInTxn<'f> = &'f dyn Fn(&redb::WriteTransaction, &User) -> Result<()>;

/// Accounts.
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    pub(super) access: Access<'a>,
}

impl<'a> Users<'a> {
    pub(crate) fn new(access: Access<'a>) -> Self {
        Users { access }
    }

    /// Create an account (`actor`: the operator or an admin).
    pub fn add(
        &self,
        actor: &Principal,
        new: NewUser,
        password: &str,
        now: UnixTime,
    ) -> Result<User> {
        self.access.require_admin(actor)?;
        self.create(&actor.audit_name(), new, password, now, None)
    }

    /// Create an account in a transaction, with its audit record; `then` may add more to the same
    /// transaction (an account request).
    pub(crate) fn create(
        &self,
        who: &str,
        new: NewUser,
        password: &str,
        now: UnixTime,
        then: Option<AlsoInTxn<'_>>,
    ) -> Result<User> {
        let name = normalize_name(&new.name)?;
        check_password(password)?;
        let display_name = new.display_name.trim();
        check_text("display name", display_name, 128)?;
        let email = new
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty());
        if let Some(e) = email {
            check_email(e)?;
        }
        let password_hash = self.access.cost.hash(password)?;
        let user = User {
            id: UserId::new(),
            display_name: if display_name.is_empty() {
                name.clone()
            } else {
                display_name.to_string()
            },
            name,
            email: email.map(str::to_string),
            role: new.role,
            created_at: now,
            disabled: new.disabled,
        };
        let rec = UserRecord {
            user: user.clone(),
            password_hash,
            password_changed_at: now,
        };
        let txn = self.access.db().begin_write()?;
        {
            let mut names = txn.open_table(USER_NAMES)?;
            if names.get(user.name.as_str())?.is_some() {
                return Err(AccessError::UserExists(user.name));
            }
            names.insert(user.name.as_str(), user.id.to_bytes())?;
            txn.open_table(USERS)?
                .insert(user.id.to_bytes(), enc(&rec).as_slice())?;
            Audit::append_in(
                &txn,
                NewEvent::new(who, AuditAction::UserAdd, now).detail(format!(
                    "user={} role={}{}",
                    user.name,
                    user.role,
                    if user.disabled { " disabled" } else { "" }
                )),
            )?;
            if let Some(f) = then {
                f(&txn, &user)?;
            }
        }
        txn.commit()?;
        Ok(user)
    }

    /// Enable or disable an account (`actor`: an admin or the operator). A disabled account keeps
    /// its rights on record but none takes effect, and its tokens and sessions stop working.
    pub fn set_disabled(
        &self,
        actor: &Principal,
        name: &str,
        disabled: bool,
        now: UnixTime,
    ) -> Result<User> {
        self.access.require_admin(actor)?;
        let user = self.require(name)?;
        self.update(&user, |rec| {
            rec.user.disabled = disabled;
            let action = if disabled {
                AuditAction::UserDisable
            } else {
                AuditAction::UserEnable
            };
            Ok(NewEvent::new(&actor.audit_name(), action, now)
                .detail(format!("user={}", rec.user.name)))
        })?;
        self.require(name)
    }

    /// Change an account's role (`actor`: an admin or the operator).
    pub fn set_role(
        &self,
        actor: &Principal,
        name: &str,
        role: Role,
        now: UnixTime,
    ) -> Result<User> {
        self.access.require_admin(actor)?;
        let user = self.require(name)?;
        self.update(&user, |rec| {
            rec.user.role = role;
            Ok(
                NewEvent::new(&actor.audit_name(), AuditAction::UserRole, now)
                    .detail(format!("user={} role={role}", rec.user.name)),
            )
        })?;
        self.require(name)
    }

    /// Read-modify-write one record with its audit event, in one transaction.
    fn update(
        &self,
        user: &User,
        change: impl FnOnce(&mut UserRecord) -> Result<NewEvent>,
    ) -> Result<()> {
        let txn = self.access.db().begin_write()?;
        {
            let mut users = txn.open_table(USERS)?;
            let id = user.id.to_bytes();
            let mut rec: UserRecord = match users.get(id)? {
                Some(v) => dec("user", &id, v.value())?,
                None => return Err(AccessError::UnknownUser(user.name.clone())),
            };
            let event = change(&mut rec)?;
            users.insert(id, enc(&rec).as_slice())?;
            Audit::append_in(&txn, event)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Enable an account inside another transaction (an approved account request).
    pub(crate) fn enable_in(txn: &redb::WriteTransaction, user: UserId) -> Result<()> {
        let mut users = txn.open_table(USERS)?;
        let id = user.to_bytes();
        let mut rec: UserRecord = match users.get(id)? {
            Some(v) => dec("user", &id, v.value())?,
            None => return Err(AccessError::UnknownUser(user.to_string())),
        };
        rec.user.disabled = false;
        users.insert(id, enc(&rec).as_slice())?;
        Ok(())
    }

    /// The account named `name` if `password` is its password. Unknown names cost the same
    /// hashing time as wrong passwords, so timing does not tell which names exist; a password
    /// over [`MAX_PASSWORD_BYTES`] is refused before any lookup or hashing, whoever it is for
    /// ([`AccessError::WeakPassword`]).
    pub fn authenticate(&self, name: &str, password: &str) -> Result<User> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AccessError::WeakPassword(
                "a password has at most 1024 bytes",
            ));
        }
        let rec = match normalize_name(name) {
            Ok(n) => self.record_by_name(&n)?,
            Err(_) => None,
        };
        let Some(rec) = rec else {
            let _ = self.access.cost.hash(password);
            return Err(AccessError::BadCredentials);
        };
        if !verify_password(password, &rec.password_hash) {
            return Err(AccessError::BadCredentials);
        }
        if rec.user.disabled {
            return Err(AccessError::AccountDisabled(rec.user.name));
        }
        Ok(rec.user)
    }

    fn record_by_name(&self, normalized: &str) -> Result<Option<UserRecord>> {
        let txn = self.access.begin_read()?;
        let (Some(names), Some(users)) = (read_table(&txn, USER_NAMES)?, read_table(&txn, USERS)?)
        else {
            return Ok(None);
        };
        let Some(id) = names.get(normalized)?.map(|v| v.value()) else {
            return Ok(None);
        };
        match users.get(id)? {
            Some(v) => Ok(Some(dec("user", &id, v.value())?)),
            None => Ok(None),
        }
    }

    /// The account named `name` (any case), if any.
    pub fn get(&self, name: &str) -> Result<Option<User>> {
        match normalize_name(name) {
            Ok(n) => Ok(self.record_by_name(&n)?.map(|r| r.user)),
            Err(_) => Ok(None),
        }
    }

    /// The account named `name`, or [`AccessError::UnknownUser`].
    pub fn require(&self, name: &str) -> Result<User> {
        self.get(name)?
            .ok_or_else(|| AccessError::UnknownUser(truncate(name.trim(), 70)))
    }

    /// The account with this id, if any.
    pub fn by_id(&self, id: UserId) -> Result<Option<User>> {
        user_in(&self.access.begin_read()?, id)
    }

    /// Every account, by name.
    pub fn list(&self) -> Result<Vec<User>> {
        let txn = self.access.begin_read()?;
        let Some(users) = read_table(&txn, USERS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in users.iter()? {
            let (k, v) = item?;
            out.push(dec::<UserRecord>("user", &k.value(), v.value())?.user);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fixture, T0};
    use super::*;
    use crate::access::policy::Denied;
    use crate::audit::AuditFilter;

    #[test]
    fn names_are_checked_and_case_insensitive() {
        assert_eq!(normalize_name(" Alice.B-2 ").unwrap(), "alice.b-2");
        for bad in [
            "ab",
            "has space",
            "émile",
            "-dash",
            "cli",
            &"x".repeat(65),
            "",
        ] {
            assert!(normalize_name(bad).is_err(), "{bad:?}");
        }
        let f = Fixture::new();
        let a = f.access();
        let alice = f.user("Alice", Role::User);
        assert_eq!(alice.name, "alice");
        assert_eq!(alice.display_name, "alice");
        let err = a
            .users()
            .add(
                &Principal::Operator,
                NewUser::new("ALICE", Role::User),
                "password1",
                T0,
            )
            .unwrap_err();
        assert!(matches!(err, AccessError::UserExists(n) if n == "alice"));
        assert_eq!(a.users().get("aLiCe").unwrap().unwrap().id, alice.id);
        assert!(a.users().get("../nope").unwrap().is_none());
        assert!(matches!(
            a.users().require("bob"),
            Err(AccessError::UnknownUser(_))
        ));
    }

    #[test]
    fn passwords_verify_and_hashes_are_argon2id() {
        let f = Fixture::new();
        let a = f.access();
        let u = a
            .users()
            .add(
                &Principal::Operator,
                NewUser {
                    display_name: "Dr Alice".into(),
                    email: Some("alice@example.org".into()),
                    ..NewUser::new("alice", Role::User)
                },
                "s3cret-pass",
                T0,
            )
            .unwrap();
        assert_eq!(u.email.as_deref(), Some("alice@example.org"));
        let rec = a.users().record_by_name("alice").unwrap().unwrap();
        assert!(
            rec.password_hash.starts_with("$argon2id$v=19$"),
            "{}",
            rec.password_hash
        );
        assert!(!rec.password_hash.contains("s3cret"));
        assert_eq!(
            a.users().authenticate("ALICE", "s3cret-pass").unwrap().id,
            u.id
        );
        for (n, p) in [
            ("alice", "s3cret-pasS"),
            ("alice", ""),
            ("bob", "s3cret-pass"),
        ] {
            assert!(matches!(
                a.users().authenticate(n, p),
                Err(AccessError::BadCredentials)
            ));
        }
        assert!(!verify_password("x", "not a phc string"));

        a.users()
            .set_password(&Principal::User(u.clone()), "alice", "another-pass", T0)
            .unwrap();
        assert!(a.users().authenticate("alice", "s3cret-pass").is_err());
        assert!(a.users().authenticate("alice", "another-pass").is_ok());
        assert!(matches!(
            a.users()
                .set_password(&Principal::Operator, "alice", "short", T0),
            Err(AccessError::WeakPassword(_))
        ));
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(a
            .users()
            .set_password(&Principal::Operator, "alice", &long, T0)
            .is_err());
        // A long password is refused before the name is looked up: the same answer, and no
        // hashing, for a known and an unknown name.
        for name in ["alice", "nobody-here"] {
            assert!(matches!(
                a.users().authenticate(name, &long),
                Err(AccessError::WeakPassword(_))
            ));
        }
    }

    #[test]
    fn only_admins_manage_accounts_and_disabled_ones_cannot_log_in() {
        let f = Fixture::new();
        let a = f.access();
        let root = f.user("root", Role::Admin);
        let bob = f.user("bob", Role::User);
        let as_bob = Principal::User(bob.clone());
        let err = a
            .users()
            .add(&as_bob, NewUser::new("carol", Role::Admin), "password1", T0)
            .unwrap_err();
        assert!(
            matches!(err, AccessError::Denied(Denied::NotAdmin(_))),
            "{err}"
        );
        assert!(a
            .users()
            .set_password(&as_bob, "root", "password99", T0)
            .is_err());
        a.users()
            .add(
                &Principal::User(root.clone()),
                NewUser::new("carol", Role::User),
                "password1",
                T0,
            )
            .unwrap();

        let bob2 = a
            .users()
            .set_disabled(&Principal::Operator, "bob", true, T0)
            .unwrap();
        assert!(bob2.disabled);
        assert!(matches!(
            a.users().authenticate("bob", "correct horse"),
            Err(AccessError::AccountDisabled(_))
        ));
        // A principal made before the account was disabled no longer acts.
        assert!(a
            .users()
            .set_password(&as_bob, "bob", "password99", T0)
            .is_err());
        a.users()
            .set_disabled(&Principal::Operator, "bob", false, T0)
            .unwrap();
        assert!(a.users().authenticate("bob", "correct horse").is_ok());

        let bob3 = a
            .users()
            .set_role(&Principal::Operator, "bob", Role::Admin, T0)
            .unwrap();
        assert_eq!(bob3.role, Role::Admin);
        let names: Vec<String> = a
            .users()
            .list()
            .unwrap()
            .into_iter()
            .map(|u| u.name)
            .collect();
        assert_eq!(names, ["bob", "carol", "root"]);

        let log = f.catalog.audit().list(&AuditFilter::default()).unwrap();
        let actions: Vec<AuditAction> = log.iter().rev().map(|e| e.action).collect();
        assert_eq!(
            actions,
            [
                AuditAction::UserAdd,
                AuditAction::UserAdd,
                AuditAction::UserAdd,
                AuditAction::UserDisable,
                AuditAction::UserEnable,
                AuditAction::UserRole
            ]
        );
        assert_eq!(log[3].who, "root");
        assert!(log.iter().all(|e| !e.detail.contains("horse")));
    }

    #[test]
    fn bad_details_are_refused() {
        let f = Fixture::new();
        let a = f.access();
        let add = |n: NewUser| a.users().add(&Principal::Operator, n, "password1", T0);
        assert!(add(NewUser {
            email: Some("not-an-address".into()),
            ..NewUser::new("dave", Role::User)
        })
        .is_err());
        assert!(add(NewUser {
            display_name: "x\u{0}y".into(),
            ..NewUser::new("dave", Role::User)
        })
        .is_err());
        assert!(a.users().list().unwrap().is_empty());
    }

    #[test]
    fn a_password_change_ends_the_users_sessions_only() {
        let f = Fixture::new();
        let a = f.access();
        let alice = f.user("alice", Role::User);
        let bob = f.user("bob", Role::User);
        let op = Principal::Operator;
        let (s1, _) = a.sessions().create(&alice, T0).unwrap();
        let (s2, _) = a.sessions().create(&alice, T0 + 1).unwrap();
        let (sb, _) = a.sessions().create(&bob, T0).unwrap();
        let (api, _) = a.tokens().create(&op, "alice", "sync", None, T0).unwrap();
        a.users()
            .set_password(&op, "alice", "a new password", T0 + 5)
            .unwrap();
        for s in [&s1, &s2] {
            assert!(a.sessions().verify(s, T0 + 6).is_err(), "{s}");
        }
        // Other users' sessions and the user's API tokens are untouched.
        assert!(a.sessions().verify(&sb, T0 + 6).is_ok());
        assert!(a.tokens().verify(&api, T0 + 6).is_ok());
        assert!(a.users().authenticate("alice", "a new password").is_ok());
        // A new session after the change works.
        let (s3, _) = a.sessions().create(&alice, T0 + 7).unwrap();
        assert!(a.sessions().verify(&s3, T0 + 8).is_ok());
        let log = f.catalog.audit().list(&AuditFilter::default()).unwrap();
        assert!(
            log.iter()
                .any(|e| e.action == AuditAction::PasswordSet
                    && e.detail.contains("sessions_ended=2")),
            "{log:?}"
        );
    }

    #[test]
    fn reading_a_catalog_without_access_tables() {
        let f = Fixture::new();
        let a = f.access();
        assert!(a.users().list().unwrap().is_empty());
        assert!(a.users().get("alice").unwrap().is_none());
        assert!(a.users().authenticate("alice", "whatever1").is_err());
    }
}
