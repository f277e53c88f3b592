//! Table E.1-1 plus a profile's options, resolved once into the operation applied to each tag.
//!
//! Combined actions are resolved so that the output stays valid whatever the IOD, since the
//! table's row does not say whether an attribute is Type 1, 2 or 3 in the object at hand:
//! - `X/Z`: Z (an empty value is valid for Type 2 and Type 3 alike);
//! - `X/D`: D (a dummy is valid for Type 1, 2 and 3);
//! - `Z/D`, `X/Z/D`, `X/Z/U*`: Z, except that a date or time gets D (ContentDate, ContentTime and
//!   AcquisitionDateTime are Type 1 or 1C in the enhanced and SR objects, which dciodvfy confirms)
//!   and a sequence keeps its items, de-identified (D for a sequence, U for the UIDs of its items);
//! - D on a sequence: its items are kept and de-identified by the same table.
//!
//! Options apply in this order, a later one winning: Clean Descriptors (C, except the free-text
//! attributes, removed), Retain Patient Characteristics (K, C), Retain Device Identity (K, C),
//! Retain Longitudinal Modified Dates (C: dates shifted, times kept). Three attributes have their
//! own rule: PatientName and PatientID become the pseudonym, DeviceSerialNumber becomes a keyed
//! hash unless device identity is retained. PatientBirthDate keeps its basic action (Z) under every
//! option, as in the standard's table: a `YYYY0101` birth date equals the true one for everyone
//! born on January 1st, so the year is handed to the catalog in `DeidOutcome::birth_year` instead.

use super::clean::FREE_TEXT;
use super::keep;
use super::table::{Action, Pattern, Row, Table};
use super::Profile;

/// What happens to one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// X.
    Remove,
    /// Z: zero-length value; a sequence with no item.
    Empty,
    /// D: a dummy consistent with the VR; a sequence's items are kept and de-identified.
    Dummy,
    /// Z/D: Z, but a date or time gets D.
    EmptyOrDummyTime,
    /// X/Z/D, X/Z/U*: Z, but a date or time gets D and a sequence's items are kept and
    /// de-identified.
    EmptyOrItems,
    /// K: kept; a sequence's items are de-identified.
    Keep,
    /// U: every UID remapped.
    Uid,
    /// C under Retain Longitudinal Modified Dates: DA and DT shifted, TM kept.
    Date,
    /// C under the other options: identifying values removed from the text.
    Clean,
    /// The subject pseudonym (top level); Z in nested items.
    PatientName,
    /// The subject pseudonym (top level); Z in nested items.
    PatientId,
    /// A keyed hash of the serial: equipment stays distinguishable, the serial unknown.
    SerialHash,
}

const PATIENT_NAME: u32 = 0x0010_0010;
const PATIENT_ID: u32 = 0x0010_0020;
const DEVICE_SERIAL_NUMBER: u32 = 0x0018_1000;

/// The resolved operations of one profile.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    exact: Vec<(u32, Op)>,
    masked: Vec<(Pattern, Op)>,
    /// The keep-list (built-in plus the profile's `keep`), sorted: unlisted attributes kept.
    keep: Vec<u32>,
}

impl Rules {
    pub(super) fn new(table: &Table, profile: &Profile) -> Result<Rules, String> {
        let mut keep = keep::builtin()?.to_vec();
        for k in &profile.keep {
            keep.push(keep::parse_tag(k).ok_or_else(|| format!("keep: unknown {k:?}"))?);
        }
        keep.sort_unstable();
        keep.dedup();
        Ok(Rules {
            exact: table
                .exact
                .iter()
                .map(|(tag, row)| (*tag, resolve(*tag, row, profile)))
                .collect(),
            masked: table
                .masked
                .iter()
                .map(|(p, row)| (*p, resolve(p.value, row, profile)))
                .collect(),
            keep,
        })
    }

    /// Whether a public attribute the table does not list is on the keep-list.
    pub(super) fn kept(&self, tag: u32) -> bool {
        self.keep.binary_search(&tag).is_ok()
    }

    /// The operation for a public tag; `None` for an attribute the table does not list.
    pub(super) fn op(&self, tag: u32) -> Option<Op> {
        if let Ok(i) = self.exact.binary_search_by_key(&tag, |(t, _)| *t) {
            return Some(self.exact[i].1);
        }
        self.masked
            .iter()
            .find(|(p, _)| p.matches(tag))
            .map(|(_, op)| *op)
    }
}

fn basic(a: Action) -> Op {
    match a {
        Action::X => Op::Remove,
        Action::Z | Action::XOrZ => Op::Empty,
        Action::ZOrD => Op::EmptyOrDummyTime,
        Action::D | Action::XOrD => Op::Dummy,
        Action::XOrZOrD | Action::XOrZU => Op::EmptyOrItems,
        Action::K => Op::Keep,
        // C appears only under options; alone it would mean "clean", the safe reading.
        Action::C => Op::Clean,
        Action::U => Op::Uid,
    }
}

