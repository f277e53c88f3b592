//! The walk: every attribute of the object, at every depth of sequences, gets its [`Op`].
//!
//! The outcome of every public attribute is decided by data, never by falling through: (a) its
//! Table E.1-1 row, resolved with the profile's options ([`Rules::op`]); else (b) the keep-list
//! ([`Rules::kept`]: built-in, `dicom/data/keep-list/`, plus the profile's `keep`), where text
//! still passes the descriptor cleaner, dates are shifted (or emptied) and sequences are walked
//! item by item; else (c) removal, counted in [`Walk::removed_unlisted`]. Every UI value outside
//! those rules is remapped (standard UIDs stay, by the dictionary). A sequence encoded as UN
//! (its items cannot be walked) is removed unless the table says otherwise. Group
//! lengths and Length to End are dropped (they would be wrong after editing). Private attributes
//! go unless the profile safe-lists their block; see [`private_keep`]. Overlay groups go whole (see
//! [`is_overlay_group`]).

use std::borrow::Cow;

use dicom_core::header::Header;
use dicom_core::value::{DataSetSequence, C};
use dicom_core::{DataDictionary, DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use dicom_object::InMemDicomObject;

use super::charset::{text_values, CharMap, Charset, SPECIFIC_CHARACTER_SET};
use super::clean::{Scrubber, MAX_DEPTH};
use super::dates;
use super::profile::PrivateBlock;
use super::rules::{Op, Rules};
use super::uid::map_uid;
use super::DeidError;

/// The dummy of text VRs (D).
pub(crate) const DUMMY_TEXT: &str = "ANONYMIZED";

/// What the walk needs to know about the object and its subject.
pub(crate) struct Walk<'a> {
    pub rules: &'a Rules,
    pub safe_private: &'a [PrivateBlock],
    pub uid_key: &'a [u8; 32],
    pub serial_key: &'a [u8; 32],
    pub pseudonym: &'a str,
    /// Days to add to dates, when they are shifted.
    pub shift: Option<i32>,
    pub scrubber: Option<&'a Scrubber>,
    /// The declared character set: text is decoded with it before cleaning and written back
    /// in it, the value multiplicity kept.
    pub charset: &'a Charset,
    /// Whether the object is encoded big endian (how OW values are seen as bytes).
    pub big_endian: bool,
    /// Public attributes removed because neither the table nor the keep-list names them.
    pub removed_unlisted: std::cell::Cell<u32>,
}

/// SOPClassUID, ReferencedSOPClassUID, ReferencedSOPClassUIDInFile: they hold SOP class values,
/// kept as the file meta group's MediaStorageSOPClassUID is (even a private class).
pub(super) const CLASS_UIDS: [u32; 3] = [0x0008_0016, 0x0008_1150, 0x0004_1510];

fn tag_u32(t: Tag) -> u32 {
    (u32::from(t.group()) << 16) | u32::from(t.element())
}

