//! placeholder
pub struct Home;
