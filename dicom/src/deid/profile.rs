//! De-identification profiles: the Basic profile plus the options a study chooses, in TOML.
//!
//! The format is documented with an example in `docs/deidentification.md`. Every option defaults
//! to off, so a profile file with only a `name` is the Basic profile.

use serde::{Deserialize, Serialize};

use super::DeidError;
use crate::pixel::PixelRule;

/// A named de-identification profile: the Basic profile plus options, chosen per study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The profile's name, recorded with the study and in DeidentificationMethod.
    pub name: String,
    /// Retain Longitudinal Temporal Information with Modified Dates: dates shifted by a keyed
    /// per-subject offset, times kept.
    #[serde(default)]
    pub retain_longitudinal_modified_dates: bool,
    /// Retain Patient Characteristics: sex, age, size, weight and the like; birth date reduced to
    /// January 1st of its year.
    #[serde(default)]
    pub retain_patient_characteristics: bool,
    /// Clean Descriptors: descriptions and comments kept after removing every identifying value
    /// found in the same header; narrative free text removed.
    #[serde(default)]
    pub clean_descriptors: bool,
    /// Retain Device Identity: serial numbers, station names, device ids kept as they are.
    #[serde(default)]
    pub retain_device_identity: bool,
    /// Private blocks kept (Retain Safe Private); every other private attribute is removed.
    #[serde(default)]
    pub safe_private: Vec<PrivateBlock>,
    /// Public attributes this study keeps in addition to the built-in keep-list (PS3.6 keywords
    /// such as `"SliceTiming"`, or tags `"(0019,1000)"`/`"00191000"`); Table E.1-1 still governs
    /// the attributes it lists, and kept text still passes the descriptor cleaner.
    #[serde(default)]
    pub keep: Vec<String>,
    /// Pixel rules (`[[pixel_rule]]`): rectangles blanked in the images they match, which then
    /// leave quarantine ([`crate::pixel_risk`]).
    #[serde(default)]
    pub pixel_rule: Vec<PixelRule>,
}

/// A safe-listed private block: in `group`, the block reserved by `creator`, elements whose low
/// byte is in `elements` (`0x10` means `(gggg,xx10)` whatever block `xx` the creator holds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateBlock {
    /// An odd group number.
    pub group: u16,
    /// The private creator string, compared exactly (trailing spaces ignored).
    pub creator: String,
    /// Element offsets in the block, `0x00..=0xFF`.
    pub elements: Vec<u8>,
}

/// What Siemens mosaic and diffusion conversion needs (dcm2niix reads these): the CSA image and
/// series headers, and the numeric MR header fields (mosaic size, b-value, gradient direction,
/// b-matrix, bandwidth, slice timing).
fn siemens_safe_list() -> Vec<PrivateBlock> {
    vec![
        PrivateBlock {
            group: 0x0029,
            creator: "SIEMENS CSA HEADER".into(),
            elements: vec![0x08, 0x09, 0x10, 0x18, 0x19, 0x20],
        },
        PrivateBlock {
            group: 0x0019,
            creator: "SIEMENS MR HEADER".into(),
            elements: vec![
                0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
                0x17, 0x18, 0x27, 0x28, 0x29,
            ],
        },
    ]
}

impl Profile {
    /// A built-in profile by name: `default` (Basic + modified dates + patient characteristics +
    /// clean descriptors + the Siemens safe-list; device identity off) or `basic` (Basic only).
    pub fn builtin(name: &str) -> Option<Profile> {
        match name {
            "default" => Some(Profile {
                name: name.to_string(),
                retain_longitudinal_modified_dates: true,
                retain_patient_characteristics: true,
                clean_descriptors: true,
                retain_device_identity: false,
                safe_private: siemens_safe_list(),
                keep: Vec::new(),
                pixel_rule: Vec::new(),
            }),
            "basic" => Some(Profile::basic(name)),
            _ => None,
        }
    }

    /// The Basic profile with no option, under `name`.
    pub fn basic(name: &str) -> Profile {
        Profile {
            name: name.to_string(),
            retain_longitudinal_modified_dates: false,
            retain_patient_characteristics: false,
            clean_descriptors: false,
            retain_device_identity: false,
            safe_private: Vec::new(),
            keep: Vec::new(),
            pixel_rule: Vec::new(),
        }
    }

    /// Parse and check a profile from TOML.
    pub fn from_toml_str(s: &str) -> Result<Profile, DeidError> {
        let p: Profile = toml::from_str(s).map_err(|e| DeidError::Profile(e.to_string()))?;
        p.validate()?;
        Ok(p)
    }

