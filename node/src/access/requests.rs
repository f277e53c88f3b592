//! Access requests: a user asks for rights on a study with a motivation; a study administrator
//! (or an admin, or the operator) approves, which grants them, or refuses with a reason.
//!
//! An account request is the same with a new, disabled account attached: approving it also
//! enables the account. Each step writes its audit record in the same transaction.

use std::fmt;

use protocol::id::{StudyId, UserId};
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::rights::{self, Grant, StudyRight};
use super::{
    check_text, dec, enc, read_table, users, Access, AccessError, Denied, NewUser, Principal,
    Result, Right, RightSet, Role,
};
use crate::audit::{Audit, AuditAction, NewEvent};
use crate::clock::UnixTime;

/// Request id -> [`AccessRequest`] (CBOR).
const REQUESTS: TableDefinition<[u8; 16], &[u8]> = TableDefinition::new("access_requests");

/// Longest motivation or reason, in characters.
pub const MAX_MOTIVATION_CHARS: usize = 4000;

pub use protocol::id::RequestId;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Awaiting a decision.
    Pending,
    /// Approved: the rights were granted.
    Approved,
    /// Refused.
    Refused,
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Refused => "refused",
        })
    }
}

/// A request for rights on a study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequest {
    /// Id.
    pub id: RequestId,
    /// Who asks.
    pub user: UserId,
    /// Their login name.
    pub user_name: String,
    /// On which study.
    pub study: StudyId,
    /// Which rights.
    pub rights: RightSet,
    /// Why (shown to the study administrators).
    pub motivation: String,
    /// Whether the account itself awaits approval.
    pub new_account: bool,
    /// State.
    pub status: RequestStatus,
    /// Submitted, unix seconds.
    pub created_at: UnixTime,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When, unix seconds.
    pub decided_at: Option<UnixTime>,
    /// The decider's reason.
    pub reason: Option<String>,
}

/// A study administrator's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Grant these terms (their rights are added to what the user already has on the study;
    /// expiry and centers replace the previous ones).
    Approve(Grant),
    /// Refuse.
    Refuse,
}

/// Access and account requests.
#[derive(Debug, Clone, Copy)]
pub struct Requests<'a> {
    access: Access<'a>,
}

fn check_motivation(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(AccessError::Invalid("a motivation is required".into()));
    }
    check_text("the motivation", text, MAX_MOTIVATION_CHARS)
}

fn put(txn: &redb::WriteTransaction, r: &AccessRequest) -> Result<()> {
    txn.open_table(REQUESTS)?
        .insert(r.id.to_bytes(), enc(r).as_slice())?;
    Ok(())
}

fn submitted_event(r: &AccessRequest, now: UnixTime) -> NewEvent {
    NewEvent::new(&r.user_name, AuditAction::AccessRequest, now)
        .study(r.study)
        .detail(format!(
            "request={} rights={}{}",
            r.id,
            r.rights,
            if r.new_account { " new_account" } else { "" }
        ))
}

impl<'a> Requests<'a> {
    pub(crate) fn new(access: Access<'a>) -> Self {
        Requests { access }
    }

    /// `actor` (an enabled user) asks for `rights` on `study`. One pending request per user and
    /// study at a time.
    pub fn submit(
        &self,
        actor: &Principal,
        study: StudyId,
        rights: RightSet,
        motivation: &str,
        now: UnixTime,
    ) -> Result<AccessRequest> {
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
        self.check_new(study, &rights, motivation)?;
        if self.pending_of(user.id, study)?.is_some() {
            return Err(AccessError::Invalid(format!(
                "{} already has a pending request on study {study}",
                user.name
            )));
        }
        let r = Self::record(user.id, &user.name, study, rights, motivation, false, now);
        let txn = self.access.db().begin_write()?;
        put(&txn, &r)?;
        Audit::append_in(&txn, submitted_event(&r, now))?;
        txn.commit()?;
        Ok(r)
    }

