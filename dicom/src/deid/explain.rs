//! `neurofed deid explain`: per attribute, at every depth, what de-identification would do and
//! why (which rule decided), never the value. It follows the same decisions as the walk in
//! [`super::apply`]; a test checks the two agree on a planted object.

use dicom_core::header::Header;
use dicom_core::{DataDictionary, Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use dicom_object::InMemDicomObject;

use super::apply::{
    binary_bytes, csa_slot, is_overlay_group, is_text, private_blocks, private_keep, CLASS_UIDS,
};
use super::charset::SPECIFIC_CHARACTER_SET;
use super::clean::MAX_DEPTH;
use super::rules::{Op, Rules};

/// What de-identification does with one attribute, and why (no value is ever included).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Explained {
    /// Where: `(0040,A730)[1]/(0040,A160)` for an attribute of the first item of a sequence.
    pub path: String,
    /// The PS3.6 keyword, or `private`, or `unknown`.
    pub keyword: String,
    /// The VR as encoded.
    pub vr: String,
    /// `removed`, `kept`, `cleaned`, `emptied`, `dummy`, `remapped`, `shifted`, `pseudonym`,
    /// `hashed`, or `walked` (a sequence whose items are decided one by one).
    pub action: String,
    /// The rule that decided.
    pub why: String,
}

pub(super) fn explain(
    rules: &Rules,
    safe: &[super::PrivateBlock],
    shifts: bool,
    obj: &InMemDicomObject,
) -> Vec<Explained> {
    let mut out = Vec::new();
    walk(rules, safe, shifts, obj, "", 0, &mut out);
    out
}

fn tag_u32(t: Tag) -> u32 {
    (u32::from(t.group()) << 16) | u32::from(t.element())
}

fn walk(
    rules: &Rules,
    safe: &[super::PrivateBlock],
    shifts: bool,
    obj: &InMemDicomObject,
    prefix: &str,
    depth: u32,
    out: &mut Vec<Explained>,
) {
    let blocks = private_blocks(obj, safe);
    for e in obj.iter() {
        let (tag, vr) = (e.tag(), e.vr());
        let path = format!("{prefix}({:04X},{:04X})", tag.group(), tag.element());
        let keyword = if tag.group() % 2 == 1 {
            "private".to_string()
        } else {
            StandardDataDictionary
                .by_tag(tag)
                .map_or("unknown".to_string(), |d| d.alias.to_string())
        };
        let (action, why) = match decide(rules, &blocks, shifts, tag, vr) {
            ("cleaned", _) if vr != VR::SQ && !is_text(vr) => private_binary(e, &blocks),
            d => d,
        };
        let walks = action == "walked" && depth < MAX_DEPTH;
        out.push(Explained {
            path: path.clone(),
            keyword,
            vr: vr.to_string().to_string(),
            action: action.to_string(),
            why,
        });
        if walks {
            if let Some(items) = e.items() {
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{path}[{}]/", i + 1);
                    walk(rules, safe, shifts, item, &p, depth + 1, out);
                }
            }
        }
    }
}

/// A safe-listed private binary value: a CSA header is parsed (and removed when it does not
/// parse, in either byte order of an OW value), anything else scrubbed in place.
fn private_binary(
    e: &dicom_object::mem::InMemElement,
    blocks: &[(u16, u8, &super::PrivateBlock)],
) -> (&'static str, String) {
    let Some(le) = binary_bytes(e.value(), false) else {
        return (
            "kept",
            "private block safe-listed by the profile (safe_private): numbers".into(),
        );
    };
    if !csa_slot(e.tag(), blocks) && !super::csa::is_sv10(&le) {
        return (
            "cleaned",
            "private block safe-listed by the profile (safe_private): binary, identifiers overwritten".into(),
        );
    }
    let parses = super::csa::parse(&le).is_ok()
        || binary_bytes(e.value(), true).is_some_and(|be| super::csa::parse(&be).is_ok());
    if parses {
        (
            "cleaned",
            "Siemens CSA header of a safe-listed block: research elements kept, strings cleaned, others emptied".into(),
        )
    } else {
        ("removed", "Siemens CSA header that does not parse".into())
    }
}

