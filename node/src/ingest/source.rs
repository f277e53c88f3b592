//! Expanding the paths a user gives to `neurofed import` into inputs to read.
//!
//! A path may be a file, a folder (walked recursively, in a stable order so that the files of a
//! series arrive together), a DICOMDIR tree (the files its records reference) or a zip archive
//! (entries read one at a time). Nothing here parses DICOM beyond what a DICOMDIR needs, and
//! nothing is buffered whole: the iterator yields one input at a time.
//!
//! Decisions:
//! - **Order**: the paths in the order given; a folder depth first, entries sorted by file name
//!   (byte order). Symbolic links are followed; a link loop is reported as [`Unreadable`].
//! - **DICOMDIR**: a folder holding a file named `DICOMDIR` (any case) is a DICOM medium: its
//!   records' Referenced File IDs are yielded, in record order, resolved case-insensitively (CDs
//!   are uppercase 8.3; a `;1` version suffix or trailing dot is ignored), and nothing else of that
//!   folder's tree is (CDs carry viewers, autorun files and the like). A record whose file is
//!   missing, or whose path leaves the folder, is an [`Unreadable`]. When the DICOMDIR itself
//!   cannot be read, one [`Unreadable`] says so and the folder is walked like any other instead.
//!   Giving the `DICOMDIR` file itself as a path means its folder.
//! - **Zip**: recognized by its magic bytes `PK\x03\x04`, not its name, whether given or found in
//!   a folder. Entries are read one at a time into an [`Input::Entry`] labelled
//!   `archive.zip!inner/path`; directories are skipped; an entry larger than [`MAX_ENTRY`] bytes, or
//!   encrypted, or compressed with a method other than stored/deflate, is an [`Unreadable`]; a zip
//!   inside a zip is an [`Unreadable`] too (not expanded). Nothing is extracted to disk. A
//!   DICOMDIR inside an archive gets no special treatment: every entry is yielded (the reader
//!   refuses the DICOMDIR entry itself as not an instance).
//! - **Junk**: operating-system litter is skipped silently, in folders and in archives:
//!   `.DS_Store`, AppleDouble `._*` files, `Thumbs.db`, `ehthumbs.db`, `desktop.ini`, and the
//!   folders `__MACOSX`, `.Spotlight-V100`, `.Trashes`, `.fseventsd`, `.TemporaryItems`,
//!   `$RECYCLE.BIN`, `System Volume Information`. Other hidden files are read like any file.
//! - **Errors**: a path that does not exist or cannot be read is an [`Unreadable`] with the
//!   operating system's reason, and the expansion goes on with the rest.
//!
//! Memory: one directory listing per level of the folder being walked (walkdir sorts each
//! directory's entries), a DICOMDIR's list of referenced file IDs, a zip's central directory,
//! and the one entry being yielded. It does not grow with the number of files walked.

mod archive;
mod dicomdir;

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One thing to read: a file on disk, or an entry already read out of an archive.
#[derive(Debug)]
pub(super) enum Input {
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
    pub(super) fn label(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Entry { label, .. } => label.clone(),
        }
    }
}

/// An input that could not even be listed or read, with a one-line reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unreadable {
    /// The path (or `archive!entry`) concerned.
    pub label: String,
    /// Why, in one line.
    pub reason: String,
}

impl Unreadable {
    fn new(label: impl Into<String>, reason: impl Into<String>) -> Self {
        Unreadable {
            label: label.into(),
            reason: reason.into().replace(['\n', '\r'], " "),
        }
    }

    fn path(path: &Path, reason: impl Into<String>) -> Self {
        Unreadable::new(path.display().to_string(), reason)
    }
}

/// Expand `paths` into inputs, lazily.
pub(super) fn expand(paths: &[PathBuf]) -> impl Iterator<Item = Result<Input, Unreadable>> + Send {
    Expander {
        roots: Vec::from(paths).into_iter(),
        stack: Vec::new(),
        pending: VecDeque::new(),
    }
}

