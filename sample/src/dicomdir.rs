//! The DICOMDIR at the corpus root: one PATIENT > STUDY > SERIES > IMAGE record tree
//! (PS3.3 F, Basic Directory IOD) over every file written, with PS3.10 file ids.
//!
//! dicom-rs has no DICOMDIR writer, and a directory record points at its next sibling and its
//! first child by byte offset within the file. So the records are built as dicom-rs items with
//! zero offsets, the file is encoded once into memory, each record's item is located in the
//! encoding (an Item tag followed by the record's first element, Offset of the Next Directory
//! Record, which only records carry), and the offsets are patched in place: they are
//! fixed-length UL values, so nothing else moves. Offsets count from the first byte of the file
//! (the preamble), as PS3.10 defines the File Meta Information to start there.

use std::path::Path;

use dicom_core::value::{DataSetSequence, PrimitiveValue};
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::InMemDicomObject;

use crate::error::SampleError;
use crate::instance::{write_bytes, CHARSET};
use crate::uid::{IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION};

/// The file-set id written in the DICOMDIR.
pub(crate) const FILE_SET_ID: &str = "NEUROFED_SAMPLE";

#[derive(Debug)]
struct Node {
    kind: &'static str,
    record: InMemDicomObject,
    children: Vec<Node>,
}

/// The records gathered while the corpus is written (a few hundred bytes per image).
#[derive(Debug, Default)]
pub(crate) struct DirTree {
    patients: Vec<Node>,
    images: usize,
}

fn text(record: &mut InMemDicomObject, tag: Tag, vr: VR, v: &str) {
    record.put(DataElement::new(tag, vr, PrimitiveValue::from(v)));
}

fn node(kind: &'static str, fields: &[(Tag, VR, &str)]) -> Node {
    let mut record = InMemDicomObject::new_empty();
    for (tag, vr, v) in fields {
        text(&mut record, *tag, *vr, v);
    }
    Node {
        kind,
        record,
        children: Vec::new(),
    }
}

impl DirTree {
    /// A PATIENT record.
    pub(crate) fn patient(&mut self, name: &str, id: &str, birth: &str, sex: &str) {
        self.patients.push(node(
            "PATIENT",
            &[
                (tags::SPECIFIC_CHARACTER_SET, VR::CS, CHARSET),
                (tags::PATIENT_NAME, VR::PN, name),
                (tags::PATIENT_ID, VR::LO, id),
                (tags::PATIENT_BIRTH_DATE, VR::DA, birth),
                (tags::PATIENT_SEX, VR::CS, sex),
            ],
        ));
    }

    /// A STUDY record under the last patient: date, time, description, UID, id, accession.
    pub(crate) fn study(&mut self, f: [&str; 6]) {
        let n = node(
            "STUDY",
            &[
                (tags::SPECIFIC_CHARACTER_SET, VR::CS, CHARSET),
                (tags::STUDY_DATE, VR::DA, f[0]),
                (tags::STUDY_TIME, VR::TM, f[1]),
                (tags::STUDY_DESCRIPTION, VR::LO, f[2]),
                (tags::STUDY_INSTANCE_UID, VR::UI, f[3]),
                (tags::STUDY_ID, VR::SH, f[4]),
                (tags::ACCESSION_NUMBER, VR::SH, f[5]),
            ],
        );
        if let Some(p) = self.patients.last_mut() {
            p.children.push(n);
        }
    }

    /// A SERIES record under the last study: UID, number, description.
    pub(crate) fn series(&mut self, uid: &str, number: &str, description: &str) {
        let n = node(
            "SERIES",
            &[
                (tags::SPECIFIC_CHARACTER_SET, VR::CS, CHARSET),
                (tags::MODALITY, VR::CS, "MR"),
                (tags::SERIES_INSTANCE_UID, VR::UI, uid),
                (tags::SERIES_NUMBER, VR::IS, number),
                (tags::SERIES_DESCRIPTION, VR::LO, description),
            ],
        );
        if let Some(st) = self.patients.last_mut().and_then(|p| p.children.last_mut()) {
            st.children.push(n);
        }
    }

