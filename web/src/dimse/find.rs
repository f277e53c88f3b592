//! C-FIND (Study Root and Patient Root, PS3.4 C.4.1) over the de-identified catalog, with the
//! one matching of QIDO-RS ([`crate::dicomweb`]): an identifier's elements with a value are
//! matching keys (wildcards, date ranges, UID lists as QIDO-RS takes them), empty ones are
//! return keys. Levels PATIENT, STUDY, SERIES and IMAGE; a caller sees the datasets of the study
//! its AE title imports into, nothing else. Keys this node does not hold are returned empty and
//! match only universally.

use std::collections::BTreeMap;

use dicom_core::header::Header as _;
use node::DatasetRow;

use crate::dicomweb::{find_attr, find_items, Item, Level, Search, Val, Within, ATTRS};
use crate::AppState;

const QUERY_RETRIEVE_LEVEL: u32 = 0x0008_0052;
const SPECIFIC_CHARACTER_SET: u32 = 0x0008_0005;
const PATIENT_NAME: u32 = 0x0010_0010;
const PATIENT_ID: u32 = 0x0010_0020;

/// Patient-level attributes (the study-level ones QIDO-RS knows, grouped by patient).
const PATIENT_ATTRS: &[&str] = &["PatientName", "PatientID", "PatientBirthDate", "PatientSex"];

/// Why an identifier cannot be answered (the C-FIND-RSP's failure).
#[derive(Debug)]
pub(super) struct FindError(pub String);

/// The datasets of `study` (its name or id): all a caller configured for it may find and move.
pub(super) fn study_rows(st: &AppState, study: &str) -> Result<Vec<DatasetRow>, FindError> {
    Ok(st
        .node
        .catalog
        .dataset_rows()
        .map_err(|e| FindError(e.to_string()))?
        .into_iter()
        .filter(|r| r.study.name == study || r.study.id.to_string() == study)
        .collect())
}

/// An identifier's keys (tag, value) and its QueryRetrieveLevel.
pub(super) type Keys = (Vec<(u32, String)>, Option<String>);

/// The keys of identifier `bytes` (a data set in `ts`) and its QueryRetrieveLevel.
pub(super) fn keys_of(class: &str, bytes: &[u8], ts: &str) -> Result<Keys, FindError> {
    let mut file = super::part10_header(class, "1.2.3", ts);
    file.extend_from_slice(bytes);
    let obj = dicom::read_object(&file)
        .map_err(|e| FindError(e.to_string()))?
        .obj;
    let mut keys: Vec<(u32, String)> = Vec::new();
    let mut level = None;
    for e in obj.iter() {
        let tag = (u32::from(e.tag().group()) << 16) | u32::from(e.tag().element());
        let text = e
            .to_str()
            .map(|s| s.trim_end_matches(['\0', ' ']).to_string())
            .unwrap_or_default();
        match tag {
            QUERY_RETRIEVE_LEVEL => level = Some(text.trim().to_ascii_uppercase()),
            SPECIFIC_CHARACTER_SET => {}
            _ => keys.push((tag, text)),
        }
    }
    Ok((keys, level))
}

/// The instance blobs a C-MOVE identifier names (its keys at any level, the others ignored),
/// with their SOP class and instance UIDs.
pub(super) fn instances(
    st: &AppState,
    rows: Vec<DatasetRow>,
    class: &str,
    bytes: &[u8],
    ts: &str,
) -> Result<Vec<(String, String, protocol::ContentId)>, FindError> {
    let (keys, _) = keys_of(class, bytes, ts)?;
    let pairs: Vec<(String, String)> = keys
        .iter()
        .filter(|(_, v)| !v.is_empty() && v != "*")
        .filter_map(|(t, v)| {
            ATTRS
                .iter()
                .find(|a| a.tag == *t)
                .map(|a| (a.keyword.to_string(), v.replace('\\', ",")))
        })
        .collect();
    if pairs.is_empty() {
        return Err(FindError("a C-MOVE needs a unique key".into()));
    }
    let search = Search::parse(&pairs, Level::Instance).map_err(|e| FindError(e.to_string()))?;
    let items = find_items(
        st,
        rows.clone(),
        &search,
        Level::Instance,
        &Within::default(),
    )
    .map_err(|e| FindError(e.to_string()))?;
    let text = |item: &Item, tag: u32| {
        item.0
            .get(&tag)
            .map(|(_, v)| v.strings().join("\\"))
            .unwrap_or_default()
    };
    // (series, instance) -> SOP class.
    let wanted: BTreeMap<(String, String), String> = items
        .iter()
        .map(|i| {
            (
                (text(i, 0x0020_000E), text(i, 0x0008_0018)),
                text(i, 0x0008_0016),
            )
        })
        .collect();
    let series: std::collections::BTreeSet<&String> = wanted.keys().map(|(s, _)| s).collect();
    let mut out = Vec::new();
    for r in rows
        .iter()
        .filter(|r| series.contains(&r.acquisition.series_uid))
    {
        let m = crate::dicomweb::manifest(st, r).map_err(|e| FindError(e.to_string()))?;
        for e in m.instances {
            let key = (r.acquisition.series_uid.clone(), e.sop_instance_uid);
            if let Some(class) = wanted.get(&key) {
                out.push((class.clone(), key.1, e.content));
            }
        }
    }
    Ok(out)
}