/// The lazy expansion: a stack of sources (a folder walk, inside it a DICOMDIR's records or a
/// zip's entries), the innermost yielding first.
#[derive(Debug)]
struct Expander {
    roots: std::vec::IntoIter<PathBuf>,
    stack: Vec<Source>,
    /// Items decided before they can be yielded (at most two at a time).
    pending: VecDeque<Result<Input, Unreadable>>,
}

#[derive(Debug)]
enum Source {
    Walk(Walk),
    DicomDir(dicomdir::Referenced),
    Zip(archive::Entries),
}

/// What a source does next.
enum Step {
    Yield(Result<Input, Unreadable>),
    Push(Source),
    Done,
}

impl Iterator for Expander {
    type Item = Result<Input, Unreadable>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            let Some(top) = self.stack.last_mut() else {
                let root = self.roots.next()?;
                self.start(root);
                continue;
            };
            let step = match top {
                Source::Walk(w) => w.step(&mut self.pending),
                Source::DicomDir(d) => d.next().map_or(Step::Done, Step::Yield),
                Source::Zip(z) => z.next().map_or(Step::Done, Step::Yield),
            };
            match step {
                Step::Yield(item) => return Some(item),
                Step::Push(source) => self.stack.push(source),
                Step::Done => {
                    self.stack.pop();
                }
            }
        }
    }
}

impl Expander {
    /// Begin expanding one path the user gave.
    fn start(&mut self, root: PathBuf) {
        let meta = match std::fs::metadata(&root) {
            Ok(m) => m,
            Err(e) => {
                self.pending
                    .push_back(Err(Unreadable::path(&root, format!("cannot read: {e}"))));
                return;
            }
        };
        if meta.is_dir() {
            match find_dicomdir(&root) {
                Some(file) => {
                    let source = medium(file, &root, &mut self.pending);
                    self.stack.push(source);
                }
                None => self.stack.push(Source::Walk(Walk::new(&root, false))),
            }
        } else if meta.is_file() {
            let is_dicomdir = root
                .file_name()
                .is_some_and(|n| n.eq_ignore_ascii_case("DICOMDIR"));
            match root.parent().filter(|_| is_dicomdir) {
                Some(dir) => {
                    let dir = if dir.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        dir
                    };
                    let source = medium(root.clone(), dir, &mut self.pending);
                    self.stack.push(source);
                }
                None => match file(root) {
                    Step::Yield(item) => self.pending.push_back(item),
                    Step::Push(source) => self.stack.push(source),
                    Step::Done => {}
                },
            }
        } else {
            self.pending
                .push_back(Err(Unreadable::path(&root, "neither a file nor a folder")));
        }
    }
}

/// The source for a folder holding a DICOMDIR: its records, or (when it cannot be read) a note
/// in `pending` and a walk of the folder.
fn medium(
    dicomdir: PathBuf,
    dir: &Path,
    pending: &mut VecDeque<Result<Input, Unreadable>>,
) -> Source {
    match dicomdir::Referenced::open(&dicomdir, dir) {
        Ok(records) => Source::DicomDir(records),
        Err(reason) => {
            pending.push_back(Err(Unreadable::path(
                &dicomdir,
                format!("DICOMDIR unreadable ({reason}); walking its folder instead"),
            )));
            Source::Walk(Walk::new(dir, true))
        }
    }
}

/// A file found or given: a zip archive (by its magic bytes) or an input.
fn file(path: PathBuf) -> Step {
    let mut magic = [0u8; 4];
    let read = std::fs::File::open(&path).and_then(|mut f| {
        let mut n = 0;
        while n < magic.len() {
            match f.read(&mut magic[n..])? {
                0 => break,
                k => n += k,
            }
        }
        Ok(n)
    });
    match read {
        Err(e) => Step::Yield(Err(Unreadable::path(&path, format!("cannot read: {e}")))),
        Ok(4) if magic == archive::ZIP_MAGIC => match archive::Entries::open(&path) {
            Ok(entries) => Step::Push(Source::Zip(entries)),
            Err(u) => Step::Yield(Err(u)),
        },
        Ok(_) => Step::Yield(Ok(Input::File(path))),
    }
}

