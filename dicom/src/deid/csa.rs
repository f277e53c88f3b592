//! Siemens CSA headers (`SIEMENS CSA HEADER` (0029,xx10) image and (0029,xx20) series header
//! info): parsed, and rewritten with only the elements research needs, every string cleaned.
//!
//! Two forms exist. SV10 (`CSA2`): `"SV10"`, 4 bytes (`04 03 02 01`), u32 number of tags, u32
//! unused (77); the older CSA1 has no signature and starts with the two u32. Then per tag: name
//! (64 bytes, NUL-padded), u32 VM, VR (4 bytes), u32 SyngoDT, u32 number of items, u32 (77 or
//! 205); per item four u32 (the item's length is the second for SV10, the first for CSA1), then
//! the item's bytes padded to a multiple of 4. All little endian, whatever the file's encoding.
//!
//! [`parse`] checks every count and length against the bytes present (no allocation from a
//! count beyond them; a malformed header is a [`CsaError`], never a panic). [`rewrite`] writes
//! the header again: the tags of [`KEEP`] with their items cleaned (text up to its NUL, in
//! Latin-1 or UTF-16 as detected, cleaned line by line so the ASCCONV protocol keeps its lines;
//! numbers of numeric VRs as they are), every other tag with no item, and nothing of the bytes
//! the structure does not account for (padding, garbage after a NUL, trailing bytes).

/// The CSA elements kept (their items cleaned): what dcm2niix, nibabel and the NIfTI sidecars
/// read for mosaics, diffusion, slice timing, phase encoding and coils; the series header's
/// protocol (`MrPhoenixProtocol`, the ASCCONV text, which names the protocol and copies UIDs, so
/// it is cleaned like every other string). Everything else is emptied (kept with no item).
pub(crate) const KEEP: &[&str] = &[
    "AcquisitionMatrixText",
    "B_matrix",
    "B_value",
    "BandwidthPerPixelPhaseEncode",
    "CoilForGradient",
    "CoilForGradient2",
    "DiffusionDirectionality",
    "DiffusionGradientDirection",
    "EchoColumnPosition",
    "EchoLinePosition",
    "EchoPartitionPosition",
    "FlowEncodingDirectionString",
    "GradientMode",
    "ICE_Dims",
    "ImaAbsTablePosition",
    "ImaCoilString",
    "ImaPATModeText",
    "ImaRelTablePosition",
    "MosaicRefAcqTimes",
    "MrPhoenixProtocol",
    "MrProtocol",
    "MrProtocolVersion",
    "NumberOfImagesInMosaic",
    "PhaseEncodingDirectionPositive",
    "ProtocolSliceNumber",
    "RealDwellTime",
    "SliceMeasurementDuration",
    "SliceNormalVector",
    "SliceResolution",
    "TimeAfterStart",
];

/// A CSA header that does not parse. Numbers only: never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CsaError {
    /// Fewer bytes than the structure needs.
    #[error("CSA header truncated at byte {0}")]
    Truncated(usize),
    /// A count that the bytes present cannot hold.
    #[error("CSA header declares {count} entries at byte {at}, more than its bytes can hold")]
    Count { count: u32, at: usize },
    /// An item longer than the bytes after it.
    #[error("CSA item of {len} bytes at byte {at} runs past the end")]
    ItemTooLong { len: u32, at: usize },
}

const SV10: &[u8; 4] = b"SV10";
const TAG_LEN: usize = 64 + 5 * 4;
const ITEM_HEAD: usize = 16;

/// Which form the header was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `SV10` signature; item length in the second int.
    Sv10([u8; 4]),
    /// No signature; item length in the first int.
    Csa1,
}

/// A parsed CSA header, borrowing its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    pub form: Form,
    pub unused: u32,
    pub tags: Vec<CsaTag<'a>>,
}

/// One CSA element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsaTag<'a> {
    /// Up to the first NUL of the 64-byte field.
    pub name: &'a [u8],
    pub vm: u32,
    /// Up to the first NUL of the 4-byte field.
    pub vr: &'a [u8],
    pub syngodt: u32,
    pub xx: u32,
    pub items: Vec<Item<'a>>,
}

/// One item: its four ints and its bytes (without the padding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item<'a> {
    pub ints: [u32; 4],
    pub data: &'a [u8],
}

#[cfg(test)]
impl CsaTag<'_> {
    /// The name as text (CSA names are ASCII).
    pub(crate) fn name_str(&self) -> String {
        String::from_utf8_lossy(self.name).into_owned()
    }

    /// The items as text up to their NUL (Latin-1 or UTF-16 as detected), for tests and readers.
    pub(crate) fn strings(&self) -> Vec<String> {
        self.items.iter().map(|i| decode_item(i.data).0).collect()
    }
}

