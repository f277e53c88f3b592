//! DICOMweb of a served node as `dicomweb-client` (PyPI) sees it: QIDO-RS, WADO-RS and STOW-RS
//! checked by `clients/dicomweb/check_dicomweb.py` against the files of `neurofed export`.

use std::path::PathBuf;
use std::process::Command;

use crate::serve::{serve_http, with_stdin};
use crate::util::{json, neurofed, new_home, ok};

#[test]
fn dicomweb_client_queries_retrieves_and_stores_what_export_writes() {
    testkit::need_tool!("python3", ["-c", "import dicomweb_client, pydicom"]);
    let corpus = testkit::synth_corpus();
    let mut subjects: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    subjects.sort();
    let (dir, home) = new_home("Rennes Neurinfo");
    json(
        neurofed(&home)
            .args(["import", "--create", "--study", "MS cohort"])
            .arg(&subjects[0]),
    );
    with_stdin(&home, &["user", "add", "alice"], "correct horse battery\n");
    ok(neurofed(&home).args([
        "rights",
        "grant",
        "alice",
        "--study",
        "MS cohort",
        "--rights",
        "see,download,import",
    ]));
    let token = with_stdin(
        &home,
        &["user", "token", "alice", "--label", "dicomweb"],
        "",
    )
    .trim()
    .to_string();
    let export = dir.path().join("export");
    ok(neurofed(&home)
        .args(["export", "--format", "dicom", "--out"])
        .arg(&export));
    // One instance of another subject, to be stored by STOW-RS.
    let stow = walk(&subjects[1])
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "dcm"))
        .or_else(|| walk(&subjects[1]).into_iter().next())
        .expect("a file of the second subject");
    let (_server, addr) = serve_http(&home, None);
    let script = testkit::workspace_root().join("clients/dicomweb/check_dicomweb.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(format!("http://{addr}/dicom-web"))
        .arg(&token)
        .arg(&export)
        .arg(&stow)
        .arg("MS cohort")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "ok qido studies",
        "ok qido matching",
        "ok wado series",
        "ok wado instance",
        "ok stow 1 instance",
    ] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