impl Walk<'_> {
    pub(super) fn object(&self, obj: &mut InMemDicomObject, depth: u32) -> Result<(), DeidError> {
        if depth > MAX_DEPTH {
            return Err(DeidError::Object(format!(
                "sequences nested deeper than {MAX_DEPTH} levels"
            )));
        }
        let entries: Vec<(Tag, VR)> = obj.iter().map(|e| (e.tag(), e.vr())).collect();
        let kept_blocks = private_blocks(obj, self.safe_private);
        for (tag, vr) in entries {
            if tag.element() == 0 || tag == Tag(0x0008, 0x0001) {
                obj.remove_element(tag);
                continue;
            }
            if is_overlay_group(tag.group()) && self.rules.op(0x6000_3000) == Some(Op::Remove) {
                obj.remove_element(tag);
                continue;
            }
            if tag.group() % 2 == 1 {
                if private_keep(tag, &kept_blocks) {
                    let csa = csa_slot(tag, &kept_blocks);
                    self.kept_private(obj, tag, vr, csa, depth)?;
                } else {
                    obj.remove_element(tag);
                }
                continue;
            }
            match self.rules.op(tag_u32(tag)) {
                Some(op) => self.apply(obj, tag, vr, op, depth)?,
                None => self.unlisted(obj, tag, vr, depth)?,
            }
        }
        Ok(())
    }

    /// De-identify the items of the sequence `tag` in place.
    fn items(&self, obj: &mut InMemDicomObject, tag: Tag, depth: u32) -> Result<(), DeidError> {
        let mut res = Ok(());
        obj.update_value(tag, |v| {
            if let Some(items) = v.items_mut() {
                for item in items.iter_mut() {
                    if res.is_ok() {
                        res = self.object(item, depth + 1);
                    }
                }
            }
        });
        res
    }

    /// A safe-listed private attribute: safe by its definition, but real headers hold copies of
    /// identifying values (the CSA header repeats the station name and the original UIDs), so
    /// text is cleaned and binary values scrubbed; without identifiers gathered, it goes. A CSA
    /// header (`csa`: its slot in a `SIEMENS CSA HEADER` block, or an `SV10` signature) is parsed
    /// and rewritten ([`super::csa`]), whatever VR it was written with (OB, OW, UN), and removed
    /// when it does not parse; other binary values are scrubbed in place, lengths kept.
    fn kept_private(
        &self,
        obj: &mut InMemDicomObject,
        tag: Tag,
        vr: VR,
        csa: bool,
        depth: u32,
    ) -> Result<(), DeidError> {
        if vr == VR::SQ {
            return self.items(obj, tag, depth);
        }
        let Some(s) = self.scrubber else {
            obj.remove_element(tag);
            return Ok(());
        };
        if is_text(vr) {
            return self.apply(obj, tag, vr, Op::Clean, depth);
        }
        let Some(e) = obj.get(tag) else {
            return Ok(());
        };
        let words = matches!(e.value().primitive(), Some(PrimitiveValue::U16(_)));
        // OW words are seen in the file's byte order first, then in the other (a file transcoded
        // to big endian keeps the words' values, so its CSA bytes are the little-endian view).
        let orders = if words {
            vec![self.big_endian, !self.big_endian]
        } else {
            vec![false]
        };
        let views: Vec<(bool, Vec<u8>)> = orders
            .into_iter()
            .filter_map(|be| binary_bytes(e.value(), be).map(|b| (be, b)))
            .collect();
        let Some((_, first)) = views.first() else {
            // Numbers (US, SL, FD, ...) carry no text.
            return Ok(());
        };
        let (order, out) = if csa || views.iter().any(|(_, b)| super::csa::is_sv10(b)) {
            let clean = |t: &str| s.clean_in_place(t);
            let parsed = views
                .iter()
                .find_map(|(be, b)| super::csa::clean(b, &clean).ok().map(|out| (*be, out)));
            match parsed {
                Some(p) => p,
                None => {
                    // Never kept unscrubbed: a header that does not parse goes.
                    obj.remove_element(tag);
                    return Ok(());
                }
            }
        } else {
            // Scrubbed in each view: text may have been written either way round.
            let mut b = first.clone();
            let mut changed = s.scrub_bytes(&mut b);
            if words {
                swap_pairs(&mut b);
                changed |= s.scrub_bytes(&mut b);
                swap_pairs(&mut b);
            }
            if !changed {
                return Ok(());
            }
            (views[0].0, b)
        };
        let value = if words {
            PrimitiveValue::U16(
                out.chunks(2)
                    .map(|p| {
                        let pair = [p[0], p.get(1).copied().unwrap_or(0)];
                        if order {
                            u16::from_be_bytes(pair)
                        } else {
                            u16::from_le_bytes(pair)
                        }
                    })
                    .collect(),
            )
        } else {
            let mut out = out;
            if out.len() % 2 == 1 {
                out.push(0);
            }
            PrimitiveValue::U8(out.into())
        };
        put(obj, tag, vr, value);
        Ok(())
    }

    /// An attribute Table E.1-1 does not list: kept by the keep-list, or removed and counted.
    fn unlisted(
        &self,
        obj: &mut InMemDicomObject,
        tag: Tag,
        vr: VR,
        depth: u32,
    ) -> Result<(), DeidError> {
        let real_vr = if vr == VR::UN {
            StandardDataDictionary
                .by_tag(tag)
                .and_then(|e| e.vr.exact())
                .unwrap_or(VR::UN)
        } else {
            vr
        };
        // Class values (SOP classes, as in the file meta group) name no instance: kept.
        if vr == VR::UI && CLASS_UIDS.contains(&tag_u32(tag)) {
            return Ok(());
        }
        // Every other UID is remapped, listed or not, so that references stay consistent.
        if vr == VR::UI {
            return self.apply(obj, tag, vr, Op::Uid, depth);
        }
        if !self.rules.kept(tag_u32(tag)) || real_vr == VR::PN || real_vr == VR::UI {
            obj.remove_element(tag);
            self.removed_unlisted.set(self.removed_unlisted.get() + 1);
            return Ok(());
        }
        match real_vr {
            VR::SQ if vr == VR::SQ => self.items(obj, tag, depth)?,
            // A sequence left as UN (undefined-length items of an unknown encoding): not walked.
            VR::SQ => {
                obj.remove_element(tag);
                self.removed_unlisted.set(self.removed_unlisted.get() + 1);
            }
            VR::DA | VR::DT => self.apply(obj, tag, vr, Op::Date, depth)?,
            // The character set is what the text is decoded with: never edited.
            _ if tag == SPECIFIC_CHARACTER_SET => {}
            // Kept CS values are codes (enumerated values, defined terms): cleaning them would
            // break them (`PNAME` is an SR value type, not a name) and a CS cannot carry a
            // name or a free-text identifier in practice (16 upper-case characters).
            VR::CS => {}
            _ if is_text(real_vr) && real_vr != VR::PN => {
                self.apply(obj, tag, vr, Op::Clean, depth)?
            }
            _ => {}
        }
        Ok(())
    }

    fn apply(
        &self,
        obj: &mut InMemDicomObject,
        tag: Tag,
        vr: VR,
        op: Op,
        depth: u32,
    ) -> Result<(), DeidError> {
        if op == Op::Remove {
            obj.remove_element(tag);
            return Ok(());
        }
        if vr == VR::SQ {
            return match op {
                Op::Empty | Op::EmptyOrDummyTime => {
                    put(
                        obj,
                        tag,
                        VR::SQ,
                        DataSetSequence::<InMemDicomObject>::empty(),
                    );
                    Ok(())
                }
                // Clean Structured Content is not offered: a sequence under C is only
                // de-identified item by item, like under D.
                _ => self.items(obj, tag, depth),
            };
        }
        // A value of unknown encoding cannot be given a meaningful dummy, cleaned or remapped.
        if vr == VR::UN && op != Op::Keep {
            obj.remove_element(tag);
            return Ok(());
        }
        let values = |obj: &InMemDicomObject| -> Vec<String> {
            obj.get(tag).map(text_values).unwrap_or_default()
        };
        match op {
            Op::Remove => {
                obj.remove_element(tag);
            }
            Op::Keep if vr == VR::UI => self.uids(obj, tag, values(obj)),
            Op::Keep if is_text(vr) => self.repair(obj, tag, vr, values(obj)),
            Op::Keep => {}
            Op::EmptyOrDummyTime | Op::EmptyOrItems if !matches!(vr, VR::DA | VR::DT | VR::TM) => {
                put(obj, tag, vr, PrimitiveValue::Empty)
            }
            Op::Empty => put(obj, tag, vr, PrimitiveValue::Empty),
            Op::Dummy | Op::EmptyOrDummyTime | Op::EmptyOrItems => {
                if vr == VR::UI {
                    self.uids(obj, tag, values(obj));
                } else if matches!(vr, VR::DA | VR::DT) && self.shift.is_some() {
                    self.dates(obj, tag, vr, values(obj));
                } else {
                    put(obj, tag, vr, dummy(vr));
                }
            }
            Op::Uid => {
                if vr == VR::UI {
                    self.uids(obj, tag, values(obj));
                } else {
                    obj.remove_element(tag);
                }
            }
            Op::Date => match vr {
                VR::DA | VR::DT => self.dates(obj, tag, vr, values(obj)),
                VR::TM => {}
                _ => {
                    obj.remove_element(tag);
                }
            },
            Op::Clean => {
                if !is_text(vr) {
                    obj.remove_element(tag);
                } else if let Some(s) = self.scrubber {
                    // Decoded as meant (ISO 2022, invalid bytes as `?`), cleaned value by value
                    // (never a value more or less), written back in the declared sets.
                    let mut map = CharMap::default();
                    let mut changed = false;
                    let cleaned: Vec<String> = values(obj)
                        .iter()
                        .map(|raw| {
                            let (v, repaired) = self.charset.decode(raw, &mut map);
                            changed |= repaired;
                            match s.clean(&v) {
                                // A value that was nothing but identifiers says so rather than
                                // going empty (an empty Type 1 value makes the object invalid).
                                Some(c) if c.trim().is_empty() && !v.trim().is_empty() => {
                                    changed = true;
                                    REMOVED.to_string()
                                }
                                Some(c) => {
                                    changed = true;
                                    c
                                }
                                None => v,
                            }
                        })
                        .collect();
                    if changed {
                        self.put_text(obj, tag, vr, &cleaned, &map);
                    }
                } else {
                    // No identifiers were gathered: the text cannot be vouched for.
                    obj.remove_element(tag);
                }
            }
            Op::PatientName | Op::PatientId => {
                if depth == 0 {
                    put(obj, tag, vr, PrimitiveValue::from(self.pseudonym));
                } else {
                    put(obj, tag, vr, PrimitiveValue::Empty);
                }
            }
            Op::SerialHash => {
                let hashed: C<String> = values(obj)
                    .iter()
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
                    .map(|v| serial_hash(self.serial_key, v))
                    .collect();
                if hashed.is_empty() {
                    put(obj, tag, vr, PrimitiveValue::Empty);
                } else {
                    put(obj, tag, vr, PrimitiveValue::Strs(hashed));
                }
            }
        }
        Ok(())
    }

    /// Text values put back in the declared character set, one for one.
    fn put_text(
        &self,
        obj: &mut InMemDicomObject,
        tag: Tag,
        vr: VR,
        values: &[String],
        map: &CharMap,
    ) {
        let multi = !matches!(vr, VR::LT | VR::ST | VR::UT | VR::UR);
        let out: C<String> = values
            .iter()
            .map(|v| self.charset.encode(v, map, multi))
            .collect();
        put(obj, tag, vr, PrimitiveValue::Strs(out));
    }

    /// A kept text whose bytes were invalid for its character set: `?` for each invalid byte,
    /// so that writing it back adds no delimiter (its value multiplicity stays).
    fn repair(&self, obj: &mut InMemDicomObject, tag: Tag, vr: VR, values: Vec<String>) {
        let mut map = CharMap::default();
        let mut repaired = false;
        let decoded: Vec<String> = values
            .iter()
            .map(|raw| {
                let (v, r) = self.charset.decode(raw, &mut map);
                repaired |= r;
                v
            })
            .collect();
        if repaired {
            self.put_text(obj, tag, vr, &decoded, &map);
        }
    }

    fn uids(&self, obj: &mut InMemDicomObject, tag: Tag, values: Vec<String>) {
        let mapped: C<String> = values.iter().map(|u| map_uid(self.uid_key, u)).collect();
        put(obj, tag, VR::UI, PrimitiveValue::Strs(mapped));
    }

    /// Every value shifted, or the attribute emptied when one of them cannot be (a partial or
    /// malformed date would otherwise survive unshifted).
    fn dates(&self, obj: &mut InMemDicomObject, tag: Tag, vr: VR, values: Vec<String>) {
        let Some(days) = self.shift else {
            put(obj, tag, vr, PrimitiveValue::Empty);
            return;
        };
        let shifted: Option<C<String>> = values
            .iter()
            .map(|v| match vr {
                VR::DT => dates::shift_dt(v, days),
                _ => dates::shift_da(v, days),
            })
            .collect();
        match shifted {
            Some(s) if !s.is_empty() => put(obj, tag, vr, PrimitiveValue::Strs(s)),
            _ => put(obj, tag, vr, PrimitiveValue::Empty),
        }
    }
}

