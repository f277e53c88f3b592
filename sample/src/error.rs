//! [`SampleError`]: why a corpus could not be written, always with the path concerned.

use std::path::PathBuf;

/// Why [`write_sample`](crate::write_sample) failed. Every variant names the path concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SampleError {
    /// The options are out of range.
    #[error("{}: {reason}", path.display())]
    InvalidOptions {
        /// The corpus folder asked for.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The output folder holds files that are not a previous sample corpus.
    #[error(
        "{} is not empty and is not a sample corpus written before (it holds {entry:?}): \
         choose an empty or new folder",
        path.display()
    )]
    NotEmpty {
        /// The corpus folder.
        path: PathBuf,
        /// One entry that is not ours.
        entry: String,
    },
    /// Reading or writing the file system failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// dicom-rs could not build or encode an object.
    #[error("{}: cannot encode DICOM: {source}", path.display())]
    Dicom {
        /// The file being written.
        path: PathBuf,
        /// dicom-rs's reason.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl SampleError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SampleError {
        let path = path.into();
        move |source| SampleError::Io { path, source }
    }

    pub(crate) fn dicom<E>(path: impl Into<PathBuf>) -> impl FnOnce(E) -> SampleError
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let path = path.into();
        move |source| SampleError::Dicom {
            path,
            source: Box::new(source),
        }
    }
}
