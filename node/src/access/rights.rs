//! Per-study rights: one [`StudyRight`] per (user, study), replaced as a whole by each grant.
//!
//! Granting and revoking need `administer` on the study (or the admin role, or the operator) and
//! write their audit record in the same transaction as the change.

use std::collections::HashMap;

use protocol::id::{CenterId, StudyId, UserId};
use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::{
    dec, enc, read_table, require_future, Access, AccessError, Principal, Result, RightSet,
};
use crate::audit::{Audit, AuditAction, NewEvent};
use crate::clock::{Date, UnixTime};

type Id = [u8; 16];

/// (user id, study id) -> [`StudyRight`] (CBOR).
pub(crate) const RIGHTS: TableDefinition<(Id, Id), &[u8]> = TableDefinition::new("access_rights");

/// What a user may do on one study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudyRight {
    /// The user.
    pub user: UserId,
    /// The study.
    pub study: StudyId,
    /// The rights.
    pub rights: RightSet,
    /// Last valid day (UTC), inclusive; `None`: no expiry.
    #[serde(default)]
    pub until: Option<Date>,
    /// Only data acquired at these centers; `None`: all centers.
    #[serde(default)]
    pub centers: Option<Vec<CenterId>>,
    /// Who granted it (audit name).
    pub granted_by: String,
    /// When, unix seconds.
    pub granted_at: UnixTime,
}

/// The terms of a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Rights (not empty).
    pub rights: RightSet,
    /// Last valid day (UTC), inclusive.
    pub until: Option<Date>,
    /// Only these centers (not empty when given).
    pub centers: Option<Vec<CenterId>>,
}

impl Grant {
    fn check(&self, now: UnixTime) -> Result<()> {
        if self.rights.is_empty() {
            return Err(AccessError::Invalid(
                "no rights given (valid: see, download, import, administer)".into(),
            ));
        }
        if let Some(d) = self.until {
            require_future(d, now)?;
        }
        if self.centers.as_ref().is_some_and(Vec::is_empty) {
            return Err(AccessError::Invalid(
                "an empty center list would allow nothing: give at least one center or none".into(),
            ));
        }
        Ok(())
    }
}

/// Audit summary of a right (ids and dates only).
pub(crate) fn describe(user_name: &str, r: &StudyRight) -> String {
    let mut s = format!("user={user_name} rights={}", r.rights);
    if let Some(d) = r.until {
        s.push_str(&format!(" until={d}"));
    }
    if let Some(cs) = &r.centers {
        let cs: Vec<String> = cs.iter().map(ToString::to_string).collect();
        s.push_str(&format!(" centers={}", cs.join(",")));
    }
    s
}

/// Write `right` (replacing any previous one for its user and study) with its audit record,
/// inside `txn`.
pub(crate) fn put_in(
    txn: &WriteTransaction,
    right: &StudyRight,
    user_name: &str,
    who: &str,
    now: UnixTime,
) -> Result<()> {
    txn.open_table(RIGHTS)?.insert(
        (right.user.to_bytes(), right.study.to_bytes()),
        enc(right).as_slice(),
    )?;
    Audit::append_in(
        txn,
        NewEvent::new(who, AuditAction::RightGrant, now)
            .study(right.study)
            .detail(describe(user_name, right)),
    )?;
    Ok(())
}

/// The right of `user` on `study` as seen by `txn`.
pub(crate) fn get_in(
    table: &impl ReadableTable<(Id, Id), &'static [u8]>,
    user: UserId,
    study: StudyId,
) -> Result<Option<StudyRight>> {
    let k = (user.to_bytes(), study.to_bytes());
    match table.get(k)? {
        Some(v) => Ok(Some(dec("right", &user.to_bytes(), v.value())?)),
        None => Ok(None),
    }
}

/// Every right of `user`, by study.
pub(crate) fn load_for_user(
    txn: &ReadTransaction,
    user: UserId,
) -> Result<HashMap<StudyId, StudyRight>> {
    let mut out = HashMap::new();
    let Some(t) = read_table(txn, RIGHTS)? else {
        return Ok(out);
    };
    let u = user.to_bytes();
    for item in t.range((u, [0u8; 16])..=(u, [0xffu8; 16]))? {
        let (k, v) = item?;
        let r: StudyRight = dec("right", &k.value().1, v.value())?;
        out.insert(r.study, r);
    }
    Ok(out)
}

