//! The access decision: what a principal may do, as a scope for queries ([`AccessScope`]) and as
//! a yes or a precise no for one study and center ([`Denied`]).
//!
//! The rules, in the order they are applied:
//! 1. The operator and enabled admins may do everything; disabled and unknown accounts nothing.
//! 2. A user holds a right on a study when a [`StudyRight`] grants it and has not expired (valid
//!    through the end of its `until` day, UTC), for the centers it lists (all when it lists none),
//!    or, for `see` only, when the study is public and out of embargo (every center).
//! 3. If the study has a data-use agreement, none of the above takes effect before the user has
//!    accepted its current version.
//!
//! Rights are independent: `download` does not imply `see`, nor `administer` anything else.
//! [`AccessScope`] and [`Facts::check`] are computed from the same [`Facts`], so a dataset is
//! found by search exactly when it may be viewed.

use std::collections::{BTreeMap, HashMap};

use protocol::id::{CenterId, StudyId};
use serde::Serialize;

use super::{end_of_day, users, Access, Principal, Result, Right, StudyRight};
use crate::clock::{Date, UnixTime};

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The account is disabled.
    #[error("account {0:?} is disabled")]
    Disabled(String),
    /// The account no longer exists.
    #[error("account {0:?} does not exist")]
    UnknownUser(String),
    /// The action needs the admin role.
    #[error("account {0:?} is not an administrator")]
    NotAdmin(String),
    /// The action needs a local account (not the operator or a remote principal).
    #[error("this action needs a user account")]
    NotAUser,
    /// The study does not exist.
    #[error("no study {0}")]
    UnknownStudy(StudyId),
    /// No such right on the study.
    #[error("no {right} right on study {study}")]
    NoRight {
        /// The right needed.
        right: Right,
        /// The study.
        study: StudyId,
    },
    /// The right existed but has expired.
    #[error("the {right} right on study {study} expired on {until}")]
    Expired {
        /// The right needed.
        right: Right,
        /// The study.
        study: StudyId,
        /// Its last valid day.
        until: Date,
    },
    /// The study's data-use agreement must be accepted first.
    #[error("study {study} requires accepting its data-use agreement (version {version}) first")]
    AgreementNotAccepted {
        /// The study.
        study: StudyId,
        /// The version in force.
        version: u32,
    },
    /// The right is limited to other centers (`center: None`: the action concerns the whole
    /// study, which a center-limited right does not cover).
    #[error("the {right} right on study {study} does not cover {}", match .center { Some(c) => format!("center {c}"), None => "every center".into() })]
    CenterNotAllowed {
        /// The right needed.
        right: Right,
        /// The study.
        study: StudyId,
        /// The center asked for.
        center: Option<CenterId>,
    },
}

/// A study on which a principal would hold a right but for its data-use agreement, whose version
/// in force they have not accepted (so nothing of it is in their [`AccessScope`] yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingAgreement {
    /// The study.
    pub study: StudyId,
    /// Its name.
    pub study_name: String,
    /// The version to accept.
    pub version: u32,
}

/// The part of a study a principal may act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudyScope {
    /// The study.
    pub study: StudyId,
    /// The centers whose data is covered; `None`: all of them.
    pub centers: Option<Vec<CenterId>>,
}

/// Where a principal may exercise one right: the filter the search index applies to hits and
/// facet counts alike (a dataset matches when its study is listed and, if the entry lists
/// centers, its examination's center is one of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessScope {
    /// Everything on this node (the operator, admins).
    All,
    /// Only these studies, each at most once, sorted by study id; empty: nothing.
    Studies(Vec<StudyScope>),
}

impl AccessScope {
    /// Nothing at all.
    pub fn none() -> Self {
        AccessScope::Studies(Vec::new())
    }

    /// Whether it covers nothing.
    pub fn is_empty(&self) -> bool {
        matches!(self, AccessScope::Studies(v) if v.is_empty())
    }

