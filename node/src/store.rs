//! placeholder
pub struct BlobStore;