/// A recursive walk of one folder.
struct Walk {
    it: walkdir::IntoIter,
    /// This folder's DICOMDIR could not be read: skip it, and do not take the folder as a medium.
    skip_dicomdir: bool,
}

impl std::fmt::Debug for Walk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Walk")
            .field("skip_dicomdir", &self.skip_dicomdir)
            .finish_non_exhaustive()
    }
}

impl Walk {
    fn new(root: &Path, skip_dicomdir: bool) -> Self {
        Walk {
            it: walkdir::WalkDir::new(root)
                .follow_links(true)
                .sort_by_file_name()
                .into_iter(),
            skip_dicomdir,
        }
    }

    fn step(&mut self, pending: &mut VecDeque<Result<Input, Unreadable>>) -> Step {
        loop {
            let entry = match self.it.next() {
                None => return Step::Done,
                Some(Err(e)) => return Step::Yield(Err(walk_error(&e))),
                Some(Ok(entry)) => entry,
            };
            if entry.depth() == 0 {
                continue;
            }
            let is_dir = entry.file_type().is_dir();
            if is_junk(entry.file_name(), is_dir) {
                if is_dir {
                    self.it.skip_current_dir();
                }
                continue;
            }
            if is_dir {
                if let Some(dicomdir) = find_dicomdir(entry.path()) {
                    self.it.skip_current_dir();
                    return Step::Push(medium(dicomdir, entry.path(), pending));
                }
                continue;
            }
            if !entry.file_type().is_file() {
                continue;
            }
            if self.skip_dicomdir
                && entry.depth() == 1
                && entry.file_name().eq_ignore_ascii_case("DICOMDIR")
            {
                continue;
            }
            return file(entry.into_path());
        }
    }
}

fn walk_error(e: &walkdir::Error) -> Unreadable {
    let label = e
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "?".into());
    let reason = match (e.io_error(), e.loop_ancestor()) {
        (_, Some(ancestor)) => format!("symbolic link loop back to {}", ancestor.display()),
        (Some(io), _) => format!("cannot read: {io}"),
        _ => e.to_string(),
    };
    Unreadable::new(label, reason)
}

/// The `DICOMDIR` file (any case) directly in `dir`, if there is one.
fn find_dicomdir(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .find(|e| {
            e.file_name().eq_ignore_ascii_case("DICOMDIR")
                && std::fs::metadata(e.path()).is_ok_and(|m| m.is_file())
        })
        .map(|e| e.path())
}

/// Operating-system litter, skipped silently (see the module doc).
fn is_junk(name: &OsStr, is_dir: bool) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    if is_dir {
        [
            "__MACOSX",
            ".Spotlight-V100",
            ".Trashes",
            ".fseventsd",
            ".TemporaryItems",
            "$RECYCLE.BIN",
            "System Volume Information",
        ]
        .iter()
        .any(|j| name.eq_ignore_ascii_case(j))
    } else {
        name.starts_with("._")
            || [".DS_Store", "Thumbs.db", "ehthumbs.db", "desktop.ini"]
                .iter()
                .any(|j| name.eq_ignore_ascii_case(j))
    }
}