/// Per-study rights.
#[derive(Debug, Clone, Copy)]
pub struct Rights<'a> {
    access: Access<'a>,
}

impl<'a> Rights<'a> {
    pub(crate) fn new(access: Access<'a>) -> Self {
        Rights { access }
    }

    /// Give `user_name` exactly `grant` on `study`, replacing what it had there.
    pub fn grant(
        &self,
        actor: &Principal,
        user_name: &str,
        study: StudyId,
        grant: Grant,
        now: UnixTime,
    ) -> Result<StudyRight> {
        grant.check(now)?;
        let user = self.access.users().require(user_name)?;
        self.access.require_study(study)?;
        self.access.require_administer(actor, study, now)?;
        let mut centers = grant.centers;
        if let Some(cs) = &mut centers {
            cs.sort();
            cs.dedup();
        }
        let right = StudyRight {
            user: user.id,
            study,
            rights: grant.rights,
            until: grant.until,
            centers,
            granted_by: actor.audit_name(),
            granted_at: now,
        };
        let txn = self.access.db().begin_write()?;
        put_in(&txn, &right, &user.name, &actor.audit_name(), now)?;
        txn.commit()?;
        Ok(right)
    }

    /// Remove every right of `user_name` on `study`; returns what was removed.
    pub fn revoke(
        &self,
        actor: &Principal,
        user_name: &str,
        study: StudyId,
        now: UnixTime,
    ) -> Result<StudyRight> {
        let user = self.access.users().require(user_name)?;
        self.access.require_administer(actor, study, now)?;
        let txn = self.access.db().begin_write()?;
        let removed = {
            let mut t = txn.open_table(RIGHTS)?;
            let removed = get_in(&t, user.id, study)?.ok_or_else(|| AccessError::NoSuchRight {
                user: user.name.clone(),
                study,
            })?;
            t.remove((user.id.to_bytes(), study.to_bytes()))?;
            Audit::append_in(
                &txn,
                NewEvent::new(&actor.audit_name(), AuditAction::RightRevoke, now)
                    .study(study)
                    .detail(describe(&user.name, &removed)),
            )?;
            removed
        };
        txn.commit()?;
        Ok(removed)
    }

    /// The right of `user` on `study`, if any (expired ones included).
    pub fn get(&self, user: UserId, study: StudyId) -> Result<Option<StudyRight>> {
        let txn = self.access.begin_read()?;
        match read_table(&txn, RIGHTS)? {
            Some(t) => get_in(&t, user, study),
            None => Ok(None),
        }
    }

    /// Every right of `user` (expired ones included), by study id.
    pub fn of_user(&self, user: UserId) -> Result<Vec<StudyRight>> {
        let txn = self.access.begin_read()?;
        let mut v: Vec<StudyRight> = load_for_user(&txn, user)?.into_values().collect();
        v.sort_by_key(|r| r.study);
        Ok(v)
    }

