//! De-identification by DICOM PS3.15 Annex E (Basic Application Level Confidentiality Profile)
//! with the options a study's [`Profile`] names.
//!
//! Nothing leaves this module with PHI in it: after [`Deidentifier::deidentify`] the object holds
//! only pseudonyms, shifted dates, remapped UIDs and the attributes the profile keeps.
//!
//! STUB: pseudonym + main UIDs only, NOT a real de-identification. The full version (whole Table
//! E.1-1, options, private tags, clean descriptors) replaces this file.

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use serde::{Deserialize, Serialize};

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

/// A named de-identification profile: the Basic profile plus options, chosen per study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The profile's name, recorded with the study.
    pub name: String,
}

impl Profile {
    /// A built-in profile by name (`default`, `basic`).
    pub fn builtin(name: &str) -> Option<Profile> {
        match name {
            "default" | "basic" => Some(Profile {
                name: name.to_string(),
            }),
            _ => None,
        }
    }

    /// Parse a profile from TOML.
    pub fn from_toml_str(s: &str) -> Result<Profile, DeidError> {
        toml::from_str(s).map_err(|e| DeidError::Profile(e.to_string()))
    }
}

/// What de-identification tells the rest of the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeidOutcome {
    /// The subject pseudonym (also written to PatientName and PatientID).
    pub pseudonym: String,
    /// Days added to every date of this subject (0 when dates are not shifted).
    pub date_offset_days: i32,
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
}

/// Applies one profile with one set of keys; cheap to share across threads.
#[derive(Debug, Clone)]
pub struct Deidentifier {
    profile: Profile,
    keys: DeidKeys,
    uid_key: [u8; 32],
}

impl Deidentifier {
    /// A de-identifier for one study: `scope` (the study id) keys the UID mapping, so the same
    /// file imported into two studies gets two sets of UIDs, and the same file imported twice into
    /// one study gets the same UIDs.
    pub fn new(profile: Profile, keys: &DeidKeys, scope: &str) -> Self {
        let mut h = blake3::Hasher::new_keyed(&keys.node);
        h.update(b"neurofed uid scope\0");
        h.update(scope.as_bytes());
        Deidentifier {
            profile,
            keys: keys.clone(),
            uid_key: *h.finalize().as_bytes(),
        }
    }

    /// The profile applied.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The UID that replaces `uid` (2.25 form, keyed, deterministic).
    pub fn map_uid(&self, uid: &str) -> String {
        let h = blake3::keyed_hash(&self.uid_key, uid.trim_end_matches(['\0', ' ']).as_bytes());
        let mut b = [0u8; 16];
        b.copy_from_slice(&h.as_bytes()[..16]);
        format!("2.25.{}", u128::from_be_bytes(b))
    }

    /// De-identify `obj` in place.
    pub fn deidentify(&self, obj: &mut DefaultDicomObject) -> Result<DeidOutcome, DeidError> {
        let get = |t| {
            obj.get(t)
                .and_then(|e| e.to_str().ok())
                .map(|s| s.trim().to_uppercase())
                .unwrap_or_default()
        };
        let ident = format!(
            "{}|{}|{}",
            get(tags::PATIENT_NAME),
            get(tags::PATIENT_BIRTH_DATE),
            get(tags::PATIENT_ID)
        );
        let h = blake3::keyed_hash(&self.keys.linkage, ident.as_bytes());
        let pseudonym = format!("NF{}", &hex::encode(&h.as_bytes()[..5]).to_uppercase());
        for t in [tags::PATIENT_NAME, tags::PATIENT_ID] {
            obj.put(DataElement::new(
                t,
                if t == tags::PATIENT_NAME {
                    VR::PN
                } else {
                    VR::LO
                },
                PrimitiveValue::from(pseudonym.as_str()),
            ));
        }
        for t in [
            tags::STUDY_INSTANCE_UID,
            tags::SERIES_INSTANCE_UID,
            tags::SOP_INSTANCE_UID,
            tags::FRAME_OF_REFERENCE_UID,
        ] {
            if let Some(v) = obj
                .get(t)
                .and_then(|e| e.to_str().ok())
                .map(|s| s.to_string())
            {
                obj.put(DataElement::new(
                    t,
                    VR::UI,
                    PrimitiveValue::from(self.map_uid(&v)),
                ));
            }
        }
        let sop = obj
            .get(tags::SOP_INSTANCE_UID)
            .and_then(|e| e.to_str().ok())
            .map(|s| s.to_string());
        if let Some(sop) = sop {
            obj.meta_mut().media_storage_sop_instance_uid = sop;
        }
        obj.meta_mut().update_information_group_length();
        Ok(DeidOutcome {
            pseudonym,
            date_offset_days: 0,
        })
    }
}
