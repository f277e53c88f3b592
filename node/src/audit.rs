//! The audit log: an append-only table in the catalog of who did what, when, to which study or
//! dataset (imports, searches, views, downloads, rights and account changes).
//!
//! Records are keyed by a monotonic sequence number; this module has no way to change or delete
//! one. A change that must be audited writes its record with [`Audit::append_in`] inside its own
//! write transaction, so the change and its record commit (or vanish) together. `detail` is a
//! short summary (query summary, counts, ids): it must never hold PHI, passwords or tokens.

use protocol::id::{DatasetId, StudyId};

use crate::clock::{Date, UnixTime, DAY};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

/// Sequence number -> [`AuditEvent`] (CBOR).
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

/// Longest `detail` kept; longer ones are cut (a summary, not a payload).
pub(crate) const MAX_DETAIL_CHARS: usize = 1000;
/// Longest `who` kept.
const MAX_WHO_CHARS: usize = 200;

/// An audit-log error.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The storage engine failed.
    #[error("audit log storage: {0}")]
    Db(#[from] redb::Error),
    /// A stored record does not decode.
    #[error("audit record {seq} does not decode: {detail}")]
    Corrupt {
        /// Its sequence number.
        seq: u64,
        /// Decoder message.
        detail: String,
    },
    /// The sequence is exhausted (never in practice).
    #[error("audit log sequence exhausted")]
    Full,
}

crate::db::from_redb!(AuditError);

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditAction {
    /// Data imported into a study.
    Import,
    /// A search (detail: query summary and counts).
    Search,
    /// A dataset's metadata or previews viewed.
    View,
    /// A dataset downloaded or exported.
    Download,
    /// Rights granted or changed.
    RightGrant,
    /// Rights revoked.
    RightRevoke,
    /// An access or account request submitted.
    AccessRequest,
    /// An access or account request approved or refused.
    AccessDecision,
    /// A study's data-use agreement set.
    AgreementSet,
    /// A data-use agreement accepted.
    AgreementAccept,
    /// An account created.
    UserAdd,
    /// An account disabled.
    UserDisable,
    /// An account enabled.
    UserEnable,
    /// An account's role changed.
    UserRole,
    /// A password changed.
    PasswordSet,
    /// An API token created.
    TokenCreate,
    /// An API token revoked.
    TokenRevoke,
    /// A web session opened (login).
    Login,
    /// A web session closed (logout).
    Logout,
    /// A study renamed (detail: old and new names).
    StudyRename,
    /// A study removed with its data (detail: its name and what it held).
    StudyRemove,
    /// An instrument defined or redefined (detail: its acronym).
    InstrumentSet,
    /// Assessments (clinical scores) recorded (detail: instrument and counts).
    ScoresRecord,
    /// An account subscribed to, or unsubscribed from, a study's import reports.
    ReportSubscription,
    /// An import report e-mailed (detail: how many recipients; never their addresses).
    ReportSent,
    /// A study card added or given a new version (detail: its name and version).
    StudyCardSet,
    /// A study's cards re-applied to its data (detail: acquisitions and changes).
    StudyCardApply,
    /// A study's scoped de-identification keys given to a workstation for `neurofed upload`.
    UploadKeys,
    /// A quarantined instance released into its study (detail: its id and reason).
    QuarantineRelease,
    /// A quarantined instance deleted (detail: its id and reason).
    QuarantineDelete,
}

impl AuditAction {
    /// snake_case name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            AuditAction::Import => "import",
            AuditAction::Search => "search",
            AuditAction::View => "view",
            AuditAction::Download => "download",
            AuditAction::RightGrant => "right_grant",
            AuditAction::RightRevoke => "right_revoke",
            AuditAction::AccessRequest => "access_request",
            AuditAction::AccessDecision => "access_decision",
            AuditAction::AgreementSet => "agreement_set",
            AuditAction::AgreementAccept => "agreement_accept",
            AuditAction::UserAdd => "user_add",
            AuditAction::UserDisable => "user_disable",
            AuditAction::UserEnable => "user_enable",
            AuditAction::UserRole => "user_role",
            AuditAction::PasswordSet => "password_set",
            AuditAction::TokenCreate => "token_create",
            AuditAction::TokenRevoke => "token_revoke",
            AuditAction::Login => "login",
            AuditAction::Logout => "logout",
            AuditAction::StudyRename => "study_rename",
            AuditAction::StudyRemove => "study_remove",
            AuditAction::InstrumentSet => "instrument_set",
            AuditAction::ScoresRecord => "scores_record",
            AuditAction::ReportSubscription => "report_subscription",
            AuditAction::ReportSent => "report_sent",
            AuditAction::StudyCardSet => "study_card_set",
            AuditAction::StudyCardApply => "study_card_apply",
            AuditAction::UploadKeys => "upload_keys",
            AuditAction::QuarantineRelease => "quarantine_release",
            AuditAction::QuarantineDelete => "quarantine_delete",
        }
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One record of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Position in the log, from 1, strictly increasing.
    pub seq: u64,
    /// When, unix seconds.
    pub at: UnixTime,
    /// Who: a user name, `cli` for the local operator, or a remote node.
    pub who: String,
    /// What.
    pub action: AuditAction,
    /// The study concerned.
    #[serde(default)]
    pub study: Option<StudyId>,
    /// The dataset concerned.
    #[serde(default)]
    pub dataset: Option<DatasetId>,
    /// Summary without PHI.
    #[serde(default)]
    pub detail: String,
}

