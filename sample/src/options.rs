//! What to generate ([`SampleOptions`]) and what was generated ([`Summary`]).

use std::path::PathBuf;

use serde::Serialize;

/// The default seed (that of `make_series.py`, so that both generators' defaults read alike).
pub const DEFAULT_SEED: u64 = 20_240_601;

/// What [`write_sample`](crate::write_sample) generates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SampleOptions {
    /// Subjects (patients), 1 to [`MAX_SUBJECTS`](Self::MAX_SUBJECTS). Default 3.
    pub subjects: u32,
    /// Examinations (studies) per subject, 1 to [`MAX_EXAMINATIONS`](Self::MAX_EXAMINATIONS).
    /// Default 2.
    pub examinations: u32,
    /// Everything (names, dates, UIDs, anatomy, noise) derives from it. Default
    /// [`DEFAULT_SEED`].
    pub seed: u64,
    /// Matrix sizes. Default [`SampleSize::Full`].
    pub size: SampleSize,
}

impl SampleOptions {
    /// The most subjects one corpus holds.
    pub const MAX_SUBJECTS: u32 = 200;
    /// The most examinations per subject.
    pub const MAX_EXAMINATIONS: u32 = 12;

    /// `subjects` x `examinations` at full size with the default seed.
    pub fn new(subjects: u32, examinations: u32) -> Self {
        SampleOptions {
            subjects,
            examinations,
            ..SampleOptions::default()
        }
    }

    /// The same with `seed`.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The same with `size`.
    pub fn with_size(mut self, size: SampleSize) -> Self {
        self.size = size;
        self
    }
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            subjects: 3,
            examinations: 2,
            seed: DEFAULT_SEED,
            size: SampleSize::Full,
        }
    }
}

/// Matrix sizes of the generated series (the field of view is the same at both sizes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SampleSize {
    /// As a scanner writes them: T1 3-D 192 x 192 x 160 (1 mm), T2 224 x 256 x 25 (0.86 mm,
    /// 5 mm slices), BOLD 64 x 64 x 30 x 6 volumes (3.44 mm, TR 2 s).
    #[default]
    Full,
    /// About 4 times coarser, for tests and quick looks: T1 48 x 48 x 40, T2 56 x 64 x 10,
    /// BOLD 32 x 32 x 12 x 4.
    Small,
}

/// What [`write_sample`](crate::write_sample) wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// The corpus folder.
    pub out: PathBuf,
    /// Subjects (one top-level folder each).
    pub subjects: u32,
    /// Examinations (studies), all subjects together.
    pub examinations: u32,
    /// Series (rows of `truth.tsv`).
    pub series: u32,
    /// MR image files (one slice each).
    pub instances: u64,
    /// Every file written: the instances, `DICOMDIR`, `truth.tsv` and the marker file.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// Wall-clock time.
    pub seconds: f64,
}
