//! Crash safety: an import killed with SIGKILL at several moments leaves a node that fsck finds
//! consistent, and a re-import completes it with the right counts.

use std::time::Duration;

use crate::util::*;

#[test]
fn sigkill_during_import_leaves_a_consistent_node() {
    testkit::need_make_series!();
    let corpus = testkit::synth_corpus();
    let truth = testkit::truth(&corpus);
    let total: u64 = truth
        .iter()
        .map(|r| r.get("instances").parse::<u64>().unwrap())
        .sum();
    let (_dir, home) = new_home("Crash center");
    let mut committed_before_end = false;
    // Small batches so that kills land in every phase: reading, staging, syncing, committing.
    for delay_ms in [30u64, 120, 250, 400, 650, 900] {
        let mut child = neurofed(&home)
            .args([
                "import", "--create", "--study", "S", "--batch", "40", "--json",
            ])
            .arg(&corpus)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        let fsck = neurofed(&home).arg("fsck").output().unwrap();
        assert!(
            fsck.status.success(),
            "fsck after a kill at {delay_ms} ms ({status}):\n{}",
            String::from_utf8_lossy(&fsck.stdout)
        );
        let stats = json(neurofed(&home).arg("stats"));
        let n = stats["instances"].as_u64().unwrap();
        assert!(n <= total);
        if n > 0 && n < total {
            committed_before_end = true;
        }
    }
    let done = json(
        neurofed(&home)
            .args(["import", "--create", "--study", "S"])
            .arg(&corpus),
    );
    let stats = json(neurofed(&home).arg("stats"));
    assert_eq!(stats["instances"], total, "{done}");
    assert_eq!(stats["acquisitions"], truth.len() as u64);
    assert_eq!(stats["subjects"], 3);
    assert_eq!(stats["examinations"], 6);
    assert_eq!(
        done["instances"].as_u64().unwrap() + done["duplicates"].as_u64().unwrap(),
        total
    );
    let fsck = neurofed(&home).args(["fsck", "--gc"]).output().unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stdout)
    );
    let clean = json(neurofed(&home).arg("fsck"));
    assert_eq!(clean["garbage_blobs"], 0);
    // At least one kill must have landed between batch commits, or the test proved little.
    assert!(
        committed_before_end,
        "no kill interrupted an import midway; adjust delays"
    );
}

/// Whatever the shell's umask, what `neurofed` writes in a home is the owner's only, and
/// `fsck` says so; a file opened to others is reported.
#[test]
fn a_home_is_owner_only_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, home) = crate::util::new_home("Rennes Neurinfo");
    let mut open = Vec::new();
    let mut stack = vec![home.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            if m & 0o077 != 0 {
                open.push(format!("{} {m:o}", p.display()));
            }
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    assert!(open.is_empty(), "{open:?}");
    crate::util::ok(crate::util::neurofed(&home).arg("fsck"));
    let catalog = home.join("catalog").join("catalog.redb");
    std::fs::set_permissions(&catalog, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = crate::util::neurofed(&home).arg("fsck").output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{text}");
    assert!(text.contains("catalog.redb has mode 644"), "{text}");
}
