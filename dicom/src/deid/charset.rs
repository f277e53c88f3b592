//! Text in its declared character set, before cleaning and after.
//!
//! dicom-rs decodes a text value with the first value of SpecificCharacterSet only, and writes
//! it back the same way. Two things follow that cleaning must undo:
//!
//! - **ISO 2022 code extensions** (`\ISO 2022 IR 87`, `ISO 2022 IR 13\ISO 2022 IR 87`,
//!   `ISO 2022 IR 6\ISO 2022 IR 149`, ...): the escape sequences and the JIS X 0208 bytes are
//!   read as if they were the first set (so `山田` is `ESC $ B ;3ED ESC ( B` in Latin-1), and a
//!   name in the patient's name is not found in a description. [`Charset::decode`] recovers the
//!   bytes and decodes them by ISO 2022 (G0: ASCII, JIS X 0201 romaji, JIS X 0208, JIS X 0212;
//!   G1: JIS X 0201 katakana, ISO 8859 parts, KS X 1001, GB 2312); [`Charset::encode`] writes a
//!   cleaned text back with the bytes and designations each character had (so nothing is
//!   inserted that the declared sets cannot hold), back to ASCII at the end of each value.
//! - **bytes invalid for the declared set** become `\ooo` (a backslash and three octal digits)
//!   in the decoded text; written back, that backslash is a value delimiter and a 1-valued
//!   attribute becomes 2- or 3-valued. Each such escape is read back as the byte it stands for
//!   and an invalid byte becomes `?` (valid in every set), so the value multiplicity never
//!   changes.
//!
//! A nested item's own SpecificCharacterSet is not followed (the top level's applies).

use std::collections::HashMap;

use dicom_encoding::text::{SpecificCharacterSet, TextCodec};
use dicom_object::InMemDicomObject;
use encoding_rs::Encoding;

/// SpecificCharacterSet.
pub(super) const SPECIFIC_CHARACTER_SET: dicom_core::Tag = dicom_core::Tag(0x0008, 0x0005);

/// The values of an element as read, one string each. Not `to_multi_str`: that joins the values
/// and splits them again at every backslash, so a `\ooo` escape dicom-rs wrote for an invalid
/// byte would make a 1-valued text 2- or 3-valued.
pub(super) fn text_values(e: &dicom_object::mem::InMemElement) -> Vec<String> {
    let trim = |s: &str| s.trim_end_matches([' ', '\0']).to_string();
    match e.value().primitive() {
        Some(dicom_core::PrimitiveValue::Strs(c)) => c.iter().map(|s| trim(s)).collect(),
        Some(dicom_core::PrimitiveValue::Str(s)) => vec![trim(s)],
        _ => e
            .to_multi_str()
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_default(),
    }
}

/// What replaces a byte the declared sets cannot decode.
const INVALID: char = '?';

/// The G0 (bytes 0x21-0x7E) sets of ISO 2022 in DICOM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum G0 {
    Ascii,
    JisRoman,
    Jis0208,
    Jis0212,
}

/// The G1 (bytes 0xA1-0xFE) sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum G1 {
    None,
    /// An ISO 8859 part: its final byte after `ESC -`, and its decoder.
    Part(u8),
    Katakana,
    Ksc,
    Gb,
}

/// Where a character's bytes are, for writing it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Set {
    G0(G0),
    G1(G1),
}

impl G0 {
    fn escape(self) -> &'static [u8] {
        match self {
            G0::Ascii => b"\x1b(B",
            G0::JisRoman => b"\x1b(J",
            G0::Jis0208 => b"\x1b$B",
            G0::Jis0212 => b"\x1b$(D",
        }
    }
}

impl G1 {
    fn escape(self) -> Vec<u8> {
        match self {
            G1::None => Vec::new(),
            G1::Part(f) => vec![0x1b, b'-', f],
            G1::Katakana => b"\x1b)I".to_vec(),
            G1::Ksc => b"\x1b$)C".to_vec(),
            G1::Gb => b"\x1b$)A".to_vec(),
        }
    }
}

/// ISO 8859 parts by their final byte (`ESC - F`); their upper halves, as G1.
fn part(f: u8) -> Option<&'static Encoding> {
    Some(match f {
        b'A' => encoding_rs::WINDOWS_1252, // ISO 8859-1 in 0xA0-0xFF
        b'B' => encoding_rs::ISO_8859_2,
        b'C' => encoding_rs::ISO_8859_3,
        b'D' => encoding_rs::ISO_8859_4,
        b'F' => encoding_rs::ISO_8859_7,
        b'G' => encoding_rs::ISO_8859_6,
        b'H' => encoding_rs::ISO_8859_8,
        b'L' => encoding_rs::ISO_8859_5,
        b'M' => encoding_rs::WINDOWS_1254, // ISO 8859-9 in 0xA0-0xFF
        _ => return None,
    })
}

