//! The attributes QIDO-RS knows, their values taken from the catalog (never from a blob), and
//! DICOM JSON (PS3.18 F.2) of one result.

use std::collections::BTreeMap;

use node::{DatasetRow, ManifestEntry};
use serde_json::{json, Value};

/// The query/retrieve level of an attribute or a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// Study (a DICOM study: a neurofed examination).
    Study,
    /// Series (an acquisition and its dataset).
    Series,
    /// Instance (an entry of the dataset's DICOM manifest).
    Instance,
}

/// One attribute QIDO-RS matches on and returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attr {
    /// Tag, `gggg eeee`.
    pub tag: u32,
    /// DICOM keyword.
    pub keyword: &'static str,
    /// Value representation.
    pub vr: &'static str,
    /// Level it belongs to.
    pub level: Level,
    /// Returned without `includefield` (PS3.18 Table 6.7.1-2).
    pub default: bool,
}

const fn a(tag: u32, keyword: &'static str, vr: &'static str, level: Level, default: bool) -> Attr {
    Attr {
        tag,
        keyword,
        vr,
        level,
        default,
    }
}

/// Every attribute known, by level. Those without a catalog value (accession number, study
/// time...) are returned empty and match only a universal (empty or `*`) key.
pub(crate) const ATTRS: &[Attr] = &[
    a(0x0008_0020, "StudyDate", "DA", Level::Study, true),
    a(0x0008_0030, "StudyTime", "TM", Level::Study, true),
    a(0x0008_0050, "AccessionNumber", "SH", Level::Study, true),
    a(0x0008_0061, "ModalitiesInStudy", "CS", Level::Study, true),
    a(
        0x0008_0090,
        "ReferringPhysicianName",
        "PN",
        Level::Study,
        true,
    ),
    a(0x0008_1030, "StudyDescription", "LO", Level::Study, false),
    a(0x0010_0010, "PatientName", "PN", Level::Study, true),
    a(0x0010_0020, "PatientID", "LO", Level::Study, true),
    a(0x0010_0030, "PatientBirthDate", "DA", Level::Study, true),
    a(0x0010_0040, "PatientSex", "CS", Level::Study, true),
    a(0x0020_000D, "StudyInstanceUID", "UI", Level::Study, true),
    a(0x0020_0010, "StudyID", "SH", Level::Study, true),
    a(
        0x0020_1206,
        "NumberOfStudyRelatedSeries",
        "IS",
        Level::Study,
        true,
    ),
    a(
        0x0020_1208,
        "NumberOfStudyRelatedInstances",
        "IS",
        Level::Study,
        true,
    ),
    a(0x0008_0060, "Modality", "CS", Level::Series, true),
    a(0x0008_103E, "SeriesDescription", "LO", Level::Series, true),
    a(0x0018_1030, "ProtocolName", "LO", Level::Series, false),
    a(0x0020_000E, "SeriesInstanceUID", "UI", Level::Series, true),
    a(0x0020_0011, "SeriesNumber", "IS", Level::Series, true),
    a(
        0x0020_1209,
        "NumberOfSeriesRelatedInstances",
        "IS",
        Level::Series,
        true,
    ),
    a(0x0008_0016, "SOPClassUID", "UI", Level::Instance, true),
    a(0x0008_0018, "SOPInstanceUID", "UI", Level::Instance, true),
    a(0x0020_0013, "InstanceNumber", "IS", Level::Instance, true),
    a(0x0028_0010, "Rows", "US", Level::Instance, true),
    a(0x0028_0011, "Columns", "US", Level::Instance, true),
];

/// The attribute named by a keyword (`PatientID`) or a tag (`00100020`).
pub(crate) fn find(name: &str) -> Option<&'static Attr> {
    if name.len() == 8 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
        let tag = u32::from_str_radix(name, 16).ok()?;
        return ATTRS.iter().find(|a| a.tag == tag);
    }
    ATTRS.iter().find(|a| a.keyword == name)
}

/// A value taken from the catalog.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    /// No value (DICOM JSON without `Value`).
    Empty,
    /// Strings (CS, DA, LO, SH, UI; one or more values).
    Text(Vec<String>),
    /// A person name.
    Name(String),
    /// A number (IS, US).
    Number(i64),
}

impl Val {
    fn text(s: Option<&str>) -> Val {
        match s {
            Some(s) if !s.is_empty() => Val::Text(vec![s.to_string()]),
            _ => Val::Empty,
        }
    }

    /// The values as strings, for matching.
    pub(crate) fn strings(&self) -> Vec<String> {
        match self {
            Val::Empty => Vec::new(),
            Val::Text(v) => v.clone(),
            Val::Name(n) => vec![n.clone()],
            Val::Number(n) => vec![n.to_string()],
        }
    }
}

/// A DICOM study as the catalog holds it: one examination and the series of it the caller sees.
#[derive(Debug, Clone)]
pub(crate) struct StudyView {
    /// The visible series, by series number then UID.
    pub series: Vec<DatasetRow>,
}

impl StudyView {
    /// Its first series (every study has at least one).
    pub(crate) fn first(&self) -> &DatasetRow {
        &self.series[0]
    }