/// Whether `bytes` start like an SV10 header.
pub(crate) fn is_sv10(bytes: &[u8]) -> bool {
    bytes.starts_with(SV10)
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, CsaError> {
    let s = b
        .get(at..at + 4)
        .ok_or(CsaError::Truncated(at.min(b.len())))?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn until_nul(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |n| &b[..n])
}

/// Parse a CSA header of either form.
pub(crate) fn parse(b: &[u8]) -> Result<Header<'_>, CsaError> {
    let (form, mut at) = if is_sv10(b) {
        let s = b.get(4..8).ok_or(CsaError::Truncated(b.len()))?;
        (Form::Sv10([s[0], s[1], s[2], s[3]]), 8)
    } else {
        (Form::Csa1, 0)
    };
    let n_tags = u32_at(b, at)?;
    let unused = u32_at(b, at + 4)?;
    at += 8;
    if n_tags as usize > (b.len() - at) / TAG_LEN {
        return Err(CsaError::Count { count: n_tags, at });
    }
    let mut tags = Vec::with_capacity(n_tags as usize);
    for _ in 0..n_tags {
        let head = b.get(at..at + TAG_LEN).ok_or(CsaError::Truncated(at))?;
        let name = until_nul(&head[..64]);
        let vm = u32_at(head, 64)?;
        let vr = until_nul(&head[68..72]);
        let syngodt = u32_at(head, 72)?;
        let n_items = u32_at(head, 76)?;
        let xx = u32_at(head, 80)?;
        at += TAG_LEN;
        if n_items as usize > (b.len() - at) / ITEM_HEAD {
            return Err(CsaError::Count { count: n_items, at });
        }
        let mut items = Vec::with_capacity(n_items as usize);
        for _ in 0..n_items {
            let ints = [
                u32_at(b, at)?,
                u32_at(b, at + 4)?,
                u32_at(b, at + 8)?,
                u32_at(b, at + 12)?,
            ];
            at += ITEM_HEAD;
            let len = match form {
                Form::Sv10(_) => ints[1],
                Form::Csa1 => ints[0],
            };
            let end = at
                .checked_add(len as usize)
                .filter(|&e| e <= b.len())
                .ok_or(CsaError::ItemTooLong { len, at })?;
            items.push(Item {
                ints,
                data: &b[at..end],
            });
            // The padding of the last item may be missing.
            at = end.next_multiple_of(4).min(b.len());
        }
        tags.push(CsaTag {
            name,
            vm,
            vr,
            syngodt,
            xx,
            items,
        });
    }
    Ok(Header { form, unused, tags })
}

/// How an item's text was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enc {
    Latin1,
    Utf16Le,
    Utf16Be,
}

/// Whether `data` looks like UTF-16 text with its zero bytes on the `hi` side of each pair (1:
/// little endian, 0: big endian): at least two characters, most of them of Latin-1.
fn looks_utf16(data: &[u8], hi: usize) -> bool {
    let pairs: Vec<&[u8]> = data
        .chunks_exact(2)
        .take_while(|p| p[0] != 0 || p[1] != 0)
        .collect();
    let latin = pairs
        .iter()
        .filter(|p| p[hi] == 0 && p[1 - hi] != 0)
        .count();
    pairs.len() >= 2 && latin * 4 >= pairs.len() * 3
}

/// The text of an item up to its NUL, and how it was encoded.
fn decode_item(data: &[u8]) -> (String, Enc) {
    for (enc, hi) in [(Enc::Utf16Le, 1), (Enc::Utf16Be, 0)] {
        if looks_utf16(data, hi) {
            let units = data
                .chunks_exact(2)
                .map(|p| {
                    if hi == 1 {
                        u16::from_le_bytes([p[0], p[1]])
                    } else {
                        u16::from_be_bytes([p[0], p[1]])
                    }
                })
                .take_while(|&u| u != 0);
            let s = char::decode_utf16(units)
                .map(|c| c.unwrap_or('?'))
                .collect();
            return (s, enc);
        }
    }
    (
        until_nul(data).iter().map(|&c| char::from(c)).collect(),
        Enc::Latin1,
    )
}

fn encode_item(s: &str, enc: Enc) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    match enc {
        Enc::Latin1 => {
            out.extend(
                s.chars()
                    .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')),
            );
            out.push(0);
        }
        Enc::Utf16Le | Enc::Utf16Be => {
            for u in s.encode_utf16().chain(std::iter::once(0)) {
                out.extend(if enc == Enc::Utf16Le {
                    u.to_le_bytes()
                } else {
                    u.to_be_bytes()
                });
            }
        }
    }
    out
}