/// The escape sequences DICOM uses, longest first.
const ESCAPES: &[(&[u8], Set)] = &[
    (b"\x1b$(D", Set::G0(G0::Jis0212)),
    (b"\x1b$)C", Set::G1(G1::Ksc)),
    (b"\x1b$)A", Set::G1(G1::Gb)),
    (b"\x1b$B", Set::G0(G0::Jis0208)),
    (b"\x1b$@", Set::G0(G0::Jis0208)),
    (b"\x1b(B", Set::G0(G0::Ascii)),
    (b"\x1b(J", Set::G0(G0::JisRoman)),
    (b"\x1b)I", Set::G1(G1::Katakana)),
];

/// The initial G1 of a SpecificCharacterSet value (`ISO 2022 IR 100`: Latin-1 in G1).
fn initial_g1(term: &str) -> G1 {
    match term.trim() {
        "ISO 2022 IR 13" | "ISO_IR 13" => G1::Katakana,
        "ISO 2022 IR 100" | "ISO_IR 100" => G1::Part(b'A'),
        "ISO 2022 IR 101" | "ISO_IR 101" => G1::Part(b'B'),
        "ISO 2022 IR 109" | "ISO_IR 109" => G1::Part(b'C'),
        "ISO 2022 IR 110" | "ISO_IR 110" => G1::Part(b'D'),
        "ISO 2022 IR 126" | "ISO_IR 126" => G1::Part(b'F'),
        "ISO 2022 IR 127" | "ISO_IR 127" => G1::Part(b'G'),
        "ISO 2022 IR 138" | "ISO_IR 138" => G1::Part(b'H'),
        "ISO 2022 IR 144" | "ISO_IR 144" => G1::Part(b'L'),
        "ISO 2022 IR 148" | "ISO_IR 148" => G1::Part(b'M'),
        "ISO 2022 IR 149" => G1::Ksc,
        "ISO 2022 IR 58" => G1::Gb,
        _ => G1::None,
    }
}

/// The characters of the values of one attribute, with the bytes and set each was written in.
#[derive(Debug, Default, Clone)]
pub(crate) struct CharMap(HashMap<char, (Set, Vec<u8>)>);

/// The declared character set of an object, as dicom-rs applied it and as it was meant.
#[derive(Debug, Clone)]
pub(crate) struct Charset {
    /// What dicom-rs decoded and will encode with: the first value's set, else the default.
    codec: SpecificCharacterSet,
    /// Code extensions are in use: the text is decoded by ISO 2022 here.
    iso2022: bool,
    g1: G1,
}

impl Default for Charset {
    fn default() -> Self {
        Charset {
            codec: SpecificCharacterSet::default(),
            iso2022: false,
            g1: G1::None,
        }
    }
}

impl Charset {
    /// The top-level SpecificCharacterSet of `obj`.
    pub(crate) fn of(obj: &InMemDicomObject) -> Charset {
        let Some(values) = obj
            .get(SPECIFIC_CHARACTER_SET)
            .and_then(|e| e.to_multi_str().ok())
        else {
            return Charset::default();
        };
        let first = values.first().map(String::as_str).unwrap_or("");
        // As the reader and the writer do: the first value exactly, else the default.
        let codec = SpecificCharacterSet::from_code(first).unwrap_or_default();
        let iso2022 = values.len() > 1 || first.trim().starts_with("ISO 2022");
        Charset {
            codec,
            iso2022,
            g1: initial_g1(first),
        }
    }

    /// The text of one value as dicom-rs decoded it, decoded as it was meant, and whether an
    /// invalid byte was replaced (then the value must be written back even if not cleaned).
    /// The characters' bytes go into `map`, for [`Charset::encode`].
    pub(crate) fn decode(&self, value: &str, map: &mut CharMap) -> (String, bool) {
        let escaped = has_escape(value);
        if !self.iso2022 {
            return if escaped {
                (replace_escapes(value), true)
            } else {
                (value.to_string(), false)
            };
        }
        match self.raw(value) {
            Some(bytes) => self.decode_iso2022(&bytes, map),
            None => (replace_escapes(value), escaped),
        }
    }