/// A record to append (the log assigns its sequence number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// When, unix seconds.
    pub at: UnixTime,
    /// Who.
    pub who: String,
    /// What.
    pub action: AuditAction,
    /// The study concerned.
    pub study: Option<StudyId>,
    /// The dataset concerned.
    pub dataset: Option<DatasetId>,
    /// Summary without PHI.
    pub detail: String,
}

impl NewEvent {
    /// `who` did `action` at `at`.
    pub fn new(who: &str, action: AuditAction, at: UnixTime) -> Self {
        NewEvent {
            at,
            who: who.to_string(),
            action,
            study: None,
            dataset: None,
            detail: String::new(),
        }
    }

    /// On `study`.
    pub fn study(mut self, study: StudyId) -> Self {
        self.study = Some(study);
        self
    }

    /// On `dataset`.
    pub fn dataset(mut self, dataset: DatasetId) -> Self {
        self.dataset = Some(dataset);
        self
    }

    /// With this summary.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

/// Which records [`Audit::list`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditFilter {
    /// Only those about this study.
    pub study: Option<StudyId>,
    /// Only those at or after this time (unix seconds).
    pub since: Option<UnixTime>,
    /// At most this many (`None`: all).
    pub limit: Option<usize>,
    /// Skip this many matching records first (newest first).
    pub offset: usize,
}

/// The audit log of one catalog.
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
    db: &'a redb::Database,
}

impl<'a> Audit<'a> {
    /// The log in the catalog database `db` (`node.catalog.db()`).
    pub(crate) fn new(db: &'a redb::Database) -> Self {
        Audit { db }
    }

    /// Append one record in its own durable transaction; returns its sequence number.
    pub fn append(&self, event: NewEvent) -> Result<u64, AuditError> {
        let txn = self.db.begin_write()?;
        let seq = Self::append_in(&txn, event)?;
        txn.commit()?;
        Ok(seq)
    }

    /// Append one record in its own transaction without waiting for the disk: for frequent
    /// read-side events (searches, views), where an fsync per event would dominate the latency.
    /// The record becomes durable with the next durable commit of the catalog; a power cut may
    /// lose the last such records, never a durable one before them.
    pub fn append_lazy(&self, event: NewEvent) -> Result<u64, AuditError> {
        let mut txn = self.db.begin_write()?;
        // Only fails when the transaction made a persistent savepoint, which this one has not.
        let _ = txn.set_durability(redb::Durability::None);
        let seq = Self::append_in(&txn, event)?;
        txn.commit()?;
        Ok(seq)
    }

    /// Append one record inside the caller's write transaction: it commits, or is lost, with
    /// the change it records.
    pub fn append_in(txn: &redb::WriteTransaction, event: NewEvent) -> Result<u64, AuditError> {
        let mut table = txn.open_table(AUDIT)?;
        let last = table.last()?.map(|(k, _)| k.value()).unwrap_or(0);
        let seq = last.checked_add(1).ok_or(AuditError::Full)?;
        let record = AuditEvent {
            seq,
            at: event.at,
            who: clip(&event.who, MAX_WHO_CHARS),
            action: event.action,
            study: event.study,
            dataset: event.dataset,
            detail: clip(&event.detail, MAX_DETAIL_CHARS),
        };
        let mut bytes = Vec::with_capacity(128);
        // Serializing our own record type into a Vec does not fail.
        let _ = ciborium::into_writer(&record, &mut bytes);
        table.insert(seq, bytes.as_slice())?;
        Ok(seq)
    }

    /// Matching records, newest first.
    pub fn list(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, AuditError> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(AUDIT) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let limit = filter.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let mut skipped = 0usize;
        for item in table.iter()?.rev() {
            if out.len() >= limit {
                break;
            }
            let (k, v) = item?;
            let seq = k.value();
            let e: AuditEvent =
                ciborium::from_reader(v.value()).map_err(|e| AuditError::Corrupt {
                    seq,
                    detail: e.to_string(),
                })?;
            if filter.since.is_some_and(|since| e.at < since) {
                continue;
            }
            if filter.study.is_some() && e.study != filter.study {
                continue;
            }
            if skipped < filter.offset {
                skipped += 1;
                continue;
            }
            out.push(e);
        }
        Ok(out)
    }

