//! Expanding the paths a user gives to `neurofed import` into inputs to read.
//!
//! A path may be a file, a folder (walked recursively, in a stable order so that the files of a
//! series arrive together), a DICOMDIR tree (the files its records reference) or a zip archive
//! (entries read one at a time). Nothing here parses DICOM beyond what a DICOMDIR needs, and
//! nothing is buffered whole: the iterator yields one input at a time.
//!
//! STUB: plain files and folders only. The full version (DICOMDIR, zip) replaces this file.

use std::path::{Path, PathBuf};

/// One thing to read: a file on disk, or an entry already read out of an archive.
#[derive(Debug)]
pub enum Input {
    /// A file on disk; its bytes are read by the worker that handles it.
    File(PathBuf),
    /// An entry of an archive, already decompressed. `label` is `archive.zip!inner/path`.
    Entry {
        /// What to call this input in messages.
        label: String,
        /// The entry's bytes.
        bytes: Vec<u8>,
    },
}

impl Input {
    /// What to call this input in the summary (a path, or `archive!entry`).
    pub fn label(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Entry { label, .. } => label.clone(),
        }
    }
}

/// An input that could not even be listed or read, with a one-line reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// The path (or `archive!entry`) concerned.
    pub label: String,
    /// Why, in one line.
    pub reason: String,
}

/// Expand `paths` into inputs, lazily.
pub fn expand(paths: &[PathBuf]) -> impl Iterator<Item = Result<Input, Unreadable>> + Send {
    let paths: Vec<PathBuf> = paths.to_vec();
    paths.into_iter().flat_map(|p| walk(&p))
}

fn walk(root: &Path) -> Vec<Result<Input, Unreadable>> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| match e {
            Ok(e) if e.file_type().is_file() => Some(Ok(Input::File(e.into_path()))),
            Ok(_) => None,
            Err(err) => Some(Err(Unreadable {
                label: err
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| root.display().to_string()),
                reason: err.to_string(),
            })),
        })
        .collect()
}