    /// The value to put in the element for `text` (a cleaned value decoded by
    /// [`Charset::decode`]): as it is, or for ISO 2022 the characters' original bytes and sets,
    /// as dicom-rs will write them. `multi`: a multi-valued VR, where a 0x5C byte inside a
    /// character would be a delimiter (such a character becomes `?`).
    pub(crate) fn encode(&self, text: &str, map: &CharMap, multi: bool) -> String {
        if !self.iso2022 {
            if !multi || text.is_ascii() && !text.contains('\\') {
                return text.to_string();
            }
            // A character the set cannot hold, or holds with a 0x5C byte (`¥` in Shift-JIS),
            // would fail to write or split the value.
            return text
                .chars()
                .map(|c| {
                    let mut buf = [0u8; 4];
                    let bad = c == '\\'
                        || !c.is_ascii()
                            && self
                                .codec
                                .encode(c.encode_utf8(&mut buf))
                                .map_or(true, |b| b.contains(&b'\\'));
                    if bad {
                        INVALID
                    } else {
                        c
                    }
                })
                .collect();
        }
        let mut out = Vec::with_capacity(text.len() + 8);
        let (mut g0, mut g1) = (G0::Ascii, self.g1);
        for c in text.chars() {
            match map.0.get(&c) {
                _ if c.is_ascii() && !(multi && c == '\\') => {
                    if g0 != G0::Ascii {
                        out.extend_from_slice(G0::Ascii.escape());
                        g0 = G0::Ascii;
                    }
                    out.push(c as u8);
                }
                Some((set, bytes)) if !(multi && bytes.contains(&b'\\')) => {
                    match *set {
                        Set::G0(s) if s != g0 => {
                            out.extend_from_slice(s.escape());
                            g0 = s;
                        }
                        Set::G1(s) if s != g1 => {
                            out.extend(s.escape());
                            g1 = s;
                        }
                        _ => {}
                    }
                    out.extend_from_slice(bytes);
                }
                _ => {
                    if g0 != G0::Ascii {
                        out.extend_from_slice(G0::Ascii.escape());
                        g0 = G0::Ascii;
                    }
                    out.push(INVALID as u8);
                }
            }
        }
        if g0 != G0::Ascii {
            out.extend_from_slice(G0::Ascii.escape());
        }
        // What dicom-rs decodes these bytes to is what it writes back: these bytes (a single-byte
        // first set), or the same text (`ISO 2022 IR 87` alone, which dicom-rs encodes itself).
        let written = self.codec.decode(&out).ok().and_then(|s| {
            let w = self.codec.encode(&s).ok()?;
            let same = w == out || self.codec.decode(&w).ok().as_deref() == Some(s.as_str());
            (same && !(multi && w.contains(&b'\\'))).then_some(s)
        });
        match written {
            Some(s) => s,
            None => text
                .chars()
                .map(|c| if c.is_ascii() { c } else { INVALID })
                .collect(),
        }
    }

