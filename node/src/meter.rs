//! How long-running library calls (export, fsck, reindex) report their progress: a [`Meter`]
//! told the amount of work once it is known and each step as it is done. The binary draws a
//! progress bar from it; everything else passes [`NoMeter`]. A meter only counts: it is never
//! given a path or a name, so nothing identifying can reach a terminal through it.

/// Receives the progress of one operation. Called from worker threads (hence `Sync`).
pub trait Meter: Sync {
    /// The operation has `total` steps (datasets, blobs, files...).
    fn total(&self, _total: u64) {}
    /// `n` more steps are done.
    fn advance(&self, _n: u64) {}
}

/// A [`Meter`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMeter;

impl Meter for NoMeter {}
