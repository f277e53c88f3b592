//! Reading one input into a DICOM object.
//!
//! Part-10 files (with or without the 128-byte preamble) and bare data sets without a file meta
//! group (transfer syntax guessed: implicit VR LE, then explicit LE, then explicit BE). Every
//! declared length is checked by [`guard`](crate::guard) before dicom-rs sees the bytes. A file that is
//! not DICOM, truncated, or in a transfer syntax we cannot handle is a [`ReadError`] with a one-line
//! reason; nothing here panics.
//!
//! How a file is taken apart:
//! - **File meta group**: parsed here, not by dicom-rs: the run of group-0002 elements after `DICM`
//!   (explicit VR LE, or implicit VR as some old writers did), each length bounded by the bytes
//!   left. Its group length is recomputed, so a missing or wrong `(0002,0000)` does not matter.
//!   A meta group without a transfer syntax gets a guessed one, like a file without meta.
//! - **Data set**: [`crate::guard::check`] in the transfer syntax's encoding, then dicom-rs's
//!   data set reader over the same bytes. Deflated data sets are inflated here first (at most
//!   [`MAX_INFLATED`] bytes) and the inflated bytes are checked.
//! - **gzip**: a gzip-compressed file (`.dcm.gz` as shipped by pydicom and nibabel) is inflated
//!   (at most [`MAX_INFLATED`] bytes) and read as if it were the file; one level only.
//! - **Transfer syntaxes**: every one dicom-rs 0.10 knows is read; encapsulated pixel data is kept
//!   as fragments, never decoded here. A UID dicom-rs does not know is
//!   [`ReadError::UnsupportedTransferSyntax`]. Everything [`read`] accepts, dicom-rs can write back
//!   with `write_all` (tested on the whole reference corpus).
//!
//! [`read`] takes only stored instances: an object with a SOP Class UID and a SOP Instance UID in
//! its data set whose class is a Storage SOP class (or a private class: vendors store private
//! objects). DICOMDIR indexes, worklist items, query identifiers and bare fragments are
//! [`ReadError::NotAnInstance`]. [`read_object`] reads any DICOM object, for callers (such as the
//! DICOMDIR walk of the node's import sources) that want the non-instances too.

use std::io::Read;

use dicom_core::dictionary::{UidDictionary, UidType};
use dicom_core::Tag;
use dicom_dictionary_std::{tags, uids, StandardSopClassDictionary};
use dicom_encoding::transfer_syntax::{Codec, Endianness};
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
use dicom_transfer_syntax_registry::{TransferSyntax, TransferSyntaxIndex, TransferSyntaxRegistry};

use crate::guard::{self, Encoding};

/// Explicit VR Big Endian (retired in the standard, still found in files).
const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";

/// The most bytes a gzip file or a deflated data set may inflate to (1 GiB).
pub const MAX_INFLATED: u64 = 1 << 30;

/// A DICOM object read from an input.
#[derive(Debug)]
pub struct ReadInstance {
    /// The object, with its file meta group (synthesized when the input had none).
    pub obj: DefaultDicomObject,
    /// Set when the input had no file meta group and the transfer syntax was guessed.
    pub guessed_transfer_syntax: Option<&'static str>,
}

/// Why an input is not imported, in one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Not a DICOM file at all.
    #[error("not DICOM: {0}")]
    NotDicom(String),
    /// Looks like DICOM but cannot be parsed.
    #[error("malformed DICOM: {0}")]
    Malformed(String),
    /// A DICOMDIR or other non-image object that is not imported itself.
    #[error("{0}")]
    NotAnInstance(String),
    /// A transfer syntax this node cannot read.
    #[error("unsupported transfer syntax {0}")]
    UnsupportedTransferSyntax(String),
}

/// Read a stored DICOM instance out of `bytes`: [`read_object`], then refuse what an import must
/// not take as an instance (see the module doc).
pub fn read(bytes: &[u8]) -> Result<ReadInstance, ReadError> {
    let inst = read_object(bytes)?;
    check_instance(&inst.obj)?;
    Ok(inst)
}

/// Read any DICOM object (instance, DICOMDIR, worklist item...) out of `bytes`.
pub fn read_object(bytes: &[u8]) -> Result<ReadInstance, ReadError> {
    if bytes.starts_with(&[0x1F, 0x8B]) {
        let inflated = inflate(flate2::read::GzDecoder::new(bytes), "gzip file")?;
        return read_uncompressed(&inflated).map_err(|e| match e {
            ReadError::NotDicom(r) => ReadError::NotDicom(format!("gzip-compressed: {r}")),
            other => other,
        });
    }
    read_uncompressed(bytes)
}

