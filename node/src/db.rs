//! What every module that keeps tables in the catalog's redb database shares.

/// `From<redb::…Error>` for an error type with a `Db(redb::Error)` variant.
macro_rules! from_redb {
    ($err:ident) => {
        $crate::db::from_redb!(@each $err,
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