const NUMERIC_VRS: &[&[u8]] = &[b"DS", b"IS", b"FD", b"FL", b"SL", b"UL", b"SS", b"US"];

/// One item cleaned: numbers of numeric VRs as they are, other text cleaned line by line.
fn clean_item(vr: &[u8], data: &[u8], clean: &dyn Fn(&str) -> Option<String>) -> Vec<u8> {
    let (text, enc) = decode_item(data);
    if NUMERIC_VRS.contains(&vr) && text.trim().parse::<f64>().is_ok() {
        return encode_item(&text, enc);
    }
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        clean_line(line, clean, &mut out);
    }
    encode_item(&out, enc)
}

/// One line of protocol text cleaned where values can be: after the `=` of an ASCCONV line
/// (`tProtocolName = "..."`), else outside the `<...>` tags of XProtocol (`<Name> "..."`), so
/// keys and tags stay even when a name of the header is a common word.
fn clean_line(line: &str, clean: &dyn Fn(&str) -> Option<String>, out: &mut String) {
    let part = |t: &str, out: &mut String| match clean(t) {
        Some(c) => out.push_str(&c),
        None => out.push_str(t),
    };
    if let Some(eq) = line.find('=') {
        out.push_str(&line[..=eq]);
        part(&line[eq + 1..], out);
        return;
    }
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>').map(|c| open + c) else {
            break;
        };
        part(&rest[..open], out);
        out.push_str(&rest[open..=close]);
        rest = &rest[close + 1..];
    }
    part(rest, out);
}

/// Write `h` again: the tags of [`KEEP`] with their items cleaned by `clean` (which returns the
/// cleaned text, `None` when nothing changed), every other tag with no item.
pub(crate) fn rewrite(h: &Header<'_>, clean: &dyn Fn(&str) -> Option<String>) -> Vec<u8> {
    let mut out = Vec::new();
    let put = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    if let Form::Sv10(sig) = h.form {
        out.extend_from_slice(SV10);
        out.extend_from_slice(&sig);
    }
    put(&mut out, h.tags.len() as u32);
    put(&mut out, h.unused);
    for t in &h.tags {
        let kept = KEEP.iter().any(|k| k.as_bytes() == t.name);
        let mut name = [0u8; 64];
        name[..t.name.len()].copy_from_slice(t.name);
        out.extend_from_slice(&name);
        put(&mut out, t.vm);
        let mut vr = [0u8; 4];
        vr[..t.vr.len()].copy_from_slice(t.vr);
        out.extend_from_slice(&vr);
        put(&mut out, t.syngodt);
        put(&mut out, if kept { t.items.len() as u32 } else { 0 });
        put(&mut out, t.xx);
        if !kept {
            continue;
        }
        for item in &t.items {
            let old = item.data.len() as u32;
            // Items beyond the VM are empty by construction; empty stays empty.
            let data = if item.data.is_empty() {
                Vec::new()
            } else {
                clean_item(t.vr, item.data, clean)
            };
            let new = data.len() as u32;
            for (i, v) in item.ints.iter().enumerate() {
                // The length fields (all but the third, 77 or 205) follow the new length.
                put(&mut out, if i != 2 && *v == old { new } else { *v });
            }
            out.extend_from_slice(&data);
            out.resize(out.len().next_multiple_of(4), 0);
        }
    }
    out
}