/// Overlay groups `6000-601E`. Overlay Data (X) is Type 1 in the Overlay Plane module: removing
/// it and keeping the rest of its group would leave an invalid overlay, so the group goes whole.
pub(super) fn is_overlay_group(g: u16) -> bool {
    (0x6000..=0x601E).contains(&g) && g.is_multiple_of(2)
}

fn put(
    obj: &mut InMemDicomObject,
    tag: Tag,
    vr: VR,
    value: impl Into<dicom_core::value::Value<InMemDicomObject, dicom_object::mem::InMemFragment>>,
) {
    obj.put(DataElement::new(tag, vr, value));
}

/// What a text value that held only identifiers becomes.
pub(super) const REMOVED: &str = "REMOVED";

pub(super) fn is_text(vr: VR) -> bool {
    matches!(
        vr,
        VR::AE | VR::CS | VR::LO | VR::LT | VR::SH | VR::ST | VR::UC | VR::UT | VR::PN
    )
}

/// `SN` + 16 hex digits of a keyed hash: the same scanner gives the same value on this node.
pub(crate) fn serial_hash(key: &[u8; 32], serial: &str) -> String {
    let h = blake3::keyed_hash(key, serial.as_bytes());
    let mut s = String::with_capacity(18);
    s.push_str("SN");
    for b in &h.as_bytes()[..8] {
        s.push_str(&format!("{b:02X}"));
    }
    s
}

