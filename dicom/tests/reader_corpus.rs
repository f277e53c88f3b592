//! The DICOM reader over the real reference corpus (`shared/reference/corpus`, see MANIFEST.tsv):
//! every file is read (and written back by dicom-rs, and read again) or refused with a one-line
//! reason; the deliberately broken ones are refused quickly and without a big allocation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dicom::ReadError;
use dicom_core::header::Header;

fn corpus() -> PathBuf {
    testkit::reference_corpus()
}

/// `path -> parse_ok` from MANIFEST.tsv.
fn manifest(dir: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = header.iter().position(|h| *h == "parse_ok").unwrap();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[col].to_string())
        })
        .collect()
}

#[derive(Debug)]
enum Outcome {
    Read {
        guessed: Option<&'static str>,
        ts: String,
    },
    Refused(ReadError),
}

struct Row {
    label: String,
    outcome: Outcome,
    elapsed: Duration,
}

/// Read, write back with `write_all`, read again: the object must survive unchanged in what the
/// pipeline relies on.
fn round_trip(label: &str, inst: &dicom::ReadInstance) {
    let mut out = Vec::new();
    inst.obj
        .write_all(&mut out)
        .unwrap_or_else(|e| panic!("{label}: write_all failed: {e}"));
    let again = dicom::read(&out).unwrap_or_else(|e| panic!("{label}: re-read failed: {e}"));
    assert_eq!(again.guessed_transfer_syntax, None, "{label}");
    assert_eq!(
        again.obj.meta().transfer_syntax(),
        inst.obj.meta().transfer_syntax(),
        "{label}"
    );
    let tags = |o: &dicom_object::DefaultDicomObject| o.iter().map(|e| e.tag()).collect::<Vec<_>>();
    assert_eq!(
        tags(&again.obj),
        tags(&inst.obj),
        "{label}: elements differ"
    );
    for tag in [
        dicom_dictionary_std::tags::SOP_INSTANCE_UID,
        dicom_dictionary_std::tags::SERIES_INSTANCE_UID,
        dicom_dictionary_std::tags::ROWS,
    ] {
        let v = |o: &dicom_object::DefaultDicomObject| {
            o.get(tag).map(|e| e.to_str().map(|s| s.to_string()).ok())
        };
        assert_eq!(v(&again.obj), v(&inst.obj), "{label}: {tag} differs");
    }
    let pixels = |o: &dicom_object::DefaultDicomObject| {
        o.get(dicom_dictionary_std::tags::PIXEL_DATA)
            .map(|e| match e.value() {
                dicom_core::DicomValue::PixelSequence(s) => {
                    s.fragments().iter().map(|f| f.len()).sum::<usize>()
                }
                v => v.to_bytes().map(|b| b.len()).unwrap_or(0),
            })
    };
    assert_eq!(
        pixels(&again.obj),
        pixels(&inst.obj),
        "{label}: pixel data differs"
    );
}

fn read_all() -> Vec<Row> {
    let dir = corpus();
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file() && e.file_name() != "MANIFEST.tsv")
        .map(|e| e.into_path())
        .collect();
    files.sort();
    assert!(files.len() >= 140, "corpus not found at {}", dir.display());
    files
        .iter()
        .map(|path| {
            let label = path
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .to_string();
            let bytes = std::fs::read(path).unwrap();
            let t0 = Instant::now();
            let result = dicom::read(&bytes);
            let elapsed = t0.elapsed();
            let outcome = match result {
                Ok(inst) => {
                    round_trip(&label, &inst);
                    Outcome::Read {
                        guessed: inst.guessed_transfer_syntax,
                        ts: inst.obj.meta().transfer_syntax().to_string(),
                    }
                }
                Err(e) => Outcome::Refused(e),
            };
            Row {
                label,
                outcome,
                elapsed,
            }
        })
        .collect()
}

fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[test]
fn every_corpus_file_is_read_or_refused_with_a_reason() {
    testkit::need_shared!();
    let manifest = manifest(&corpus());
    let rows = read_all();

    println!("{:<62} {:>8}  {:<9} outcome", "file", "ms", "manifest");
    let mut disagreements = Vec::new();
    for r in &rows {
        let parse_ok = manifest.get(&r.label).map(String::as_str).unwrap_or("?");
        let text = match &r.outcome {
            Outcome::Read { guessed: None, ts } => format!("ok {ts}"),
            Outcome::Read {
                guessed: Some(g), ..
            } => format!("ok (no meta, guessed {g})"),
            Outcome::Refused(e) => format!("REFUSED {e}"),
        };
        println!(
            "{:<62} {:>8.2}  {:<9} {}",
            r.label,
            r.elapsed.as_secs_f64() * 1000.0,
            parse_ok,
            text
        );
        let ok = matches!(r.outcome, Outcome::Read { .. });
        if ok != (parse_ok == "yes") {
            disagreements.push(r.label.clone());
        }
        // A reason is one line.
        if let Outcome::Refused(e) = &r.outcome {
            let s = e.to_string();
            assert!(!s.is_empty() && !s.contains('\n'), "{}: {s:?}", r.label);
        }
    }
    let read = rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Read { .. }))
        .count();
    println!(
        "{} files: {} read, {} refused; differing from MANIFEST parse_ok: {:?}",
        rows.len(),
        read,
        rows.len() - read,
        disagreements
    );
    if let Some(mib) = peak_rss_mib() {
        println!("peak RSS of the test process: {mib} MiB");
        // dicom-rs alone allocates 3.6 GB on UN_sequence.dcm.
        assert!(mib < 1024, "peak RSS {mib} MiB");
    }

    let outcome = |label: &str| {
        &rows
            .iter()
            .find(|r| r.label == label)
            .unwrap_or_else(|| panic!("{label} not in corpus"))
            .outcome
    };
    let refused = |label: &str| match outcome(label) {
        Outcome::Refused(e) => e.clone(),
        other => panic!("{label} should be refused, got {other:?}"),
    };

    // The deliberately broken files.
    assert!(matches!(
        refused("pydicom/test_files/MR_truncated.dcm"),
        ReadError::Malformed(_)
    ));
    assert!(matches!(
        refused("pydicom/test_files/rtplan_truncated.dcm"),
        ReadError::Malformed(_)
    ));
    let un = refused("pydicom/test_files/UN_sequence.dcm");
    assert!(un.to_string().contains("inside a UN element"), "{un}");
    let un_time = rows
        .iter()
        .find(|r| r.label == "pydicom/test_files/UN_sequence.dcm")
        .unwrap()
        .elapsed;
    assert!(un_time < Duration::from_millis(200), "{un_time:?}");

    // Worklist items are not instances.
    for r in rows.iter().filter(|r| r.label.ends_with(".wl")) {
        assert!(
            matches!(&r.outcome, Outcome::Refused(ReadError::NotAnInstance(_))),
            "{}: {:?}",
            r.label,
            r.outcome
        );
    }
    // NIfTI is not DICOM.
    for r in rows.iter().filter(|r| r.label.contains(".nii")) {
        assert!(
            matches!(&r.outcome, Outcome::Refused(ReadError::NotDicom(_))),
            "{}: {:?}",
            r.label,
            r.outcome
        );
    }
    // Files without a file meta group read with a guessed transfer syntax.
    for label in [
        "pydicom/test_files/ExplVR_BigEndNoMeta.dcm",
        "pydicom/test_files/ExplVR_LitEndNoMeta.dcm",
        "pydicom/test_files/rtstruct.dcm",
        "pydicom-data/OT-PAL-8-face.dcm",
    ] {
        assert!(
            matches!(
                outcome(label),
                Outcome::Read {
                    guessed: Some(_),
                    ..
                }
            ),
            "{label}: {:?}",
            outcome(label)
        );
    }
    // Gzipped files as shipped are inflated and read.
    for r in rows.iter().filter(|r| r.label.ends_with(".dcm.gz")) {
        assert!(
            matches!(r.outcome, Outcome::Read { guessed: None, .. }),
            "{}: {:?}",
            r.label,
            r.outcome
        );
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random corruption of `bytes`: bit flips, a truncation, a length field set to a huge or
/// random value, bytes inserted or removed.
fn mutate(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = bytes.to_vec();
    match rng.below(6) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
        }
        1 => b.truncate(rng.below(b.len())),
        2 | 3 => {
            // Overwrite what is likely a length: 2 or 4 bytes after a tag-aligned offset.
            let i = rng.below(b.len().saturating_sub(4)) & !1;
            let v: u32 = match rng.below(4) {
                0 => 0xFFFF_FFFF,
                1 => 0xFFFF_FFF0,
                2 => 0x7FFF_FFFF,
                _ => rng.next() as u32,
            };
            let n = (b.len() - i).min(4);
            b[i..i + n].copy_from_slice(&v.to_le_bytes()[..n]);
        }
        4 => {
            let i = rng.below(b.len());
            let extra: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.next() as u8).collect();
            b.splice(i..i, extra);
        }
        _ => {
            let i = rng.below(b.len());
            let j = (i + 1 + rng.below(16)).min(b.len());
            b.drain(i..j);
        }
    }
    b
}