    /// Whether data of `study` acquired at `center` is covered (`center: None`: the whole study).
    pub fn allows(&self, study: StudyId, center: Option<CenterId>) -> bool {
        match self {
            AccessScope::All => true,
            AccessScope::Studies(v) => v.iter().any(|s| {
                s.study == study
                    && match (&s.centers, center) {
                        (None, _) => true,
                        (Some(cs), Some(c)) => cs.contains(&c),
                        (Some(_), None) => false,
                    }
            }),
        }
    }
}

#[derive(Debug, Clone)]
struct StudyFacts {
    name: String,
    public: bool,
    /// When a public study becomes visible to all (its embargo date), unix seconds.
    public_from: UnixTime,
}

#[derive(Debug, Clone)]
enum Who {
    Everything,
    Nobody(super::Denied),
    User,
}

/// Everything the decision needs about one principal, read at one moment.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    who: Who,
    studies: HashMap<StudyId, StudyFacts>,
    rights: HashMap<StudyId, StudyRight>,
    agreements: HashMap<StudyId, u32>,
    accepted: HashMap<StudyId, u32>,
}

impl Facts {
    pub(crate) fn load(access: Access<'_>, principal: &Principal) -> Result<Facts> {
        let mut facts = Facts {
            who: Who::Everything,
            studies: HashMap::new(),
            rights: HashMap::new(),
            agreements: HashMap::new(),
            accepted: HashMap::new(),
        };
        let user = match principal {
            Principal::Operator => return Ok(facts),
            Principal::User(u) => u,
        };
        let txn = access.begin_read()?;
        let Some(cur) = users::user_in(&txn, user.id)? else {
            facts.who = Who::Nobody(Denied::UnknownUser(user.name.clone()));
            return Ok(facts);
        };
        if cur.disabled {
            facts.who = Who::Nobody(Denied::Disabled(cur.name));
            return Ok(facts);
        }
        if cur.role == users::Role::Admin {
            return Ok(facts);
        }
        facts.who = Who::User;
        facts.rights = super::rights::load_for_user(&txn, cur.id)?;
        facts.agreements = super::agreements::current_versions(&txn)?;
        facts.accepted = super::agreements::accepted_by(&txn, cur.id)?;
        drop(txn);
        for s in access.catalog().studies()? {
            let public_from = public_from(&s);
            facts.studies.insert(
                s.id,
                StudyFacts {
                    name: s.name,
                    public: s.public,
                    public_from,
                },
            );
        }
        Ok(facts)
    }

    /// The agreement version `study` requires and the user has not accepted, if any.
    fn agreement_missing(&self, study: StudyId) -> Option<u32> {
        let v = *self.agreements.get(&study)?;
        (self.accepted.get(&study) != Some(&v)).then_some(v)
    }

    fn public_see(&self, right: Right, study: StudyId, now: UnixTime) -> bool {
        right == Right::See
            && self
                .studies
                .get(&study)
                .is_some_and(|s| s.public && now >= s.public_from)
    }

    /// The granted right on `study` covering `right` now, or why there is none.
    fn granted(&self, right: Right, study: StudyId, now: UnixTime) -> Result<&StudyRight, Denied> {
        let r = self
            .rights
            .get(&study)
            .filter(|r| r.rights.contains(right))
            .ok_or(Denied::NoRight { right, study })?;
        match r.until {
            Some(until) if now >= end_of_day(until) => Err(Denied::Expired {
                right,
                study,
                until,
            }),
            _ => Ok(r),
        }
    }

