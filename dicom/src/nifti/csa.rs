//! Siemens CSA header ("SV10" format) reader, enough for mosaics: `NumberOfImagesInMosaic`,
//! `SliceNormalVector`, `MosaicRefAcqTimes`, `PhaseEncodingDirectionPositive`.
//!
//! The CSA image header is the private element (0029,xx10) of the block whose creator is
//! "SIEMENS CSA HEADER". Layout (little endian): "SV10", 4 unused bytes, tag count (u32), a check
//! value (u32), then per tag: name (64 bytes, NUL padded), VM (i32), VR (4 bytes), syngo data type
//! (i32), item count (i32), a check value (i32); per item: four i32 of which the second is the item
//! length, then the item bytes padded to 4. Every count and length is checked against the bytes
//! that exist (by the de-identifier's parser, `crate::deid::csa`, which both read with); a
//! malformed header is an error, never a panic.

use std::collections::HashMap;

use dicom_core::Tag;
use dicom_object::InMemDicomObject;

use super::attrs::str_of;

const MAX_TAGS: u32 = 1000;
const MAX_ITEMS: i32 = 1000;

/// A parsed CSA header: tag name -> its non-empty item strings.
#[derive(Debug, Default, Clone)]
pub(crate) struct Csa {
    tags: HashMap<String, Vec<String>>,
}

impl Csa {
    /// The numbers of tag `name` (empty items skipped).
    pub(crate) fn numbers(&self, name: &str) -> Option<Vec<f64>> {
        let items = self.tags.get(name)?;
        let v: Option<Vec<f64>> = items.iter().map(|s| s.trim().parse::<f64>().ok()).collect();
        v.filter(|v| !v.is_empty() && v.iter().all(|x| x.is_finite()))
    }

    /// The first number of tag `name`.
    pub(crate) fn number(&self, name: &str) -> Option<f64> {
        self.numbers(name).and_then(|v| v.first().copied())
    }
}

/// Why a CSA header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Siemens CSA header: {0}")]
pub(crate) struct CsaError(String);

fn nul_terminated(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Parse an "SV10" CSA header.
pub(crate) fn parse(bytes: &[u8]) -> Result<Csa, CsaError> {
    use crate::deid::csa;
    if bytes.len() < 16 || !csa::is_sv10(bytes) {
        return Err(CsaError(
            "not in SV10 format (old CSA1 headers are not supported)".into(),
        ));
    }
    let header = csa::parse(bytes).map_err(|e| CsaError(e.to_string()))?;
    let n_tags = header.tags.len();
    if n_tags == 0 || n_tags > MAX_TAGS as usize {
        return Err(CsaError(format!("implausible tag count {n_tags}")));
    }
    let mut tags = HashMap::new();
    for t in &header.tags {
        let name = nul_terminated(t.name);
        let n_items = t.items.len();
        let vm = i32::try_from(t.vm).ok();
        if n_items > MAX_ITEMS as usize || vm.is_none() {
            return Err(CsaError(format!(
                "tag {name}: implausible item count {n_items}"
            )));
        }
        let n_values = match t.vm as usize {
            0 => n_items,
            vm => vm.min(n_items),
        };
        let items = t.items[..n_values]
            .iter()
            .map(|i| nul_terminated(i.data).trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        tags.insert(name, items);
    }
    Ok(Csa { tags })
}

/// The CSA image header of a Siemens object: `Ok(None)` when it has none (e.g. removed by
/// de-identification), an error when present but unreadable.
pub(crate) fn image_header(obj: &InMemDicomObject) -> Result<Option<Csa>, CsaError> {
    let Some(block) = private_block(obj, 0x0029, "SIEMENS CSA HEADER") else {
        return Ok(None);
    };
    let Some(elem) = obj.get(Tag(0x0029, (block << 8) | 0x10)) else {
        return Ok(None);
    };
    let bytes = elem
        .to_bytes()
        .map_err(|_| CsaError("image header element is not binary".into()))?;
    parse(&bytes).map(Some)
}

/// The block number (0x10..=0xFF) reserved by private creator `creator` in `group`.
pub(crate) fn private_block(obj: &InMemDicomObject, group: u16, creator: &str) -> Option<u16> {
    (0x10u16..=0xFF).find(|&e| str_of(obj, Tag(group, e)).is_some_and(|s| s == creator))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Build an SV10 header from (name, vm, items).
    pub(crate) fn build(tags: &[(&str, i32, Vec<String>)]) -> Vec<u8> {
        let mut b = b"SV10\x04\x03\x02\x01".to_vec();
        b.extend((tags.len() as u32).to_le_bytes());
        b.extend(77u32.to_le_bytes());
        for (name, vm, items) in tags {
            let mut n = [0u8; 64];
            n[..name.len()].copy_from_slice(name.as_bytes());
            b.extend(n);
            b.extend(vm.to_le_bytes());
            b.extend(b"FD\0\0");
            b.extend(3i32.to_le_bytes());
            b.extend((items.len() as i32).to_le_bytes());
            b.extend(77i32.to_le_bytes());
            for it in items {
                let mut data = it.as_bytes().to_vec();
                data.push(0);
                let len = data.len() as i32;
                for x in [len, len, 77, len] {
                    b.extend(x.to_le_bytes());
                }
                b.extend(&data);
                b.extend(std::iter::repeat_n(0u8, (4 - data.len() % 4) % 4));
            }
        }
        b
    }

    #[test]
    fn parses_what_it_builds() {
        let h = build(&[
            ("NumberOfImagesInMosaic", 1, vec!["48".into()]),
            (
                "SliceNormalVector",
                3,
                vec!["0".into(), "0.0052".into(), "0.99998".into()],
            ),
            ("Empty", 0, vec![]),
        ]);
        let csa = parse(&h).unwrap();
        assert_eq!(csa.number("NumberOfImagesInMosaic"), Some(48.0));
        assert_eq!(
            csa.numbers("SliceNormalVector"),
            Some(vec![0.0, 0.0052, 0.99998])
        );
        assert_eq!(csa.numbers("Empty"), None);
    }

    #[test]
    fn truncated_or_garbage_is_an_error() {
        let h = build(&[("NumberOfImagesInMosaic", 1, vec!["48".into()])]);
        for cut in [0, 10, 20, 90, h.len() - 5] {
            assert!(parse(&h[..cut]).is_err(), "cut at {cut}");
        }
        let mut huge = h.clone();
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse(&huge).is_err());
        assert!(parse(b"not a csa header at all").is_err());
    }
}
