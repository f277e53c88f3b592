//! A bounds check of a DICOM byte stream before any parser allocates from it.
//!
//! dicom-rs trusts declared element lengths: a 674-byte file that declares a 3.6 GB element makes
//! it allocate 3.6 GB. [`check`] walks the element headers (explicit and implicit VR, both byte
//! orders, defined and undefined lengths, nested sequences and items, encapsulated pixel data)
//! without allocating, and refuses a stream where any declared length runs past the bytes that
//! exist at its nesting level: a sequence's or item's defined length bounds everything inside it.
//! Nesting deeper than [`MAX_DEPTH`] is refused too (dicom-rs builds nested objects recursively).
//!
//! The walk follows the structure **as dicom-rs 0.10 will parse it**, because that is the parser
//! it protects: the same VR for each tag (the standard dictionary for implicit VR, `OW` for pixel
//! and overlay data), every undefined-length element taken as a sequence, `(7FE0,0010)` of
//! undefined length taken as fragments. One consequence: an explicit-VR element of VR `UN` and
//! undefined length holds implicit-VR items by PS3.5 6.2.2, but dicom-rs reads them as explicit
//! VR; the guard walks them the same way, so such a file is refused (pydicom's `UN_sequence.dcm`)
//! instead of being misread, and the error names the `UN` element.
//!
//! Cost: one pass over the headers, O(number of elements), no allocation except for the error.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

/// Deepest nesting of sequences and items accepted (a sequence and its item count two levels).
pub const MAX_DEPTH: usize = 64;

/// Why a byte stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// An element declares more bytes than remain.
    #[error(
        "element {tag} declares {declared} bytes at offset {offset} but only {available} remain{}",
        context(enclosing.as_ref(), *in_un)
    )]
    LengthBeyondEnd {
        /// `(gggg,eeee)`.
        tag: String,
        /// Byte offset of the element header.
        offset: usize,
        /// The declared value length.
        declared: u64,
        /// Bytes left after the header (in the enclosing sequence or item when it has a length).
        available: u64,
        /// The sequence or item of defined length that bounds the element, if any.
        enclosing: Option<Enclosing>,
        /// Inside an explicit-VR `UN` element of undefined length (whose content PS3.5 encodes
        /// in implicit VR, which dicom-rs reads as explicit VR).
        in_un: bool,
    },
    /// The data ends in the middle of an element or item header.
    #[error("truncated: the data ends inside the header of an element at offset {offset}")]
    TruncatedHeader {
        /// Byte offset of the incomplete header.
        offset: usize,
    },
    /// A sequence, item or pixel data of undefined length has no delimiter before the data ends.
    #[error(
        "truncated: {what} {tag} at offset {offset} has no delimiter before the end of the data"
    )]
    Unterminated {
        /// `sequence`, `item` or `pixel data`.
        what: &'static str,
        /// `(gggg,eeee)` of the element that opened it.
        tag: String,
        /// Byte offset of its header.
        offset: usize,
    },
    /// Something other than an item (or the right delimiter) where an item was expected.
    #[error("unexpected tag {tag} at offset {offset}: expected {expected}")]
    UnexpectedTag {
        /// `(gggg,eeee)`.
        tag: String,
        /// Byte offset of the header.
        offset: usize,
        /// What the structure called for.
        expected: &'static str,
    },
    /// A pixel data fragment without a defined length.
    #[error("pixel data fragment of undefined length at offset {offset}")]
    UndefinedFragment {
        /// Byte offset of the item header.
        offset: usize,
    },
    /// Sequences nested deeper than [`MAX_DEPTH`].
    #[error("sequences nested deeper than {max} levels at offset {offset}")]
    TooDeep {
        /// Byte offset of the element that went too deep.
        offset: usize,
        /// [`MAX_DEPTH`].
        max: usize,
    },
}

/// A sequence or item of defined length, named in [`GuardError::LengthBeyondEnd`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enclosing {
    /// `item` or `sequence`.
    pub what: &'static str,
    /// `(gggg,eeee)` of the sequence.
    pub tag: String,
    /// Byte offset of its header.
    pub offset: usize,
}