#[test]
fn mutated_corpus_files_never_panic_and_stay_fast() {
    testkit::need_shared!();
    let files = [
        "pydicom/test_files/MR_small.dcm",
        "pydicom/test_files/MR_small_implicit.dcm",
        "pydicom/test_files/MR_small_bigendian.dcm",
        "pydicom/test_files/MR_small_RLE.dcm",
        "pydicom/test_files/JPEG2000.dcm",
        "pydicom/test_files/image_dfl.dcm",
        "pydicom/test_files/rtplan.dcm",
        "pydicom/test_files/test-SR.dcm",
        "pydicom/test_files/ExplVR_BigEndNoMeta.dcm",
        "pydicom/test_files/rtstruct.dcm",
        "pydicom/test_files/UN_sequence.dcm",
        "pydicom/test_files/nested_priv_SQ.dcm",
        "pydicom/test_files/zipMR.dcm.gz",
        "pydicom/charset_files/chrSQEncoding.dcm",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut total, mut read, mut slowest) = (0usize, 0usize, Duration::ZERO);
    let t0 = Instant::now();
    for f in files {
        let bytes = std::fs::read(corpus().join(f)).unwrap();
        for _ in 0..400 {
            let m = mutate(&bytes, &mut rng);
            let t = Instant::now();
            let r = dicom::read(&m);
            let dt = t.elapsed();
            slowest = slowest.max(dt);
            assert!(dt < Duration::from_secs(1), "{f}: {dt:?}");
            match r {
                Ok(inst) => {
                    read += 1;
                    let mut out = Vec::new();
                    let _ = inst.obj.write_all(&mut out);
                }
                Err(e) => {
                    let s = e.to_string();
                    assert!(!s.is_empty() && !s.contains('\n'), "{f}: {s:?}");
                }
            }
            total += 1;
        }
    }
    let peak = peak_rss_mib();
    println!(
        "{total} mutated inputs in {:?}: {read} read, {} refused; slowest {slowest:?}; peak RSS \
         {peak:?} MiB",
        t0.elapsed(),
        total - read
    );
    if let Some(mib) = peak {
        assert!(mib < 1024, "peak RSS {mib} MiB");
    }
}

/// Single-thread throughput of `dicom::read` on the generated MR corpus (1524 files). Run in
/// release: `cargo test --release -p neurofed-dicom --test reader_corpus throughput -- --ignored
/// --nocapture` (uses `NEUROFED_SYNTH`, else `/work/corpus/synth`, else generates it).
#[test]
#[ignore]
fn throughput_on_the_synthetic_corpus() {
    let dir = std::env::var_os("NEUROFED_SYNTH")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .or_else(|| Some(PathBuf::from("/work/corpus/synth")).filter(|p| p.is_dir()))
        .unwrap_or_else(testkit::synth_corpus);
    let paths: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_none_or(|e| e != "tsv"))
        .collect();
    let files: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let bytes: usize = files.iter().map(Vec::len).sum();

    let time = |f: &dyn Fn(&[u8]) -> bool| {
        let t0 = Instant::now();
        let ok = files.iter().filter(|b| f(b)).count();
        (ok, t0.elapsed())
    };
    let (ok, ours) = time(&|b| dicom::read(b).is_ok());
    let (_, guard) = time(&|b| {
        dicom::check_lengths(&b[132.min(b.len())..], dicom::Encoding::ExplicitLittle).is_ok()
    });
    let (plain, dicom_rs) = time(&|b| {
        dicom_object::OpenFileOptions::new()
            .read_preamble(dicom_object::file::ReadPreamble::Always)
            .from_reader(b)
            .is_ok()
    });
    let t0 = Instant::now();
    let from_disk = paths
        .iter()
        .filter(|p| dicom::read(&std::fs::read(p).unwrap()).is_ok())
        .count();
    let with_io = t0.elapsed();
    assert_eq!(from_disk, files.len());
    let rate = |d: Duration| files.len() as f64 / d.as_secs_f64();
    println!(
        "with std::fs::read of each file (warm page cache): {:.0} files/s",
        rate(with_io)
    );
    println!(
        "{} files, {:.1} MB from {}: dicom::read {ok} ok in {ours:?} = {:.0} files/s, {:.0} MB/s; \
         dicom-rs from_reader alone {plain} ok = {:.0} files/s; guard pass alone (explicit LE \
         walk) {:.0} files/s",
        files.len(),
        bytes as f64 / 1e6,
        dir.display(),
        rate(ours),
        bytes as f64 / 1e6 / ours.as_secs_f64(),
        rate(dicom_rs),
        rate(guard),
    );
    assert_eq!(ok, files.len());
}
