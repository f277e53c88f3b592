//! Study cards (rules on DICOM attributes that assign metadata to imported acquisitions) and
//! quality cards (rules that grade them). The file format and every semantic choice are
//! documented for card authors in `docs/studycards.md`; this module is its implementation.
//!
//! - [`model`]: the card, its rules and assignments, and the closed vocabularies (operators,
//!   natures, BIDS datatypes, grades). One serde shape for TOML files and CBOR in the catalog.
//! - [`condition`]: conditions on a DICOM attribute (keyword, `(gggg,eeee)`, or a path into
//!   sequences) or a catalog field, checked against the DICOM dictionary when read.
//! - [`eval`]: evaluating a card, or a study's cards, on one acquisition.
//! - [`quality`]: findings, the per-examination conformity score, `--reject-failed`.
//! - [`reapply`]: what an acquisition stores so cards can be re-applied with originals kept.
//! - [`file`]: reading and writing card files, with errors that name the line, rule and key.
//!
//! What this module must never do: fail or panic while evaluating. Every check that can fail
//! runs when a card is read (TOML or CBOR); a [`StudyCard`] that exists can be evaluated on any
//! DICOM object. It reads only the de-identified object it is given and writes nothing.

pub mod condition;
pub mod eval;
pub mod file;
pub mod model;
pub mod quality;
pub mod reapply;

pub use condition::{
    CatalogField, Condition, ConditionError, FieldRef, ItemSelector, TagPath, TagPathError,
    TagStep, ValueKind,
};
pub use eval::{
    evaluate, evaluate_study, holds, in_scope, CardOutcome, CatalogFields, NoCatalogFields,
    StudyOutcome,
};
pub use file::{load_card, parse_card, to_toml, CardError, InvalidCard};
pub use model::{
    Assignments, BidsDatatype, EquipmentScope, Grade, Nature, Operator, QualityRule, Rule,
    StudyCard, UnknownName, Value, VersionedCard,
};
pub use quality::{examination_conformity, reject, QualityFinding, Rejection};
pub use reapply::{diff, reapply, AcquisitionCards, CardApplication, FieldChange};
