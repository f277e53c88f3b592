//! DIMSE as a PACS or a scanner uses it, with dcmtk's own tools: `echoscu` is answered,
//! `storescu` pushes a subject's series into the study configured for its calling AE title and
//! the node imports them as `neurofed import` would (same datasets and instances, de-identified:
//! no planted PHI in the home), while an unknown calling AE title or a wrong called AE title is
//! refused at association. `findscu` finds what was stored, `movescu` and `getscu` retrieve it
//! (C-MOVE to a known AE, C-GET over the caller's association), de-identified.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::federation::subject_dirs;
use crate::serve::spawn;
use crate::util::{json, neurofed, new_home, ok};

/// `findscu` with `keys` (`-S`: study root, `-P`: patient root): its responses' data sets as
/// `(tag, value)` lines, one list per response.
fn findscu(root: &str, port: &str, keys: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("findscu");
    cmd.args([
        "-v", root, "-aet", "STORESCU", "-aec", "NEUROFED", "-to", "10",
    ]);
    for k in keys {
        cmd.args(["-k", k]);
    }
    let out = cmd.args(["127.0.0.1", port]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "findscu failed: {text}");
    assert!(
        text.contains("Received Final Find Response (Success)"),
        "{text}"
    );
    let mut responses: Vec<Vec<String>> = Vec::new();
    let mut in_response = false;
    for line in text.lines() {
        if line.contains("Find Response:") && line.contains("(Pending)") {
            responses.push(Vec::new());
            in_response = true;
        } else if line.contains("Final Find Response") || line.contains("Request Identifiers") {
            in_response = false;
        } else if in_response {
            if let Some(rest) = line.strip_prefix("I: (") {
                responses.last_mut().unwrap().push(format!("({rest}"));
            }
        }
    }
    responses
}

/// The value of `tag` (`(0010,0020)`) in a response's lines.
fn value(lines: &[String], tag: &str) -> Option<String> {
    let l = lines.iter().find(|l| l.starts_with(tag))?;
    let start = l.find('[')? + 1;
    let end = l[start..].find(']')? + start;
    Some(
        l[start..end]
            .trim_matches(|c: char| c == '\0' || c == ' ')
            .to_string(),
    )
}

/// `getscu` as caller STORESCU with `args`, storing into `dir`; its log.
fn getscu(port: &str, dir: &std::path::Path, args: &[&str]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let out = Command::new("getscu")
        .args([
            "-v", "-aet", "STORESCU", "-aec", "NEUROFED", "-to", "30", "-od",
        ])
        .arg(dir)
        .args(args)
        .args(["127.0.0.1", port])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "getscu failed: {text}");
    assert!(text.contains("Received C-GET Response (Success)"), "{text}");
    text
}