    /// De-identified StudyInstanceUID.
    pub(crate) fn uid(&self) -> &str {
        &self.first().examination.study_uid
    }
}

/// `YYYY-MM-DD` (the catalog's form) as a DICOM date `YYYYMMDD`.
pub(crate) fn dicom_date(d: &str) -> String {
    d.chars().filter(char::is_ascii_digit).collect()
}

/// The value of a study-level attribute.
pub(crate) fn study_value(attr: &Attr, s: &StudyView) -> Val {
    let r = s.first();
    match attr.keyword {
        "StudyDate" => Val::text(r.examination.date.as_deref().map(dicom_date).as_deref()),
        "ModalitiesInStudy" => {
            let mut m: Vec<String> = s
                .series
                .iter()
                .map(|r| r.acquisition.modality.clone())
                .filter(|m| !m.is_empty())
                .collect();
            m.sort();
            m.dedup();
            if m.is_empty() {
                Val::Empty
            } else {
                Val::Text(m)
            }
        }
        "PatientName" => Val::Name(r.subject.pseudonym.clone()),
        "PatientID" => Val::Text(vec![r.subject.pseudonym.clone()]),
        "PatientSex" => Val::text(r.subject.sex.as_deref()),
        "StudyInstanceUID" => Val::Text(vec![r.examination.study_uid.clone()]),
        "NumberOfStudyRelatedSeries" => Val::Number(s.series.len() as i64),
        "NumberOfStudyRelatedInstances" => Val::Number(
            s.series
                .iter()
                .map(|r| i64::from(r.dataset.dicom.instances))
                .sum(),
        ),
        _ => Val::Empty,
    }
}

/// The value of a series-level attribute.
pub(crate) fn series_value(attr: &Attr, r: &DatasetRow) -> Val {
    let a = &r.acquisition;
    match attr.keyword {
        "Modality" => Val::text(Some(&a.modality)),
        "SeriesDescription" => Val::text(a.series_description.as_deref()),
        "ProtocolName" => Val::text(a.protocol_name.as_deref()),
        "SeriesInstanceUID" => Val::Text(vec![a.series_uid.clone()]),
        "SeriesNumber" => a.series_number.map_or(Val::Empty, Val::Number),
        "NumberOfSeriesRelatedInstances" => Val::Number(i64::from(r.dataset.dicom.instances)),
        _ => Val::Empty,
    }
}

/// The value of an instance-level attribute (rows and columns are the series').
pub(crate) fn instance_value(attr: &Attr, r: &DatasetRow, e: &ManifestEntry) -> Val {
    let p = &r.acquisition.protocol;
    match attr.keyword {
        "SOPClassUID" => Val::text(Some(&r.acquisition.sop_class_uid)),
        "SOPInstanceUID" => Val::Text(vec![e.sop_instance_uid.clone()]),
        "InstanceNumber" => e.instance_number.map_or(Val::Empty, Val::Number),
        "Rows" => p.rows.map_or(Val::Empty, |n| Val::Number(i64::from(n))),
        "Columns" => p.columns.map_or(Val::Empty, |n| Val::Number(i64::from(n))),
        _ => Val::Empty,
    }
}

/// One result, by tag (DICOM JSON objects are written in tag order).
#[derive(Debug, Default, Clone)]
pub(crate) struct Item(pub BTreeMap<u32, (&'static str, Val)>);

impl Item {
    /// Set `attr` to `v`.
    pub(crate) fn set(&mut self, attr: &Attr, v: Val) {
        self.0.insert(attr.tag, (attr.vr, v));
    }

    /// Its DICOM JSON object.
    pub(crate) fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        for (tag, (vr, v)) in &self.0 {
            let value = match v {
                Val::Empty => json!({ "vr": vr }),
                Val::Text(t) => json!({ "vr": vr, "Value": t }),
                Val::Name(n) => json!({ "vr": vr, "Value": [{ "Alphabetic": n }] }),
                Val::Number(n) => json!({ "vr": vr, "Value": [n] }),
            };
            m.insert(format!("{tag:08X}"), value);
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_by_keyword_or_tag() {
        assert_eq!(find("PatientID").map(|a| a.tag), Some(0x0010_0020));
        assert_eq!(
            find("0020000D").map(|a| a.keyword),
            Some("StudyInstanceUID")
        );
        assert_eq!(
            find("0020000d").map(|a| a.keyword),
            Some("StudyInstanceUID")
        );
        assert!(find("PatientAddress").is_none());
        assert!(find("zzzzzzzz").is_none());
        assert_eq!(dicom_date("2020-01-31"), "20200131");
    }

    #[test]
    fn dicom_json_shapes() {
        let mut i = Item::default();
        i.set(find("PatientName").unwrap(), Val::Name("P1".into()));
        i.set(find("SeriesNumber").unwrap(), Val::Number(3));
        i.set(find("AccessionNumber").unwrap(), Val::Empty);
        let v = i.to_json();
        assert_eq!(v["00100010"]["Value"][0]["Alphabetic"], "P1");
        assert_eq!(v["00200011"]["Value"][0], 3);
        assert_eq!(v["00080050"], json!({"vr": "SH"}));
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["00080050", "00100010", "00200011"]);
    }
}