    /// The profile as TOML that [`Profile::from_toml_str`] reads back to an equal profile; groups
    /// and element offsets in hexadecimal, as in the documentation.
    pub fn to_toml_string(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("name = {}\n", toml_str(&self.name)));
        for (key, on) in [
            (
                "retain_longitudinal_modified_dates",
                self.retain_longitudinal_modified_dates,
            ),
            (
                "retain_patient_characteristics",
                self.retain_patient_characteristics,
            ),
            ("clean_descriptors", self.clean_descriptors),
            ("retain_device_identity", self.retain_device_identity),
        ] {
            s.push_str(&format!("{key} = {on}\n"));
        }
        if !self.keep.is_empty() {
            let keep: Vec<String> = self.keep.iter().map(|k| toml_str(k)).collect();
            s.push_str(&format!("keep = [{}]\n", keep.join(", ")));
        }
        for b in &self.safe_private {
            let elements: Vec<String> = b.elements.iter().map(|e| format!("0x{e:02X}")).collect();
            s.push_str(&format!(
                "\n[[safe_private]]\ngroup = 0x{:04X}\ncreator = {}\nelements = [{}]\n",
                b.group,
                toml_str(&b.creator),
                elements.join(", ")
            ));
        }
        for r in &self.pixel_rule {
            s.push_str("\n[[pixel_rule]]\n");
            if let Some(m) = &r.manufacturer {
                s.push_str(&format!("manufacturer = {}\n", toml_str(m)));
            }
            if let Some(m) = &r.model {
                s.push_str(&format!("model = {}\n", toml_str(m)));
            }
            if let Some(n) = r.rows {
                s.push_str(&format!("rows = {n}\n"));
            }
            if let Some(n) = r.columns {
                s.push_str(&format!("columns = {n}\n"));
            }
            let rects: Vec<String> = r
                .blank
                .iter()
                .map(|[x, y, w, h]| format!("[{x}, {y}, {w}, {h}]"))
                .collect();
            s.push_str(&format!("blank = [{}]\n", rects.join(", ")));
        }
        s
    }

    /// The DeidentificationMethodCodeSequence codes (CID 7050) this profile applies.
    pub fn method_codes(&self) -> Vec<(&'static str, &'static str)> {
        let mut codes = vec![("113100", "Basic Application Confidentiality Profile")];
        if self.retain_longitudinal_modified_dates {
            codes.push((
                "113107",
                "Retain Longitudinal Temporal Information Modified Dates Option",
            ));
        }
        if self.retain_patient_characteristics {
            codes.push(("113108", "Retain Patient Characteristics Option"));
        }
        if self.retain_device_identity {
            codes.push(("113109", "Retain Device Identity Option"));
        }
        if self.clean_descriptors {
            codes.push(("113105", "Clean Descriptors Option"));
        }
        if !self.safe_private.is_empty() {
            codes.push(("113111", "Retain Safe Private Option"));
        }
        codes
    }

    fn validate(&self) -> Result<(), DeidError> {
        if self.name.trim().is_empty() {
            return Err(DeidError::Profile("the profile needs a name".into()));
        }
        if let Some(k) = self
            .keep
            .iter()
            .find(|k| super::keep::parse_tag(k).is_none())
        {
            return Err(DeidError::Profile(format!(
                "keep: {k:?} is not a public attribute keyword or tag"
            )));
        }
        for b in &self.safe_private {
            // Groups 0001-0007 and FFFF are odd but not private (PS3.5 7.8.1).
            if b.group % 2 == 0 || b.group <= 0x0007 || b.group == 0xFFFF {
                return Err(DeidError::Profile(format!(
                    "safe_private group {:04X} is not a private group",
                    b.group
                )));
            }
            if b.creator.trim().is_empty() {
                return Err(DeidError::Profile(format!(
                    "safe_private block in group {:04X} has no creator",
                    b.group
                )));
            }
        }
        for (i, r) in self.pixel_rule.iter().enumerate() {
            if r.blank.is_empty() || r.blank.iter().any(|b| b[2] == 0 || b[3] == 0) {
                return Err(DeidError::Profile(format!(
                    "pixel_rule {}: blank needs rectangles [x, y, width, height] of a positive size",
                    i + 1
                )));
            }
        }
        Ok(())
    }
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins() {
        let d = Profile::builtin("default").unwrap();
        assert!(d.retain_longitudinal_modified_dates);
        assert!(d.retain_patient_characteristics);
        assert!(d.clean_descriptors);
        assert!(!d.retain_device_identity);
        assert!(d
            .safe_private
            .iter()
            .any(|b| b.group == 0x0029 && b.creator == "SIEMENS CSA HEADER"));
        let b = Profile::builtin("basic").unwrap();
        assert_eq!(b, Profile::basic("basic"));
        assert_eq!(b.method_codes().len(), 1);
        assert!(Profile::builtin("nope").is_none());
    }

    #[test]
    fn toml_round_trip() {
        for name in ["default", "basic"] {
            let p = Profile::builtin(name).unwrap();
            let text = p.to_toml_string();
            assert_eq!(Profile::from_toml_str(&text).unwrap(), p, "{text}");
        }
        let mut odd = Profile::basic("quote \" back\\slash\nnewline \u{1}");
        odd.safe_private.push(PrivateBlock {
            group: 0x0043,
            creator: "GEMS_PARM_01 ".into(),
            elements: vec![0x00, 0xFF],
        });
        odd.pixel_rule.push(PixelRule {
            manufacturer: Some("ACME \"X\"".into()),
            model: None,
            rows: Some(512),
            columns: None,
            blank: vec![[0, 0, 512, 40], [1, 2, 3, 4]],
        });
        assert_eq!(Profile::from_toml_str(&odd.to_toml_string()).unwrap(), odd);
    }

    #[test]
    fn pixel_rules() {
        let p = Profile::from_toml_str(
            "name = \"x\"\n[[pixel_rule]]\nmanufacturer = \"ACME\"\nmodel = \"Scanner 9\"\nrows = 512\ncolumns = 512\nblank = [[0, 0, 512, 40]]\n",
        )
        .unwrap();
        assert_eq!(p.pixel_rule[0].blank, vec![[0, 0, 512, 40]]);
        for bad in [
            "name = \"x\"\n[[pixel_rule]]\nblank = []",
            "name = \"x\"\n[[pixel_rule]]\nblank = [[0, 0, 0, 4]]",
            "name = \"x\"\n[[pixel_rule]]\nmanufacturer = \"A\"",
            "name = \"x\"\n[[pixel_rule]]\nblank = [[0, 0, 1, 1]]\ncolour = 1",
            "name = \"x\"\n[[pixel_rule]]\nblank = [[0, 0, 1]]",
        ] {
            assert!(Profile::from_toml_str(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn toml_with_hex_groups_and_defaults() {
        let p = Profile::from_toml_str(
            r#"
            name = "mri-research"
            retain_longitudinal_modified_dates = true
            [[safe_private]]
            group = 0x0029
            creator = "SIEMENS CSA HEADER"
            elements = [0x10, 0x20]
            "#,
        )
        .unwrap();
        assert!(p.retain_longitudinal_modified_dates);
        assert!(!p.clean_descriptors && !p.retain_patient_characteristics);
        assert_eq!(p.safe_private[0].elements, vec![0x10, 0x20]);
        let codes: Vec<&str> = p.method_codes().iter().map(|c| c.0).collect();
        assert_eq!(codes, ["113100", "113107", "113111"]);
    }

    #[test]
    fn bad_profiles_are_errors() {
        for bad in [
            "",
            "name = \"\"",
            "name = \"x\"\nretain_everything = true",
            "name = \"x\"\n[[safe_private]]\ngroup = 0x0028\ncreator = \"A\"\nelements = []",
            "name = \"x\"\n[[safe_private]]\ngroup = 0x0003\ncreator = \"A\"\nelements = []",
            "name = \"x\"\n[[safe_private]]\ngroup = 0x0029\ncreator = \" \"\nelements = []",
            "name = \"x\"\n[[safe_private]]\ngroup = 0x0029\ncreator = \"A\"\nelements = [256]",
        ] {
            assert!(
                matches!(Profile::from_toml_str(bad), Err(DeidError::Profile(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_documented_example_is_the_default_profile() {
        let doc = include_str!("../../../docs/deidentification.md");
        let start = doc.find("```toml\n").unwrap() + "```toml\n".len();
        let end = start + doc[start..].find("```").unwrap();
        let mut p = Profile::from_toml_str(&doc[start..end]).unwrap();
        assert_eq!(p.name, "mri-research");
        p.name = "default".into();
        assert_eq!(p, Profile::builtin("default").unwrap());
    }
}
