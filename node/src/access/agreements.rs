//! Data-use agreements: per study, a versioned text that each user must accept before any right
//! on the study takes effect for them (see [`policy`](super::policy)). Setting a new version
//! suspends every earlier acceptance until the user accepts the new text.

use std::collections::HashMap;

use protocol::id::{StudyId, UserId};
use redb::{ReadTransaction, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::{check_text, dec, enc, read_table, Access, AccessError, Denied, Principal, Result};
use crate::audit::{Audit, AuditAction, NewEvent};
use crate::clock::UnixTime;

type Id = [u8; 16];

/// (study id, version) -> [`Agreement`] (CBOR). Versions start at 1 and only grow.
const AGREEMENTS: TableDefinition<(Id, u32), &[u8]> = TableDefinition::new("access_agreements");
/// (user id, study id) -> the user's latest [`Acceptance`] (CBOR).
const ACCEPTANCES: TableDefinition<(Id, Id), &[u8]> = TableDefinition::new("access_acceptances");

/// Longest agreement text, in characters.
pub const MAX_AGREEMENT_CHARS: usize = 100_000;

/// One version of a study's data-use agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// The study.
    pub study: StudyId,
    /// Version, from 1.
    pub version: u32,
    /// The text users accept.
    pub text: String,
    /// Who set it.
    pub set_by: String,
    /// When, unix seconds.
    pub set_at: UnixTime,
}

/// A user's acceptance of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    /// Who.
    pub user: UserId,
    /// Which study.
    pub study: StudyId,
    /// Which version.
    pub version: u32,
    /// When, unix seconds.
    pub at: UnixTime,
}

fn latest(
    t: &impl ReadableTable<(Id, u32), &'static [u8]>,
    study: StudyId,
) -> Result<Option<Agreement>> {
    let s = study.to_bytes();
    match t.range((s, 0u32)..=(s, u32::MAX))?.next_back() {
        Some(item) => {
            let (_, v) = item?;
            Ok(Some(dec("agreement", &s, v.value())?))
        }
        None => Ok(None),
    }
}

/// The version in force of every study that has an agreement.
pub(crate) fn current_versions(txn: &ReadTransaction) -> Result<HashMap<StudyId, u32>> {
    let mut out = HashMap::new();
    if let Some(t) = read_table(txn, AGREEMENTS)? {
        for item in t.iter()? {
            let (k, _) = item?;
            let (s, v) = k.value();
            // Keys sort by version within a study: the last one wins.
            out.insert(StudyId::from_bytes(s), v);
        }
    }
    Ok(out)
}

/// The versions `user` accepted, by study.
pub(crate) fn accepted_by(txn: &ReadTransaction, user: UserId) -> Result<HashMap<StudyId, u32>> {
    let mut out = HashMap::new();
    if let Some(t) = read_table(txn, ACCEPTANCES)? {
        let u = user.to_bytes();
        for item in t.range((u, [0u8; 16])..=(u, [0xffu8; 16]))? {
            let (k, v) = item?;
            let a: Acceptance = dec("acceptance", &k.value().1, v.value())?;
            out.insert(a.study, a.version);
        }
    }
    Ok(out)
}

/// Data-use agreements.
#[derive(Debug, Clone, Copy)]
pub struct Agreements<'a> {
    access: Access<'a>,
}

impl<'a> Agreements<'a> {
    pub(crate) fn new(access: Access<'a>) -> Self {
        Agreements { access }
    }

    /// Set a new version of `study`'s agreement (`actor`: a study administrator, an admin or the
    /// operator). A user who sets it accepts it by doing so.
    pub fn set(
        &self,
        actor: &Principal,
        study: StudyId,
        text: &str,
        now: UnixTime,
    ) -> Result<Agreement> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AccessError::Invalid("the agreement text is empty".into()));
        }
        check_text("the agreement text", text, MAX_AGREEMENT_CHARS)?;
        self.access.require_study(study)?;
        self.access.require_administer(actor, study, now)?;
        let txn = self.access.db().begin_write()?;
        let agreement = {
            let mut t = txn.open_table(AGREEMENTS)?;
            let version = match latest(&t, study)? {
                Some(a) => a
                    .version
                    .checked_add(1)
                    .ok_or_else(|| AccessError::Invalid("too many agreement versions".into()))?,
                None => 1,
            };
            let agreement = Agreement {
                study,
                version,
                text: text.to_string(),
                set_by: actor.audit_name(),
                set_at: now,
            };
            t.insert((study.to_bytes(), version), enc(&agreement).as_slice())?;
            Audit::append_in(
                &txn,
                NewEvent::new(&actor.audit_name(), AuditAction::AgreementSet, now)
                    .study(study)
                    .detail(format!("version={version} chars={}", text.chars().count())),
            )?;
            if let Principal::User(u) = actor {
                record_acceptance(&txn, u.id, &u.name, study, version, now)?;
            }
            agreement
        };
        txn.commit()?;
        Ok(agreement)
    }

    /// The version in force, if the study has an agreement.
    pub fn current(&self, study: StudyId) -> Result<Option<Agreement>> {
        let txn = self.access.begin_read()?;
        match read_table(&txn, AGREEMENTS)? {
            Some(t) => latest(&t, study),
            None => Ok(None),
        }
    }

    /// Every version, oldest first.
    pub fn history(&self, study: StudyId) -> Result<Vec<Agreement>> {
        let txn = self.access.begin_read()?;
        let Some(t) = read_table(&txn, AGREEMENTS)? else {
            return Ok(Vec::new());
        };
        let s = study.to_bytes();
        let mut out = Vec::new();
        for item in t.range((s, 0u32)..=(s, u32::MAX))? {
            out.push(dec("agreement", &s, item?.1.value())?);
        }
        Ok(out)
    }

    /// `actor` (a user) accepts `version` of `study`'s agreement, which must be the one in force
    /// (so nobody accepts a text they were not shown).
    pub fn accept(
        &self,
        actor: &Principal,
        study: StudyId,
        version: u32,
        now: UnixTime,
    ) -> Result<Acceptance> {
        let Principal::User(u) = actor else {
            return Err(Denied::NotAUser.into());
        };
        let user = self
            .access
            .users()
            .by_id(u.id)?
            .ok_or_else(|| AccessError::UnknownUser(u.name.clone()))?;
        if user.disabled {
            return Err(Denied::Disabled(user.name).into());
        }
        let txn = self.access.db().begin_write()?;
        let acceptance = {
            let t = txn.open_table(AGREEMENTS)?;
            if latest(&t, study)?.map(|a| a.version) != Some(version) {
                return Err(AccessError::AgreementMismatch { study, version });
            }
            record_acceptance(&txn, user.id, &user.name, study, version, now)?
        };
        txn.commit()?;
        Ok(acceptance)
    }

    /// The latest version `user` accepted of `study`'s agreement, if any.
    pub fn acceptance(&self, user: UserId, study: StudyId) -> Result<Option<Acceptance>> {
        let txn = self.access.begin_read()?;
        let Some(t) = read_table(&txn, ACCEPTANCES)? else {
            return Ok(None);
        };
        match t.get((user.to_bytes(), study.to_bytes()))? {
            Some(v) => Ok(Some(dec("acceptance", &user.to_bytes(), v.value())?)),
            None => Ok(None),
        }
    }
}

