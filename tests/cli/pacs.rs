//! `neurofed pacs` against a real PACS: dcmtk's `dcmqrscp` on 127.0.0.1, loaded (`dcmqridx`)
//! with some series of two subjects of the generated corpus. `echo` answers; `find
//! --patient-id` returns that patient's studies; `retrieve` C-GETs them into a study through the
//! import pipeline (the same counts as `neurofed import` of the same files, nothing identifying in
//! the home, no spool left behind), a second `retrieve` imports nothing new; an unknown PACS
//! name, a closed port and a refused AE title are each explained.

use std::collections::BTreeSet;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{files_under, json, neurofed, new_home, ok};

/// A running `dcmqrscp`, killed when dropped.
struct Dcmqrscp {
    child: Child,
    port: u16,
}

impl Drop for Dcmqrscp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start dcmqrscp with AE title `PACS` serving `files` (copied into `dir/storage`).
fn start_pacs(dir: &Path, files: &[PathBuf]) -> Dcmqrscp {
    let storage = dir.join("storage");
    std::fs::create_dir_all(&storage).unwrap();
    let mut copied = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let to = storage.join(format!("{i:05}.dcm"));
        std::fs::copy(f, &to).unwrap();
        copied.push(to);
    }
    for chunk in copied.chunks(200) {
        let out = Command::new("dcmqridx")
            .arg(&storage)
            .args(chunk)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "dcmqridx: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let port = free_port();
    let config = dir.join("dcmqrscp.cfg");
    std::fs::write(
        &config,
        format!(
            "NetworkTCPPort = {port}\nMaxPDUSize = 16384\nMaxAssociations = 4\n\
             HostTable BEGIN\nHostTable END\nVendorTable BEGIN\nVendorTable END\n\
             AETable BEGIN\nPACS {} RW (100, 1024mb) ANY\nAETable END\n",
            storage.display()
        ),
    )
    .unwrap();
    let child = Command::new("dcmqrscp")
        .args(["-v", "-c"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("dcmqrscp.log")).unwrap())
        .spawn()
        .unwrap();
    let pacs = Dcmqrscp { child, port };
    let until = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "dcmqrscp never listened on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    pacs
}

