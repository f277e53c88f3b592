//! DICOMDIR media: the files a DICOMDIR's records reference, resolved on a (case-mangling) CD.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;

use super::{Input, Unreadable};

/// The largest DICOMDIR read (256 MiB: a DICOMDIR of 100,000 images is about 50 MB).
const MAX_DICOMDIR: u64 = 256 << 20;

/// Directory listings kept for case-insensitive lookups (records come grouped by folder).
const LISTINGS_KEPT: usize = 8;

/// The files referenced by one DICOMDIR, yielded in record order.
#[derive(Debug)]
pub(super) struct Referenced {
    base: PathBuf,
    dicomdir: String,
    files: std::vec::IntoIter<Vec<String>>,
    /// Recently listed folders: folder -> (normalized lowercase name -> real name).
    listings: Vec<(PathBuf, HashMap<String, OsString>)>,
}

impl Referenced {
    /// Read the DICOMDIR `file` of the medium rooted at `base`. The error is a reason.
    pub(super) fn open(file: &Path, base: &Path) -> Result<Self, String> {
        let size = std::fs::metadata(file)
            .map_err(|e| format!("cannot read: {e}"))?
            .len();
        if size > MAX_DICOMDIR {
            return Err(format!("{size} bytes, more than {MAX_DICOMDIR}"));
        }
        let bytes = std::fs::read(file).map_err(|e| format!("cannot read: {e}"))?;
        let obj = dicom::read_object(&bytes).map_err(|e| e.to_string())?.obj;
        let records = obj
            .get(tags::DIRECTORY_RECORD_SEQUENCE)
            .ok_or("no Directory Record Sequence (0004,1220)")?
            .items()
            .ok_or("Directory Record Sequence (0004,1220) is not a sequence")?;
        let mut seen = HashSet::new();
        let mut files = Vec::new();
        for record in records {
            let inactive = record
                .get(tags::RECORD_IN_USE_FLAG)
                .and_then(|e| e.to_int::<u16>().ok())
                == Some(0);
            if inactive {
                continue;
            }
            let Some(id) = record.get(tags::REFERENCED_FILE_ID) else {
                continue;
            };
            let Ok(parts) = id.to_multi_str() else {
                continue;
            };
            let parts: Vec<String> = parts
                .iter()
                .map(|p| p.trim_matches(|c: char| c == '\0' || c == ' ').to_string())
                .filter(|p| !p.is_empty())
                .collect();
            if !parts.is_empty() && seen.insert(parts.join("\\")) {
                files.push(parts);
            }
        }
        Ok(Referenced {
            base: base.to_path_buf(),
            dicomdir: file.display().to_string(),
            files: files.into_iter(),
            listings: Vec::new(),
        })
    }

    pub(super) fn next(&mut self) -> Option<Result<Input, Unreadable>> {
        let parts = self.files.next()?;
        let shown = parts.iter().fold(self.base.clone(), |p, c| p.join(c));
        let escapes = parts
            .iter()
            .any(|p| p == "." || p == ".." || p.contains(['/', '\\', '\0']) || p.contains(':'));
        if escapes {
            return Some(Err(Unreadable::path(
                &shown,
                format!("{} references a path outside its folder", self.dicomdir),
            )));
        }
        Some(match self.resolve(&parts) {
            Some(path) => Ok(Input::File(path)),
            None => Err(Unreadable::path(
                &shown,
                format!("referenced by {} but not found", self.dicomdir),
            )),
        })
    }

    /// The file `parts` names under the base folder: each component as written, else the one
    /// entry of that folder whose name matches ignoring case, a `;1` version and a trailing dot.
    fn resolve(&mut self, parts: &[String]) -> Option<PathBuf> {
        let mut at = self.base.clone();
        for part in parts {
            let exact = at.join(part);
            at = if exact.exists() {
                exact
            } else {
                let name = self.listing(&at)?.get(&normalize(part))?.clone();
                at.join(name)
            };
        }
        at.is_file().then_some(at)
    }

    fn listing(&mut self, dir: &Path) -> Option<&HashMap<String, OsString>> {
        if let Some(i) = self.listings.iter().position(|(d, _)| d == dir) {
            let hit = self.listings.remove(i);
            self.listings.push(hit);
        } else {
            let names = std::fs::read_dir(dir)
                .ok()?
                .flatten()
                .filter_map(|e| {
                    let name = e.file_name();
                    name.to_str().map(|s| (normalize(s), name.clone()))
                })
                .collect();
            if self.listings.len() >= LISTINGS_KEPT {
                self.listings.remove(0);
            }
            self.listings.push((dir.to_path_buf(), names));
        }
        self.listings.last().map(|(_, names)| names)
    }
}

/// A file name as ISO 9660 mounts may show it, reduced to compare with a Referenced File ID
/// component: lowercase, without a `;<version>` suffix or a trailing dot.
fn normalize(name: &str) -> String {
    let name = match name.rsplit_once(';') {
        Some((stem, version)) if version.chars().all(|c| c.is_ascii_digit()) => stem,
        _ => name,
    };
    name.trim_end_matches('.').to_lowercase()
}