/// A dummy value valid for `vr` (D).
pub(crate) fn dummy(vr: VR) -> PrimitiveValue {
    match vr {
        VR::DA => PrimitiveValue::from("19000101"),
        VR::DT => PrimitiveValue::from("19000101000000"),
        VR::TM => PrimitiveValue::from("000000"),
        VR::AS => PrimitiveValue::from("000D"),
        VR::DS | VR::IS => PrimitiveValue::from("0"),
        VR::US | VR::OW => PrimitiveValue::U16(one(0)),
        VR::SS => PrimitiveValue::I16(one(0)),
        VR::UL | VR::OL => PrimitiveValue::U32(one(0)),
        VR::SL => PrimitiveValue::I32(one(0)),
        VR::UV | VR::OV => PrimitiveValue::U64(one(0)),
        VR::SV => PrimitiveValue::I64(one(0)),
        VR::FL | VR::OF => PrimitiveValue::F32(one(0.0)),
        VR::FD | VR::OD => PrimitiveValue::F64(one(0.0)),
        VR::AT => PrimitiveValue::Tags(one(Tag(0, 0))),
        VR::OB | VR::UN => PrimitiveValue::U8([0u8, 0].into_iter().collect()),
        _ => PrimitiveValue::from(DUMMY_TEXT),
    }
}