/// `neurofed` failing with a message on stderr; the message.
fn fails(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "{cmd:?} succeeded");
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn pacs_echo_find_and_retrieve_against_dcmqrscp() {
    testkit::need_tool!("dcmqrscp", ["--version"]);
    testkit::need_tool!("dcmqridx", ["--version"]);
    let corpus = testkit::synth_corpus();
    let truth = testkit::truth(&corpus);
    let subjects: Vec<String> = truth
        .iter()
        .map(|r| r.get("subject").to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .take(2)
        .collect();
    assert_eq!(subjects.len(), 2);
    // Two series of each of the two subjects.
    let mut rows = Vec::new();
    for s in &subjects {
        rows.extend(truth.iter().filter(|r| r.get("subject") == s).take(2));
    }
    let files: Vec<PathBuf> = rows
        .iter()
        .flat_map(|r| files_under(&corpus.join(r.get("dir"))))
        .collect();
    let work = tempfile::tempdir().unwrap();
    let pacs = start_pacs(work.path(), &files);

    // What `neurofed import` makes of the first subject's files.
    let first: Vec<_> = rows
        .iter()
        .filter(|r| r.get("subject") == subjects[0])
        .collect();
    let patient = first[0].get("PatientID").to_string();
    let first_files = work.path().join("first");
    for r in &first {
        for f in files_under(&corpus.join(r.get("dir"))) {
            let to = first_files
                .join(r.get("series"))
                .join(f.file_name().unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&f, &to).unwrap();
        }
    }
    let (_dr, reference) = new_home("Reference");
    ok(neurofed(&reference)
        .args(["import", "--create", "--study", "From PACS"])
        .arg(&first_files));
    let want = json(neurofed(&reference).args(["stats"]));

    let (_d, home) = new_home("Rennes");
    let closed = free_port();
    let config = home.join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[pacs.hospital]\nae_title = \"PACS\"\nhost = \"127.0.0.1\"\nport = {}\n\
         [pacs.closed]\nae_title = \"PACS\"\nhost = \"127.0.0.1\"\nport = {closed}\n\
         [pacs.wrong]\nae_title = \"NOTPACS\"\nhost = \"127.0.0.1\"\nport = {}\n",
        pacs.port, pacs.port
    ));
    std::fs::write(&config, text).unwrap();
    let spool_root = work.path().join("tmp");
    std::fs::create_dir_all(&spool_root).unwrap();
    let pacs_cmd = |args: &[&str]| {
        let mut c = neurofed(&home);
        c.arg("pacs").args(args).env("TMPDIR", &spool_root);
        c
    };

    let echo = ok(&mut pacs_cmd(&["echo", "--pacs", "hospital"]));
    assert!(echo.contains("answered C-ECHO"), "{echo}");

    // Errors name what went wrong.
    let e = fails(&mut pacs_cmd(&["echo", "--pacs", "nowhere"]));
    assert!(
        e.contains("\"nowhere\"") && e.contains("closed, hospital, wrong"),
        "{e}"
    );
    let e = fails(&mut pacs_cmd(&["echo", "--pacs", "closed"]));
    assert!(
        e.contains("cannot connect") && e.contains(&format!("127.0.0.1:{closed}")),
        "{e}"
    );
    let e = fails(&mut pacs_cmd(&["echo", "--pacs", "wrong"]));
    assert!(
        e.contains("rejected the association") && e.contains("called AE NOTPACS"),
        "{e}"
    );

    // C-FIND by patient: that patient's studies, no other.
    let found = json(&mut pacs_cmd(&[
        "find",
        "--pacs",
        "hospital",
        "--patient-id",
        &patient,
    ]));
    let uids: BTreeSet<String> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["patient_id"], patient.as_str(), "{found}");
            m["study_uid"].as_str().unwrap().to_string()
        })
        .collect();
    let expected: BTreeSet<String> = first
        .iter()
        .map(|r| r.get("StudyInstanceUID").to_string())
        .collect();
    assert_eq!(uids, expected, "{found}");
    // Modality matched per series when the PACS does not match ModalitiesInStudy.
    for (modality, n) in [("MR", uids.len()), ("CT", 0)] {
        let by_modality = json(&mut pacs_cmd(&[
            "find",
            "--pacs",
            "hospital",
            "--patient-id",
            &patient,
            "--modality",
            modality,
        ]));
        assert_eq!(by_modality.as_array().unwrap().len(), n, "{by_modality}");
    }
    assert_eq!(found[0]["modality"], "MR", "{found}");
    let all = json(&mut pacs_cmd(&["find", "--pacs", "hospital"]));
    assert!(all.as_array().unwrap().len() > uids.len(), "{all}");
    let series = json(&mut pacs_cmd(&[
        "find",
        "--pacs",
        "hospital",
        "--patient-id",
        &patient,
        "--level",
        "series",
    ]));
    assert_eq!(series.as_array().unwrap().len(), first.len(), "{series}");

    // Retrieve: C-GET of each series, imported de-identified into the study.
    let out = pacs_cmd(&[
        "retrieve",
        "--pacs",
        "hospital",
        "--study",
        "From PACS",
        "--create",
        "--patient-id",
        &patient,
        "--json",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("series 1/{}", first.len())),
        "{stderr}"
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let instances: u64 = first
        .iter()
        .map(|r| r.get("instances").parse::<u64>().unwrap())
        .sum();
    assert_eq!(got["received"], instances, "{got}");
    assert_eq!(got["import"]["instances"], instances, "{got}");
    let stats = json(neurofed(&home).args(["stats"]));
    for key in ["subjects", "examinations", "datasets", "instances"] {
        assert_eq!(stats[key], want[key], "{key}: {stats} vs {want}");
    }
    // Again: the same instances arrive and are all already present.
    let again = json(&mut pacs_cmd(&[
        "retrieve",
        "--pacs",
        "hospital",
        "--study",
        "From PACS",
        "--patient-id",
        &patient,
    ]));
    assert_eq!(again["import"]["instances"], 0, "{again}");
    assert_eq!(again["import"]["duplicates"], instances, "{again}");
    assert_eq!(
        json(neurofed(&home).args(["stats"]))["instances"],
        instances
    );

    ok(neurofed(&home).args(["fsck"]));
    let needles = testkit::planted_phi(&corpus);
    assert!(!testkit::scan_for_phi(&first_files, &needles).is_empty());
    let leaks = testkit::scan_for_phi(&home, &needles);
    assert!(leaks.is_empty(), "planted PHI in the home: {leaks:?}");
    assert!(
        files_under(&spool_root).is_empty(),
        "spool left behind: {:?}",
        files_under(&spool_root)
    );
    let audit = ok(neurofed(&home).args(["audit"]));
    assert!(audit.contains("pacs:hospital"), "{audit}");
}