fn read_uncompressed(bytes: &[u8]) -> Result<ReadInstance, ReadError> {
    let meta_at = if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        Some(132)
    } else if bytes.starts_with(b"DICM") {
        Some(4)
    } else {
        None
    };
    let Some(meta_at) = meta_at else {
        if let Some(what) = nifti(bytes) {
            return Err(ReadError::NotDicom(format!(
                "{what} image (for the NIfTI reader)"
            )));
        }
        return guess(bytes, 0, RawMeta::default());
    };
    let meta = parse_meta(&bytes[meta_at..], meta_at)?;
    let start = meta_at + meta.len;
    let data = &bytes[start..];
    match meta.transfer_syntax.clone() {
        None => guess(data, start, meta).map_err(|e| match e {
            ReadError::NotDicom(r) => ReadError::Malformed(format!(
                "file meta group has no Transfer Syntax UID and the data set fits none: {r}"
            )),
            other => other,
        }),
        Some(uid) => {
            let ts = TransferSyntaxRegistry.get(&uid).ok_or_else(|| {
                ReadError::UnsupportedTransferSyntax(format!("{uid} ({})", ts_name(&uid)))
            })?;
            let obj = read_data_set(data, start, ts)?;
            Ok(ReadInstance {
                obj: with_meta(obj, meta, ts.uid())?,
                guessed_transfer_syntax: None,
            })
        }
    }
}

/// Check and parse a data set in a known transfer syntax; `start` is its offset in the file.
fn read_data_set(
    data: &[u8],
    start: usize,
    ts: &TransferSyntax,
) -> Result<InMemDicomObject, ReadError> {
    match ts.codec() {
        Codec::Dataset(Some(_)) => {
            // Deflated: inflate under a cap, then check and read as explicit VR little endian.
            let inflated = inflate(flate2::read::DeflateDecoder::new(data), "deflated data set")?;
            let span = guard::check_at(&inflated, Encoding::ExplicitLittle, 0)
                .map_err(|e| ReadError::Malformed(format!("deflated data set: {e}")))?;
            let explicit = TransferSyntaxRegistry
                .get(uids::EXPLICIT_VR_LITTLE_ENDIAN)
                .ok_or_else(|| {
                    ReadError::UnsupportedTransferSyntax(format!(
                        "{} (no explicit VR little endian in the registry)",
                        ts.uid()
                    ))
                })?;
            parse_split(&inflated, explicit, span)
        }
        Codec::Dataset(None) => Err(ReadError::UnsupportedTransferSyntax(format!(
            "{} ({})",
            ts.uid(),
            ts.name()
        ))),
        Codec::None | Codec::EncapsulatedPixelData(..) => {
            let encoding = encoding_of(ts).ok_or_else(|| {
                ReadError::UnsupportedTransferSyntax(format!("{} ({})", ts.uid(), ts.name()))
            })?;
            match guard::check_at(data, encoding, start) {
                Ok(span) => parse_split(data, ts, span),
                Err(e) => match vr_mismatch(data, encoding, start) {
                    Some(ts) => parse(data, ts),
                    None => Err(ReadError::Malformed(e.to_string())),
                },
            }
        }
    }
}

/// A data set written in implicit VR under an explicit VR transfer syntax, or the reverse (both
/// found in the wild; pydicom reads them too): the transfer syntax to parse it with, when its
/// first element says so and the other encoding passes the guard. The file meta group keeps the
/// declared transfer syntax, so writing the object back makes a consistent file.
fn vr_mismatch(data: &[u8], declared: Encoding, start: usize) -> Option<&'static TransferSyntax> {
    if data.len() < 8 {
        return None;
    }
    let looks_explicit = dicom_core::VR::from_binary([data[4], data[5]]).is_some();
    let (other, uid) = match declared {
        Encoding::ExplicitLittle if !looks_explicit => {
            (Encoding::ImplicitLittle, uids::IMPLICIT_VR_LITTLE_ENDIAN)
        }
        Encoding::ImplicitLittle if looks_explicit => {
            (Encoding::ExplicitLittle, uids::EXPLICIT_VR_LITTLE_ENDIAN)
        }
        _ => return None,
    };
    guard::check_at(data, other, start).ok()?;
    tracing::debug!("data set encoded in {other:?}, not as its transfer syntax says");
    TransferSyntaxRegistry.get(uid)
}

/// The byte-level encoding of a transfer syntax's data set.
fn encoding_of(ts: &TransferSyntax) -> Option<Encoding> {
    match (ts.endianness(), is_implicit(ts.uid())) {
        (Endianness::Little, true) => Some(Encoding::ImplicitLittle),
        (Endianness::Little, false) => Some(Encoding::ExplicitLittle),
        (Endianness::Big, false) => Some(Encoding::ExplicitBig),
        (Endianness::Big, true) => None,
    }
}

fn is_implicit(uid: &str) -> bool {
    // Implicit VR Little Endian and the retired Papyrus 3 variant: the only implicit VR ones.
    uid == uids::IMPLICIT_VR_LITTLE_ENDIAN || uid == "1.2.840.10008.1.20"
}