fn context(enclosing: Option<&Enclosing>, in_un: bool) -> String {
    let mut s = String::new();
    if let Some(e) = enclosing {
        s = format!(" in the {} of {} at offset {}", e.what, e.tag, e.offset);
    }
    if in_un {
        s.push_str(
            " (inside a UN element of undefined length: PS3.5 encodes its content in implicit \
             VR, which dicom-rs reads as explicit VR)",
        );
    }
    s
}

/// How the data set after the file meta group is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Implicit VR little endian.
    ImplicitLittle,
    /// Explicit VR little endian.
    ExplicitLittle,
    /// Explicit VR big endian.
    ExplicitBig,
}

impl Encoding {
    fn explicit(self) -> bool {
        !matches!(self, Encoding::ImplicitLittle)
    }

    fn u16_at(self, b: &[u8], at: usize) -> u16 {
        let v = [b[at], b[at + 1]];
        match self {
            Encoding::ExplicitBig => u16::from_be_bytes(v),
            _ => u16::from_le_bytes(v),
        }
    }

    fn u32_at(self, b: &[u8], at: usize) -> u32 {
        let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        match self {
            Encoding::ExplicitBig => u32::from_be_bytes(v),
            _ => u32::from_le_bytes(v),
        }
    }
}

const UNDEFINED: u32 = 0xFFFF_FFFF;
const ITEM: (u16, u16) = (0xFFFE, 0xE000);
const ITEM_END: (u16, u16) = (0xFFFE, 0xE00D);
const SEQUENCE_END: (u16, u16) = (0xFFFE, 0xE0DD);
const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Elements: the top-level data set or an item of a sequence.
    Elements,
    /// Items of a sequence.
    Sequence,
    /// Fragments of encapsulated pixel data.
    Fragments,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    kind: Kind,
    /// Where the bytes available to this frame end (its own end when `defined`, else its parent's).
    end: usize,
    defined: bool,
    /// The tag that opened the frame and the offset of its header, for messages.
    tag: (u16, u16),
    offset: usize,
    /// Inside an explicit-VR `UN` element of undefined length (for messages).
    in_un: bool,
    /// Not the top-level data set.
    nested: bool,
}

/// Check `bytes` (a data set in `encoding`, starting at offset 0) for declared lengths beyond the
/// end, unterminated sequences and excessive nesting. Up to 3 trailing bytes that cannot hold a tag
/// are ignored, as dicom-rs ignores them.
pub fn check(bytes: &[u8], encoding: Encoding) -> Result<(), GuardError> {
    check_at(bytes, encoding, 0).map(|_| ())
}

/// Where the top-level native Pixel Data element of a checked data set lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PixelSpan {
    /// Offset of its element header.
    pub(crate) header: usize,
    /// Its value's bytes.
    pub(crate) value: std::ops::Range<usize>,
    /// Its VR (OB or OW; implicit VR data sets say OW).
    pub(crate) vr: VR,
}

/// [`check`] for a data set that starts at byte `base` of its file: offsets in errors are file
/// offsets. On success, the span of the top-level Pixel Data element when it has a defined
/// length (native pixels), so that the reader need not decode it value by value.
pub(crate) fn check_at(
    bytes: &[u8],
    encoding: Encoding,
    base: usize,
) -> Result<Option<PixelSpan>, GuardError> {
    walk(bytes, encoding).map_err(|e| e.shifted(base))
}

impl GuardError {
    fn shifted(mut self, base: usize) -> Self {
        match &mut self {
            GuardError::LengthBeyondEnd { offset, .. }
            | GuardError::TruncatedHeader { offset }
            | GuardError::Unterminated { offset, .. }
            | GuardError::UnexpectedTag { offset, .. }
            | GuardError::UndefinedFragment { offset }
            | GuardError::TooDeep { offset, .. } => *offset += base,
        }
        if let GuardError::LengthBeyondEnd {
            enclosing: Some(e), ..
        } = &mut self
        {
            e.offset += base;
        }
        self
    }
}