/// Parse and rewrite in one step (see [`rewrite`]).
pub(crate) fn clean(
    bytes: &[u8],
    clean: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<u8>, CsaError> {
    parse(bytes).map(|h| rewrite(&h, clean))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An SV10 (or CSA1) header of `(name, vr, items)` with the usual ints.
    pub(crate) fn build(sv10: bool, tags: &[(&str, &str, Vec<Vec<u8>>)]) -> Vec<u8> {
        let mut b = Vec::new();
        if sv10 {
            b.extend_from_slice(b"SV10\x04\x03\x02\x01");
        }
        b.extend_from_slice(&(tags.len() as u32).to_le_bytes());
        b.extend_from_slice(&77u32.to_le_bytes());
        for (name, vr, items) in tags {
            let mut n = [0u8; 64];
            n[..name.len()].copy_from_slice(name.as_bytes());
            b.extend_from_slice(&n);
            b.extend_from_slice(&(items.len() as u32).to_le_bytes());
            let mut v = [0u8; 4];
            v[..vr.len()].copy_from_slice(vr.as_bytes());
            b.extend_from_slice(&v);
            b.extend_from_slice(&3u32.to_le_bytes());
            b.extend_from_slice(&(items.len() as u32).to_le_bytes());
            b.extend_from_slice(&77u32.to_le_bytes());
            for it in items {
                let l = it.len() as u32;
                for x in [l, l, 77, l] {
                    b.extend_from_slice(&x.to_le_bytes());
                }
                b.extend_from_slice(it);
                b.resize(b.len().next_multiple_of(4), 0);
            }
        }
        b
    }

    fn no_clean(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn parses_both_forms_and_keeps_what_research_needs() {
        for sv10 in [true, false] {
            let b = build(
                sv10,
                &[
                    ("B_value", "IS", vec![b"1000 \0".to_vec()]),
                    ("ImaComments", "LT", vec![b"SMITH^JOHN\0".to_vec()]),
                    (
                        "MosaicRefAcqTimes",
                        "FD",
                        vec![b"0.0\0".to_vec(), b"1234.5625\0".to_vec(), Vec::new()],
                    ),
                ],
            );
            let h = parse(&b).unwrap();
            assert_eq!(h.tags.len(), 3);
            assert_eq!(h.tags[0].name_str(), "B_value");
            assert_eq!(h.tags[2].strings(), ["0.0", "1234.5625", ""]);
            let out = rewrite(&h, &no_clean);
            let back = parse(&out).unwrap();
            assert_eq!(back.form, h.form);
            assert_eq!(back.tags[0].strings(), ["1000 "]);
            assert!(
                back.tags[1].items.is_empty(),
                "unlisted elements are emptied"
            );
            assert_eq!(back.tags[2].strings(), ["0.0", "1234.5625", ""]);
            assert!(!String::from_utf8_lossy(&out).contains("SMITH"));
        }
    }

    #[test]
    fn strings_are_cleaned_in_their_encoding_and_garbage_dropped() {
        let utf16: Vec<u8> = "tProtocolName = \"Mueller\"\nx = 1\0"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let b = build(
            true,
            &[
                (
                    "MrPhoenixProtocol",
                    "UN",
                    vec![b"a = \"M\xdcLLER\"\nb = 2\0MRN123456 left over".to_vec()],
                ),
                ("ImaCoilString", "LO", vec![utf16]),
            ],
        );
        let clean = |s: &str| {
            let t = s.replace("M\u{dc}LLER", "").replace("Mueller", "");
            (t != s).then_some(t)
        };
        let out = super::clean(&b, &clean).unwrap();
        let back = parse(&out).unwrap();
        assert_eq!(back.tags[0].strings(), ["a = \"\"\nb = 2"]);
        assert_eq!(back.tags[1].strings(), ["tProtocolName = \"\"\nx = 1"]);
        assert!(!String::from_utf8_lossy(&out).contains("MRN123456"));
    }

    #[test]
    fn malformed_headers_are_errors_not_panics() {
        let good = build(true, &[("B_value", "IS", vec![b"1000\0".to_vec()])]);
        for cut in 0..good.len() {
            let _ = parse(&good[..cut]);
        }
        assert!(parse(&good[..good.len() - 8]).is_err());
        let mut huge = good.clone();
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(parse(&huge), Err(CsaError::Count { .. })));
        let mut items = good.clone();
        items[8 + 8 + 76..8 + 8 + 80].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(parse(&items), Err(CsaError::Count { .. })));
        let mut long = good;
        let at = 16 + TAG_LEN + 4;
        long[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(parse(&long), Err(CsaError::ItemTooLong { .. })));
        assert!(parse(b"").is_err());
    }

    proptest::proptest! {
        /// Random bytes, and valid headers with random items and a random cut: an error value
        /// or a header whose rewrite parses again.
        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            item in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            cut in 0usize..400,
            sv10 in proptest::prelude::any::<bool>(),
        ) {
            let mut b = b"SV10\x04\x03\x02\x01".to_vec();
            b.extend(&bytes);
            for h in [parse(&b), parse(&bytes)].into_iter().flatten() {
                parse(&rewrite(&h, &no_clean)).unwrap();
            }
            let good = build(sv10, &[("MrPhoenixProtocol", "UN", vec![item.clone()]), ("B_value", "IS", vec![item])]);
            let h = parse(&good).unwrap();
            let out = rewrite(&h, &|t: &str| Some(t.replace('a', "")));
            parse(&out).unwrap();
            let _ = parse(&good[..cut.min(good.len())]);
        }
    }
}
