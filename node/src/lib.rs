//! # neurofed-node
//!
//! One center's repository, without any network: the content-addressed store of blobs
//! ([`BlobStore`]), the transactional catalog of the data model ([`Catalog`]: study > subject >
//! examination > acquisition > dataset), the import pipeline ([`Importer`]) that turns DICOM from
//! CDs, folders and zips into de-identified, content-addressed datasets (the DICOM work itself is
//! the `neurofed-dicom` crate's), the search index ([`Index`]), the tools that read it back
//! ([`export_dicom`], [`export_nifti`], [`fsck`]), and who may do what ([`Access`]: accounts,
//! rights, agreements, requests, tokens) with its append-only [`Audit`] log.
//!
//! [`Home`] names every path of a node's home directory, [`Node`] opens what is in it, and
//! [`now`] is the one clock.
//!
//! Invariants this crate keeps, whatever the input:
//! - **No PHI past de-identification.** Everything written under the node's home (blobs, catalog,
//!   logs) is derived from the de-identified DICOM object, never from the original. Source paths
//!   (which often carry names or record numbers) are reported to the caller, never stored.
//! - **Nothing lost.** A series' blobs are durable before the catalog transaction that references
//!   them commits; a crash at any point leaves a node that `fsck` finds consistent, and re-importing
//!   the same files completes it. Small files are written with [`write_atomic`].
//! - **No panic on input.** A malformed file is an error value with a one-line reason.

#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub, rustdoc::broken_intra_doc_links)]

mod access;
mod atomic;
mod audit;
mod catalog;
mod clock;
mod config;
mod db;
mod export;
mod fetched;
mod fsck;
mod home;
mod index;
mod ingest;
mod keys;
mod meter;
mod node;
mod reports;
mod scores;
mod store;
#[cfg(feature = "synthetic")]
pub mod synthetic;

// The node, its home and its files.
pub use atomic::{create_private, write_atomic, write_private, WriteError};
pub use clock::{end_of_day, now, now_ms, today, Date, UnixTime, DAY};
pub use config::{
    Config, DicomCaller, DicomConfig, HttpConfig, ImportConfig, NodeConfig, PacsConfig, SmtpConfig,
    SmtpSecurity, StoreConfig,
};
pub use home::{owner_only_files, BadName, Home};
pub use keys::{list_keys, KeyFile, KeyFileError};
pub use meter::{Meter, NoMeter};
pub use node::{parse_key, ImportLock, Node, NodeError};

// Blobs.
pub use store::{BlobStore, Durability, Staged, StoreError};

// The catalog and its data model.
pub use catalog::{
    load_card, Acquisition, BlobRef, Catalog, CatalogError, Center, Dataset, DatasetRow,
    DicomExpression, Equipment, Examination, Manifest, ManifestEntry, NewAssessment, NewEquipment,
    NiftiExpression, QuarantineEnd, QuarantineEntry, RemovedStudy, RowsError, ScoresReport,
    SeriesCommit, SeriesOutcome, Stats, StoredCard, Study, StudyStatus, Subject, SCHEMA_VERSION,
};
pub use fetched::{read_manifest, Fetched, FetchedDataset, FetchedError, MAX_MANIFEST_BYTES};
pub use reports::{report_recipients, ImportReport, ReportSeries};

// Import, study cards re-applied, consistency.
pub use fsck::{fsck, fsck_with, FsckError, FsckReport};
pub use ingest::{
    apply_cards, delete_quarantined, read_sources, release_quarantined, AcquisitionReport,
    ApplyError, ApplyReport, ImportError, ImportOptions, ImportSummary, Importer, NoProgress,
    Progress, QuarantineError, SkippedFile,
};

// Clinical scores.
pub use scores::{
    is_xlsx, parse_table, read_xlsx, write_csv, write_xlsx, Assessment, Instrument, ScoreError,
    ScoreValue, Table, TableError, Variable, VariableKind,
};

// Search.
pub use index::{
    parse_facet, parse_filter, parse_sort, Context as SearchContext, Index, IndexError, Summary,
    DEFAULT_FACET_SIZE,
};

// Reading data back out.
pub use export::{
    bids_layout, export, export_bids, export_dicom, export_dicom_with, export_nifti,
    export_nifti_with, layout, sanitize, BidsLayout, ExportEntry, ExportError, ExportFilter,
    ExportFormat, ExportSummary, NotExported, BIDS_VERSION,
};

// Who may do what, and the record of it.
pub use access::{
    normalize_name, parse_date, Acceptance, Access, AccessError, AccessRequest, AccessScope,
    Agreement, Agreements, Decision, Denied, Grant, NewUser, PasswordCost, PendingAgreement,
    Principal, RequestId, RequestStatus, Requests, Right, RightSet, Rights, Role, Sessions,
    StudyRight, StudyScope, TokenInfo, TokenKind, Tokens, User, Users, MAX_AGREEMENT_CHARS,
    MAX_MOTIVATION_CHARS, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, SESSION_SECS,
};
pub use audit::{format_time, Audit, AuditAction, AuditError, AuditEvent, AuditFilter, NewEvent};