/// Whether a path inside an archive (`a/b/c`) is or lies in operating-system litter.
fn is_junk_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    parts.iter().enumerate().any(|(i, p)| {
        let is_dir = i + 1 < parts.len() || path.ends_with('/');
        is_junk(OsStr::new(p), is_dir)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::io::Write;

    fn corpus_file(rel: &str) -> Vec<u8> {
        fs::read(testkit::reference_corpus().join(rel)).unwrap()
    }

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dicomdir")
    }

    fn labels(paths: &[PathBuf], base: &Path) -> Vec<String> {
        expand(paths)
            .map(|r| match r {
                Ok(i) => i.label().replace(&base.display().to_string(), ""),
                Err(u) => format!(
                    "ERR {} {}",
                    u.label.replace(&base.display().to_string(), ""),
                    u.reason
                ),
            })
            .collect()
    }

    fn write(path: &Path, bytes: &[u8]) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    /// Copy `from` into `to`, each name transformed by `rename`.
    fn copy_tree(from: &Path, to: &Path, rename: &dyn Fn(&str) -> String) {
        for e in walkdir::WalkDir::new(from).min_depth(1) {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(from).unwrap();
            let dest = rel
                .iter()
                .fold(to.to_path_buf(), |p, c| p.join(rename(c.to_str().unwrap())));
            if e.file_type().is_dir() {
                fs::create_dir_all(&dest).unwrap();
            } else {
                write(&dest, &fs::read(e.path()).unwrap());
            }
        }
    }

    #[test]
    fn folders_in_order_junk_skipped_missing_paths_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        for f in [
            "b/2.dcm",
            "a/1.dcm",
            "a/10.dcm",
            "a/.DS_Store",
            "a/._1.dcm",
            "a/Thumbs.db",
            "__MACOSX/a/x.dcm",
            "c/.hidden.dcm",
            "z.dcm",
        ] {
            write(&d.join(f), b"x");
        }
        let got = labels(&[d.to_path_buf(), d.join("nope"), d.join("z.dcm")], d);
        let missing = format!(
            "ERR /nope cannot read: {}",
            std::io::Error::from_raw_os_error(2)
        );
        assert_eq!(
            got,
            [
                "/a/1.dcm",
                "/a/10.dcm",
                "/b/2.dcm",
                "/c/.hidden.dcm",
                "/z.dcm",
                &missing,
                "/z.dcm",
            ]
        );
    }

    fn zip_of(entries: &[(&str, Option<&[u8]>)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            match bytes {
                Some(b) => {
                    w.start_file(*name, opts).unwrap();
                    w.write_all(b).unwrap();
                }
                None => w.add_directory(*name, opts).unwrap(),
            }
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn zip_archives_by_magic_entries_one_at_a_time() {
        testkit::need_shared!();
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let mr = corpus_file("pydicom/test_files/MR_small.dcm");
        let ct = corpus_file("pydicom/test_files/CT_small.dcm");
        let inner = zip_of(&[("x.dcm", Some(&mr[..]))]);
        let z = zip_of(&[
            ("series/", None),
            ("series/MR_small.dcm", Some(&mr[..])),
            ("series/CT_small.dcm", Some(&ct[..])),
            ("__MACOSX/series/._MR_small.dcm", Some(b"junk")),
            ("series/.DS_Store", Some(b"junk")),
            ("nested.zip", Some(&inner[..])),
            ("notes.txt", Some(b"hello")),
        ]);
        // Not named .zip: recognized by its magic bytes, inside a walked folder.
        write(&d.join("export.bin"), &z);
        write(&d.join("plain.dcm"), &mr);
        let got: Vec<_> = expand(&[d.to_path_buf()]).collect();
        let shown: Vec<String> = got
            .iter()
            .map(|r| match r {
                Ok(i) => i.label().replace(&d.display().to_string(), ""),
                Err(u) => format!("ERR {}", u.label.replace(&d.display().to_string(), "")),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "/export.bin!series/MR_small.dcm",
                "/export.bin!series/CT_small.dcm",
                "ERR /export.bin!nested.zip",
                "/export.bin!notes.txt",
                "/plain.dcm",
            ]
        );
        match &got[0] {
            Ok(Input::Entry { bytes, .. }) => {
                assert_eq!(bytes, &mr);
                assert!(dicom::read(bytes).is_ok());
            }
            other => panic!("{other:?}"),
        }
        match &got[2] {
            Err(u) => assert!(u.reason.contains("zip archive inside a zip archive")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zip_entries_over_the_cap_and_broken_archives_are_unreadable() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.zip");
        write(
            &path,
            &zip_of(&[("big", Some(&[7u8; 5000][..])), ("small", Some(b"ok"))]),
        );
        let mut entries = archive::Entries::open_capped(&path, 100).unwrap();
        let big = entries.next().unwrap().unwrap_err();
        assert!(big.label.ends_with("a.zip!big"));
        assert!(
            big.reason.contains("larger than the 100-byte limit"),
            "{big:?}"
        );
        assert!(matches!(entries.next(), Some(Ok(Input::Entry { .. }))));
        assert!(entries.next().is_none());

        let broken = tmp.path().join("broken.zip");
        write(&broken, b"PK\x03\x04 and then nothing like a zip");
        let got: Vec<_> = expand(std::slice::from_ref(&broken)).collect();
        assert_eq!(got.len(), 1);
        let err = got.into_iter().next().unwrap().unwrap_err();
        assert!(err.reason.starts_with("unreadable zip archive"), "{err:?}");
    }

    #[test]
    fn dicomdir_medium_yields_its_referenced_files_case_insensitively() {
        let tmp = tempfile::tempdir().unwrap();
        let cd = tmp.path().join("cd");
        // As a Linux mount may show a CD: lowercase names, one with an ISO 9660 version.
        copy_tree(&fixture(), &cd, &|n| {
            if n == "IM000001" {
                "im000001;1".into()
            } else if n == "DICOMDIR" {
                n.into()
            } else {
                n.to_lowercase()
            }
        });
        write(&cd.join("viewer/viewer.exe"), b"MZ");
        write(&cd.join("pt000000/unreferenced.dcm"), b"x");
        write(&tmp.path().join("before.dcm"), b"x");
        let expected = [
            "/before.dcm",
            "/cd/pt000000/st000000/se000000/im000000",
            "/cd/pt000000/st000000/se000000/im000001;1",
            "/cd/pt000001/st000000/se000000/im000000",
        ];
        assert_eq!(labels(&[tmp.path().to_path_buf()], tmp.path()), expected);
        // The medium's folder or its DICOMDIR given directly.
        assert_eq!(labels(std::slice::from_ref(&cd), tmp.path()), expected[1..]);
        assert_eq!(labels(&[cd.join("DICOMDIR")], tmp.path()), expected[1..]);
        for input in expand(&[cd]) {
            let Input::File(p) = input.unwrap() else {
                panic!()
            };
            let r = dicom::read(&fs::read(&p).unwrap());
            assert!(r.is_ok(), "{}: {r:?}", p.display());
        }
    }

    #[test]
    fn dicomdir_missing_files_and_escapes_are_unreadable_and_the_rest_goes_on() {
        use dicom_core::value::DataSetSequence;
        use dicom_core::{DataElement, PrimitiveValue, VR};
        use dicom_dictionary_std::{tags, uids};
        use dicom_object::meta::FileMetaTableBuilder;
        use dicom_object::InMemDicomObject;

        let tmp = tempfile::tempdir().unwrap();
        let cd = tmp.path().join("cd");
        let record = |kind: &str, id: Option<&[&str]>| {
            let mut r = InMemDicomObject::new_empty();
            r.put(DataElement::new(
                tags::DIRECTORY_RECORD_TYPE,
                VR::CS,
                PrimitiveValue::from(kind),
            ));
            if let Some(id) = id {
                let parts: Vec<String> = id.iter().map(|s| s.to_string()).collect();
                r.put(DataElement::new(
                    tags::REFERENCED_FILE_ID,
                    VR::CS,
                    PrimitiveValue::Strs(parts.into()),
                ));
            }
            r
        };
        let mut inactive = record("IMAGE", Some(&["DICOM", "GONE"]));
        inactive.put(DataElement::new(
            tags::RECORD_IN_USE_FLAG,
            VR::US,
            PrimitiveValue::from(0u16),
        ));
        let records = vec![
            record("PATIENT", None),
            record("IMAGE", Some(&["DICOM", "IM1"])),
            record("IMAGE", Some(&["DICOM", "MISSING"])),
            record("IMAGE", Some(&["..", "SECRET"])),
            inactive,
            record("IMAGE", Some(&["DICOM", "IM1"])),
            record("SR DOCUMENT", Some(&["DICOM", "SR1"])),
        ];
        let dir = InMemDicomObject::from_element_iter([DataElement::new(
            tags::DIRECTORY_RECORD_SEQUENCE,
            VR::SQ,
            DataSetSequence::from(records),
        )])
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
                .media_storage_sop_class_uid(uids::MEDIA_STORAGE_DIRECTORY_STORAGE)
                .media_storage_sop_instance_uid("1.2.3"),
        )
        .unwrap();
        fs::create_dir_all(&cd).unwrap();
        dir.write_to_file(cd.join("dicomdir")).unwrap();
        write(&cd.join("DICOM/IM1"), b"x");
        write(&cd.join("DICOM/SR1"), b"x");
        write(&tmp.path().join("SECRET"), b"x");
        let got = labels(std::slice::from_ref(&cd), &cd);
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[0], "/DICOM/IM1");
        assert!(
            got[1].starts_with("ERR /DICOM/MISSING referenced by"),
            "{got:?}"
        );
        assert!(got[1].ends_with("but not found"), "{got:?}");
        assert!(
            got[2].starts_with("ERR /../SECRET") && got[2].contains("outside its folder"),
            "{got:?}"
        );
        assert_eq!(got[3], "/DICOM/SR1");
    }

    #[test]
    fn an_unreadable_dicomdir_falls_back_to_walking_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let cd = tmp.path();
        write(&cd.join("DICOMDIR"), b"DICM garbage");
        write(&cd.join("IMAGES/IM1"), b"x");
        write(&cd.join("IMAGES/IM2"), b"x");
        let got = labels(&[cd.to_path_buf()], cd);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(
            got[0].starts_with("ERR /DICOMDIR DICOMDIR unreadable ("),
            "{got:?}"
        );
        assert!(got[0].ends_with("walking its folder instead"), "{got:?}");
        assert_eq!(got[1..], ["/IMAGES/IM1", "/IMAGES/IM2"]);
    }

    #[test]
    fn junk_paths_in_archives() {
        assert!(is_junk_path("__MACOSX/a/b.dcm"));
        assert!(is_junk_path("a/.DS_Store"));
        assert!(is_junk_path("a/._b.dcm"));
        assert!(is_junk_path("System Volume Information/x"));
        assert!(!is_junk_path("a/b.dcm"));
        assert!(!is_junk_path("a/.hidden.dcm"));
        assert!(!is_junk_path("Thumbs.db/x.dcm"));
    }

    fn rss_kib() -> u64 {
        let status = fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// Expanding 100,000 files keeps memory flat: the iterator holds one directory listing per
    /// level, not the tree. Slow (creates the files): `cargo test -p neurofed-node
    /// expanding_100k -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn expanding_100k_files_keeps_memory_flat() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        for i in 0..100 {
            let sub = d.join(format!("series{i:03}"));
            fs::create_dir(&sub).unwrap();
            for j in 0..1000 {
                fs::write(sub.join(format!("IM{j:05}")), b"x").unwrap();
            }
        }
        let mut it = expand(&[d.to_path_buf()]);
        let mut count = 0u64;
        let mut samples = Vec::new();
        let before = rss_kib();
        for item in it.by_ref() {
            item.unwrap();
            count += 1;
            if count.is_multiple_of(10_000) {
                samples.push(rss_kib());
            }
        }
        let after = rss_kib();
        println!(
            "100 folders x 1000 files: {count} inputs, RSS {before} KiB before, \
             {after} KiB after, samples {samples:?}"
        );
        assert_eq!(count, 100_000);
        // Growth from 10k to 100k files: a few directory listings, not 90k paths.
        let growth = samples[samples.len() - 1].saturating_sub(samples[0]);
        assert!(
            growth < 2048,
            "RSS grew {growth} KiB from 10k to 100k files"
        );

        // One flat folder of 100,000 files: its sorted listing is held while it is walked.
        let flat = d.join("flat");
        fs::create_dir(&flat).unwrap();
        for j in 0..100_000 {
            fs::write(flat.join(format!("IM{j:06}")), b"x").unwrap();
        }
        let before = rss_kib();
        let mut peak = before;
        let mut count = 0u64;
        for item in expand(&[flat]) {
            item.unwrap();
            count += 1;
            if count.is_multiple_of(10_000) {
                peak = peak.max(rss_kib());
            }
        }
        println!("1 folder x 100000 files: RSS {before} KiB before, peak {peak} KiB");
        assert_eq!(count, 100_000);
        assert!(peak - before < 64 * 1024, "{peak} KiB");
    }
}