fn walk(bytes: &[u8], encoding: Encoding) -> Result<Option<PixelSpan>, GuardError> {
    let top = Frame {
        kind: Kind::Elements,
        end: bytes.len(),
        defined: true,
        tag: (0, 0),
        offset: 0,
        in_un: false,
        nested: false,
    };
    let mut stack = [top; MAX_DEPTH + 1];
    let mut depth = 0usize;
    let mut pos = 0usize;
    let mut pixels = None;
    loop {
        let f = stack[depth];
        if depth == 0 {
            if f.end - pos < 4 {
                return Ok(pixels);
            }
        } else if pos == f.end {
            if f.defined {
                depth -= 1;
                continue;
            }
            return Err(GuardError::Unterminated {
                what: match f.kind {
                    Kind::Elements => "item",
                    Kind::Sequence => "sequence",
                    Kind::Fragments => "pixel data",
                },
                tag: fmt_tag(f.tag),
                offset: f.offset,
            });
        }
        let header_at = pos;
        let left = f.end - pos;
        match f.kind {
            Kind::Sequence | Kind::Fragments => {
                if left < 8 {
                    return Err(GuardError::TruncatedHeader { offset: header_at });
                }
                let tag = (encoding.u16_at(bytes, pos), encoding.u16_at(bytes, pos + 2));
                let len = encoding.u32_at(bytes, pos + 4);
                pos += 8;
                match tag {
                    ITEM if f.kind == Kind::Fragments => {
                        if len == UNDEFINED {
                            return Err(GuardError::UndefinedFragment { offset: header_at });
                        }
                        pos += within(tag, header_at, len, f.end - pos, &f)?;
                    }
                    ITEM => {
                        let end = if len == UNDEFINED {
                            f.end
                        } else {
                            within(tag, header_at, len, f.end - pos, &f)? + pos
                        };
                        depth = push(&mut stack, depth, header_at)?;
                        stack[depth] = Frame {
                            kind: Kind::Elements,
                            end,
                            defined: len != UNDEFINED,
                            tag: f.tag,
                            offset: header_at,
                            in_un: f.in_un,
                            nested: true,
                        };
                    }
                    SEQUENCE_END => depth -= 1,
                    _ => {
                        return Err(GuardError::UnexpectedTag {
                            tag: fmt_tag(tag),
                            offset: header_at,
                            expected: if f.kind == Kind::Fragments {
                                "a pixel data fragment or the sequence delimiter"
                            } else {
                                "an item or the sequence delimiter"
                            },
                        })
                    }
                }
            }
            Kind::Elements => {
                if left < 8 {
                    return Err(GuardError::TruncatedHeader { offset: header_at });
                }
                let tag = (encoding.u16_at(bytes, pos), encoding.u16_at(bytes, pos + 2));
                let (vr, len) = if tag.0 == 0xFFFE {
                    // Item tags carry no VR, in either encoding.
                    pos += 8;
                    (VR::UN, encoding.u32_at(bytes, header_at + 4))
                } else if encoding.explicit() {
                    let vr = VR::from_binary([bytes[pos + 4], bytes[pos + 5]]).unwrap_or(VR::UN);
                    if short_length(vr) {
                        pos += 8;
                        (vr, u32::from(encoding.u16_at(bytes, header_at + 6)))
                    } else {
                        if left < 12 {
                            return Err(GuardError::TruncatedHeader { offset: header_at });
                        }
                        pos += 12;
                        (vr, encoding.u32_at(bytes, header_at + 8))
                    }
                } else {
                    pos += 8;
                    (implicit_vr(tag), encoding.u32_at(bytes, header_at + 4))
                };
                // Same order of decisions as dicom-rs's DataSetReader.
                if vr == VR::SQ || (tag != ITEM_END && tag != PIXEL_DATA && len == UNDEFINED) {
                    let end = if len == UNDEFINED {
                        f.end
                    } else {
                        within(tag, header_at, len, f.end - pos, &f)? + pos
                    };
                    depth = push(&mut stack, depth, header_at)?;
                    stack[depth] = Frame {
                        kind: Kind::Sequence,
                        end,
                        defined: len != UNDEFINED,
                        tag,
                        offset: header_at,
                        in_un: f.in_un || (vr == VR::UN && len == UNDEFINED && encoding.explicit()),
                        nested: true,
                    };
                } else if tag == ITEM_END {
                    // dicom-rs ignores a stray item delimiter at the top level.
                    depth = depth.saturating_sub(1);
                } else if tag == PIXEL_DATA && len == UNDEFINED {
                    depth = push(&mut stack, depth, header_at)?;
                    stack[depth] = Frame {
                        kind: Kind::Fragments,
                        end: f.end,
                        defined: false,
                        tag,
                        offset: header_at,
                        in_un: f.in_un,
                        nested: true,
                    };
                } else {
                    let n = within(tag, header_at, len, f.end - pos, &f)?;
                    if depth == 0 && tag == PIXEL_DATA && matches!(vr, VR::OB | VR::OW) {
                        pixels = Some(PixelSpan {
                            header: header_at,
                            value: pos..pos + n,
                            vr,
                        });
                    }
                    pos += n;
                }
            }
        }
    }
}

