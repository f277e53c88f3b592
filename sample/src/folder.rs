//! The output folder: refuse one that holds anything but a previous sample corpus, clear a
//! previous corpus, and leave a marker saying what this run writes there.
//!
//! The marker, [`MARKER`], is written first and lists the top-level entries the run will create
//! (one folder per subject, `DICOMDIR`, `truth.tsv`). A later run finds it and removes exactly
//! those entries (and their temporary `.NAME.tmp` files) before writing; any other entry makes it
//! refuse, so a mistyped `--out` never deletes someone's files. `truth.tsv` is written last, so
//! its presence says the corpus is complete.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use crate::error::SampleError;
use crate::instance::write_bytes;
use crate::options::{SampleOptions, SampleSize};

/// The marker file at the root of every sample corpus.
pub const MARKER: &str = ".neurofed-sample";

const MAGIC: &str = "neurofed-sample corpus v1";

/// Make `out` ready: created if missing, emptied of a previous corpus, refused if it holds
/// anything else. Then write the marker listing `entries`; returns its size.
pub(crate) fn prepare(
    out: &Path,
    opts: &SampleOptions,
    entries: &[String],
) -> Result<u64, SampleError> {
    match fs::metadata(out) {
        Ok(m) if !m.is_dir() => {
            return Err(SampleError::Io {
                path: out.to_path_buf(),
                source: std::io::Error::new(ErrorKind::AlreadyExists, "exists and is not a folder"),
            })
        }
        Ok(_) => clear_previous(out)?,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            fs::create_dir_all(out).map_err(SampleError::io(out))?;
        }
        Err(e) => return Err(SampleError::io(out)(e)),
    }
    let size = match opts.size {
        SampleSize::Full => "full",
        SampleSize::Small => "small",
    };
    let mut text = format!(
        "{MAGIC}\n# Written by `neurofed sample`; a later run replaces the entries below.\n\
         seed {}\nsubjects {}\nexaminations {}\nsize {size}\n",
        opts.seed, opts.subjects, opts.examinations
    );
    for e in entries {
        text.push_str("entry ");
        text.push_str(e);
        text.push('\n');
    }
    write_bytes(&out.join(MARKER), text.as_bytes())?;
    Ok(text.len() as u64)
}

/// Remove the entries a previous run listed in its marker, after checking that nothing else
/// is there.
fn clear_previous(out: &Path) -> Result<(), SampleError> {
    let mut names: Vec<String> = Vec::new();
    for e in fs::read_dir(out).map_err(SampleError::io(out))? {
        let e = e.map_err(SampleError::io(out))?;
        names.push(e.file_name().to_string_lossy().into_owned());
    }
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    let marker = out.join(MARKER);
    let listed: Vec<String> = match fs::read_to_string(&marker) {
        Ok(text) if text.starts_with(MAGIC) => text
            .lines()
            .filter_map(|l| l.strip_prefix("entry "))
            .map(str::to_string)
            .collect(),
        Ok(_) => {
            return Err(SampleError::NotEmpty {
                path: out.to_path_buf(),
                entry: MARKER.to_string(),
            })
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(SampleError::NotEmpty {
                path: out.to_path_buf(),
                entry: names.swap_remove(0),
            })
        }
        Err(e) => return Err(SampleError::io(&marker)(e)),
    };
    let ours = |n: &str| {
        n == MARKER
            || n == format!(".{MARKER}.tmp")
            || listed.iter().any(|l| l == n || *n == format!(".{l}.tmp"))
    };
    if let Some(stranger) = names.iter().find(|n| !ours(n)) {
        return Err(SampleError::NotEmpty {
            path: out.to_path_buf(),
            entry: stranger.clone(),
        });
    }
    for n in names.iter().filter(|n| n.as_str() != MARKER) {
        let p = out.join(n);
        let removed = match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&p),
            Ok(_) => fs::remove_file(&p),
            Err(e) => Err(e),
        };
        removed.map_err(SampleError::io(&p))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_strangers_and_replaces_a_previous_corpus() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("c");
        let opts = SampleOptions::default();
        prepare(&out, &opts, &["MRN00001".into(), "truth.tsv".into()]).unwrap();
        fs::create_dir(out.join("MRN00001")).unwrap();
        fs::write(out.join("MRN00001").join("x"), b"x").unwrap();
        fs::write(out.join("truth.tsv"), b"x").unwrap();
        prepare(&out, &opts, &["MRN00002".into()]).unwrap();
        assert!(!out.join("MRN00001").exists() && !out.join("truth.tsv").exists());

        fs::write(out.join("notes.txt"), b"mine").unwrap();
        let err = prepare(&out, &opts, &[]).unwrap_err();
        assert!(matches!(err, SampleError::NotEmpty { ref entry, .. } if entry == "notes.txt"));
        assert!(out.join("notes.txt").exists());

        let other = dir.path().join("other");
        fs::create_dir(&other).unwrap();
        fs::write(other.join("a.dcm"), b"x").unwrap();
        let err = prepare(&other, &opts, &[]).unwrap_err().to_string();
        assert!(err.contains("not empty") && err.contains("a.dcm"), "{err}");
    }
}
