//! De-identification of real files: one file of each generated series (`testkit::synth_corpus`)
//! and a selection of the reference corpus, checked for planted or listed PHI in the bytes
//! written, and re-parsed. Two `#[ignore]`d helpers write outputs for `scripts/validate-deid`
//! (dciodvfy) and measure throughput.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, OpenFileOptions};

use super::{DeidKeys, Deidentifier, Profile};

fn keys() -> DeidKeys {
    DeidKeys {
        linkage: [0x5A; 32],
        node: [0xA5; 32],
    }
}

/// The first file (by name) of each generated series, with its truth row's subject.
fn synth_series() -> Vec<(String, PathBuf)> {
    let root = testkit::synth_corpus();
    testkit::truth(&root)
        .iter()
        .map(|r| {
            let dir = root.join(r.get("dir"));
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            (r.get("subject").to_string(), files[0].clone())
        })
        .collect()
}

/// Files of the reference corpus that dicom-rs opens, of several modalities and encodings, with
/// a Siemens CSA header, an overlay, structure sets, big endian and Latin-1 text among them.
const REFERENCE: &[&str] = &[
    "pydicom/test_files/CT_small.dcm",
    "pydicom/test_files/MR_small.dcm",
    "pydicom/test_files/MR_small_implicit.dcm",
    "pydicom/test_files/MR_small_bigendian.dcm",
    "pydicom/test_files/ExplVR_BigEnd.dcm",
    "pydicom/test_files/examples_overlay.dcm",
    "pydicom/test_files/rtplan.dcm",
    "pydicom/test_files/reportsi.dcm",
    "pydicom/test_files/liver_1frame.dcm",
    "pydicom/charset_files/chrGerm.dcm",
    "pydicom/charset_files/chrFrenMulti.dcm",
    "pydicom-data/emri_small.dcm",
    "nibabel/nicom/csa_slice_norm.dcm",
    "nibabel/nicom/0.dcm",
    "pynetdicom/CTImageStorage.dcm",
    "dicom3tools/0051.dcm",
];

/// MANIFEST.tsv: path -> the attributes the manifest says carry PHI.
fn manifest_phi_fields() -> HashMap<String, Vec<String>> {
    let text = std::fs::read_to_string(testkit::reference_corpus().join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let path_col = header.iter().position(|h| *h == "path").unwrap();
    let phi_col = header.iter().position(|h| *h == "phi_fields").unwrap();
    lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| c.len() > phi_col)
        .map(|c| {
            let fields = c[phi_col]
                .split(',')
                .filter(|f| !f.is_empty())
                .map(String::from)
                .collect();
            (c[path_col].to_string(), fields)
        })
        .collect()
}

fn write(obj: &DefaultDicomObject) -> Vec<u8> {
    let mut out = Vec::new();
    obj.write_all(&mut out).unwrap();
    out
}

fn reparse(bytes: &[u8]) -> DefaultDicomObject {
    OpenFileOptions::new().from_reader(&bytes[128..]).unwrap()
}

fn leaks(bytes: &[u8], needles: &[String]) -> Vec<String> {
    needles
        .iter()
        .filter(|n| {
            let latin1: Option<Vec<u8>> = n
                .chars()
                .map(|c| u8::try_from(c as u32).ok())
                .collect::<Option<Vec<u8>>>()
                .filter(|_| !n.is_ascii());
            testkit::find_leak(bytes, n).is_some()
                || latin1.is_some_and(|l| bytes.windows(l.len()).any(|w| w == l.as_slice()))
        })
        .cloned()
        .collect()
}

#[test]
fn generated_corpus_leaks_no_planted_phi_and_re_parses() {
    let root = testkit::synth_corpus();
    let phi = testkit::planted_phi(&root);
    assert!(phi.len() > 30, "the corpus plants PHI: {phi:?}");
    for profile in ["default", "basic"] {
        let d = Deidentifier::new(Profile::builtin(profile).unwrap(), &keys(), "study-x");
        let mut subjects: HashMap<String, (String, i32)> = HashMap::new();
        for (subject, file) in synth_series() {
            let mut obj = dicom_object::open_file(&file).unwrap();
            let original_sop = obj.get(tags::SOP_INSTANCE_UID).unwrap().to_str().unwrap();
            let expected_sop = d.map_uid(&original_sop);
            let out = d.deidentify(&mut obj).unwrap();
            let bytes = write(&obj);
            let found = leaks(&bytes, &phi);
            assert!(found.is_empty(), "{profile} {}: {found:?}", file.display());
            let back = reparse(&bytes);
            let sop = back.get(tags::SOP_INSTANCE_UID).unwrap().to_str().unwrap();
            assert_eq!(sop, expected_sop);
            assert_eq!(
                super::uid::trim_uid(&back.meta().media_storage_sop_instance_uid),
                sop
            );
            assert_eq!(
                back.get(tags::PATIENT_NAME).unwrap().to_str().unwrap(),
                out.pseudonym
            );
            let prev = subjects
                .entry(subject.clone())
                .or_insert((out.pseudonym.clone(), out.date_offset_days));
            assert_eq!(
                prev,
                &(out.pseudonym.clone(), out.date_offset_days),
                "{subject}"
            );
        }
        let mut pseudonyms: Vec<&String> = subjects.values().map(|(p, _)| p).collect();
        pseudonyms.sort();
        pseudonyms.dedup();
        assert_eq!(pseudonyms.len(), 3, "{profile}: three subjects");
    }
}