    pub(crate) fn check(
        &self,
        right: Right,
        study: StudyId,
        center: Option<CenterId>,
        now: UnixTime,
    ) -> Result<(), Denied> {
        match &self.who {
            Who::Everything => return Ok(()),
            Who::Nobody(d) => return Err(d.clone()),
            Who::User => {}
        }
        if !self.studies.contains_key(&study) {
            return Err(Denied::UnknownStudy(study));
        }
        if !self.public_see(right, study, now) {
            let r = self.granted(right, study, now)?;
            if let Some(cs) = &r.centers {
                if !center.is_some_and(|c| cs.contains(&c)) {
                    return Err(Denied::CenterNotAllowed {
                        right,
                        study,
                        center,
                    });
                }
            }
        }
        if let Some(version) = self.agreement_missing(study) {
            return Err(Denied::AgreementNotAccepted { study, version });
        }
        Ok(())
    }

    pub(crate) fn scope(&self, right: Right, now: UnixTime) -> AccessScope {
        match &self.who {
            Who::Everything => return AccessScope::All,
            Who::Nobody(_) => return AccessScope::none(),
            Who::User => {}
        }
        let mut out: BTreeMap<StudyId, Option<Vec<CenterId>>> = BTreeMap::new();
        for &study in self.studies.keys() {
            if self.agreement_missing(study).is_some() {
                continue;
            }
            if self.public_see(right, study, now) {
                out.insert(study, None);
            } else if let Ok(r) = self.granted(right, study, now) {
                let mut centers = r.centers.clone();
                if let Some(cs) = &mut centers {
                    cs.sort();
                    cs.dedup();
                }
                out.insert(study, centers);
            }
        }
        AccessScope::Studies(
            out.into_iter()
                .map(|(study, centers)| StudyScope { study, centers })
                .collect(),
        )
    }

    /// The studies left out of [`Facts::scope`] only because their agreement is not accepted:
    /// the principal holds `right` there now (granted and current, or public `see`). By study id.
    pub(crate) fn pending_agreements(&self, right: Right, now: UnixTime) -> Vec<PendingAgreement> {
        if !matches!(self.who, Who::User) {
            return Vec::new();
        }
        let mut out: Vec<PendingAgreement> = self
            .studies
            .iter()
            .filter_map(|(&study, facts)| {
                let version = self.agreement_missing(study)?;
                let holds =
                    self.public_see(right, study, now) || self.granted(right, study, now).is_ok();
                holds.then(|| PendingAgreement {
                    study,
                    study_name: facts.name.clone(),
                    version,
                })
            })
            .collect();
        out.sort_by_key(|p| p.study);
        out
    }
}

/// When `study` becomes visible to everyone: its embargo lifts when its day begins (UTC); an
/// unreadable embargo date never lifts. Meaningful only for a public study.
fn public_from(study: &crate::catalog::Study) -> UnixTime {
    match &study.embargo_until {
        None => 0,
        Some(d) => super::parse_date(d)
            .ok()
            .map(|d| d.start_unix().unwrap_or(0))
            .unwrap_or(UnixTime::MAX),
    }
}

