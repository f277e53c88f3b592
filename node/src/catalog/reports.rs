//! Who asked for an e-mail report of every import into a study: one row per (study, account),
//! written and removed in one transaction with its audit record. The report itself is
//! [`crate::ImportReport`]; sending it is the HTTP crate's (`node` has no network).

use protocol::id::StudyId;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::tables::*;
use super::{Catalog, Result};
use crate::audit::{Audit, AuditAction, NewEvent};
use crate::clock::UnixTime;

/// Subscriptions by `<study hex>/<account name>`.
pub(super) const REPORTS: TableDefinition<&str, &[u8]> =
    TableDefinition::new("report_subscriptions");

fn key(study: StudyId, user: &str) -> String {
    format!("{}/{user}", hex::encode(study.to_bytes()))
}

#[derive(Debug, Serialize, Deserialize)]
struct Subscription {
    user: String,
    since: UnixTime,
}

impl Catalog {
    /// Subscribe `user` to the import reports of `study` (audited as `by`); false when it already was.
    pub fn subscribe_reports(
        &self,
        study: StudyId,
        user: &str,
        by: &str,
        now: UnixTime,
    ) -> Result<bool> {
        self.set_subscription(study, user, by, now, true)
    }

    /// End `user`'s subscription to `study`'s import reports; false when there was none.
    pub fn unsubscribe_reports(
        &self,
        study: StudyId,
        user: &str,
        by: &str,
        now: UnixTime,
    ) -> Result<bool> {
        self.set_subscription(study, user, by, now, false)
    }

    /// Subscribe (`on`) or unsubscribe, with its audit record in the same transaction; whether
    /// anything changed.
    fn set_subscription(
        &self,
        study: StudyId,
        user: &str,
        by: &str,
        now: UnixTime,
        on: bool,
    ) -> Result<bool> {
        let txn = self.db.begin_write()?;
        let changed = {
            let mut t = txn.open_table(REPORTS)?;
            let k = key(study, user);
            let changed = if on {
                let s = Subscription {
                    user: user.to_string(),
                    since: now,
                };
                t.get(k.as_str())?.is_none() && t.insert(k.as_str(), enc(&s).as_slice())?.is_none()
            } else {
                t.remove(k.as_str())?.is_some()
            };
            if changed {
                let what = if on { "subscribed" } else { "unsubscribed" };
                Audit::append_in(
                    &txn,
                    NewEvent::new(by, AuditAction::ReportSubscription, now)
                        .study(study)
                        .detail(format!("import reports: {user} {what}")),
                )?;
            }
            changed
        };
        txn.commit()?;
        Ok(changed)
    }

    /// The accounts subscribed to `study`'s import reports, by name.
    pub fn report_subscribers(&self, study: StudyId) -> Result<Vec<String>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(REPORTS)?;
        let prefix = format!("{}/", hex::encode(study.to_bytes()));
        let mut out = Vec::new();
        for row in t.range(prefix.as_str()..)? {
            let (k, v) = row?;
            if !k.value().starts_with(&prefix) {
                break;
            }
            let s: Subscription = dec("report subscription", k.value().as_bytes(), v.value())?;
            out.push(s.user);
        }
        Ok(out)
    }
}