fn echoscu(aet: &str, aec: &str, port: &str) -> bool {
    Command::new("echoscu")
        .args(["-aet", aet, "-aec", aec, "-to", "10", "127.0.0.1", port])
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn dcmtk_echoes_and_stores_into_the_callers_study() {
    testkit::need_tool!("echoscu", ["--version"]);
    testkit::need_tool!("storescu", ["--version"]);
    testkit::need_tool!("findscu", ["--version"]);
    testkit::need_tool!("movescu", ["--version"]);
    testkit::need_tool!("getscu", ["--version"]);
    let corpus = testkit::synth_corpus();
    let subject = subject_dirs(&corpus)[0].clone();

    // What `neurofed import` makes of the same files.
    let (_dr, reference) = new_home("Reference");
    ok(neurofed(&reference)
        .args(["import", "--create", "--study", "PACS push"])
        .arg(&subject));
    let want = json(neurofed(&reference).args(["stats"]));

    let (_d, home) = new_home("Rennes");
    let config = home.join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    let move_port = crate::federation::free_port();
    text.push_str("\n[dicom.callers.STORESCU]\nstudy = \"PACS push\"\n");
    text.push_str(&format!(
        "[dicom.callers.MOVESCU]\nstudy = \"PACS push\"\nhost = \"127.0.0.1\"\nport = {move_port}\n"
    ));
    std::fs::write(&config, text).unwrap();
    let log = home.parent().unwrap().join("serve.log");
    let (server, ready) = spawn(
        &home,
        &["--http", "127.0.0.1:0", "--dicom", "127.0.0.1:0"],
        Some(&log),
        &[("NEUROFED_LOG", "info")],
    );
    let port = ready
        .split_once(" dicom=127.0.0.1:")
        .map(|(_, p)| p.trim().to_string())
        .unwrap_or_else(|| panic!("no dicom address in {ready:?}"));

    assert!(echoscu("STORESCU", "NEUROFED", &port), "C-ECHO refused");
    assert!(
        !echoscu("INTRUDER", "NEUROFED", &port),
        "an unknown caller was accepted"
    );
    assert!(
        !echoscu("STORESCU", "OTHER", &port),
        "a wrong called AE title was accepted"
    );

    let out = Command::new("storescu")
        .args([
            "-aet", "STORESCU", "-aec", "NEUROFED", "-to", "30", "+sd", "+r",
        ])
        .args(["127.0.0.1", &port])
        .arg(&subject)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "storescu failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Imported after the association's release: wait for the server to say so.
    let until = Instant::now() + Duration::from_secs(120);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("DIMSE: imported what the association stored")
    {
        assert!(
            Instant::now() < until,
            "never imported: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // C-FIND over what was stored, at every level, with the caller's own study only.
    let studies = findscu(
        "-S",
        &port,
        &[
            "QueryRetrieveLevel=STUDY",
            "PatientID",
            "StudyInstanceUID",
            "StudyDate",
        ],
    );
    assert_eq!(
        studies.len() as u64,
        want["examinations"].as_u64().unwrap(),
        "{studies:?}"
    );
    let pseudonym = value(&studies[0], "(0010,0020)").unwrap();
    assert!(pseudonym.starts_with("NF"), "{pseudonym}");
    let patients = findscu(
        "-P",
        &port,
        &["QueryRetrieveLevel=PATIENT", "PatientID", "PatientName"],
    );
    assert_eq!(
        patients.len() as u64,
        want["subjects"].as_u64().unwrap(),
        "{patients:?}"
    );
    assert!(findscu(
        "-S",
        &port,
        &["QueryRetrieveLevel=STUDY", "PatientID=NOBODY*"]
    )
    .is_empty());
    let mut series = 0;
    let mut instances = 0;
    for s in &studies {
        let uid = value(s, "(0020,000d)").unwrap();
        let found = findscu(
            "-S",
            &port,
            &[
                "QueryRetrieveLevel=SERIES",
                &format!("StudyInstanceUID={uid}"),
                "SeriesInstanceUID",
                "Modality",
            ],
        );
        series += found.len();
        for r in &found {
            let series_uid = value(r, "(0020,000e)").unwrap();
            instances += findscu(
                "-S",
                &port,
                &[
                    "QueryRetrieveLevel=IMAGE",
                    &format!("StudyInstanceUID={uid}"),
                    &format!("SeriesInstanceUID={series_uid}"),
                    "SOPInstanceUID",
                ],
            )
            .len();
        }
    }
    assert_eq!(series as u64, want["datasets"].as_u64().unwrap());
    assert_eq!(instances as u64, want["instances"].as_u64().unwrap());

    // C-MOVE of the first study to movescu's own storage SCP (a known AE with host and port).
    let moved = home.parent().unwrap().join("moved");
    std::fs::create_dir_all(&moved).unwrap();
    let uid = value(&studies[0], "(0020,000d)").unwrap();
    let expected: usize = findscu(
        "-S",
        &port,
        &[
            "QueryRetrieveLevel=IMAGE",
            &format!("StudyInstanceUID={uid}"),
            "SOPInstanceUID",
        ],
    )
    .len();
    let out = Command::new("movescu")
        .args([
            "-v", "-S", "-aet", "MOVESCU", "-aec", "NEUROFED", "-aem", "MOVESCU", "-to", "30",
        ])
        .args(["+P", &move_port.to_string(), "-od"])
        .arg(&moved)
        .args([
            "-k",
            "QueryRetrieveLevel=STUDY",
            "-k",
            &format!("StudyInstanceUID={uid}"),
        ])
        .args(["127.0.0.1", &port])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "movescu failed: {text}");
    assert_eq!(crate::util::files_under(&moved).len(), expected, "{text}");
    assert!(expected > 0);
    // A destination that is not a known AE is refused.
    let out = Command::new("movescu")
        .args([
            "-S", "-aet", "MOVESCU", "-aec", "NEUROFED", "-aem", "NOWHERE", "-to", "30",
        ])
        .args([
            "-k",
            "QueryRetrieveLevel=STUDY",
            "-k",
            &format!("StudyInstanceUID={uid}"),
        ])
        .args(["127.0.0.1", &port])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("MoveDestinationUnknown"), "{text}");

    // C-GET of the same study over getscu's own association (Study Root), then of the whole
    // patient (Patient Root): as many files as C-FIND lists instances.
    let got_study = home.parent().unwrap().join("got-study");
    let text = getscu(
        &port,
        &got_study,
        &[
            "-S",
            "-k",
            "QueryRetrieveLevel=STUDY",
            "-k",
            &format!("StudyInstanceUID={uid}"),
        ],
    );
    assert_eq!(
        crate::util::files_under(&got_study).len(),
        expected,
        "{text}"
    );
    let patient_instances = findscu(
        "-S",
        &port,
        &[
            "QueryRetrieveLevel=IMAGE",
            &format!("PatientID={pseudonym}"),
            "SOPInstanceUID",
        ],
    )
    .len();
    let got_patient = home.parent().unwrap().join("got-patient");
    let text = getscu(
        &port,
        &got_patient,
        &[
            "-P",
            "-k",
            "QueryRetrieveLevel=PATIENT",
            "-k",
            &format!("PatientID={pseudonym}"),
        ],
    );
    assert_eq!(
        crate::util::files_under(&got_patient).len(),
        patient_instances,
        "{text}"
    );
    assert!(patient_instances >= expected);
    drop(server);
    let got = json(neurofed(&home).args(["stats"]));
    for key in [
        "subjects",
        "examinations",
        "acquisitions",
        "datasets",
        "instances",
    ] {
        assert_eq!(got[key], want[key], "{key}: {got} vs {want}");
    }
    assert!(want["instances"].as_u64().unwrap() > 0, "{want}");
    ok(neurofed(&home).args(["fsck"]));
    let needles = testkit::planted_phi(&corpus);
    assert!(!testkit::scan_for_phi(&subject, &needles).is_empty());
    let mut leaks = testkit::scan_for_phi(&home, &needles);
    leaks.extend(testkit::scan_for_phi(&moved, &needles));
    leaks.extend(testkit::scan_for_phi(&got_study, &needles));
    leaks.extend(testkit::scan_for_phi(&got_patient, &needles));
    assert!(leaks.is_empty(), "planted PHI in the home: {leaks:?}");
    let audit = ok(neurofed(&home).args(["audit"]));
    assert!(audit.contains("dicom:STORESCU"), "{audit}");
}
