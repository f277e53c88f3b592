//! placeholder
#[derive(Debug)]
pub struct ImportOptions;
#[derive(Debug)]
pub struct ImportSummary;
#[derive(Debug)]
pub struct Importer;
#[derive(Debug)]
pub struct SkippedFile;
pub trait Progress {}