/// `len` as a usize when it fits in `available`, else the error.
fn within(
    tag: (u16, u16),
    offset: usize,
    len: u32,
    available: usize,
    frame: &Frame,
) -> Result<usize, GuardError> {
    let n = len as usize;
    if n <= available {
        return Ok(n);
    }
    let enclosing = (frame.defined && frame.nested).then(|| Enclosing {
        what: if frame.kind == Kind::Elements {
            "item"
        } else {
            "sequence"
        },
        tag: fmt_tag(frame.tag),
        offset: frame.offset,
    });
    Err(GuardError::LengthBeyondEnd {
        tag: fmt_tag(tag),
        offset,
        declared: u64::from(len),
        available: available as u64,
        enclosing,
        in_un: frame.in_un,
    })
}

fn push(stack: &mut [Frame], depth: usize, offset: usize) -> Result<usize, GuardError> {
    if depth + 1 >= stack.len() {
        return Err(GuardError::TooDeep {
            offset,
            max: MAX_DEPTH,
        });
    }
    Ok(depth + 1)
}

/// VRs whose explicit header has a 16-bit length (PS3.5 Table 7.1-2), as dicom-rs decodes them.
pub(crate) fn short_length(vr: VR) -> bool {
    matches!(
        vr,
        VR::AE
            | VR::AS
            | VR::AT
            | VR::CS
            | VR::DA
            | VR::DS
            | VR::DT
            | VR::FL
            | VR::FD
            | VR::IS
            | VR::LO
            | VR::LT
            | VR::PN
            | VR::SH
            | VR::SL
            | VR::SS
            | VR::ST
            | VR::TM
            | VR::UI
            | VR::UL
            | VR::US
    )
}

/// The VR dicom-rs's implicit VR decoder gives a tag.
fn implicit_vr(tag: (u16, u16)) -> VR {
    if tag == PIXEL_DATA || (tag.0 >> 8 == 0x60 && tag.1 == 0x3000) {
        return VR::OW;
    }
    StandardDataDictionary
        .by_tag(Tag(tag.0, tag.1))
        .map(|e| e.vr().relaxed())
        .unwrap_or(VR::UN)
}