fn one<T>(v: T) -> C<T> {
    std::iter::once(v).collect()
}

/// The safe-listed private blocks present in `obj`: `(group, block number, safe-list entry)`.
pub(super) fn private_blocks<'p>(
    obj: &InMemDicomObject,
    safe: &'p [PrivateBlock],
) -> Vec<(u16, u8, &'p PrivateBlock)> {
    let mut out = Vec::new();
    if safe.is_empty() {
        return out;
    }
    for e in obj.iter() {
        let t = e.tag();
        if t.group() % 2 == 0 || !(0x0010..=0x00FF).contains(&t.element()) {
            continue;
        }
        let creator = creator_text(e);
        let creator = creator.trim_end_matches([' ', '\0']);
        if let Some(b) = safe
            .iter()
            .find(|b| b.group == t.group() && b.creator.trim_end_matches([' ', '\0']) == creator)
        {
            out.push((t.group(), t.element() as u8, b));
        }
    }
    out
}

fn creator_text(e: &dicom_object::mem::InMemElement) -> Cow<'_, str> {
    if e.vr() == VR::UN {
        // An implicit-VR creator of a group the dictionary does not know is read as raw bytes.
        if let Ok(bytes) = e.value().to_bytes() {
            return Cow::Owned(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    e.to_str().unwrap_or(Cow::Borrowed(""))
}

/// The bytes of a binary value as the file holds them: OB and UN bytes, OW words in the file's
/// byte order. `None` for any other value (numbers, text).
pub(super) fn binary_bytes(
    v: &dicom_core::value::Value<InMemDicomObject, dicom_object::mem::InMemFragment>,
    big_endian: bool,
) -> Option<Vec<u8>> {
    match v.primitive()? {
        PrimitiveValue::U8(b) => Some(b.to_vec()),
        PrimitiveValue::U16(w) => Some(
            w.iter()
                .flat_map(|x| {
                    if big_endian {
                        x.to_be_bytes()
                    } else {
                        x.to_le_bytes()
                    }
                })
                .collect(),
        ),
        _ => None,
    }
}

/// Swap the bytes of every pair (the other byte order of OW words).
fn swap_pairs(b: &mut [u8]) {
    for p in b.chunks_exact_mut(2) {
        p.swap(0, 1);
    }
}

/// Whether a safe-listed private attribute is a Siemens CSA header: (gggg,xx10) image or
/// (gggg,xx20) series header info of a `SIEMENS CSA HEADER` block.
pub(crate) fn csa_slot(tag: Tag, kept: &[(u16, u8, &PrivateBlock)]) -> bool {
    let (g, e) = (tag.group(), tag.element());
    let (block, offset) = ((e >> 8) as u8, (e & 0xFF) as u8);
    e >= 0x1000
        && matches!(offset, 0x10 | 0x20)
        && kept.iter().any(|(kg, kb, b)| {
            *kg == g
                && *kb == block
                && b.creator.trim_end_matches([' ', '\0']) == "SIEMENS CSA HEADER"
        })
}

/// Whether a private attribute is kept: creators of safe-listed blocks, and the safe-listed
/// elements of those blocks; nothing else.
pub(crate) fn private_keep(tag: Tag, kept: &[(u16, u8, &PrivateBlock)]) -> bool {
    let (g, e) = (tag.group(), tag.element());
    if g <= 0x0007 || g == 0xFFFF {
        return false;
    }
    match e {
        0x0010..=0x00FF => kept
            .iter()
            .any(|(kg, kb, _)| *kg == g && u16::from(*kb) == e),
        0x1000..=0xFFFF => {
            let (block, offset) = ((e >> 8) as u8, (e & 0xFF) as u8);
            kept.iter()
                .any(|(kg, kb, b)| *kg == g && *kb == block && b.elements.contains(&offset))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummies_fit_their_vr() {
        for vr in [
            VR::AE,
            VR::AS,
            VR::CS,
            VR::DA,
            VR::DS,
            VR::DT,
            VR::IS,
            VR::LO,
            VR::LT,
            VR::PN,
            VR::SH,
            VR::ST,
            VR::TM,
            VR::UC,
            VR::UT,
            VR::UR,
        ] {
            let d = dummy(vr);
            let s = d.to_str();
            assert!(!s.is_empty(), "{vr:?}");
            assert!(
                s.len() <= 16 || !matches!(vr, VR::AE | VR::CS | VR::SH),
                "{vr:?}"
            );
        }
        assert_eq!(dummy(VR::AS).to_str(), "000D");
        assert_eq!(dummy(VR::US), PrimitiveValue::U16(one(0)));
    }

    #[test]
    fn serial_hash_is_keyed_and_short() {
        let a = serial_hash(&[1; 32], "40101");
        assert_eq!(a.len(), 18);
        assert!(a.starts_with("SN"));
        assert_eq!(a, serial_hash(&[1; 32], "40101"));
        assert_ne!(a, serial_hash(&[2; 32], "40101"));
        assert_ne!(a, serial_hash(&[1; 32], "40102"));
    }

    #[test]
    fn private_keep_matches_block_and_offset() {
        let b = PrivateBlock {
            group: 0x0029,
            creator: "SIEMENS CSA HEADER".into(),
            elements: vec![0x10, 0x20],
        };
        let kept = [(0x0029u16, 0x11u8, &b)];
        assert!(private_keep(Tag(0x0029, 0x0011), &kept));
        assert!(private_keep(Tag(0x0029, 0x1110), &kept));
        assert!(private_keep(Tag(0x0029, 0x1120), &kept));
        assert!(!private_keep(Tag(0x0029, 0x1130), &kept));
        assert!(!private_keep(Tag(0x0029, 0x1010), &kept)); // block 10: another creator
        assert!(!private_keep(Tag(0x0029, 0x0010), &kept));
        assert!(!private_keep(Tag(0x0031, 0x1110), &kept));
        assert!(!private_keep(Tag(0x0029, 0x0001), &kept));
    }
}