    /// Number of records.
    pub fn len(&self) -> Result<u64, AuditError> {
        let txn = self.db.begin_read()?;
        match txn.open_table(AUDIT) {
            Ok(t) => Ok(redb::ReadableTableMetadata::len(&t)?),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> Result<bool, AuditError> {
        Ok(self.len()? == 0)
    }
}

/// `2026-03-01 12:34:56Z` for unix time `at` (UTC).
pub fn format_time(at: UnixTime) -> String {
    // 9999-12-31T23:59:59Z: the last second a four-digit year holds.
    if at > 253_402_300_799 {
        return at.to_string();
    }
    let s = at % DAY;
    format!(
        "{} {:02}:{:02}:{:02}Z",
        Date::from_unix(at),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, redb::Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("c.redb")).unwrap();
        (dir, db)
    }

    #[test]
    fn appends_in_order_and_filters() {
        let (_d, db) = db();
        let log = Audit::new(&db);
        assert!(log.is_empty().unwrap());
        assert!(log.list(&AuditFilter::default()).unwrap().is_empty());
        let s1 = StudyId::new();
        let s2 = StudyId::new();
        let ds = DatasetId::new();
        assert_eq!(
            log.append(NewEvent::new("cli", AuditAction::Import, 100).study(s1))
                .unwrap(),
            1
        );
        assert_eq!(
            log.append(
                NewEvent::new("alice", AuditAction::Download, 200)
                    .study(s2)
                    .dataset(ds)
                    .detail("format=nifti")
            )
            .unwrap(),
            2
        );
        assert_eq!(
            log.append_lazy(NewEvent::new("alice", AuditAction::Search, 300).detail("hits=3"))
                .unwrap(),
            3
        );
        assert_eq!(log.len().unwrap(), 3);

        let all = log.list(&AuditFilter::default()).unwrap();
        let seqs: Vec<u64> = all.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [3, 2, 1]);
        assert_eq!(all[1].dataset, Some(ds));
        assert_eq!(all[1].detail, "format=nifti");

        let f = |study, since, limit, offset| AuditFilter {
            study,
            since,
            limit,
            offset,
        };
        let only = |flt| -> Vec<u64> { log.list(&flt).unwrap().iter().map(|e| e.seq).collect() };
        assert_eq!(only(f(Some(s2), None, None, 0)), [2]);
        assert_eq!(only(f(None, Some(200), None, 0)), [3, 2]);
        assert_eq!(only(f(None, None, Some(1), 1)), [2]);
        assert_eq!(only(f(None, None, Some(0), 0)), Vec::<u64>::new());
    }

    #[test]
    fn a_record_lives_and_dies_with_its_transaction() {
        let (_d, db) = db();
        let log = Audit::new(&db);
        let side: TableDefinition<&str, u64> = TableDefinition::new("side");
        {
            let txn = db.begin_write().unwrap();
            txn.open_table(side).unwrap().insert("a", 1).unwrap();
            Audit::append_in(&txn, NewEvent::new("cli", AuditAction::RightGrant, 1)).unwrap();
            txn.abort().unwrap();
        }
        assert!(log.is_empty().unwrap());
        {
            let txn = db.begin_write().unwrap();
            txn.open_table(side).unwrap().insert("a", 1).unwrap();
            Audit::append_in(&txn, NewEvent::new("cli", AuditAction::RightGrant, 1)).unwrap();
            txn.commit().unwrap();
        }
        assert_eq!(log.len().unwrap(), 1);
        // Numbering continues after an aborted append: no gaps, no reuse.
        assert_eq!(
            log.append(NewEvent::new("cli", AuditAction::RightRevoke, 2))
                .unwrap(),
            2
        );
    }

    #[test]
    fn long_fields_are_clipped() {
        let (_d, db) = db();
        let log = Audit::new(&db);
        log.append(
            NewEvent::new(&"w".repeat(500), AuditAction::Search, 1).detail("d".repeat(5000)),
        )
        .unwrap();
        let e = &log.list(&AuditFilter::default()).unwrap()[0];
        assert_eq!(e.detail.chars().count(), MAX_DETAIL_CHARS);
        assert_eq!(e.who.chars().count(), MAX_WHO_CHARS);
    }

    #[test]
    fn times_format_in_utc() {
        assert_eq!(format_time(1_772_323_200 + 3661), "2026-03-01 01:01:01Z");
        assert_eq!(format_time(u64::MAX), u64::MAX.to_string());
    }

    #[test]
    fn survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.redb");
        {
            let db = redb::Database::create(&path).unwrap();
            Audit::new(&db)
                .append(NewEvent::new("cli", AuditAction::Import, 1))
                .unwrap();
        }
        let db = redb::Database::create(&path).unwrap();
        let log = Audit::new(&db);
        assert_eq!(
            log.append(NewEvent::new("cli", AuditAction::View, 2))
                .unwrap(),
            2
        );
    }
}