    /// An IMAGE record under the last series.
    pub(crate) fn image(&mut self, file_id: &[&str], sop_uid: &str, instance: u32) {
        let mut n = node(
            "IMAGE",
            &[
                (
                    tags::REFERENCED_SOP_CLASS_UID_IN_FILE,
                    VR::UI,
                    uids::MR_IMAGE_STORAGE,
                ),
                (tags::REFERENCED_SOP_INSTANCE_UID_IN_FILE, VR::UI, sop_uid),
                (
                    tags::REFERENCED_TRANSFER_SYNTAX_UID_IN_FILE,
                    VR::UI,
                    uids::EXPLICIT_VR_LITTLE_ENDIAN,
                ),
                (tags::INSTANCE_NUMBER, VR::IS, &instance.to_string()),
            ],
        );
        n.record.put(DataElement::new(
            tags::REFERENCED_FILE_ID,
            VR::CS,
            PrimitiveValue::Strs(file_id.iter().map(|s| s.to_string()).collect()),
        ));
        let series = self
            .patients
            .last_mut()
            .and_then(|p| p.children.last_mut())
            .and_then(|st| st.children.last_mut());
        if let Some(se) = series {
            se.children.push(n);
            self.images += 1;
        }
    }

    /// IMAGE records so far.
    pub(crate) fn images(&self) -> usize {
        self.images
    }

    /// Encode and write the DICOMDIR to `path`; returns its size.
    pub(crate) fn write(self, path: &Path, uid: &str) -> Result<u64, SampleError> {
        let mut flat: Vec<Flat> = Vec::new();
        let roots = flatten(self.patients, &mut flat);
        let links: Vec<Links> = flat.iter().map(|f| (f.next, f.child)).collect();
        let items: Vec<InMemDicomObject> = flat.into_iter().map(|f| f.record).collect();
        let mut obj = InMemDicomObject::new_empty();
        text(&mut obj, tags::FILE_SET_ID, VR::CS, FILE_SET_ID);
        for tag in [
            tags::OFFSET_OF_THE_FIRST_DIRECTORY_RECORD_OF_THE_ROOT_DIRECTORY_ENTITY,
            tags::OFFSET_OF_THE_LAST_DIRECTORY_RECORD_OF_THE_ROOT_DIRECTORY_ENTITY,
        ] {
            obj.put(DataElement::new(tag, VR::UL, PrimitiveValue::from(0u32)));
        }
        obj.put(DataElement::new(
            tags::FILE_SET_CONSISTENCY_FLAG,
            VR::US,
            PrimitiveValue::from(0u16),
        ));
        obj.put(DataElement::new(
            tags::DIRECTORY_RECORD_SEQUENCE,
            VR::SQ,
            DataSetSequence::from(items),
        ));
        let meta = FileMetaTableBuilder::new()
            .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
            .media_storage_sop_class_uid(uids::MEDIA_STORAGE_DIRECTORY_STORAGE)
            .media_storage_sop_instance_uid(uid)
            .implementation_class_uid(IMPLEMENTATION_CLASS_UID)
            .implementation_version_name(IMPLEMENTATION_VERSION);
        let file = obj.with_meta(meta).map_err(SampleError::dicom(path))?;
        let mut bytes = Vec::new();
        file.write_all(&mut bytes)
            .map_err(SampleError::dicom(path))?;
        patch_offsets(&mut bytes, &links, &roots).map_err(|reason| SampleError::Dicom {
            path: path.to_path_buf(),
            source: reason.into(),
        })?;
        write_bytes(path, &bytes)?;
        Ok(bytes.len() as u64)
    }
}

/// The indices of a record's next sibling and first child.
type Links = (Option<usize>, Option<usize>);

/// A record in file order, with the indices of its next sibling and first child.
struct Flat {
    record: InMemDicomObject,
    next: Option<usize>,
    child: Option<usize>,
}

