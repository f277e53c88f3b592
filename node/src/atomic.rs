//! The one way a node writes a small file (config, keys, grants, rosters, exports' metadata) so
//! that a crash leaves either the old file or the new one, never a torn one: a temporary file in
//! the same folder, written, fsynced, renamed (or hard-linked) into place, then the folder
//! fsynced. Blobs are not written here: the store batches their durability (`store.rs`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A failed atomic write, with the step and the file it concerns.
#[derive(Debug, thiserror::Error)]
#[error("cannot {op} {path}: {source}")]
pub struct WriteError {
    /// What was being done (`create`, `write`, `fsync`, `rename`).
    pub op: &'static str,
    /// The file or folder.
    pub path: PathBuf,
    /// The OS error.
    #[source]
    pub source: io::Error,
}

fn err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> WriteError + 'a {
    move |source| WriteError {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// Who may read the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The process' umask decides.
    Default,
    /// Owner only: the file 0600, folders created 0700.
    Private,
}

/// Write `bytes` to `path` atomically, replacing what was there; folders are created.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write(path, bytes, Mode::Default, true).map(|_| ())
}

/// As [`write_atomic`], readable by the owner only (a secret).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write(path, bytes, Mode::Private, true).map(|_| ())
}

/// Create `path` with `bytes`, readable by the owner only, unless it exists: then nothing is
/// written and `Ok(false)` is returned (the first writer wins, across processes).
pub fn create_private(path: &Path, bytes: &[u8]) -> Result<bool, WriteError> {
    write(path, bytes, Mode::Private, false)
}

fn write(path: &Path, bytes: &[u8], mode: Mode, replace: bool) -> Result<bool, WriteError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    create_dir(dir, mode).map_err(err("create", dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut f = open_new(&tmp, mode).map_err(err("create", &tmp))?;
        f.write_all(bytes).map_err(err("write", &tmp))?;
        f.sync_all().map_err(err("fsync", &tmp))
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    let placed = if replace {
        fs::rename(&tmp, path)
    } else {
        // A hard link never replaces an existing file.
        let r = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        r
    };
    match placed {
        Ok(()) => {}
        Err(e) if !replace && e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(err(if replace { "rename" } else { "link" }, path)(e));
        }
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(err("fsync", dir))?;
    Ok(true)
}

fn open_new(path: &Path, mode: Mode) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if mode == Mode::Private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
        // A temporary file left by a crashed run with this process id may have other bits.
        let _ = fs::remove_file(path);
    }
    opts.open(path)
}

fn create_dir(dir: &Path, mode: Mode) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    if mode == Mode::Private {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_or_creates_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/c.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let k = dir.path().join("keys/k");
        assert!(create_private(&k, b"first").unwrap());
        assert!(!create_private(&k, b"second").unwrap());
        assert_eq!(fs::read(&k).unwrap(), b"first");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&k).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("keys"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