fn resolve(tag: u32, row: &Row, p: &Profile) -> Op {
    let mut op = basic(row.basic);
    if p.clean_descriptors && row.clean_descriptors == Some(Action::C) {
        op = if FREE_TEXT.iter().any(|(t, _)| *t == tag) {
            Op::Remove
        } else {
            Op::Clean
        };
    }
    let retain = |option: Option<Action>, op: Op| match option {
        Some(Action::K) => Op::Keep,
        Some(Action::C) => Op::Clean,
        _ => op,
    };
    if p.retain_patient_characteristics {
        op = retain(row.patient_characteristics, op);
    }
    if p.retain_device_identity {
        op = retain(row.device_identity, op);
    }
    if p.retain_longitudinal_modified_dates && row.long_modified_dates == Some(Action::C) {
        op = Op::Date;
    }
    match tag {
        PATIENT_NAME => Op::PatientName,
        PATIENT_ID => Op::PatientId,
        DEVICE_SERIAL_NUMBER if !p.retain_device_identity => Op::SerialHash,
        _ => op,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(p: &Profile) -> Rules {
        Rules::new(Table::get().unwrap(), p).unwrap()
    }

    #[test]
    fn basic_profile_ops() {
        let r = rules(&Profile::basic("b"));
        assert_eq!(r.op(0x0008_0050), Some(Op::Empty)); // AccessionNumber Z
        assert_eq!(r.op(0x0008_0020), Some(Op::Empty)); // StudyDate Z
        assert_eq!(r.op(0x0008_0021), Some(Op::Dummy)); // SeriesDate X/D
        assert_eq!(r.op(0x0008_0022), Some(Op::Empty)); // AcquisitionDate X/Z
        assert_eq!(r.op(0x0008_0080), Some(Op::EmptyOrItems)); // InstitutionName X/Z/D
        assert_eq!(r.op(0x0008_2112), Some(Op::EmptyOrItems)); // SourceImageSequence X/Z/U*
        assert_eq!(r.op(0x0008_103E), Some(Op::Remove)); // SeriesDescription X
        assert_eq!(r.op(0x0020_000D), Some(Op::Uid));
        assert_eq!(r.op(0x0010_0040), Some(Op::Empty)); // PatientSex Z
        assert_eq!(r.op(0x0010_1010), Some(Op::Remove)); // PatientAge X
        assert_eq!(r.op(0x0010_0030), Some(Op::Empty)); // PatientBirthDate Z
        assert_eq!(r.op(0x0010_0010), Some(Op::PatientName));
        assert_eq!(r.op(0x0010_0020), Some(Op::PatientId));
        assert_eq!(r.op(0x0008_0023), Some(Op::EmptyOrDummyTime)); // ContentDate Z/D
        assert_eq!(r.op(0x0018_1000), Some(Op::SerialHash));
        assert_eq!(r.op(0x0008_1010), Some(Op::EmptyOrItems)); // StationName X/Z/D
        assert_eq!(r.op(0x6000_3000), Some(Op::Remove));
        assert_eq!(r.op(0x0008_0060), None);
        // Clinical text the options mark C is removed under basic: Allergies, SpecialNeeds,
        // PatientState, AdditionalPatientHistory.
        for tag in [0x0010_2110, 0x0038_0050, 0x0038_0500, 0x0010_21B0] {
            assert_eq!(r.op(tag), Some(Op::Remove), "{tag:08X}");
        }
    }

    #[test]
    fn options_override_the_basic_action() {
        let r = rules(&Profile::builtin("default").unwrap());
        assert_eq!(r.op(0x0008_0020), Some(Op::Date)); // StudyDate
        assert_eq!(r.op(0x0008_0032), Some(Op::Date)); // AcquisitionTime: kept as TM
        assert_eq!(r.op(0x0010_0040), Some(Op::Keep)); // PatientSex
        assert_eq!(r.op(0x0010_1010), Some(Op::Keep)); // PatientAge
        assert_eq!(r.op(0x0010_1020), Some(Op::Keep)); // PatientSize
        assert_eq!(r.op(0x0010_1030), Some(Op::Keep)); // PatientWeight
        assert_eq!(r.op(0x0010_2110), Some(Op::Clean)); // Allergies (C)
        assert_eq!(r.op(0x0010_0030), Some(Op::Empty)); // PatientBirthDate: Z still
        assert_eq!(r.op(0x0008_103E), Some(Op::Clean)); // SeriesDescription
        assert_eq!(r.op(0x0018_1030), Some(Op::Clean)); // ProtocolName
        assert_eq!(r.op(0x0010_21B0), Some(Op::Remove)); // AdditionalPatientHistory
        assert_eq!(r.op(0x0018_1000), Some(Op::SerialHash)); // device identity off
        let mut dev = Profile::basic("d");
        dev.retain_device_identity = true;
        let r = rules(&dev);
        assert_eq!(r.op(0x0018_1000), Some(Op::Keep));
        assert_eq!(r.op(0x0008_1010), Some(Op::Keep)); // StationName
        assert_eq!(r.op(0x0008_0055), Some(Op::Clean)); // StationAETitle (C)
    }
}