/// [`parse`], with the top-level native Pixel Data (found by the guard) taken out of the bytes
/// dicom-rs decodes and put back as one byte value (VR kept): dicom-rs decodes an OW value word
/// by word, a third of an import's reading time on MR files, where the bytes of a little-endian
/// data set are already what every consumer reads (`to_bytes`) and what the writer writes.
/// Big-endian data sets keep dicom-rs's decoding (their OW words are swapped).
fn parse_split(
    data: &[u8],
    ts: &TransferSyntax,
    span: Option<guard::PixelSpan>,
) -> Result<InMemDicomObject, ReadError> {
    let Some(span) = span.filter(|_| ts.endianness() == Endianness::Little) else {
        return parse(data, ts);
    };
    let (Some(pixels), Some(head)) = (data.get(span.value.clone()), data.get(..span.header)) else {
        return parse(data, ts);
    };
    let tail = data.get(span.value.end..).unwrap_or_default();
    let mut obj = if tail.len() < 4 {
        parse(head, ts)?
    } else {
        // Elements after the pixel data (trailing padding, say): parse them with the head.
        let mut rest = Vec::with_capacity(head.len() + tail.len());
        rest.extend_from_slice(head);
        rest.extend_from_slice(tail);
        parse(&rest, ts)?
    };
    obj.put(dicom_core::DataElement::new(
        tags::PIXEL_DATA,
        span.vr,
        dicom_core::PrimitiveValue::U8(pixels.to_vec().into()),
    ));
    Ok(obj)
}

fn parse(data: &[u8], ts: &TransferSyntax) -> Result<InMemDicomObject, ReadError> {
    let mut obj = InMemDicomObject::read_dataset_with_ts(data, ts)
        .map_err(|e| ReadError::Malformed(chain(&e)))?;
    crate::un::resolve(&mut obj, ts.endianness() == Endianness::Big);
    Ok(obj)
}

/// Read a data set whose transfer syntax is not declared: implicit VR LE, then explicit VR LE,
/// then explicit VR BE; the first that passes the guard and parses into a non-empty data set.
/// `start` is its offset in the file; a file with a meta group (`meta.len > 0`) is known to be
/// DICOM, so its data set may start with any group.
fn guess(data: &[u8], start: usize, meta: RawMeta) -> Result<ReadInstance, ReadError> {
    let candidates = [
        (Encoding::ImplicitLittle, uids::IMPLICIT_VR_LITTLE_ENDIAN),
        (Encoding::ExplicitLittle, uids::EXPLICIT_VR_LITTLE_ENDIAN),
        (Encoding::ExplicitBig, EXPLICIT_VR_BIG_ENDIAN),
    ];
    let mut reasons: Vec<String> = Vec::new();
    for (encoding, uid) in candidates {
        let name = match encoding {
            Encoding::ImplicitLittle => "implicit VR LE",
            Encoding::ExplicitLittle => "explicit VR LE",
            Encoding::ExplicitBig => "explicit VR BE",
        };
        if !plausible_start(data, encoding, meta.len == 0) {
            continue;
        }
        let Some(ts) = TransferSyntaxRegistry.get(uid) else {
            continue;
        };
        let attempt = guard::check_at(data, encoding, start)
            .map_err(|e| ReadError::Malformed(e.to_string()))
            .and_then(|span| parse_split(data, ts, span));
        match attempt {
            Ok(obj) if obj.iter().next().is_some() => {
                return Ok(ReadInstance {
                    obj: with_meta(obj, meta, uid)?,
                    guessed_transfer_syntax: Some(uid),
                });
            }
            Ok(_) => reasons.push(format!("{name}: empty data set")),
            Err(ReadError::Malformed(r)) => reasons.push(format!("{name}: {r}")),
            Err(other) => reasons.push(format!("{name}: {other}")),
        }
    }
    let why = if data.is_empty() {
        "empty".to_string()
    } else if reasons.is_empty() {
        "no DICM marker and the bytes do not start like a data set".to_string()
    } else {
        format!(
            "no DICM marker and no transfer syntax fits ({})",
            reasons.join("; ")
        )
    };
    Err(ReadError::NotDicom(why))
}

/// Whether `data` starts like a data set in `encoding`: (when `strict`) an even group between 0002
/// and 00FF (data sets start with low groups), and for explicit VR a valid VR. For implicit VR,
/// bytes 4-5 must not spell a VR (that would be a first element of 16 KiB or more: explicit VR is
/// far likelier).
fn plausible_start(data: &[u8], encoding: Encoding, strict: bool) -> bool {
    if data.len() < 8 {
        return false;
    }
    let group = match encoding {
        Encoding::ExplicitBig => u16::from_be_bytes([data[0], data[1]]),
        _ => u16::from_le_bytes([data[0], data[1]]),
    };
    if strict && (group % 2 != 0 || !(0x0002..=0x00FF).contains(&group)) {
        return false;
    }
    let vr = dicom_core::VR::from_binary([data[4], data[5]]);
    match encoding {
        Encoding::ImplicitLittle => vr.is_none(),
        _ => vr.is_some(),
    }
}

/// The file meta group as found in the file, before it becomes a `FileMetaTable`.
#[derive(Debug, Default, Clone)]
struct RawMeta {
    /// Bytes of the group-0002 run (after `DICM`).
    len: usize,
    version: Option<[u8; 2]>,
    sop_class: Option<String>,
    sop_instance: Option<String>,
    transfer_syntax: Option<String>,
    implementation_class: Option<String>,
    implementation_version: Option<String>,
    source_ae: Option<String>,
    sending_ae: Option<String>,
    receiving_ae: Option<String>,
    private_creator: Option<String>,
    private_information: Option<Vec<u8>>,
}