#[test]
fn reference_files_lose_the_phi_their_manifest_lists() {
    testkit::need_shared!();
    let base = testkit::reference_corpus();
    let manifest = manifest_phi_fields();
    let d = Deidentifier::new(Profile::builtin("default").unwrap(), &keys(), "ref");
    for rel in REFERENCE {
        let path = base.join(rel);
        let mut obj = dicom_object::open_file(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let mut needles = Vec::new();
        for field in manifest.get(*rel).map(Vec::as_slice).unwrap_or_default() {
            let Some(tag) = dicom_dictionary_std::StandardDataDictionary
                .by_name(field)
                .map(|e| e.tag.inner())
            else {
                continue;
            };
            if let Some(v) = obj.get(tag).and_then(|e| e.to_str().ok()) {
                needles.extend(
                    v.split(['^', '\\', '='])
                        .map(str::trim)
                        .filter(|s| s.len() >= 4)
                        .map(String::from),
                );
            }
        }
        // Values kept by design are no leak: manufacturer and model (an institution named after
        // its scanner vendor, "TOSHIBA" in "TOSHIBA_MEC"), and safe-listed private text (nibabel's
        // anonymizer wrote "Anon" into the CSA header type fields of csa_slice_norm.dcm).
        let original = obj.clone();
        let kept_by_design = |deid: &DefaultDicomObject| -> Vec<String> {
            original
                .iter()
                .filter(|e| {
                    let t = e.header().tag;
                    t == tags::MANUFACTURER
                        || t == tags::MANUFACTURER_MODEL_NAME
                        || (t.group() % 2 == 1 && t.element() >= 0x1000 && deid.get(t).is_some())
                })
                .filter_map(|e| e.to_str().ok().map(|v| v.to_uppercase()))
                .collect()
        };
        let had_csa = has_csa(&obj);
        d.deidentify(&mut obj)
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        let kept = kept_by_design(&obj);
        needles.retain(|n| !kept.iter().any(|k| k.contains(&n.to_uppercase())));
        let bytes = write(&obj);
        let found = leaks(&bytes, &needles);
        assert!(found.is_empty(), "{rel}: {found:?}");
        let back = reparse(&bytes);
        assert_eq!(
            back.get(tags::PATIENT_IDENTITY_REMOVED)
                .unwrap()
                .to_str()
                .unwrap(),
            "YES"
        );
        assert_eq!(
            has_csa(&back),
            had_csa,
            "{rel}: the CSA header is safe-listed"
        );
    }
}

use dicom_core::DataDictionary;

fn has_csa(obj: &DefaultDicomObject) -> bool {
    obj.private_element(0x0029, "SIEMENS CSA HEADER", 0x10)
        .is_ok()
}

fn out_name(p: &Path) -> String {
    let parts: Vec<String> = p
        .components()
        .rev()
        .take(3)
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("_")
        .replace(".dcm", "")
}

/// Writes `<name>.orig.dcm` / `<name>.deid.dcm` pairs into `$NEUROFED_DEID_OUT` for
/// `scripts/validate-deid`, with the built-in profile `$NEUROFED_DEID_PROFILE` (`default`). Original names are path-derived, so the folder holds PHI: it is a
/// scratch folder outside the node's home, deleted by the script.
#[test]
#[ignore = "writes files for scripts/validate-deid"]
fn write_outputs_for_dciodvfy() {
    let Ok(out) = std::env::var("NEUROFED_DEID_OUT") else {
        panic!("set NEUROFED_DEID_OUT");
    };
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out).unwrap();
    if testkit::shared_dir().is_none() {
        // The script tells a skip (no shared material) from a run that wrote nothing.
        std::fs::write(out.join("SKIPPED"), "no shared reference material\n").unwrap();
        return;
    }
    let profile = std::env::var("NEUROFED_DEID_PROFILE").unwrap_or_else(|_| "default".into());
    let d = Deidentifier::new(Profile::builtin(&profile).unwrap(), &keys(), "validate");
    let mut inputs: Vec<PathBuf> = synth_series().into_iter().map(|(_, f)| f).collect();
    inputs.extend(
        REFERENCE
            .iter()
            .map(|r| testkit::reference_corpus().join(r)),
    );
    for (i, path) in inputs.iter().enumerate() {
        let name = format!("{i:02}_{}", out_name(path));
        std::fs::copy(path, out.join(format!("{name}.orig.dcm"))).unwrap();
        let mut obj = dicom_object::open_file(path).unwrap();
        d.deidentify(&mut obj).unwrap();
        std::fs::write(out.join(format!("{name}.deid.dcm")), write(&obj)).unwrap();
    }
}