    /// Every right recorded, on `study` only if given (expired ones included).
    pub fn list(&self, study: Option<StudyId>) -> Result<Vec<StudyRight>> {
        let txn = self.access.begin_read()?;
        let Some(t) = read_table(&txn, RIGHTS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let r: StudyRight = dec("right", &k.value().0, v.value())?;
            if study.is_none_or(|s| s == r.study) {
                out.push(r);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fixture, DAY, T0};
    use super::super::{Denied, Right, Role};
    use super::*;
    use crate::audit::AuditFilter;

    fn g(rights: &str) -> Grant {
        Grant {
            rights: rights.parse().unwrap(),
            until: None,
            centers: None,
        }
    }

    #[test]
    fn grant_replaces_and_revoke_removes_with_audit_in_the_same_commit() {
        let f = Fixture::new();
        let a = f.access();
        let s = f.study("MS cohort");
        let alice = f.user("alice", Role::User);
        let op = Principal::Operator;
        let log = f.catalog.audit();
        let before = log.len().unwrap();

        let until = Date::new(2027, 1, 31);
        let c = f.center.id;
        let r = a
            .rights()
            .grant(
                &op,
                "Alice",
                s,
                Grant {
                    centers: Some(vec![c, c]),
                    until,
                    ..g("download,see")
                },
                T0,
            )
            .unwrap();
        assert_eq!(r.centers, Some(vec![c]));
        assert_eq!(r.granted_by, "cli");
        assert_eq!(a.rights().get(alice.id, s).unwrap(), Some(r.clone()));
        assert_eq!(log.len().unwrap(), before + 1);
        let e = &log.list(&AuditFilter::default()).unwrap()[0];
        assert_eq!(e.action, AuditAction::RightGrant);
        assert_eq!(e.study, Some(s));
        assert_eq!(
            e.detail,
            format!("user=alice rights=see,download until=2027-01-31 centers={c}")
        );

        let r2 = a.rights().grant(&op, "alice", s, g("import"), T0).unwrap();
        assert_eq!(a.rights().of_user(alice.id).unwrap(), vec![r2.clone()]);
        assert_eq!(a.rights().list(Some(s)).unwrap(), vec![r2.clone()]);
        assert!(a.rights().list(Some(StudyId::new())).unwrap().is_empty());

        assert_eq!(a.rights().revoke(&op, "alice", s, T0).unwrap(), r2);
        assert!(a.rights().get(alice.id, s).unwrap().is_none());
        let e = &log.list(&AuditFilter::default()).unwrap()[0];
        assert_eq!(e.action, AuditAction::RightRevoke);
        assert!(matches!(
            a.rights().revoke(&op, "alice", s, T0),
            Err(AccessError::NoSuchRight { .. })
        ));
        assert_eq!(log.len().unwrap(), before + 3);
    }

    #[test]
    fn bad_grants_are_refused_and_leave_nothing() {
        let f = Fixture::new();
        let a = f.access();
        let s = f.study("s");
        f.user("alice", Role::User);
        let op = Principal::Operator;
        let log = f.catalog.audit();
        let before = log.len().unwrap();
        let past = Grant {
            until: Date::new(2026, 2, 28),
            ..g("see")
        };
        let no_center = Grant {
            centers: Some(vec![]),
            ..g("see")
        };
        let empty = Grant {
            rights: RightSet::new(),
            until: None,
            centers: None,
        };
        for bad in [past, no_center, empty] {
            assert!(matches!(
                a.rights().grant(&op, "alice", s, bad, T0),
                Err(AccessError::Invalid(_))
            ));
        }
        assert!(matches!(
            a.rights().grant(&op, "bob", s, g("see"), T0),
            Err(AccessError::UnknownUser(_))
        ));
        assert!(matches!(
            a.rights().grant(&op, "alice", StudyId::new(), g("see"), T0),
            Err(AccessError::UnknownStudy(_))
        ));
        assert!(a.rights().list(None).unwrap().is_empty());
        assert_eq!(log.len().unwrap(), before);
    }

    #[test]
    fn only_study_administrators_change_rights() {
        let f = Fixture::new();
        let a = f.access();
        let s = f.study("s");
        let other = f.study("other");
        let pi = f.user("prof", Role::User);
        let bob = f.user("bob", Role::User);
        f.user("carol", Role::User);
        let op = Principal::Operator;
        let as_pi = Principal::User(pi);
        let as_bob = Principal::User(bob);

        let err = a
            .rights()
            .grant(&as_pi, "carol", s, g("see"), T0)
            .unwrap_err();
        assert!(matches!(
            err,
            AccessError::Denied(Denied::NoRight {
                right: Right::Administer,
                ..
            })
        ));
        a.rights()
            .grant(&op, "prof", s, g("administer"), T0)
            .unwrap();
        a.rights()
            .grant(&as_pi, "carol", s, g("see,download"), T0)
            .unwrap();
        a.rights().grant(&as_pi, "bob", s, g("see"), T0).unwrap();
        assert!(a.rights().revoke(&as_bob, "carol", s, T0).is_err());
        assert!(a
            .rights()
            .grant(&as_pi, "carol", other, g("see"), T0)
            .is_err());
        a.rights().revoke(&as_pi, "carol", s, T0).unwrap();
        // A time-limited administrator loses the power when the right expires.
        a.rights()
            .grant(
                &op,
                "prof",
                s,
                Grant {
                    until: Date::new(2026, 3, 1),
                    ..g("administer")
                },
                T0,
            )
            .unwrap();
        assert!(a
            .rights()
            .grant(&as_pi, "carol", s, g("see"), T0 + DAY)
            .is_err());
    }
}
