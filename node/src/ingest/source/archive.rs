//! Zip archives: entries read one at a time, each decompressed into memory under a cap.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::{is_junk_path, Input, Unreadable};

/// The first bytes of a zip archive (a local file header).
pub(super) const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

/// The largest entry read out of an archive (2 GiB); larger ones are [`Unreadable`].
pub(crate) const MAX_ENTRY: u64 = 2 << 30;

/// Room reserved up front for an entry: its declared size, but never more than this (the
/// declared size is the archive's word; the bytes that really come grow the buffer).
const MAX_RESERVE: u64 = 64 << 20;

/// The entries of one zip archive, in central-directory order.
#[derive(Debug)]
pub(super) struct Entries {
    archive: zip::ZipArchive<BufReader<File>>,
    next: usize,
    label: String,
    cap: u64,
}

impl Entries {
    pub(super) fn open(path: &Path) -> Result<Self, Unreadable> {
        Self::open_capped(path, MAX_ENTRY)
    }

    pub(super) fn open_capped(path: &Path, cap: u64) -> Result<Self, Unreadable> {
        let file =
            File::open(path).map_err(|e| Unreadable::path(path, format!("cannot read: {e}")))?;
        let archive = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| Unreadable::path(path, format!("unreadable zip archive: {e}")))?;
        Ok(Entries {
            archive,
            next: 0,
            label: path.display().to_string(),
            cap,
        })
    }

    pub(super) fn next(&mut self) -> Option<Result<Input, Unreadable>> {
        while self.next < self.archive.len() {
            let index = self.next;
            self.next += 1;
            let name = self
                .archive
                .name_for_index(index)
                .map(str::to_string)
                .unwrap_or_else(|| format!("#{index}"));
            if name.ends_with('/') || name.ends_with('\\') || is_junk_path(&name) {
                continue;
            }
            let label = format!("{}!{name}", self.label);
            let cap = self.cap;
            let mut entry = match self.archive.by_index(index) {
                Ok(entry) => entry,
                Err(e) => return Some(Err(Unreadable::new(label, format!("cannot read: {e}")))),
            };
            if entry.is_dir() {
                continue;
            }
            if entry.size() > cap {
                return Some(Err(Unreadable::new(
                    label,
                    format!(
                        "entry of {} bytes is larger than the {cap}-byte limit",
                        entry.size()
                    ),
                )));
            }
            let mut bytes = Vec::with_capacity(entry.size().min(MAX_RESERVE) as usize);
            if let Err(e) = (&mut entry).take(cap + 1).read_to_end(&mut bytes) {
                return Some(Err(Unreadable::new(
                    label,
                    format!("cannot decompress: {e}"),
                )));
            }
            if bytes.len() as u64 > cap {
                return Some(Err(Unreadable::new(
                    label,
                    format!("entry decompresses to more than the {cap}-byte limit"),
                )));
            }
            if bytes.starts_with(&ZIP_MAGIC) {
                return Some(Err(Unreadable::new(
                    label,
                    "zip archive inside a zip archive: not expanded (extract it first)",
                )));
            }
            return Some(Ok(Input::Entry { label, bytes }));
        }
        None
    }
}
