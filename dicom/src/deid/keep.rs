//! The keep-list: public attributes Table E.1-1 does not list that are kept because they are
//! known safe and needed for research and conversion (`dicom/data/keep-list/keep_list.txt`, which
//! names the PS3.3 modules of the IODs they come from); every other unlisted public attribute is
//! removed. Also the UIDs the standard defines (`well_known_uids.txt`), never remapped.

use std::sync::OnceLock;

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_dictionary_std::StandardDataDictionary;

const KEEP_LIST: &str = include_str!("../../data/keep-list/keep_list.txt");
const WELL_KNOWN_UIDS: &str = include_str!("../../data/keep-list/well_known_uids.txt");

static KEEP: OnceLock<Result<Vec<u32>, String>> = OnceLock::new();
static UIDS: OnceLock<Vec<&'static str>> = OnceLock::new();

/// The built-in keep-list, sorted, parsed on first use.
pub(super) fn builtin() -> Result<&'static [u32], String> {
    KEEP.get_or_init(|| parse_list(KEEP_LIST))
        .as_deref()
        .map_err(Clone::clone)
}

/// Every keyword or tag of a keep-list text (`#` starts a comment line), sorted and deduplicated.
pub(super) fn parse_list(text: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        for token in line.split_whitespace() {
            out.push(parse_tag(token).ok_or_else(|| format!("keep-list: unknown {token:?}"))?);
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// A public attribute named by its PS3.6 keyword (`SliceThickness`), `(0018,0050)` or `00180050`.
pub(crate) fn parse_tag(token: &str) -> Option<u32> {
    let t = token.trim();
    let hex: String = t
        .trim_start_matches('(')
        .trim_end_matches(')')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let tag = if hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        u32::from_str_radix(&hex, 16).ok()?
    } else {
        let e = StandardDataDictionary.by_name(t)?;
        let tag = e.tag_range().inner();
        (u32::from(tag.group()) << 16) | u32::from(tag.element())
    };
    // Public attributes only: private blocks have their own safe-list.
    ((tag >> 16) % 2 == 0).then_some(tag)
}

/// Whether `uid` is one the standard defines (a SOP class, transfer syntax, well-known instance,
/// frame of reference, coding scheme...): looked up in the dictionary, not guessed by its root.
pub(crate) fn is_well_known_uid(uid: &str) -> bool {
    let uids = UIDS.get_or_init(|| {
        let mut v: Vec<&'static str> = WELL_KNOWN_UIDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        v.sort_unstable();
        v
    });
    uids.binary_search(&uid).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_resolves_and_the_research_attributes_are_there() {
        let keep = builtin().unwrap();
        assert!(keep.len() > 300, "{}", keep.len());
        for tag in [
            0x0028_0030, // PixelSpacing
            0x0020_0037, // ImageOrientationPatient
            0x0020_0032, // ImagePositionPatient
            0x0018_0050, // SliceThickness
            0x0018_0080, // RepetitionTime
            0x0018_0081, // EchoTime
            0x0008_0060, // Modality
            0x0008_0070, // Manufacturer
            0x7FE0_0010, // PixelData
            0x5200_9229, // SharedFunctionalGroupsSequence
            0x0018_9087, // DiffusionBValue
        ] {
            assert!(keep.binary_search(&tag).is_ok(), "{tag:08X}");
        }
        // Identifying attributes are not on it.
        for tag in [0x0010_0010, 0x0008_0080, 0x0008_1010, 0x0032_1060] {
            assert!(keep.binary_search(&tag).is_err(), "{tag:08X}");
        }
        assert!(parse_list("NoSuchKeyword").is_err());
        assert_eq!(parse_tag("(0018,0050)"), Some(0x0018_0050));
        assert_eq!(parse_tag("00180050"), Some(0x0018_0050));
        assert_eq!(parse_tag("(0019,1010)"), None);
    }

    #[test]
    fn well_known_uids_come_from_the_dictionary_not_the_root() {
        assert!(is_well_known_uid("1.2.840.10008.5.1.4.1.1.4")); // MR Image Storage
        assert!(is_well_known_uid("1.2.840.10008.1.2.1")); // Explicit VR Little Endian
        assert!(!is_well_known_uid("1.2.840.10008.5.1.4.1.1.4.20260101.1"));
        assert!(!is_well_known_uid("1.2.840.10008.999.1"));
    }
}
