//! # neurofed-node
//!
//! One center's repository, without any network: the content-addressed [`store`] of blobs, the
//! transactional [`catalog`] of the data model (study > subject > examination > acquisition >
//! dataset), the [`ingest`] pipeline that turns DICOM from CDs, folders and zips into de-identified,
//! content-addressed datasets, the tools that read it back ([`export`], [`fsck`]), and who may do
//! what ([`access`]: accounts, rights, agreements, requests) with its append-only [`audit`] log.
//!
//! Invariants this crate keeps, whatever the input:
//! - **No PHI past de-identification.** Everything written under the node's home (blobs, catalog,
//!   logs) is derived from the de-identified DICOM object, never from the original. Source paths
//!   (which often carry names or record numbers) are reported to the caller, never stored.
//! - **Nothing lost.** A series' blobs are durable before the catalog transaction that references
//!   them commits; a crash at any point leaves a node that `fsck` finds consistent, and re-importing
//!   the same files completes it.
//! - **No panic on input.** A malformed file is an error value with a one-line reason.

pub mod access;
pub mod audit;
/// `From<redb::…Error>` for an error type with a `Db(redb::Error)` variant.
macro_rules! from_redb {
    ($err:ident) => {
        $crate::from_redb!(@each $err,
            redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError);
    };
    (@each $err:ident, $($t:ty),*) => {$(
        impl From<$t> for $err {
            fn from(e: $t) -> Self {
                $err::Db(e.into())
            }
        }
    )*};
}
pub(crate) use from_redb;

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub mod catalog;
pub mod export;
pub mod fetched;
pub mod fsck;
pub mod home;
pub mod index;
pub mod ingest;
pub mod keys;
pub mod store;
#[cfg(feature = "synthetic")]
pub mod synthetic;

pub use catalog::Catalog;
pub use home::{Home, Node};
pub use store::BlobStore;