impl Access<'_> {
    /// The public studies whose embargo is over at `now`: what a `public` grant covers.
    pub fn public_studies(&self, now: UnixTime) -> Result<Vec<StudyId>> {
        Ok(self
            .catalog()
            .studies()?
            .into_iter()
            .filter(|s| s.public && now >= public_from(s))
            .map(|s| s.id)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fixture, DAY, T0};
    use super::super::{Grant, Role, User};
    use super::*;
    use crate::access::AccessError;

    /// What `check` should say, by kind.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Want {
        Yes,
        NoRight,
        Expired,
        Agreement,
        Center,
        Disabled,
    }

    fn kind(r: &Result<(), AccessError>) -> Want {
        match r {
            Ok(()) => Want::Yes,
            Err(AccessError::Denied(d)) => match d {
                Denied::NoRight { .. } => Want::NoRight,
                Denied::Expired { .. } => Want::Expired,
                Denied::AgreementNotAccepted { .. } => Want::Agreement,
                Denied::CenterNotAllowed { .. } => Want::Center,
                Denied::Disabled(_) => Want::Disabled,
                other => panic!("unexpected denial {other}"),
            },
            Err(e) => panic!("unexpected error {e}"),
        }
    }

    fn grant(rights: &str, until: Option<Date>, centers: Option<Vec<CenterId>>) -> Grant {
        Grant {
            rights: rights.parse().unwrap(),
            until,
            centers,
        }
    }

    #[test]
    fn rights_matrix() {
        use Right::{Download as D, See as S};
        use Want::*;
        let f = Fixture::new();
        let a = f.access();
        let op = Principal::Operator;
        let c1 = f.center.id;
        let c2 = CenterId::new();

        let closed = f.study("closed");
        let public = f.study("public");
        let dua = f.study("with agreement");
        let embargoed = f.study("embargoed");
        for (s, embargo) in [(public, None), (embargoed, Some("2026-03-05"))] {
            let mut st = f.catalog.study(s).unwrap().unwrap();
            st.public = true;
            st.embargo_until = embargo.map(str::to_string);
            f.catalog.update_study(&st).unwrap();
        }
        a.agreements()
            .set(&op, dua, "Cite the consortium.", T0)
            .unwrap();

        let nobody = f.user("nobody", Role::User);
        let seer = f.user("seer", Role::User);
        let loader = f.user("loader", Role::User);
        let expired = f.user("expired", Role::User);
        let centered = f.user("centered", Role::User);
        let signer = f.user("signer", Role::User);
        let admin = f.user("admin", Role::Admin);
        let gone = f.user("gone", Role::User);
        let until_past = Date::new(2026, 2, 20);
        let rights = a.rights();
        rights
            .grant(&op, "seer", closed, grant("see", None, None), T0)
            .unwrap();
        rights
            .grant(&op, "loader", closed, grant("see,download", None, None), T0)
            .unwrap();
        rights
            .grant(
                &op,
                "expired",
                closed,
                grant("see,download", until_past, None),
                T0 - 30 * DAY,
            )
            .unwrap();
        rights
            .grant(
                &op,
                "centered",
                closed,
                grant("see,download", None, Some(vec![c1])),
                T0,
            )
            .unwrap();
        rights
            .grant(&op, "signer", dua, grant("see,download", None, None), T0)
            .unwrap();
        rights
            .grant(&op, "gone", closed, grant("see,download", None, None), T0)
            .unwrap();
        a.users().set_disabled(&op, "gone", true, T0).unwrap();

        let p = |u: &User| Principal::User(u.clone());
        let all = |s: StudyId| StudyScope {
            study: s,
            centers: None,
        };
        let sorted = |mut v: Vec<StudyScope>| {
            v.sort_by_key(|s| s.study);
            AccessScope::Studies(v)
        };
        let public_only = sorted(vec![all(public)]);

        // (who, right, study, center, check, scope of that right)
        #[rustfmt::skip]
        let rows: Vec<(&User, Right, StudyId, Option<CenterId>, Want)> = vec![
            // No right: only the public study, and only to see.
            (&nobody, S, closed, Some(c1), NoRight),
            (&nobody, S, public, Some(c2), Yes),
            (&nobody, D, public, Some(c1), NoRight),
            (&nobody, S, embargoed, Some(c1), NoRight),
            (&nobody, S, dua, Some(c1), NoRight),
            // See only.
            (&seer, S, closed, Some(c1), Yes),
            (&seer, S, closed, Some(c2), Yes),
            (&seer, S, closed, None, Yes),
            (&seer, D, closed, Some(c1), NoRight),
            // See and download.
            (&loader, D, closed, Some(c2), Yes),
            (&loader, D, public, Some(c1), NoRight),
            // Expired on 2026-02-20.
            (&expired, S, closed, Some(c1), Expired),
            (&expired, D, closed, Some(c1), Expired),
            (&expired, S, public, Some(c1), Yes),
            // Limited to center c1.
            (&centered, S, closed, Some(c1), Yes),
            (&centered, D, closed, Some(c1), Yes),
            (&centered, S, closed, Some(c2), Center),
            (&centered, D, closed, Some(c2), Center),
            (&centered, S, closed, None, Center),
            // Agreement not accepted yet.
            (&signer, S, dua, Some(c1), Agreement),
            (&signer, D, dua, Some(c1), Agreement),
            // Admin: everything, embargo included.
            (&admin, D, closed, Some(c2), Yes),
            (&admin, S, embargoed, None, Yes),
            // Disabled: nothing, not even public.
            (&gone, S, closed, Some(c1), Disabled),
            (&gone, S, public, Some(c1), Disabled),
        ];
        let check_rows = |rows: &[(&User, Right, StudyId, Option<CenterId>, Want)], now| {
            for (u, right, study, center, want) in rows {
                let got = a.check(&p(u), *right, *study, *center, now);
                assert_eq!(
                    kind(&got),
                    *want,
                    "{} {right} {study} {center:?}: {got:?}",
                    u.name
                );
                // Search and single-dataset endpoints agree.
                let scope = a.scope(&p(u), *right, now).unwrap();
                assert_eq!(
                    scope.allows(*study, *center),
                    *want == Yes,
                    "{} {right}: scope {scope:?} vs check {got:?}",
                    u.name
                );
            }
        };
        check_rows(&rows, T0);

        let scope = |u: &User, r| a.scope(&p(u), r, T0).unwrap();
        assert_eq!(scope(&nobody, S), public_only);
        assert_eq!(scope(&nobody, D), AccessScope::none());
        assert_eq!(scope(&seer, S), sorted(vec![all(closed), all(public)]));
        assert_eq!(scope(&seer, D), AccessScope::none());
        assert_eq!(scope(&loader, D), sorted(vec![all(closed)]));
        assert_eq!(scope(&expired, S), public_only);
        assert_eq!(scope(&expired, D), AccessScope::none());
        let c1_only = StudyScope {
            study: closed,
            centers: Some(vec![c1]),
        };
        assert_eq!(scope(&centered, D), sorted(vec![c1_only.clone()]));
        assert_eq!(scope(&centered, S), sorted(vec![c1_only, all(public)]));
        assert_eq!(scope(&signer, S), public_only);
        assert_eq!(scope(&admin, D), AccessScope::All);
        assert_eq!(a.scope(&op, D, T0).unwrap(), AccessScope::All);
        assert_eq!(scope(&gone, S), AccessScope::none());
        assert!(scope(&gone, S).is_empty());

        // The embargo lifts when its day begins; the expired right stays expired.
        let later = T0 + 4 * DAY;
        check_rows(
            &[
                (&nobody, S, embargoed, Some(c1), Yes),
                (&nobody, D, embargoed, Some(c1), NoRight),
                (&expired, S, closed, Some(c1), Expired),
            ],
            later,
        );
        assert!(a.scope(&p(&nobody), S, T0 + 4 * DAY - 1).unwrap() == public_only);

        // Accepting the agreement makes the right take effect; a new version suspends it again.
        a.agreements().accept(&p(&signer), dua, 1, T0).unwrap();
        check_rows(
            &[
                (&signer, S, dua, Some(c1), Yes),
                (&signer, D, dua, Some(c2), Yes),
                (&nobody, S, dua, Some(c1), NoRight),
            ],
            T0,
        );
        assert_eq!(scope(&signer, D), sorted(vec![all(dua)]));
        a.agreements()
            .set(&op, dua, "Cite the consortium, twice.", T0)
            .unwrap();
        check_rows(&[(&signer, S, dua, Some(c1), Agreement)], T0);

        // Unknown studies are refused as such.
        let err = a.check(&p(&seer), S, StudyId::new(), None, T0).unwrap_err();
        assert!(
            matches!(err, AccessError::Denied(Denied::UnknownStudy(_))),
            "{err}"
        );
    }

    #[test]
    fn an_until_day_is_valid_to_its_last_second() {
        let f = Fixture::new();
        let a = f.access();
        let s = f.study("s");
        let u = f.user("alice", Role::User);
        let until = Date::new(2026, 3, 1);
        a.rights()
            .grant(
                &Principal::Operator,
                "alice",
                s,
                grant("see", until, None),
                T0,
            )
            .unwrap();
        let p = Principal::User(u);
        assert!(a.check(&p, Right::See, s, None, T0 + DAY - 1).is_ok());
        let err = a.check(&p, Right::See, s, None, T0 + DAY).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("the see right on study {s} expired on 2026-03-01")
        );
    }

    #[test]
    fn a_bad_embargo_date_keeps_the_study_hidden() {
        let f = Fixture::new();
        let a = f.access();
        let s = f.study("s");
        let mut st = f.catalog.study(s).unwrap().unwrap();
        st.public = true;
        st.embargo_until = Some("someday".into());
        f.catalog.update_study(&st).unwrap();
        let p = Principal::User(f.user("alice", Role::User));
        assert!(a
            .scope(&p, Right::See, UnixTime::MAX - 1)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn pending_agreements_name_what_acceptance_would_open() {
        let f = Fixture::new();
        let a = f.access();
        let op = Principal::Operator;
        let dua = f.study("with agreement");
        let other = f.study("other agreement");
        let signer = f.user("signer", Role::User);
        let nobody = f.user("nobody", Role::User);
        let expired = f.user("expired", Role::User);
        for s in [dua, other] {
            a.agreements()
                .set(&op, s, "Cite the consortium.", T0)
                .unwrap();
        }
        a.rights()
            .grant(&op, "signer", dua, grant("see", None, None), T0)
            .unwrap();
        a.rights()
            .grant(
                &op,
                "expired",
                dua,
                grant("see", Date::new(2026, 2, 20), None),
                T0 - 30 * DAY,
            )
            .unwrap();
        let pending = |u: &User, r| {
            a.scope_with_pending(&Principal::User(u.clone()), r, T0)
                .unwrap()
        };
        let (scope, waiting) = pending(&signer, Right::See);
        assert!(scope.is_empty());
        assert_eq!(
            waiting,
            vec![PendingAgreement {
                study: dua,
                study_name: "with agreement".into(),
                version: 1
            }]
        );
        // Only the right asked, only rights held: no right, an expired one, another right.
        assert!(pending(&signer, Right::Download).1.is_empty());
        assert!(pending(&nobody, Right::See).1.is_empty());
        assert!(pending(&expired, Right::See).1.is_empty());
        assert!(a
            .scope_with_pending(&op, Right::See, T0)
            .unwrap()
            .1
            .is_empty());
        // Accepted: in the scope, no longer pending; a new version makes it pending again.
        a.agreements()
            .accept(&Principal::User(signer.clone()), dua, 1, T0)
            .unwrap();
        let (scope, waiting) = pending(&signer, Right::See);
        assert!(scope.allows(dua, None) && waiting.is_empty());
        a.agreements().set(&op, dua, "Version two.", T0).unwrap();
        let (scope, waiting) = pending(&signer, Right::See);
        assert!(scope.is_empty());
        assert_eq!(waiting.iter().map(|p| p.version).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn scope_allows_by_center() {
        let (s, c1, c2) = (StudyId::new(), CenterId::new(), CenterId::new());
        let scope = AccessScope::Studies(vec![StudyScope {
            study: s,
            centers: Some(vec![c1]),
        }]);
        assert!(scope.allows(s, Some(c1)));
        assert!(!scope.allows(s, Some(c2)));
        assert!(!scope.allows(s, None));
        assert!(!scope.allows(StudyId::new(), Some(c1)));
        assert!(AccessScope::All.allows(s, None));
        assert_eq!(
            serde_json::to_value(&scope).unwrap()["studies"][0]["centers"][0],
            serde_json::Value::String(c1.to_string())
        );
    }
}