/// Depth-first, parents before children (the order dcmtk writes); returns the indices of
/// `nodes` themselves.
fn flatten(nodes: Vec<Node>, out: &mut Vec<Flat>) -> Vec<usize> {
    let mut mine = Vec::with_capacity(nodes.len());
    for n in nodes {
        let at = out.len();
        let mut record = n.record;
        record.put(DataElement::new(
            tags::OFFSET_OF_THE_NEXT_DIRECTORY_RECORD,
            VR::UL,
            PrimitiveValue::from(0u32),
        ));
        record.put(DataElement::new(
            tags::RECORD_IN_USE_FLAG,
            VR::US,
            PrimitiveValue::from(0xFFFFu16),
        ));
        record.put(DataElement::new(
            tags::OFFSET_OF_REFERENCED_LOWER_LEVEL_DIRECTORY_ENTITY,
            VR::UL,
            PrimitiveValue::from(0u32),
        ));
        text(&mut record, tags::DIRECTORY_RECORD_TYPE, VR::CS, n.kind);
        out.push(Flat {
            record,
            next: None,
            child: None,
        });
        let children = flatten(n.children, out);
        out[at].child = children.first().copied();
        mine.push(at);
    }
    for w in mine.windows(2) {
        out[w[0]].next = Some(w[1]);
    }
    mine
}

/// The encoded header of a UL element with value length 4.
fn ul_header(tag: Tag) -> [u8; 8] {
    let g = tag.group().to_le_bytes();
    let e = tag.element().to_le_bytes();
    [g[0], g[1], e[0], e[1], b'U', b'L', 4, 0]
}

fn find(bytes: &[u8], from: usize, to: usize, pat: &[u8]) -> Option<usize> {
    let to = to.min(bytes.len());
    (from..to.saturating_sub(pat.len() - 1)).find(|&i| bytes[i..].starts_with(pat))
}

fn put_u32(bytes: &mut [u8], at: usize, v: usize) -> Result<(), String> {
    let v = u32::try_from(v).map_err(|_| "DICOMDIR larger than 4 GiB".to_string())?;
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    Ok(())
}

/// Locate every record's item in `bytes` and fill in the offsets.
fn patch_offsets(bytes: &mut [u8], flat: &[Links], roots: &[usize]) -> Result<(), String> {
    let next_hdr = ul_header(tags::OFFSET_OF_THE_NEXT_DIRECTORY_RECORD);
    let lower_hdr = ul_header(tags::OFFSET_OF_REFERENCED_LOWER_LEVEL_DIRECTORY_ENTITY);
    let item = [0xFE, 0xFF, 0x00, 0xE0];
    let mut at = Vec::with_capacity(flat.len());
    let mut i = 0;
    while let Some(p) = find(bytes, i, bytes.len(), &item) {
        if bytes.len() >= p + 16 && bytes[p + 8..p + 16] == next_hdr {
            at.push(p);
        }
        i = p + 4;
    }
    if at.len() != flat.len() {
        return Err(format!(
            "found {} directory records in the encoding, expected {}",
            at.len(),
            flat.len()
        ));
    }
    for (k, &(next, child)) in flat.iter().enumerate() {
        put_u32(bytes, at[k] + 16, next.map_or(0, |n| at[n]))?;
        let end = at.get(k + 1).copied().unwrap_or(bytes.len());
        let lower =
            find(bytes, at[k], end, &lower_hdr).ok_or("a record without its lower-level offset")?;
        put_u32(bytes, lower + 8, child.map_or(0, |c| at[c]))?;
    }
    let first_record = at.first().copied().unwrap_or(bytes.len());
    for (tag, root) in [
        (
            tags::OFFSET_OF_THE_FIRST_DIRECTORY_RECORD_OF_THE_ROOT_DIRECTORY_ENTITY,
            roots.first(),
        ),
        (
            tags::OFFSET_OF_THE_LAST_DIRECTORY_RECORD_OF_THE_ROOT_DIRECTORY_ENTITY,
            roots.last(),
        ),
    ] {
        let p = find(bytes, 132, first_record, &ul_header(tag))
            .ok_or("no root record offset in the encoding")?;
        put_u32(bytes, p + 8, root.map_or(0, |&r| at[r]))?;
    }
    Ok(())
}