/// Parse the run of group-0002 elements at the start of `bytes` (just after `DICM`, which is at
/// `start - 4` in the file).
fn parse_meta(bytes: &[u8], start: usize) -> Result<RawMeta, ReadError> {
    let mut meta = RawMeta::default();
    let mut pos = 0usize;
    let mut encoding = None;
    while bytes.len() - pos >= 8 {
        let group = u16::from_le_bytes([bytes[pos], bytes[pos + 1]]);
        if group != 0x0002 {
            break;
        }
        let element = u16::from_le_bytes([bytes[pos + 2], bytes[pos + 3]]);
        let (header, len) = match dicom_core::VR::from_binary([bytes[pos + 4], bytes[pos + 5]]) {
            Some(vr) if guard::short_length(vr) => {
                encoding.get_or_insert(Encoding::ExplicitLittle);
                (
                    8,
                    u32::from(u16::from_le_bytes([bytes[pos + 6], bytes[pos + 7]])),
                )
            }
            Some(_) => {
                encoding.get_or_insert(Encoding::ExplicitLittle);
                if bytes.len() - pos < 12 {
                    return Err(ReadError::Malformed(format!(
                        "truncated file meta group at (0002,{element:04X})"
                    )));
                }
                let b = &bytes[pos + 8..pos + 12];
                (12, u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            None => {
                // Some old writers put the meta group in implicit VR.
                encoding.get_or_insert(Encoding::ImplicitLittle);
                let b = &bytes[pos + 4..pos + 8];
                (8, u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
        };
        let available = bytes.len() - pos - header;
        if len as usize > available {
            return Err(ReadError::Malformed(format!(
                "file meta element (0002,{element:04X}) declares {} bytes but only {available} \
                 remain",
                if len == u32::MAX {
                    "undefined (FFFFFFFF)".to_string()
                } else {
                    len.to_string()
                }
            )));
        }
        let value = &bytes[pos + header..pos + header + len as usize];
        match element {
            0x0001 if value.len() == 2 => meta.version = Some([value[0], value[1]]),
            0x0002 => meta.sop_class = text(value),
            0x0003 => meta.sop_instance = text(value),
            0x0010 => meta.transfer_syntax = text(value),
            0x0012 => meta.implementation_class = text(value),
            0x0013 => meta.implementation_version = text(value),
            0x0016 => meta.source_ae = text(value),
            0x0017 => meta.sending_ae = text(value),
            0x0018 => meta.receiving_ae = text(value),
            0x0100 => meta.private_creator = text(value),
            0x0102 => meta.private_information = Some(value.to_vec()),
            _ => {}
        }
        pos += header + len as usize;
    }
    if let Some(encoding) = encoding {
        guard::check_at(&bytes[..pos], encoding, start)
            .map_err(|e| ReadError::Malformed(format!("file meta group: {e}")))?;
        // (A meta group holds no pixel data: the span is always None.)
    }
    meta.len = pos;
    Ok(meta)
}

/// A meta group string value: trimmed of padding, `None` when empty.
fn text(value: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(value);
    let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!s.is_empty()).then(|| s.to_string())
}

/// Put a file meta group on `obj`: what the file had, the transfer syntax `ts_uid`, and the SOP
/// class and instance from the data set where the file's meta group lacks them. The group length
/// is recomputed.
fn with_meta(
    obj: InMemDicomObject,
    meta: RawMeta,
    ts_uid: &str,
) -> Result<DefaultDicomObject, ReadError> {
    let from_data_set = |tag: Tag| {
        obj.get(tag)
            .and_then(|e| e.to_str().ok())
            .and_then(|s| text(s.as_bytes()))
    };
    let sop_class = meta
        .sop_class
        .or_else(|| from_data_set(tags::SOP_CLASS_UID))
        .unwrap_or_default();
    let sop_instance = meta
        .sop_instance
        .or_else(|| from_data_set(tags::SOP_INSTANCE_UID))
        .unwrap_or_default();
    let mut b = FileMetaTableBuilder::new()
        .information_version(meta.version.unwrap_or([0, 1]))
        .media_storage_sop_class_uid(sop_class)
        .media_storage_sop_instance_uid(sop_instance)
        .transfer_syntax(ts_uid);
    if let Some(v) = meta.implementation_class {
        b = b.implementation_class_uid(v);
        if let Some(v) = meta.implementation_version {
            b = b.implementation_version_name(v);
        }
    }
    if let Some(v) = meta.source_ae {
        b = b.source_application_entity_title(v);
    }
    if let Some(v) = meta.sending_ae {
        b = b.sending_application_entity_title(v);
    }
    if let Some(v) = meta.receiving_ae {
        b = b.receiving_application_entity_title(v);
    }
    if let Some(v) = meta.private_creator {
        b = b.private_information_creator_uid(v);
        if let Some(v) = meta.private_information {
            b = b.private_information(v);
        }
    }
    let table = b
        .build()
        .map_err(|e| ReadError::Malformed(format!("file meta group: {}", chain(&e))))?;
    Ok(obj.with_exact_meta(table))
}

/// Refuse objects an import must not take as instances.
fn check_instance(obj: &DefaultDicomObject) -> Result<(), ReadError> {
    let meta_class = obj.meta().media_storage_sop_class_uid();
    if meta_class == uids::MEDIA_STORAGE_DIRECTORY_STORAGE
        || obj.get(tags::DIRECTORY_RECORD_SEQUENCE).is_some()
    {
        return Err(ReadError::NotAnInstance(
            "DICOMDIR index (Media Storage Directory Storage): its folder is imported through \
             the files it references"
                .into(),
        ));
    }
    let value = |tag| {
        obj.get(tag)
            .and_then(|e| e.to_str().ok())
            .and_then(|s| text(s.as_bytes()))
    };
    let Some(class) = value(tags::SOP_CLASS_UID) else {
        let claimed = if meta_class.is_empty() {
            String::new()
        } else {
            format!(" (its file meta group says {})", class_name(meta_class))
        };
        return Err(ReadError::NotAnInstance(format!(
            "no SOP Class UID (0008,0016) in the data set{claimed}: not a stored instance (a \
             worklist item, query, or stripped fragment)"
        )));
    };
    if let Some(entry) = StandardSopClassDictionary.by_uid(&class) {
        if !is_storage_class(entry.r#type, entry.name) {
            return Err(ReadError::NotAnInstance(format!(
                "SOP class {class} ({}) is not a storage SOP class",
                entry.name
            )));
        }
    }
    if value(tags::SOP_INSTANCE_UID).is_none() {
        return Err(ReadError::Malformed(format!(
            "no SOP Instance UID (0008,0018) in an object of SOP class {class}"
        )));
    }
    Ok(())
}

/// `uid (name)` for a known SOP class, else the UID.
fn class_name(uid: &str) -> String {
    match StandardSopClassDictionary.by_uid(uid) {
        Some(e) => format!("{uid} {}", e.name),
        None => uid.to_string(),
    }
}

/// Whether a standard SOP class is one of the Storage SOP classes (PS3.4 Annex B and kin).
fn is_storage_class(kind: UidType, name: &str) -> bool {
    kind == UidType::SopClass
        && name.contains("Storage")
        && !name.contains("Storage Commitment")
        && !name.contains("Storage Management")
        && !name.starts_with("Media Storage Directory")
}

/// A transfer syntax's name for messages (when dicom-rs does not know the UID).
fn ts_name(uid: &str) -> &'static str {
    match uid {
        "1.2.840.10008.1.2.6.1" => "RFC 2557 MIME encapsulation (retired)",
        "1.2.840.10008.1.2.6.2" => "XML Encoding (retired)",
        "1.2.840.10008.1.20" => "Papyrus 3 Implicit VR Little Endian (retired)",
        "1.2.840.10008.1.2.7.1" => "SMPTE ST 2110-20 Uncompressed Progressive Active Video",
        "1.2.840.10008.1.2.7.2" => "SMPTE ST 2110-20 Uncompressed Interlaced Active Video",
        "1.2.840.10008.1.2.7.3" => "SMPTE ST 2110-30 PCM Digital Audio",
        _ if uid.starts_with("1.2.840.10008.1.2") => {
            "a standard transfer syntax unknown to dicom-rs"
        }
        _ => "not a standard transfer syntax",
    }
}

/// `NIfTI-1` or `NIfTI-2` when `bytes` start with a NIfTI header (single file or pair).
fn nifti(bytes: &[u8]) -> Option<&'static str> {
    let at = |range: std::ops::Range<usize>| bytes.get(range);
    let nifti1 = at(344..348).is_some_and(|m| m == b"n+1\0" || m == b"ni1\0");
    let nifti2 = at(4..8).is_some_and(|m| m == b"n+2\0" || m == b"ni2\0");
    if nifti1 {
        Some("NIfTI-1")
    } else if nifti2 {
        Some("NIfTI-2")
    } else {
        None
    }
}

/// Inflate `reader` into memory, refusing more than [`MAX_INFLATED`] bytes.
fn inflate(reader: impl Read, what: &str) -> Result<Vec<u8>, ReadError> {
    inflate_capped(reader, what, MAX_INFLATED)
}

fn inflate_capped(reader: impl Read, what: &str, cap: u64) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    let n = reader
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| ReadError::Malformed(format!("{what}: cannot inflate: {e}")))?;
    if n as u64 > cap {
        return Err(ReadError::Malformed(format!(
            "{what} inflates to more than {cap} bytes"
        )));
    }
    Ok(out)
}