/// A workstation without a node: `neurofed upload --pacs` C-GETs a patient's series from the
/// PACS into a private folder, de-identifies them there and uploads them to a served node; the
/// folder is gone afterwards and nothing identifying reaches the node.
#[test]
fn upload_from_a_pacs_feeds_a_remote_node() {
    testkit::need_tool!("dcmqrscp", ["--version"]);
    testkit::need_tool!("dcmqridx", ["--version"]);
    let corpus = testkit::synth_corpus();
    let truth = testkit::truth(&corpus);
    let subject = truth[0].get("subject").to_string();
    let rows: Vec<_> = truth
        .iter()
        .filter(|r| r.get("subject") == subject)
        .take(2)
        .collect();
    let patient = rows[0].get("PatientID").to_string();
    let files: Vec<PathBuf> = rows
        .iter()
        .flat_map(|r| files_under(&corpus.join(r.get("dir"))))
        .collect();
    let work = tempfile::tempdir().unwrap();
    let pacs = start_pacs(work.path(), &files);
    let (_d, home, token) = crate::upload::node_with_technician();
    let (server, addr) = crate::serve::serve_http(&home, None);

    let station = work.path().join("station.toml");
    std::fs::write(
        &station,
        format!(
            "[dicom]\nae_title = \"STATION\"\n[pacs.hospital]\nae_title = \"PACS\"\n\
             host = \"127.0.0.1\"\nport = {}\n",
            pacs.port
        ),
    )
    .unwrap();
    let spool_root = work.path().join("tmp");
    std::fs::create_dir_all(&spool_root).unwrap();
    let r = json(
        neurofed(&work.path().join("no-home"))
            .args(["upload", "--pacs", "hospital", "--config"])
            .arg(&station)
            .args(["--patient-id", &patient, "--study", crate::upload::STUDY])
            .args(["--to", &format!("http://{addr}"), "--token", &token])
            .env("TMPDIR", &spool_root),
    );
    let instances: u64 = rows
        .iter()
        .map(|r| r.get("instances").parse::<u64>().unwrap())
        .sum();
    assert_eq!(r["pacs"]["received"], instances, "{r}");
    assert_eq!(r["imported"], instances, "{r}");
    assert_eq!(r["series"], rows.len() as u64, "{r}");
    drop(server);
    assert!(
        files_under(&spool_root).is_empty(),
        "originals left on the workstation: {:?}",
        files_under(&spool_root)
    );
    let leaks = testkit::scan_for_phi(&home, &testkit::planted_phi(&corpus));
    assert!(leaks.is_empty(), "planted PHI on the node: {leaks:?}");
}