/// Throughput over the whole generated corpus: parse, de-identify, write, each timed alone.
/// `cargo test --release -p neurofed-dicom deid_throughput -- --ignored --nocapture`
#[test]
#[ignore = "measurement; run in release"]
fn deid_throughput() {
    let root = testkit::synth_corpus();
    let mut files = Vec::new();
    for e in walk(&root) {
        if e.file_name().is_some_and(|n| n != "truth.tsv") {
            files.push(std::fs::read(&e).unwrap());
        }
    }
    let bytes: usize = files.iter().map(Vec::len).sum();
    let t = Instant::now();
    let mut objs: Vec<DefaultDicomObject> = files
        .iter()
        .map(|b| OpenFileOptions::new().from_reader(&b[128..]).unwrap())
        .collect();
    let parse = t.elapsed();
    let d = Deidentifier::new(Profile::builtin("default").unwrap(), &keys(), "bench");
    // The parts, on untouched objects: the subject's identity, the identifiers gathered.
    let t = Instant::now();
    for o in &objs {
        d.subject(o).unwrap();
    }
    let subject = t.elapsed();
    let t = Instant::now();
    let mut needles = 0;
    for o in &objs {
        needles += super::clean::Scrubber::collect(o).len();
    }
    let collect = t.elapsed();
    let t = Instant::now();
    for o in objs.iter_mut() {
        d.deidentify(o).unwrap();
    }
    let deid = t.elapsed();
    let t = Instant::now();
    let mut written = 0;
    for o in &objs {
        written += write(o).len();
    }
    let wr = t.elapsed();
    let n = objs.len() as f64;
    println!(
        "  of which: subject {:.1} us, gathering identifiers {:.1} us ({} values each)",
        subject.as_secs_f64() * 1e6 / n,
        collect.as_secs_f64() * 1e6 / n,
        needles / objs.len()
    );
    println!(
        "{} instances, {:.1} MB: parse {:.0}/s, de-identify {:.0}/s ({:.1} us each), write {:.0}/s ({} bytes)",
        objs.len(),
        bytes as f64 / 1e6,
        n / parse.as_secs_f64(),
        n / deid.as_secs_f64(),
        deid.as_secs_f64() * 1e6 / n,
        n / wr.as_secs_f64(),
        written
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
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

/// The data set of a Part-10 file, inflated when its transfer syntax is deflated
/// ([`testkit::inflated`], as the scored test's scanner reads it): what a check of the stored
/// bytes has to look at.
fn inflated_dataset(bytes: &[u8]) -> Vec<u8> {
    testkit::inflated(bytes).unwrap_or_else(|| {
        // Preamble, "DICM", then (0002,0000) UL: 12 bytes whose last 4 are the group's length.
        let group = u32::from_le_bytes(bytes[140..144].try_into().unwrap()) as usize;
        bytes[144 + group..].to_vec()
    })
}

#[test]
fn deflated_input_is_inflated_and_de_identified_like_the_uncompressed_one() {
    use dicom_dictionary_std::uids;
    use dicom_object::meta::FileMetaTableBuilder;

    let root = testkit::synth_corpus();
    let phi = testkit::planted_phi(&root);
    let d = Deidentifier::new(Profile::builtin("default").unwrap(), &keys(), "study-x");
    for (_, file) in synth_series().into_iter().take(3) {
        let original = dicom_object::open_file(&file).unwrap();
        let plain = write(&original);
        let deflated = write(
            &original
                .clone()
                .into_inner()
                .with_meta(
                    FileMetaTableBuilder::new()
                        .transfer_syntax(uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN),
                )
                .unwrap(),
        );
        // The deflated input hides its PHI from a byte scan: only its content shows it.
        let planted = leaks(&inflated_dataset(&deflated), &phi);
        assert!(planted.len() >= 3, "{}: {planted:?}", file.display());

        let mut outputs = Vec::new();
        for input in [&plain, &deflated] {
            let mut obj = crate::read(input).unwrap().obj;
            d.deidentify(&mut obj).unwrap();
            let stored = write(&obj);
            let content = inflated_dataset(&stored);
            let found = leaks(&content, &phi);
            assert!(found.is_empty(), "{}: {found:?}", file.display());
            assert!(leaks(&stored, &phi).is_empty());
            let back = crate::read(&stored).unwrap().obj;
            outputs.push((back.meta().transfer_syntax().to_string(), back.into_inner()));
        }
        assert_eq!(outputs[1].0, uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN);
        // The same de-identified content, whichever the input's encoding.
        let (a, b) = (&outputs[0].1, &outputs[1].1);
        let tags_a: Vec<_> = a.tags().collect();
        assert_eq!(tags_a, b.tags().collect::<Vec<_>>(), "{}", file.display());
        for t in tags_a {
            let (x, y) = (a.get(t).unwrap(), b.get(t).unwrap());
            assert_eq!(x.value(), y.value(), "{} {t}", file.display());
        }
    }
}

/// The CSA headers of every Siemens file of the reference corpus: parsed, and after
/// de-identification (written, re-read, parsed again) the research elements read back identical
/// but for what the cleaner removed from the protocol text, the others emptied, and none of the
/// header's identifying values left in any encoding.
#[test]
fn csa_headers_of_real_files_keep_their_research_fields() {
    use dicom_core::header::Header;
    testkit::need_shared!();
    let base = testkit::reference_corpus();
    let d = Deidentifier::new(Profile::builtin("default").unwrap(), &keys(), "ref");
    let (mut seen, mut mosaics) = (0, 0);
    for rel in [
        "nibabel/nicom/0.dcm",
        "nibabel/nicom/1.dcm",
        "nibabel/nicom/csa_slice_norm.dcm",
        "nibabel/nicom/siemens_dwi_0.dcm.gz",
        "nibabel/nicom/siemens_dwi_1000.dcm.gz",
    ] {
        let Ok(bytes) = std::fs::read(base.join(rel)) else {
            continue;
        };
        let mut obj = crate::read(&bytes)
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
            .obj;
        let csa_of = |o: &DefaultDicomObject| -> Vec<(u16, Vec<u8>)> {
            o.iter()
                .filter(|e| {
                    e.tag().group() == 0x0029
                        && matches!(e.tag().element() & 0xFF, 0x10 | 0x20)
                        && e.tag().element() >= 0x1000
                })
                .filter_map(|e| {
                    e.value()
                        .to_bytes()
                        .ok()
                        .map(|b| (e.tag().element(), b.into_owned()))
                })
                .filter(|(_, b)| super::csa::parse(b).is_ok())
                .collect()
        };
        let before = csa_of(&obj);
        assert!(!before.is_empty(), "{rel}: no CSA header parses");
        // The mosaic conversion reads the rewritten header as it read the original.
        let convert = |o: &DefaultDicomObject| {
            crate::convert_series(&[o], &crate::NiftiOptions::default())
                .map(|c| (c.shape, c.voxel_size, c.sidecar.get("SliceTiming").cloned()))
                .ok()
        };
        let converted = convert(&obj);
        let identifying: Vec<String> = [
            tags::STATION_NAME,
            tags::DEVICE_SERIAL_NUMBER,
            tags::PATIENT_ID,
            tags::INSTITUTION_NAME,
        ]
        .iter()
        .filter_map(|t| {
            obj.get(*t)
                .and_then(|e| e.to_str().ok())
                .map(|v| v.trim().to_string())
        })
        .filter(|v| v.len() >= 5)
        .collect();
        d.deidentify(&mut obj)
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        let written = write(&obj);
        let back = reparse(&written);
        let after = csa_of(&back);
        assert_eq!(after.len(), before.len(), "{rel}: a CSA header was lost");
        assert_eq!(convert(&back), converted, "{rel}: converted differently");
        mosaics += usize::from(converted.is_some());
        for ((el, b0), (_, b1)) in before.iter().zip(&after) {
            let (h0, h1) = (
                super::csa::parse(b0).unwrap(),
                super::csa::parse(b1).unwrap(),
            );
            assert_eq!(h0.tags.len(), h1.tags.len());
            for (t0, t1) in h0.tags.iter().zip(&h1.tags) {
                assert_eq!(t0.name, t1.name);
                let name = t0.name_str();
                if !super::csa::KEEP.contains(&name.as_str()) {
                    assert!(t1.items.is_empty(), "{rel} {el:04X} {name}");
                } else if name == "MrPhoenixProtocol" || name == "MrProtocol" {
                    let (s0, s1) = (t0.strings().join("\n"), t1.strings().join("\n"));
                    let l0: Vec<&str> = s0.lines().collect();
                    let l1: Vec<&str> = s1.lines().collect();
                    assert_eq!(l0.len(), l1.len(), "{rel}: protocol lines");
                    let changed: Vec<(&str, &str)> = l0
                        .iter()
                        .zip(&l1)
                        .filter(|(a, b)| a != b)
                        .map(|(a, b)| (*a, *b))
                        .collect();
                    eprintln!(
                        "{rel}: {} of {} protocol lines cleaned: {changed:?}",
                        changed.len(),
                        l0.len()
                    );
                } else {
                    assert_eq!(t0.strings(), t1.strings(), "{rel} {name}");
                }
            }
            seen += 1;
        }
        for v in &identifying {
            assert!(
                testkit::find_leak(&written, v).is_none(),
                "{rel}: an identifying value survives"
            );
        }
    }
    assert!(seen > 0);
    assert!(mosaics > 0, "no mosaic converted");
}

/// The character-set files of the reference corpus (Latin-1, Greek, Arabic, Hebrew, Cyrillic,
/// UTF-8, GB18030, ISO 2022 Japanese and Korean): each name component of the patient's name,
/// planted in StudyDescription in the file's own encoding, is gone after de-identification, what
/// else the description says stays, and no text value changes its value multiplicity.
#[test]
fn charset_files_lose_planted_names_and_keep_value_counts() {
    use super::charset::text_values;
    use super::charset::{CharMap, Charset};
    use dicom_core::header::Header;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    testkit::need_shared!();
    let dir = testkit::reference_corpus().join("pydicom/charset_files");
    let d = Deidentifier::new(Profile::builtin("default").unwrap(), &keys(), "ref");
    let mut checked = 0;
    for path in walk(&dir) {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(inst) = crate::read(&bytes) else {
            continue;
        };
        let mut obj = inst.obj;
        let Some(pn) = obj.get(tags::PATIENT_NAME).map(text_values) else {
            continue;
        };
        let Some(raw_pn) = pn.first().filter(|p| !p.is_empty()).cloned() else {
            continue;
        };
        let cs = Charset::of(&obj);
        let decode = |v: &str| cs.decode(v, &mut CharMap::default()).0;
        // Every group's family name, as meant; planted in the PN's own bytes and escapes.
        let mut map = CharMap::default();
        let name = cs.decode(&raw_pn, &mut map).0;
        let families: Vec<String> = name
            .split('=')
            .filter_map(|g| g.split('^').next())
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .collect();
        let planted = cs.encode(&format!("MRI {} follow-up", families.join(" ")), &map, true);
        obj.put(DataElement::new(
            tags::STUDY_DESCRIPTION,
            VR::LO,
            PrimitiveValue::from(planted.as_str()),
        ));
        let counts: Vec<(dicom_core::Tag, usize)> = obj
            .iter()
            .filter(|e| matches!(e.vr(), VR::LO | VR::SH | VR::PN | VR::UC | VR::CS))
            .map(|e| (e.tag(), text_values(e).len()))
            .collect();
        d.deidentify(&mut obj).unwrap();
        let back = reparse(&write(&obj));
        let rel = path.strip_prefix(&dir).unwrap().display().to_string();
        let study = decode(&text_values(back.get(tags::STUDY_DESCRIPTION).unwrap())[0]);
        assert_eq!(study, "MRI follow-up", "{rel}");
        for e in back.iter() {
            if !matches!(
                e.vr(),
                VR::LO | VR::SH | VR::PN | VR::UC | VR::LT | VR::ST | VR::UT
            ) {
                continue;
            }
            let vals = text_values(e);
            if let Some((_, n)) = counts.iter().find(|(t, _)| *t == e.tag()) {
                // Emptied, dummies and pseudonyms are the table's doing; kept and cleaned
                // values keep their count.
                let acted = vals.is_empty() || vals == ["ANONYMIZED"] || e.vr() == VR::PN;
                if !acted {
                    assert_eq!(vals.len(), *n, "{rel}: {}", e.tag());
                }
            }
            for v in &vals {
                let v = decode(v);
                for name in &families {
                    assert!(
                        !v.contains(name.as_str()),
                        "{rel}: {} keeps a name",
                        e.tag()
                    );
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 10, "{checked}");
}