fn fmt_tag(tag: (u16, u16)) -> String {
    format!("({:04X},{:04X})", tag.0, tag.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Explicit VR LE element with a 16-bit length.
    fn short(g: u16, e: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(g.to_le_bytes());
        v.extend(e.to_le_bytes());
        v.extend(vr);
        v.extend((value.len() as u16).to_le_bytes());
        v.extend(value);
        v
    }

    /// Explicit VR LE element with a 32-bit length field set to `len`.
    fn long(g: u16, e: u16, vr: &[u8; 2], len: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(g.to_le_bytes());
        v.extend(e.to_le_bytes());
        v.extend(vr);
        v.extend([0, 0]);
        v.extend(len.to_le_bytes());
        v
    }

    fn item_header(g: u16, e: u16, len: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(g.to_le_bytes());
        v.extend(e.to_le_bytes());
        v.extend(len.to_le_bytes());
        v
    }

    fn implicit(g: u16, e: u16, len: u32) -> Vec<u8> {
        item_header(g, e, len)
    }

    #[test]
    fn accepts_flat_explicit_little() {
        let mut b = short(0x0008, 0x0060, b"CS", b"MR");
        b.extend(short(0x0010, 0x0010, b"PN", b"Doe^John"));
        b.extend(long(0x7FE0, 0x0010, b"OW", 4));
        b.extend([1, 2, 3, 4]);
        assert_eq!(check(&b, Encoding::ExplicitLittle), Ok(()));
    }

    #[test]
    fn refuses_a_length_beyond_the_end() {
        let mut b = short(0x0008, 0x0060, b"CS", b"MR");
        b.extend(long(0x7FE0, 0x0010, b"OW", 0x1000_0000));
        b.extend([0; 16]);
        let err = check(&b, Encoding::ExplicitLittle).unwrap_err();
        assert_eq!(
            err,
            GuardError::LengthBeyondEnd {
                tag: "(7FE0,0010)".into(),
                offset: 10,
                declared: 0x1000_0000,
                available: 16,
                enclosing: None,
                in_un: false,
            }
        );
        assert!(err.to_string().contains("declares 268435456 bytes"));
    }

    #[test]
    fn refuses_a_truncated_header_but_ignores_three_trailing_bytes() {
        let mut b = short(0x0008, 0x0060, b"CS", b"MR");
        b.extend([0x10, 0x00, 0x10]);
        assert_eq!(check(&b, Encoding::ExplicitLittle), Ok(()));
        b.extend([0x00, b'P', b'N']);
        assert!(matches!(
            check(&b, Encoding::ExplicitLittle),
            Err(GuardError::TruncatedHeader { offset: 10 })
        ));
    }

    #[test]
    fn nested_sequences_defined_and_undefined() {
        // SQ undefined > item undefined > SQ defined > item defined > element; delimiters.
        let inner_elem = short(0x0008, 0x1150, b"UI", b"1.2");
        let inner_item = [
            item_header(0xFFFE, 0xE000, inner_elem.len() as u32),
            inner_elem,
        ]
        .concat();
        let inner_sq = [
            long(0x0008, 0x1199, b"SQ", inner_item.len() as u32),
            inner_item,
        ]
        .concat();
        let mut b = long(0x0008, 0x1115, b"SQ", UNDEFINED);
        b.extend(item_header(0xFFFE, 0xE000, UNDEFINED));
        b.extend(&inner_sq);
        b.extend(item_header(0xFFFE, 0xE00D, 0));
        b.extend(item_header(0xFFFE, 0xE0DD, 0));
        b.extend(short(0x0020, 0x000D, b"UI", b"1.3"));
        assert_eq!(check(&b, Encoding::ExplicitLittle), Ok(()));
        // Cut before the delimiters (and the last element), the item then the sequence is open.
        let err = check(&b[..b.len() - 27], Encoding::ExplicitLittle).unwrap_err();
        assert!(
            matches!(err, GuardError::Unterminated { what: "item", .. }),
            "{err}"
        );
        let err = check(&b[..b.len() - 19], Encoding::ExplicitLittle).unwrap_err();
        assert!(
            matches!(
                err,
                GuardError::Unterminated {
                    what: "sequence",
                    offset: 0,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn an_item_length_bounds_its_children() {
        // The item says 12 bytes; the element inside declares 40 with 60 bytes left in the file.
        let mut b = long(0x0008, 0x1115, b"SQ", UNDEFINED);
        b.extend(item_header(0xFFFE, 0xE000, 12));
        b.extend(long(0x0009, 0x1001, b"OB", 40));
        b.extend([0u8; 60]);
        let err = check(&b, Encoding::ExplicitLittle).unwrap_err();
        match err {
            GuardError::LengthBeyondEnd {
                declared,
                available,
                ref enclosing,
                ..
            } => {
                assert_eq!((declared, available), (40, 0));
                assert_eq!(enclosing.as_ref().map(|e| e.what), Some("item"));
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn implicit_vr_sequences_come_from_the_dictionary() {
        // (0008,1115) is SQ in the dictionary: its defined-length value holds items.
        let elem = implicit(0x0008, 0x1150, 4);
        let item = [item_header(0xFFFE, 0xE000, 12), elem, b"1.2\0".to_vec()].concat();
        let mut b = implicit(0x0008, 0x1115, item.len() as u32);
        b.extend(&item);
        assert_eq!(check(&b, Encoding::ImplicitLittle), Ok(()));
        // An item inside declaring more than the sequence holds.
        let mut bad = implicit(0x0008, 0x1115, 8);
        bad.extend(item_header(0xFFFE, 0xE000, 100));
        bad.extend([0u8; 200]);
        assert!(matches!(
            check(&bad, Encoding::ImplicitLittle),
            Err(GuardError::LengthBeyondEnd { .. })
        ));
        // A private tag of undefined length is a sequence too.
        let mut p = implicit(0x0009, 0x1010, UNDEFINED);
        p.extend(item_header(0xFFFE, 0xE000, UNDEFINED));
        p.extend(implicit(0x0009, 0x1011, 2));
        p.extend(b"ab");
        p.extend(item_header(0xFFFE, 0xE00D, 0));
        p.extend(item_header(0xFFFE, 0xE0DD, 0));
        assert_eq!(check(&p, Encoding::ImplicitLittle), Ok(()));
    }

    #[test]
    fn big_endian() {
        let mut b = Vec::new();
        b.extend(0x0028u16.to_be_bytes());
        b.extend(0x0010u16.to_be_bytes());
        b.extend(b"US");
        b.extend(2u16.to_be_bytes());
        b.extend(512u16.to_be_bytes());
        b.extend(0x7FE0u16.to_be_bytes());
        b.extend(0x0010u16.to_be_bytes());
        b.extend(b"OW\0\0");
        b.extend(4u32.to_be_bytes());
        b.extend([0; 4]);
        assert_eq!(check(&b, Encoding::ExplicitBig), Ok(()));
        // Read as little endian, the pixel data length is 0x04000000.
        assert!(check(&b, Encoding::ExplicitLittle).is_err());
    }

    #[test]
    fn encapsulated_pixel_data() {
        let mut b = long(0x7FE0, 0x0010, b"OB", UNDEFINED);
        b.extend(item_header(0xFFFE, 0xE000, 0)); // empty offset table
        b.extend(item_header(0xFFFE, 0xE000, 6));
        b.extend([0xFF, 0xD8, 0, 0, 0xFF, 0xD9]);
        b.extend(item_header(0xFFFE, 0xE0DD, 0));
        assert_eq!(check(&b, Encoding::ExplicitLittle), Ok(()));

        let mut big = long(0x7FE0, 0x0010, b"OB", UNDEFINED);
        big.extend(item_header(0xFFFE, 0xE000, 0x7FFF_0000));
        big.extend([0; 32]);
        assert!(matches!(
            check(&big, Encoding::ExplicitLittle),
            Err(GuardError::LengthBeyondEnd { .. })
        ));

        let mut undefined = long(0x7FE0, 0x0010, b"OB", UNDEFINED);
        undefined.extend(item_header(0xFFFE, 0xE000, UNDEFINED));
        undefined.extend([0; 32]);
        assert!(matches!(
            check(&undefined, Encoding::ExplicitLittle),
            Err(GuardError::UndefinedFragment { .. })
        ));

        let mut stray = long(0x7FE0, 0x0010, b"OB", UNDEFINED);
        stray.extend(short(0x0008, 0x0060, b"CS", b"MR"));
        assert!(matches!(
            check(&stray, Encoding::ExplicitLittle),
            Err(GuardError::UnexpectedTag { .. })
        ));
    }

    #[test]
    fn un_of_undefined_length_is_walked_as_dicom_rs_reads_it() {
        // The shape of pydicom's UN_sequence.dcm: implicit VR items inside an explicit UN.
        let mut b = long(0x4453, 0x100C, b"UN", UNDEFINED);
        b.extend(item_header(0xFFFE, 0xE000, UNDEFINED));
        b.extend(implicit(0x0008, 0x1115, UNDEFINED));
        b.extend(item_header(0xFFFE, 0xE000, UNDEFINED));
        b.extend(item_header(0xFFFE, 0xE00D, 0));
        b.extend(item_header(0xFFFE, 0xE0DD, 0));
        b.extend(item_header(0xFFFE, 0xE00D, 0));
        b.extend(item_header(0xFFFE, 0xE0DD, 0));
        let err = check(&b, Encoding::ExplicitLittle).unwrap_err();
        assert!(err.to_string().contains("inside a UN element"), "{err}");
    }

    #[test]
    fn offsets_are_shifted_to_file_offsets() {
        let mut b = long(0x0008, 0x1115, b"SQ", 20);
        b.extend(item_header(0xFFFE, 0xE000, 12));
        b.extend(long(0x0009, 0x1001, b"OB", 40));
        b.extend([0u8; 8]);
        let err = check_at(&b, Encoding::ExplicitLittle, 1000).unwrap_err();
        assert_eq!(
            err.to_string(),
            "element (0009,1001) declares 40 bytes at offset 1020 but only 0 remain in the item \
             of (0008,1115) at offset 1012"
        );
    }

    #[test]
    fn depth_is_bounded() {
        let mut b = Vec::new();
        for _ in 0..200 {
            b.extend(long(0x0008, 0x1115, b"SQ", UNDEFINED));
            b.extend(item_header(0xFFFE, 0xE000, UNDEFINED));
        }
        assert!(matches!(
            check(&b, Encoding::ExplicitLittle),
            Err(GuardError::TooDeep { max: MAX_DEPTH, .. })
        ));
    }

    #[test]
    fn empty_and_zero_length_structures() {
        assert_eq!(check(&[], Encoding::ImplicitLittle), Ok(()));
        let mut b = long(0x0008, 0x1115, b"SQ", 0);
        b.extend(long(0x0008, 0x1199, b"SQ", 8));
        b.extend(item_header(0xFFFE, 0xE000, 0));
        b.extend(short(0x0020, 0x000D, b"UI", b"1.3"));
        assert_eq!(check(&b, Encoding::ExplicitLittle), Ok(()));
    }

    #[test]
    fn never_panics_on_short_or_odd_inputs() {
        let base = {
            let mut b = long(0x0008, 0x1115, b"SQ", UNDEFINED);
            b.extend(item_header(0xFFFE, 0xE000, 10));
            b.extend(short(0x0008, 0x0060, b"CS", b"MR"));
            b.extend(item_header(0xFFFE, 0xE0DD, 0));
            b.extend(long(0x7FE0, 0x0010, b"OB", UNDEFINED));
            b.extend(item_header(0xFFFE, 0xE000, 2));
            b.extend([1, 2]);
            b.extend(item_header(0xFFFE, 0xE0DD, 0));
            b
        };
        for enc in [
            Encoding::ImplicitLittle,
            Encoding::ExplicitLittle,
            Encoding::ExplicitBig,
        ] {
            for cut in 0..=base.len() {
                let _ = check(&base[..cut], enc);
                let _ = check(&base[cut..], enc);
            }
        }
        assert_eq!(check(&base, Encoding::ExplicitLittle), Ok(()));
    }
}