    /// The bytes of a value as written: `\ooo` escapes as the byte they stand for, the rest
    /// encoded as dicom-rs decoded it.
    fn raw(&self, value: &str) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(value.len());
        let mut rest = value;
        while let Some(at) = rest.find('\\') {
            out.extend(self.codec.encode(&rest[..at]).ok()?);
            match octal(&rest[at..]) {
                Some(b) => {
                    out.push(b);
                    rest = &rest[at + 4..];
                }
                None => {
                    out.push(b'\\');
                    rest = &rest[at + 1..];
                }
            }
        }
        out.extend(self.codec.encode(rest).ok()?);
        Some(out)
    }

    fn decode_iso2022(&self, b: &[u8], map: &mut CharMap) -> (String, bool) {
        let mut out = String::with_capacity(b.len());
        let mut invalid = false;
        let (mut g0, mut g1) = (G0::Ascii, self.g1);
        let mut i = 0;
        let mut put = |out: &mut String, c: Option<char>, set: Set, bytes: &[u8]| match c {
            Some(c) => {
                out.push(c);
                if !c.is_ascii() {
                    map.0.entry(c).or_insert((set, bytes.to_vec()));
                }
            }
            None => {
                out.push(INVALID);
                invalid = true;
            }
        };
        while i < b.len() {
            let c = b[i];
            if c == 0x1b {
                match ESCAPES.iter().find(|(e, _)| b[i..].starts_with(e)) {
                    Some((e, set)) => {
                        match *set {
                            Set::G0(s) => g0 = s,
                            Set::G1(s) => g1 = s,
                        }
                        i += e.len();
                    }
                    None => match b.get(i + 1..i + 3) {
                        Some([b'-', f]) if part(*f).is_some() => {
                            g1 = G1::Part(*f);
                            i += 3;
                        }
                        _ => {
                            put(&mut out, None, Set::G0(g0), &[]);
                            i += 1;
                        }
                    },
                }
                continue;
            }
            if c < 0x80 {
                let pair = b.get(i + 1).copied().filter(|n| (0x21..=0x7E).contains(n));
                match g0 {
                    _ if !(0x21..=0x7E).contains(&c) => {
                        put(&mut out, Some(char::from(c)), Set::G0(G0::Ascii), &[c])
                    }
                    G0::Ascii => put(&mut out, Some(char::from(c)), Set::G0(G0::Ascii), &[c]),
                    G0::JisRoman => {
                        let ch = match c {
                            0x5C => '\u{a5}',
                            0x7E => '\u{203e}',
                            _ => char::from(c),
                        };
                        put(&mut out, Some(ch), Set::G0(G0::JisRoman), &[c]);
                    }
                    G0::Jis0208 | G0::Jis0212 => {
                        let Some(n) = pair else {
                            put(&mut out, None, Set::G0(g0), &[]);
                            i += 1;
                            continue;
                        };
                        let euc: Vec<u8> = if g0 == G0::Jis0208 {
                            vec![c | 0x80, n | 0x80]
                        } else {
                            vec![0x8F, c | 0x80, n | 0x80]
                        };
                        put(
                            &mut out,
                            one_char(encoding_rs::EUC_JP, &euc),
                            Set::G0(g0),
                            &[c, n],
                        );
                        i += 1;
                    }
                }
                i += 1;
                continue;
            }
            match g1 {
                G1::Part(f) if c >= 0xA0 => {
                    let ch = part(f).and_then(|e| one_char(e, &[c]));
                    put(&mut out, ch, Set::G1(g1), &[c]);
                }
                G1::Katakana if (0xA1..=0xDF).contains(&c) => {
                    let ch = char::from_u32(0xFF61 + u32::from(c - 0xA1));
                    put(&mut out, ch, Set::G1(g1), &[c]);
                }
                G1::Ksc | G1::Gb if b.get(i + 1).is_some_and(|&n| n >= 0xA1) => {
                    let pair = [c, b[i + 1]];
                    let enc = if g1 == G1::Ksc {
                        encoding_rs::EUC_KR
                    } else {
                        encoding_rs::GBK
                    };
                    put(&mut out, one_char(enc, &pair), Set::G1(g1), &pair);
                    i += 1;
                }
                _ => put(&mut out, None, Set::G1(g1), &[]),
            }
            i += 1;
        }
        (out, invalid)
    }
}

/// The one character `bytes` decode to in `enc`, if they are valid and exactly one.
fn one_char(enc: &'static Encoding, bytes: &[u8]) -> Option<char> {
    let s = enc.decode_without_bom_handling_and_without_replacement(bytes)?;
    let mut cs = s.chars();
    let c = cs.next()?;
    cs.next().is_none().then_some(c)
}