fn record_acceptance(
    txn: &redb::WriteTransaction,
    user: UserId,
    user_name: &str,
    study: StudyId,
    version: u32,
    now: UnixTime,
) -> Result<Acceptance> {
    let a = Acceptance {
        user,
        study,
        version,
        at: now,
    };
    txn.open_table(ACCEPTANCES)?
        .insert((user.to_bytes(), study.to_bytes()), enc(&a).as_slice())?;
    Audit::append_in(
        txn,
        NewEvent::new(user_name, AuditAction::AgreementAccept, now)
            .study(study)
            .detail(format!("version={version}")),
    )?;
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fixture, T0};
    use super::super::{Grant, Right, Role};
    use super::*;
    use crate::audit::AuditFilter;

    #[test]
    fn versions_grow_and_acceptance_must_match_the_current_one() {
        let f = Fixture::new();
        let a = f.access();
        let s = f.study("s");
        let alice = f.user("alice", Role::User);
        let op = Principal::Operator;
        let as_alice = Principal::User(alice.clone());
        assert!(a.agreements().current(s).unwrap().is_none());
        assert!(matches!(
            a.agreements().accept(&as_alice, s, 1, T0),
            Err(AccessError::AgreementMismatch { .. })
        ));
        assert!(a.agreements().set(&op, s, "  \n ", T0).is_err());
        assert!(a.agreements().set(&op, StudyId::new(), "text", T0).is_err());
        let v1 = a.agreements().set(&op, s, "First text.\n", T0).unwrap();
        assert_eq!((v1.version, v1.text.as_str()), (1, "First text."));
        let v2 = a.agreements().set(&op, s, "Second text.", T0 + 1).unwrap();
        assert_eq!(v2.version, 2);
        assert_eq!(a.agreements().current(s).unwrap(), Some(v2.clone()));
        assert_eq!(a.agreements().history(s).unwrap(), vec![v1, v2]);

        assert!(a.agreements().accept(&as_alice, s, 1, T0).is_err());
        assert!(matches!(
            a.agreements().accept(&op, s, 2, T0),
            Err(AccessError::Denied(Denied::NotAUser))
        ));
        let acc = a.agreements().accept(&as_alice, s, 2, T0 + 5).unwrap();
        assert_eq!(a.agreements().acceptance(alice.id, s).unwrap(), Some(acc));
        let log = f.catalog.audit().list(&AuditFilter::default()).unwrap();
        assert_eq!(log[0].action, AuditAction::AgreementAccept);
        assert_eq!(log[0].who, "alice");
        assert_eq!(log[0].detail, "version=2");
        assert_eq!(log[1].action, AuditAction::AgreementSet);
    }

    #[test]
    fn study_administrators_set_agreements_and_accept_them_by_doing_so() {
        let f = Fixture::new();
        let a = f.access();
        let s = f.study("s");
        let pi = Principal::User(f.user("prof", Role::User));
        let bob = Principal::User(f.user("bob", Role::User));
        assert!(a.agreements().set(&bob, s, "text", T0).is_err());
        a.rights()
            .grant(
                &Principal::Operator,
                "prof",
                s,
                Grant {
                    rights: "administer,see".parse().unwrap(),
                    until: None,
                    centers: None,
                },
                T0,
            )
            .unwrap();
        a.agreements().set(&pi, s, "v1", T0).unwrap();
        // Still an administrator afterwards: setting it accepted it.
        a.check(&pi, Right::Administer, s, None, T0).unwrap();
        a.agreements().set(&pi, s, "v2", T0).unwrap();
        a.check(&pi, Right::See, s, None, T0).unwrap();
    }
}