fn decide(
    rules: &Rules,
    blocks: &[(u16, u8, &super::PrivateBlock)],
    shifts: bool,
    tag: Tag,
    vr: VR,
) -> (&'static str, String) {
    let t = tag_u32(tag);
    if tag.element() == 0 || tag == Tag(0x0008, 0x0001) {
        return (
            "removed",
            "group length / length to end: stale after editing".into(),
        );
    }
    if is_overlay_group(tag.group()) && rules.op(0x6000_3000) == Some(Op::Remove) {
        return (
            "removed",
            "overlay group: Overlay Data is X in Table E.1-1".into(),
        );
    }
    if tag.group() % 2 == 1 {
        return if private_keep(tag, blocks) {
            let a = if vr == VR::SQ { "walked" } else { "cleaned" };
            (
                a,
                "private block safe-listed by the profile (safe_private)".into(),
            )
        } else {
            (
                "removed",
                "private attribute not safe-listed (Table E.1-1 (gggg,eeee) X)".into(),
            )
        };
    }
    if let Some(op) = rules.op(t) {
        let why = format!("Table E.1-1 with the profile's options: {op:?}");
        let a = match op {
            Op::Remove => "removed",
            _ if vr == VR::SQ => match op {
                Op::Empty | Op::EmptyOrDummyTime => "emptied",
                _ => "walked",
            },
            _ if vr == VR::UN && op != Op::Keep => "removed",
            Op::Keep if vr == VR::UI => "remapped",
            Op::Keep => "kept",
            Op::Empty => "emptied",
            Op::EmptyOrDummyTime | Op::EmptyOrItems if !matches!(vr, VR::DA | VR::DT | VR::TM) => {
                "emptied"
            }
            Op::Dummy | Op::EmptyOrDummyTime | Op::EmptyOrItems => match vr {
                VR::UI => "remapped",
                VR::DA | VR::DT if shifts => "shifted",
                _ => "dummy",
            },
            Op::Uid if vr == VR::UI => "remapped",
            Op::Uid => "removed",
            Op::Date => match vr {
                VR::DA | VR::DT if shifts => "shifted",
                VR::DA | VR::DT => "emptied",
                VR::TM => "kept",
                _ => "removed",
            },
            Op::Clean if is_text(vr) => "cleaned",
            Op::Clean => "removed",
            Op::PatientName | Op::PatientId => "pseudonym",
            Op::SerialHash => "hashed",
        };
        return (a, why);
    }
    let real_vr = if vr == VR::UN {
        StandardDataDictionary
            .by_tag(tag)
            .and_then(|e| e.vr.exact())
            .unwrap_or(VR::UN)
    } else {
        vr
    };
    if vr == VR::UI && CLASS_UIDS.contains(&t) {
        return (
            "kept",
            "a SOP class value, kept like the file meta group's".into(),
        );
    }
    if vr == VR::UI {
        return (
            "remapped",
            "every UID is remapped (standard UIDs, by the dictionary, stay)".into(),
        );
    }
    if !rules.kept(t) || real_vr == VR::PN || real_vr == VR::UI {
        return (
            "removed",
            "neither in Table E.1-1 nor on the keep-list (counted in removed_unlisted)".into(),
        );
    }
    let why = "keep-list (dicom/data/keep-list, or the profile's keep)".to_string();
    let a = match real_vr {
        VR::SQ if vr == VR::SQ => "walked",
        VR::SQ => {
            return (
                "removed",
                "keep-listed sequence encoded as UN: its items cannot be walked".into(),
            )
        }
        VR::DA | VR::DT if shifts => "shifted",
        VR::DA | VR::DT => "emptied",
        _ if tag == SPECIFIC_CHARACTER_SET => "kept",
        VR::CS => "kept",
        _ if is_text(real_vr) => "cleaned",
        _ => "kept",
    };
    (a, why)
}