/// `\ooo` at the start of `s`: the byte dicom-rs wrote for an invalid one.
fn octal(s: &str) -> Option<u8> {
    let d = s.as_bytes().get(1..4)?;
    if d[0] > b'3' || !d.iter().all(|c| (b'0'..=b'7').contains(c)) {
        return None;
    }
    Some((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'))
}

/// Whether `s` holds a `\ooo` escape.
fn has_escape(s: &str) -> bool {
    s.match_indices('\\')
        .any(|(at, _)| octal(&s[at..]).is_some())
}

/// Every `\ooo` escape replaced by `?`. Another backslash stays: there is none in a value of a
/// multi-valued VR (split at them), and in a single-valued one (LT, ST, UT) it is text.
fn replace_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        if octal(&rest[at..]).is_some() {
            out.push(INVALID);
            rest = &rest[at + 4..];
        } else {
            out.push('\\');
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};

    fn charset(scs: &str) -> Charset {
        Charset::of(&InMemDicomObject::from_element_iter([DataElement::new(
            SPECIFIC_CHARACTER_SET,
            VR::CS,
            PrimitiveValue::Strs(scs.split('\\').map(String::from).collect()),
        )]))
    }

    /// Bytes as dicom-rs decodes them with the default set (Latin-1).
    fn latin1(b: &[u8]) -> String {
        b.iter().map(|&c| char::from(c)).collect()
    }

    #[test]
    fn iso2022_japanese_decodes_and_writes_back_the_same_bytes() {
        let cs = charset("\\ISO 2022 IR 87");
        let pn = "Yamada^Tarou=\u{1b}$B;3ED\u{1b}(B^\u{1b}$BB@O:\u{1b}(B=\u{1b}$B$d$^$@\u{1b}(B^\u{1b}$B$?$m$&\u{1b}(B";
        let mut map = CharMap::default();
        let (text, invalid) = cs.decode(pn, &mut map);
        assert_eq!(text, "Yamada^Tarou=山田^太郎=やまだ^たろう");
        assert!(!invalid);
        assert_eq!(cs.encode(&text, &map, true), pn);
        // A cleaned text keeps the designations it needs and ends in ASCII.
        assert_eq!(cs.encode("太郎 x", &map, true), "\u{1b}$BB@O:\u{1b}(B x");
        assert_eq!(cs.encode("未知", &map, true), "??");
    }

    #[test]
    fn katakana_korean_and_latin1_in_g1() {
        let cs = charset("ISO 2022 IR 13\\ISO 2022 IR 87");
        let mut map = CharMap::default();
        // ﾔﾏﾀﾞ in JIS X 0201 katakana (G1 from the first value), then 山 in JIS X 0208.
        let v = b"\xd4\xcf\xc0\xde^\x1b$B;3\x1b(B";
        // dicom-rs decodes with Shift-JIS (the first value's set): half-width katakana.
        let shown: String = cs.codec.decode(v).unwrap();
        let (text, _) = cs.decode(&shown, &mut map);
        assert_eq!(text, "ﾔﾏﾀﾞ^山");
        let kr = charset("\\ISO 2022 IR 149");
        let mut map = CharMap::default();
        let v = latin1(b"Hong^Gildong=\x1b$)C\xc8\xab^\xb1\xe6\xb5\xbf");
        let (text, _) = kr.decode(&v, &mut map);
        assert_eq!(text, "Hong^Gildong=홍^길동");
        assert_eq!(kr.encode(&text, &map, true), v);
        // `ISO 2022 IR 87` as the first value: dicom-rs decodes and encodes ISO-2022-JP itself.
        let jp = charset("ISO 2022 IR 87");
        let mut map = CharMap::default();
        let (text, invalid) = jp.decode("山田^太郎", &mut map);
        assert_eq!((text.as_str(), invalid), ("山田^太郎", false));
        assert_eq!(jp.encode("太郎", &map, true), "太郎");
        let de = charset("ISO 2022 IR 100\\ISO 2022 IR 87");
        let mut map = CharMap::default();
        let (text, _) = de.decode("M\u{fc}ller", &mut map);
        assert_eq!(text, "Müller");
    }

    #[test]
    fn invalid_bytes_become_question_marks_not_delimiters() {
        let utf8 = charset("ISO_IR 192");
        let mut map = CharMap::default();
        let (text, invalid) = utf8.decode("t1 \\377\\376 mprage", &mut map);
        assert_eq!(text, "t1 ?? mprage");
        assert!(invalid);
        assert_eq!(utf8.decode("plain", &mut map), ("plain".to_string(), false));
        let jp = charset("\\ISO 2022 IR 87");
        let (text, invalid) = jp.decode("a\u{1b}$B\u{7f}\u{1b}(B\u{1b}Zb", &mut map);
        assert!(invalid);
        assert!(!text.contains('\\') && !text.contains('\u{1b}'), "{text:?}");
        assert_eq!(jp.encode(&text, &map, true).matches('\\').count(), 0);
    }

    proptest::proptest! {
        /// Whatever the text and the declared set, decoding and writing back never panic and
        /// never add a value delimiter to a value of a multi-valued VR.
        #[test]
        fn arbitrary_text_keeps_its_value_count(
            v in "[\\x00-\\x{ff}]{0,40}",
            scs in proptest::sample::select(vec!["", "ISO_IR 100", "ISO_IR 192", "\\ISO 2022 IR 87", "ISO 2022 IR 13\\ISO 2022 IR 87", "\\ISO 2022 IR 149", "ISO 2022 IR 100\\ISO 2022 IR 126"]),
        ) {
            let cs = charset(scs);
            let v: String = v.chars().filter(|&c| c != '\\').collect();
            let mut map = CharMap::default();
            let (text, _) = cs.decode(&v, &mut map);
            let out = cs.encode(&text, &map, true);
            let written = cs.codec.encode(&out).unwrap();
            proptest::prop_assert!(!written.contains(&b'\\'));
        }
    }
}