    /// Someone without an account asks for one, with `rights` on `study`: the account is created
    /// disabled (role user) and enabled when a study administrator approves.
    pub fn request_account(
        &self,
        new: NewUser,
        password: &str,
        study: StudyId,
        rights: RightSet,
        motivation: &str,
        now: UnixTime,
    ) -> Result<AccessRequest> {
        self.check_new(study, &rights, motivation)?;
        let new = NewUser {
            role: Role::User,
            disabled: true,
            ..new
        };
        let made = std::cell::RefCell::new(None);
        let then = |txn: &redb::WriteTransaction, user: &users::User| -> Result<()> {
            let r = Self::record(
                user.id,
                &user.name,
                study,
                rights.clone(),
                motivation,
                true,
                now,
            );
            put(txn, &r)?;
            Audit::append_in(txn, submitted_event(&r, now))?;
            *made.borrow_mut() = Some(r);
            Ok(())
        };
        self.access
            .users()
            .create("anonymous", new, password, now, Some(&then))?;
        made.into_inner()
            .ok_or_else(|| AccessError::Invalid("account request not recorded".into()))
    }

    fn check_new(&self, study: StudyId, rights: &RightSet, motivation: &str) -> Result<()> {
        if rights.is_empty() {
            return Err(AccessError::Invalid("no rights requested".into()));
        }
        check_motivation(motivation)?;
        self.access.require_study(study)?;
        Ok(())
    }

    fn record(
        user: UserId,
        user_name: &str,
        study: StudyId,
        rights: RightSet,
        motivation: &str,
        new_account: bool,
        now: UnixTime,
    ) -> AccessRequest {
        AccessRequest {
            id: RequestId::new(),
            user,
            user_name: user_name.to_string(),
            study,
            rights,
            motivation: motivation.trim().to_string(),
            new_account,
            status: RequestStatus::Pending,
            created_at: now,
            decided_by: None,
            decided_at: None,
            reason: None,
        }
    }

