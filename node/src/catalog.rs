//! placeholder
pub struct Catalog;