/// The answers to identifier `bytes` (a data set in `ts`), each encoded in `ts`.
pub(super) fn answer(
    st: &AppState,
    rows: Vec<DatasetRow>,
    class: &str,
    bytes: &[u8],
    ts: &str,
) -> Result<Vec<Vec<u8>>, FindError> {
    let implicit = match ts {
        "1.2.840.10008.1.2" => true,
        "1.2.840.10008.1.2.1" => false,
        other => return Err(FindError(format!("identifier in transfer syntax {other}"))),
    };
    let (keys, level) = keys_of(class, bytes, ts)?;
    let level = level.ok_or_else(|| FindError("no QueryRetrieveLevel".into()))?;
    let (qido_level, patient) = match level.as_str() {
        "PATIENT" => (Level::Study, true),
        "STUDY" => (Level::Study, false),
        "SERIES" => (Level::Series, false),
        "IMAGE" => (Level::Instance, false),
        other => return Err(FindError(format!("QueryRetrieveLevel {other:?}"))),
    };
    // Keys as QIDO-RS parameters; unknown tags are returned empty.
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut unknown: Vec<u32> = Vec::new();
    for (tag, value) in &keys {
        match ATTRS.iter().find(|a| a.tag == *tag) {
            Some(a) if a.level > qido_level => {
                return Err(FindError(format!(
                    "{} is not a key of level {level}",
                    a.keyword
                )))
            }
            Some(a) if value.is_empty() || value == "*" => {
                pairs.push(("includefield".into(), a.keyword.into()))
            }
            Some(a) => pairs.push((a.keyword.into(), value.replace('\\', ","))),
            None => unknown.push(*tag),
        }
    }
    let search = Search::parse(&pairs, qido_level).map_err(|e| FindError(e.to_string()))?;
    let items = find_items(st, rows, &search, qido_level, &Within::default())
        .map_err(|e| FindError(e.to_string()))?;
    let asked: Vec<u32> = keys.iter().map(|(t, _)| *t).collect();
    let items: Vec<Item> = if patient { by_patient(items) } else { items };
    Ok(items
        .into_iter()
        .map(|item| encode(&item, &asked, &unknown, &level, implicit))
        .collect())
}

/// Study results grouped into one per patient (pseudonym), with the patient attributes.
fn by_patient(items: Vec<Item>) -> Vec<Item> {
    let mut patients: BTreeMap<String, Item> = BTreeMap::new();
    for item in items {
        let id = item
            .0
            .get(&PATIENT_ID)
            .map(|(_, v)| v.strings().join("\\"))
            .unwrap_or_default();
        let mut p = Item::default();
        for name in PATIENT_ATTRS {
            if let Some(a) = find_attr(name) {
                if let Some((_, v)) = item.0.get(&a.tag) {
                    p.set(a, v.clone());
                }
            }
        }
        patients.entry(id).or_insert(p);
    }
    patients.into_values().collect()
}

/// One answer: the keys asked (those this node holds with their values, the others empty), the
/// level, and the character set.
fn encode(item: &Item, asked: &[u32], unknown: &[u32], level: &str, implicit: bool) -> Vec<u8> {
    let mut elements: BTreeMap<u32, (&str, Vec<u8>)> = BTreeMap::new();
    elements.insert(SPECIFIC_CHARACTER_SET, ("CS", b"ISO_IR 192".to_vec()));
    elements.insert(QUERY_RETRIEVE_LEVEL, ("CS", level.as_bytes().to_vec()));
    for (tag, (vr, v)) in &item.0 {
        if !asked.contains(tag) && ![PATIENT_ID, PATIENT_NAME].contains(tag) {
            // Unique keys of the levels above are always returned; other attributes only when
            // asked (QIDO-RS returns its defaults too, C-FIND the asked keys).
            let unique = matches!(*tag, 0x0020_000D | 0x0020_000E | 0x0008_0018);
            if !unique {
                continue;
            }
        }
        let bytes = match (vr, v) {
            (_, Val::Empty) => Vec::new(),
            (&"US", Val::Number(n)) => u16::try_from(*n).unwrap_or(0).to_le_bytes().to_vec(),
            (_, v) => v.strings().join("\\").into_bytes(),
        };
        elements.insert(*tag, (vr, bytes));
    }
    for tag in unknown {
        elements.entry(*tag).or_insert(("UN", Vec::new()));
    }
    let mut out = Vec::new();
    for (tag, (vr, mut value)) in elements {
        if value.len() % 2 == 1 {
            value.push(if *vr == *"UI" { 0 } else { b' ' });
        }
        out.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
        out.extend_from_slice(&((tag & 0xFFFF) as u16).to_le_bytes());
        if implicit {
            out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else if matches!(vr, "OB" | "OW" | "SQ" | "UN" | "UT" | "UC" | "UR") {
            out.extend_from_slice(vr.as_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(vr.as_bytes());
            out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
        out.extend_from_slice(&value);
    }
    out
}