    /// Approve or refuse a pending request (`actor`: an administrator of its study, an admin or
    /// the operator). Approving grants the rights (and enables a new account) in the same
    /// transaction as the decision and its audit records.
    pub fn decide(
        &self,
        actor: &Principal,
        id: RequestId,
        decision: Decision,
        reason: Option<&str>,
        now: UnixTime,
    ) -> Result<AccessRequest> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = reason {
            check_text("the reason", r, MAX_MOTIVATION_CHARS)?;
        }
        let req = self.get(id)?.ok_or(AccessError::UnknownRequest(id))?;
        self.access.require_administer(actor, req.study, now)?;
        if let Decision::Approve(g) = &decision {
            if g.rights.is_empty() {
                return Err(AccessError::Invalid("no rights to grant".into()));
            }
            if let Some(d) = g.until {
                super::require_future(d, now)?;
            }
        }
        let who = actor.audit_name();
        let txn = self.access.db().begin_write()?;
        let decided = {
            let mut table = txn.open_table(REQUESTS)?;
            let mut req: AccessRequest = match table.get(id.to_bytes())? {
                Some(v) => dec("request", &id.to_bytes(), v.value())?,
                None => return Err(AccessError::UnknownRequest(id)),
            };
            if req.status != RequestStatus::Pending {
                return Err(AccessError::AlreadyDecided {
                    id,
                    status: req.status,
                });
            }
            req.status = match decision {
                Decision::Approve(_) => RequestStatus::Approved,
                Decision::Refuse => RequestStatus::Refused,
            };
            req.decided_by = Some(who.clone());
            req.decided_at = Some(now);
            req.reason = reason.map(str::to_string);
            table.insert(id.to_bytes(), enc(&req).as_slice())?;
            drop(table);
            Audit::append_in(
                &txn,
                NewEvent::new(&who, AuditAction::AccessDecision, now)
                    .study(req.study)
                    .detail(format!(
                        "request={id} user={} {}",
                        req.user_name, req.status
                    )),
            )?;
            if let Decision::Approve(g) = decision {
                let existing = {
                    let t = txn.open_table(rights::RIGHTS)?;
                    rights::get_in(&t, req.user, req.study)?
                };
                let mut centers = g.centers;
                if let Some(cs) = &mut centers {
                    cs.sort();
                    cs.dedup();
                }
                let right = StudyRight {
                    user: req.user,
                    study: req.study,
                    rights: existing
                        .map(|e| e.rights.union(&g.rights))
                        .unwrap_or(g.rights),
                    until: g.until,
                    centers,
                    granted_by: who.clone(),
                    granted_at: now,
                };
                rights::put_in(&txn, &right, &req.user_name, &who, now)?;
                if req.new_account {
                    users::Users::enable_in(&txn, req.user)?;
                }
            }
            req
        };
        txn.commit()?;
        Ok(decided)
    }

    /// A request by id.
    pub fn get(&self, id: RequestId) -> Result<Option<AccessRequest>> {
        let txn = self.access.begin_read()?;
        let Some(t) = read_table(&txn, REQUESTS)? else {
            return Ok(None);
        };
        match t.get(id.to_bytes())? {
            Some(v) => Ok(Some(dec("request", &id.to_bytes(), v.value())?)),
            None => Ok(None),
        }
    }

    /// Requests, oldest first, on `study` and in `status` when given.
    pub fn list(
        &self,
        study: Option<StudyId>,
        status: Option<RequestStatus>,
    ) -> Result<Vec<AccessRequest>> {
        let txn = self.access.begin_read()?;
        let Some(t) = read_table(&txn, REQUESTS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let r: AccessRequest = dec("request", &k.value(), v.value())?;
            if study.is_none_or(|s| s == r.study) && status.is_none_or(|s| s == r.status) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The pending requests `actor` may decide.
    pub fn pending_for(&self, actor: &Principal, now: UnixTime) -> Result<Vec<AccessRequest>> {
        let scope = self.access.scope(actor, Right::Administer, now)?;
        Ok(self
            .list(None, Some(RequestStatus::Pending))?
            .into_iter()
            .filter(|r| scope.allows(r.study, None))
            .collect())
    }

    fn pending_of(&self, user: UserId, study: StudyId) -> Result<Option<AccessRequest>> {
        Ok(self
            .list(Some(study), Some(RequestStatus::Pending))?
            .into_iter()
            .find(|r| r.user == user))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fixture, T0};
    use super::*;
    use crate::audit::AuditFilter;

    fn approve(rights: &str) -> Decision {
        Decision::Approve(Grant {
            rights: rights.parse().unwrap(),
            until: None,
            centers: None,
        })
    }

    #[test]
    fn request_ids_round_trip() {
        let id = RequestId::new();
        assert_eq!(id.to_string().parse::<RequestId>().unwrap(), id);
        assert!("st_01ARZ3NDEKTSV4RRFFQ69G5FAV"
            .parse::<RequestId>()
            .is_err());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<RequestId>(&json).unwrap(), id);
        assert_eq!(dec::<RequestId>("id", b"", &enc(&id)).unwrap(), id);
    }

    #[test]
    fn a_study_administrator_approves_and_the_right_takes_effect() {
        let f = Fixture::new();
        let a = f.access();
        let s = f.study("s");
        let other = f.study("other");
        let alice = Principal::User(f.user("alice", Role::User));
        let pi = Principal::User(f.user("prof", Role::User));
        let bob = Principal::User(f.user("bob", Role::User));
        let op = Principal::Operator;
        a.rights()
            .grant(
                &op,
                "prof",
                s,
                Grant {
                    rights: "administer".parse().unwrap(),
                    until: None,
                    centers: None,
                },
                T0,
            )
            .unwrap();
        a.rights()
            .grant(
                &op,
                "alice",
                s,
                Grant {
                    rights: "see".parse().unwrap(),
                    until: None,
                    centers: None,
                },
                T0,
            )
            .unwrap();

        let rights: RightSet = "download".parse().unwrap();
        assert!(a
            .requests()
            .submit(&alice, s, rights.clone(), "  ", T0)
            .is_err());
        assert!(a
            .requests()
            .submit(&op, s, rights.clone(), "why", T0)
            .is_err());
        let r = a
            .requests()
            .submit(
                &alice,
                s,
                rights.clone(),
                "Replication of the 2024 paper.",
                T0,
            )
            .unwrap();
        assert_eq!(r.status, RequestStatus::Pending);
        assert!(a
            .requests()
            .submit(&alice, s, rights.clone(), "again", T0)
            .is_err());
        let r_other = a
            .requests()
            .submit(&alice, other, rights, "other", T0)
            .unwrap();

        assert_eq!(a.requests().pending_for(&pi, T0).unwrap(), vec![r.clone()]);
        assert!(a.requests().pending_for(&bob, T0).unwrap().is_empty());
        assert_eq!(a.requests().pending_for(&op, T0).unwrap().len(), 2);

        // Neither a bystander nor the requester decides; the study administrator does.
        for who in [&bob, &alice] {
            let err = a
                .requests()
                .decide(who, r.id, approve("download"), None, T0)
                .unwrap_err();
            assert!(matches!(err, AccessError::Denied(_)), "{err}");
        }
        assert!(a
            .requests()
            .decide(&pi, r_other.id, Decision::Refuse, None, T0)
            .is_err());
        assert!(a.check(&alice, Right::Download, s, None, T0).is_err());
        let done = a
            .requests()
            .decide(&pi, r.id, approve("download"), Some("ok"), T0 + 5)
            .unwrap();
        assert_eq!(done.status, RequestStatus::Approved);
        assert_eq!(done.decided_by.as_deref(), Some("prof"));
        assert_eq!(done.reason.as_deref(), Some("ok"));
        // Added to the existing see right.
        a.check(&alice, Right::Download, s, None, T0 + 5).unwrap();
        a.check(&alice, Right::See, s, None, T0 + 5).unwrap();
        assert!(matches!(
            a.requests().decide(&pi, r.id, Decision::Refuse, None, T0),
            Err(AccessError::AlreadyDecided { .. })
        ));

        let refused = a
            .requests()
            .decide(&op, r_other.id, Decision::Refuse, Some("not this one"), T0)
            .unwrap();
        assert_eq!(refused.status, RequestStatus::Refused);
        assert!(a.check(&alice, Right::Download, other, None, T0).is_err());
        assert!(a.requests().pending_for(&op, T0).unwrap().is_empty());

        let log = f.catalog.audit().list(&AuditFilter::default()).unwrap();
        let actions: Vec<AuditAction> = log.iter().take(5).map(|e| e.action).collect();
        assert_eq!(
            actions,
            [
                AuditAction::AccessDecision,
                AuditAction::RightGrant,
                AuditAction::AccessDecision,
                AuditAction::AccessRequest,
                AuditAction::AccessRequest
            ]
        );
        assert!(matches!(
            a.requests()
                .decide(&op, RequestId::new(), Decision::Refuse, None, T0),
            Err(AccessError::UnknownRequest(_))
        ));
    }

    #[test]
    fn account_requests_create_a_disabled_account_until_approved() {
        let f = Fixture::new();
        let a = f.access();
        let s = f.study("s");
        let new = NewUser {
            email: Some("eve@example.org".into()),
            role: Role::Admin,
            ..NewUser::new("eve", Role::Admin)
        };
        let rights: RightSet = "see".parse().unwrap();
        assert!(a
            .requests()
            .request_account(
                new.clone(),
                "long enough",
                StudyId::new(),
                rights.clone(),
                "x",
                T0
            )
            .is_err());
        assert!(
            a.users().get("eve").unwrap().is_none(),
            "nothing left behind"
        );
        let r = a
            .requests()
            .request_account(
                new.clone(),
                "long enough",
                s,
                rights.clone(),
                "PhD work",
                T0,
            )
            .unwrap();
        assert!(r.new_account);
        let eve = a.users().require("eve").unwrap();
        assert!(eve.disabled);
        assert_eq!(eve.role, Role::User, "nobody asks to be admin");
        assert!(matches!(
            a.users().authenticate("eve", "long enough"),
            Err(AccessError::AccountDisabled(_))
        ));
        // The name is taken now.
        assert!(a
            .requests()
            .request_account(new, "long enough", s, rights, "again", T0)
            .is_err());

        a.requests()
            .decide(&Principal::Operator, r.id, approve("see"), None, T0)
            .unwrap();
        let eve = a.users().authenticate("eve", "long enough").unwrap();
        a.check(&Principal::User(eve), Right::See, s, None, T0)
            .unwrap();
    }
}
