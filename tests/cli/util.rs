//! Running the binary against temporary homes, and the fixtures tests share.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_neurofed")
}

/// A command on `home`.
pub fn neurofed(home: &Path) -> Command {
    let mut c = Command::new(bin());
    c.arg("--home").arg(home).env_remove("NEUROFED_HOME");
    c
}

/// Run, assert success, return stdout.
pub fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("neurofed runs");
    assert_success(&out, cmd);
    String::from_utf8(out.stdout).expect("utf-8 output")
}

pub fn assert_success(out: &Output, cmd: &Command) {
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run with `--json`, parse stdout.
pub fn json(cmd: &mut Command) -> Value {
    cmd.arg("--json");
    let text = ok(cmd);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The fixed consortium linkage key the tests use, so that pseudonyms and date offsets (and
/// hence every byte the tests scan) are reproducible from run to run.
pub const TEST_LINKAGE_KEY: &str =
    "6e6575726f6665642074657374206c696e6b616765206b657920212121212121";

/// A fresh initialized home in a temp dir.
pub fn new_home(center: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    let key = dir.path().join("linkage.key");
    std::fs::write(&key, format!("{TEST_LINKAGE_KEY}\n")).expect("key file");
    ok(neurofed(&home)
        .args(["init", "--center", center, "--linkage-key"])
        .arg(&key));
    std::fs::remove_file(&key).expect("remove key");
    (dir, home)
}

/// The generated corpus imported once into a home, re-imported, and exported: shared by the
/// tests that only read it.
pub struct SynthFixture {
    pub _dir: tempfile::TempDir,
    pub home: PathBuf,
    pub export: PathBuf,
    pub nifti_export: PathBuf,
    pub corpus: PathBuf,
    pub first: Value,
    pub second: Value,
}

pub fn synth_fixture() -> &'static SynthFixture {
    static F: OnceLock<SynthFixture> = OnceLock::new();
    F.get_or_init(|| {
        let corpus = testkit::synth_corpus();
        let (dir, home) = new_home("Rennes Neurinfo");
        for card in ["mr-natures.toml", "mr-quality.toml"] {
            ok(neurofed(&home)
                .args(["studycard", "add", "--create", "--study", "MS cohort"])
                .arg(testkit::workspace_root().join("docs/cards").join(card)));
        }
        let first = json(
            neurofed(&home)
                .args(["import", "--create", "--study", "MS cohort"])
                .arg(&corpus),
        );
        let second = json(
            neurofed(&home)
                .args(["import", "--create", "--study", "MS cohort"])
                .arg(&corpus),
        );
        let export = dir.path().join("export");
        ok(neurofed(&home)
            .args(["export", "--format", "dicom", "--out"])
            .arg(&export));
        let nifti_export = dir.path().join("nifti");
        ok(neurofed(&home)
            .args(["export", "--format", "nifti", "--out"])
            .arg(&nifti_export));
        SynthFixture {
            _dir: dir,
            home,
            export,
            nifti_export,
            corpus,
            first,
            second,
        }
    })
}

/// Every regular file under `dir`.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