/// An error and its sources on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let m = inner.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        source = inner.source();
    }
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::value::DataSetSequence;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use std::io::Write;

    const MR: &str = "1.2.840.10008.5.1.4.1.1.4";

    fn object(class: Option<&str>, instance: Option<&str>) -> InMemDicomObject {
        let mut obj = InMemDicomObject::new_empty();
        obj.put(DataElement::new(
            tags::SPECIFIC_CHARACTER_SET,
            VR::CS,
            PrimitiveValue::from("ISO_IR 100"),
        ));
        if let Some(c) = class {
            obj.put(DataElement::new(
                tags::SOP_CLASS_UID,
                VR::UI,
                PrimitiveValue::from(c),
            ));
        }
        if let Some(i) = instance {
            obj.put(DataElement::new(
                tags::SOP_INSTANCE_UID,
                VR::UI,
                PrimitiveValue::from(i),
            ));
        }
        obj.put(DataElement::new(
            tags::PATIENT_NAME,
            VR::PN,
            PrimitiveValue::from("Doe^Jane"),
        ));
        let item = InMemDicomObject::from_element_iter([DataElement::new(
            tags::REFERENCED_SOP_INSTANCE_UID,
            VR::UI,
            PrimitiveValue::from("1.2.3.4"),
        )]);
        obj.put(DataElement::new(
            tags::REFERENCED_IMAGE_SEQUENCE,
            VR::SQ,
            DataSetSequence::from(vec![item]),
        ));
        obj.put(DataElement::new(
            tags::ROWS,
            VR::US,
            PrimitiveValue::from(2_u16),
        ));
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::U16(vec![1, 2, 3, 4].into()),
        ));
        obj
    }

    /// A Part-10 file of `obj` in transfer syntax `ts`.
    fn part10(obj: InMemDicomObject, ts: &str) -> Vec<u8> {
        let file = obj
            .with_meta(FileMetaTableBuilder::new().transfer_syntax(ts))
            .unwrap();
        let mut out = Vec::new();
        file.write_all(&mut out).unwrap();
        out
    }

    /// A bare data set (no preamble, no meta) of `obj` in `ts`.
    fn bare(obj: &InMemDicomObject, ts: &str) -> Vec<u8> {
        let ts = TransferSyntaxRegistry.get(ts).unwrap();
        let mut out = Vec::new();
        obj.write_dataset_with_ts(&mut out, ts).unwrap();
        out
    }

    fn instance() -> InMemDicomObject {
        object(Some(MR), Some("1.2.826.0.1.3680043.2.1125.1"))
    }

    fn patient_name(r: &ReadInstance) -> String {
        r.obj
            .get(tags::PATIENT_NAME)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn reads_part10_with_and_without_preamble() {
        let bytes = part10(instance(), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let r = read(&bytes).unwrap();
        assert_eq!(r.guessed_transfer_syntax, None);
        assert_eq!(patient_name(&r), "Doe^Jane");
        assert_eq!(r.obj.meta().media_storage_sop_class_uid(), MR);
        let r = read(&bytes[128..]).unwrap();
        assert_eq!(patient_name(&r), "Doe^Jane");
    }

    #[test]
    fn reads_every_uncompressed_encoding() {
        for ts in [
            uids::IMPLICIT_VR_LITTLE_ENDIAN,
            uids::EXPLICIT_VR_LITTLE_ENDIAN,
            EXPLICIT_VR_BIG_ENDIAN,
            uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
        ] {
            let r = read(&part10(instance(), ts)).unwrap_or_else(|e| panic!("{ts}: {e}"));
            assert_eq!(r.obj.meta().transfer_syntax(), ts);
            assert_eq!(patient_name(&r), "Doe^Jane", "{ts}");
            let rows = r.obj.get(tags::ROWS).unwrap().to_int::<u16>().unwrap();
            assert_eq!(rows, 2, "{ts}");
        }
    }

    #[test]
    fn native_pixel_data_reads_and_writes_back_byte_for_byte() {
        // The reader takes a top-level native Pixel Data out of dicom-rs's hands (one byte
        // value instead of a word-by-word decode): the file it writes back must be the same.
        let padded = |mut o: InMemDicomObject| {
            o.put(DataElement::new(
                Tag(0xFFFC, 0xFFFC),
                VR::OB,
                PrimitiveValue::U8(vec![0; 6].into()),
            ));
            o
        };
        for ts in [
            uids::IMPLICIT_VR_LITTLE_ENDIAN,
            uids::EXPLICIT_VR_LITTLE_ENDIAN,
            EXPLICIT_VR_BIG_ENDIAN,
            uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
        ] {
            for obj in [instance(), padded(instance())] {
                let bytes = part10(obj, ts);
                let r = read(&bytes).unwrap_or_else(|e| panic!("{ts}: {e}"));
                let px = r.obj.get(tags::PIXEL_DATA).unwrap();
                assert_eq!(px.vr(), VR::OW, "{ts}");
                let words: Vec<u16> = px
                    .value()
                    .to_bytes()
                    .unwrap()
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                if ts != EXPLICIT_VR_BIG_ENDIAN {
                    assert_eq!(words, [1, 2, 3, 4], "{ts}");
                }
                let mut out = Vec::new();
                r.obj.write_all(&mut out).unwrap();
                assert_eq!(out, bytes, "{ts}");
            }
        }
    }

    #[test]
    fn guesses_the_transfer_syntax_without_meta() {
        for ts in [
            uids::IMPLICIT_VR_LITTLE_ENDIAN,
            uids::EXPLICIT_VR_LITTLE_ENDIAN,
            EXPLICIT_VR_BIG_ENDIAN,
        ] {
            let r = read(&bare(&instance(), ts)).unwrap_or_else(|e| panic!("{ts}: {e}"));
            assert_eq!(r.guessed_transfer_syntax, Some(ts));
            assert_eq!(r.obj.meta().transfer_syntax(), ts);
            assert_eq!(r.obj.meta().media_storage_sop_class_uid(), MR);
            assert_eq!(
                r.obj.meta().media_storage_sop_instance_uid(),
                "1.2.826.0.1.3680043.2.1125.1"
            );
            assert_eq!(patient_name(&r), "Doe^Jane", "{ts}");
        }
    }

    #[test]
    fn meta_without_group_length_or_transfer_syntax() {
        // DICM + only (0002,0002) and (0002,0003): no group length, no transfer syntax.
        let mut bytes = vec![0u8; 128];
        bytes.extend(b"DICM");
        for (e, v) in [(2u16, MR), (3, "1.2.3.4")] {
            let mut v = v.as_bytes().to_vec();
            if v.len() % 2 == 1 {
                v.push(0);
            }
            bytes.extend(2u16.to_le_bytes());
            bytes.extend(e.to_le_bytes());
            bytes.extend(b"UI");
            bytes.extend((v.len() as u16).to_le_bytes());
            bytes.extend(v);
        }
        bytes.extend(bare(&instance(), uids::EXPLICIT_VR_LITTLE_ENDIAN));
        let r = read(&bytes).unwrap();
        assert_eq!(
            r.guessed_transfer_syntax,
            Some(uids::EXPLICIT_VR_LITTLE_ENDIAN)
        );
        assert_eq!(r.obj.meta().media_storage_sop_instance_uid(), "1.2.3.4");
        let mut out = Vec::new();
        r.obj.write_all(&mut out).unwrap();
        assert_eq!(patient_name(&read(&out).unwrap()), "Doe^Jane");
    }

    #[test]
    fn implicit_data_under_an_explicit_transfer_syntax() {
        let mut bytes = part10(instance(), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let meta_end = bytes.len() - bare(&instance(), uids::EXPLICIT_VR_LITTLE_ENDIAN).len();
        bytes.truncate(meta_end);
        bytes.extend(bare(&instance(), uids::IMPLICIT_VR_LITTLE_ENDIAN));
        let r = read(&bytes).unwrap();
        assert_eq!(
            r.obj.meta().transfer_syntax(),
            uids::EXPLICIT_VR_LITTLE_ENDIAN
        );
        assert_eq!(patient_name(&r), "Doe^Jane");
    }

    #[test]
    fn gzip_files_are_inflated() {
        let bytes = part10(instance(), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&bytes).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(patient_name(&read(&gz).unwrap()), "Doe^Jane");
        // Not DICOM inside: said so.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"hello, world").unwrap();
        let err = read(&gz.finish().unwrap()).unwrap_err();
        assert!(
            matches!(err, ReadError::NotDicom(ref r) if r.starts_with("gzip")),
            "{err}"
        );
    }

    #[test]
    fn inflation_is_capped() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![0u8; 1 << 20]).unwrap();
        let gz = gz.finish().unwrap();
        let err =
            inflate_capped(flate2::read::GzDecoder::new(&gz[..]), "gzip file", 1000).unwrap_err();
        assert_eq!(
            err,
            ReadError::Malformed("gzip file inflates to more than 1000 bytes".into())
        );
    }

    #[test]
    fn unknown_transfer_syntax_is_unsupported() {
        let bytes = part10(instance(), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        // Rewrite the transfer syntax UID in place (same length, 19 characters + pad).
        let needle = b"1.2.840.10008.1.2.1\0";
        let at = bytes
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap();
        let mut b = bytes.clone();
        b[at..at + needle.len()].copy_from_slice(b"1.2.3.4.5.6.7.8.9.0\0");
        let err = read(&b).unwrap_err();
        assert_eq!(
            err,
            ReadError::UnsupportedTransferSyntax(
                "1.2.3.4.5.6.7.8.9.0 (not a standard transfer syntax)".into()
            )
        );
    }

    #[test]
    fn what_is_not_an_instance() {
        // No SOP class: a worklist item or query.
        let err = read(&part10(
            object(None, Some("1.2.3")),
            uids::EXPLICIT_VR_LITTLE_ENDIAN,
        ))
        .unwrap_err();
        assert!(matches!(err, ReadError::NotAnInstance(_)), "{err}");
        // A standard SOP class that is not a storage class.
        let err = read(&part10(
            object(Some("1.2.840.10008.5.1.4.31"), Some("1.2.3")),
            uids::EXPLICIT_VR_LITTLE_ENDIAN,
        ))
        .unwrap_err();
        assert!(
            err.to_string().contains("is not a storage SOP class"),
            "{err}"
        );
        // A DICOMDIR.
        let mut dir = object(None, None);
        dir.put(DataElement::new(
            tags::DIRECTORY_RECORD_SEQUENCE,
            VR::SQ,
            DataSetSequence::from(Vec::<InMemDicomObject>::new()),
        ));
        let dir = dir
            .with_meta(
                FileMetaTableBuilder::new()
                    .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
                    .media_storage_sop_class_uid(uids::MEDIA_STORAGE_DIRECTORY_STORAGE)
                    .media_storage_sop_instance_uid("1.2.3.9"),
            )
            .unwrap();
        let mut bytes = Vec::new();
        dir.write_all(&mut bytes).unwrap();
        let err = read(&bytes).unwrap_err();
        assert!(err.to_string().starts_with("DICOMDIR index"), "{err}");
        assert!(read_object(&bytes).is_ok());
        // A storage class without an instance UID.
        let err = read(&part10(
            object(Some(MR), None),
            uids::EXPLICIT_VR_LITTLE_ENDIAN,
        ))
        .unwrap_err();
        assert!(matches!(err, ReadError::Malformed(_)), "{err}");
        // A private SOP class is taken (vendors store private objects).
        let r = read(&part10(
            object(Some("1.3.12.2.1107.5.9.1"), Some("1.2.3")),
            uids::EXPLICIT_VR_LITTLE_ENDIAN,
        ));
        assert!(r.is_ok());
    }

    #[test]
    fn not_dicom() {
        for bytes in [
            &b""[..],
            b"DICM",
            b"hello world, this is text\n",
            &[0u8; 300][..],
        ] {
            let err = read(bytes).unwrap_err();
            assert!(
                matches!(err, ReadError::NotDicom(_) | ReadError::Malformed(_)),
                "{err}"
            );
            assert!(!err.to_string().contains('\n'));
        }
        let mut nii = vec![0u8; 352];
        nii[..4].copy_from_slice(&348i32.to_le_bytes());
        nii[344..348].copy_from_slice(b"n+1\0");
        assert_eq!(
            read(&nii).unwrap_err(),
            ReadError::NotDicom("NIfTI-1 image (for the NIfTI reader)".into())
        );
    }

    #[test]
    fn truncation_anywhere_is_an_error_never_a_panic() {
        for ts in [
            uids::IMPLICIT_VR_LITTLE_ENDIAN,
            uids::EXPLICIT_VR_LITTLE_ENDIAN,
            EXPLICIT_VR_BIG_ENDIAN,
            uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
        ] {
            let bytes = part10(instance(), ts);
            let all: Vec<Tag> = read(&bytes).unwrap().obj.tags().collect();
            for cut in 0..bytes.len() {
                if let Ok(r) = read(&bytes[..cut]) {
                    // A cut between two top-level elements cannot be told from the end of a
                    // file: what reads is then the elements before the cut, whole.
                    let got: Vec<Tag> = r.obj.tags().collect();
                    assert!(got.len() < all.len(), "{ts}: cut {cut}");
                    assert_eq!(got[..], all[..got.len()], "{ts}: cut {cut}");
                }
            }
        }
    }

    #[test]
    fn a_huge_declared_length_is_refused_before_any_allocation() {
        let mut bytes = part10(instance(), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        // Pixel data header: (7FE0,0010) OW 00 00 <len>; declare 3.5 GB.
        let at = bytes
            .windows(6)
            .rposition(|w| w == [0xE0, 0x7F, 0x10, 0x00, b'O', b'W'])
            .unwrap();
        bytes[at + 8..at + 12].copy_from_slice(&0xD000_0000u32.to_le_bytes());
        let t0 = std::time::Instant::now();
        let err = read(&bytes).unwrap_err();
        assert!(t0.elapsed() < std::time::Duration::from_millis(100));
        assert!(
            err.to_string().contains("declares 3489660928 bytes"),
            "{err}"
        );
    }

    #[test]
    fn every_transfer_syntax_dicom_rs_reads_is_written_back() {
        // Encoding follows the registry, and what reads writes back (no pixel data: fragments
        // are kept as they are and written as they were).
        let mut checked = 0;
        for ts in TransferSyntaxRegistry.iter() {
            if ts.is_unsupported() {
                continue;
            }
            if !matches!(ts.codec(), Codec::Dataset(_)) {
                // How dicom-rs writes a PN element in this transfer syntax.
                let one = InMemDicomObject::from_element_iter([DataElement::new(
                    tags::PATIENT_NAME,
                    VR::PN,
                    PrimitiveValue::from("AB"),
                )]);
                let mut b = Vec::new();
                one.write_dataset_with_ts(&mut b, ts).unwrap();
                let expected = match (b[0], &b[4..6]) {
                    (0x10, b"PN") => Encoding::ExplicitLittle,
                    (0x10, _) => Encoding::ImplicitLittle,
                    _ => Encoding::ExplicitBig,
                };
                assert_eq!(encoding_of(ts), Some(expected), "{}", ts.uid());
            }
            let mut obj = instance();
            obj.remove_element(tags::PIXEL_DATA);
            let bytes = part10(obj, ts.uid());
            let r = read(&bytes).unwrap_or_else(|e| panic!("{}: {e}", ts.uid()));
            let mut out = Vec::new();
            r.obj
                .write_all(&mut out)
                .unwrap_or_else(|e| panic!("{}: {e}", ts.uid()));
            assert_eq!(patient_name(&read(&out).unwrap()), "Doe^Jane");
            checked += 1;
        }
        assert!(checked > 30, "{checked}");
    }
}
