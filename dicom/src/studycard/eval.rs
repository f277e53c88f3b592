//! Evaluation: a card (or all of a study's cards) against one acquisition, represented by one of
//! its de-identified DICOM instances and what the catalog knows about it. Pure and infallible:
//! every check that can fail happened when the card was read.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use dicom_core::value::Value as DicomValue;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemElement;
use dicom_object::InMemDicomObject;

use super::condition::{CatalogField, Condition, FieldRef, Operand};
use super::model::{Grade, StudyCard, VersionedCard};
use super::outcome::{CardApplication, CardOutcome, QualityFinding, StudyOutcome};
use super::tag_path::{ItemSelector, TagPath};
use super::values::{
    fold, parse_age, parse_date, parse_datetime, parse_number, parse_time, ValueKind,
};
use super::vocabulary::Operator;

/// What the catalog knows about the acquisition being evaluated, for conditions with
/// `field = "..."` and for the card's center scope.
pub trait CatalogFields {
    /// The field's value, or `None` when the catalog does not know it. For every field but
    /// `center` and `study`, `None` falls back to the DICOM attribute of the same meaning.
    fn field(&self, field: CatalogField) -> Option<String>;
}

/// No catalog values: conditions on fields read the DICOM fallbacks; `center` and `study` are
/// unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCatalogFields;

impl CatalogFields for NoCatalogFields {
    fn field(&self, _: CatalogField) -> Option<String> {
        None
    }
}

impl CatalogFields for BTreeMap<CatalogField, String> {
    fn field(&self, field: CatalogField) -> Option<String> {
        self.get(&field).cloned()
    }
}

/// The DICOM attribute a catalog field falls back to when the catalog does not know it.
pub(super) fn dicom_fallback(field: CatalogField) -> Option<Tag> {
    match field {
        CatalogField::Center | CatalogField::Study => None,
        CatalogField::Modality => Some(tags::MODALITY),
        CatalogField::Manufacturer => Some(tags::MANUFACTURER),
        CatalogField::Model => Some(tags::MANUFACTURER_MODEL_NAME),
        CatalogField::FieldStrength => Some(tags::MAGNETIC_FIELD_STRENGTH),
        CatalogField::SeriesNumber => Some(tags::SERIES_NUMBER),
        CatalogField::SeriesDescription => Some(tags::SERIES_DESCRIPTION),
        CatalogField::ProtocolName => Some(tags::PROTOCOL_NAME),
        CatalogField::ExaminationDate => Some(tags::STUDY_DATE),
    }
}

/// Whether the card's scope covers the acquisition. `center` must equal the catalog's center
/// (case-insensitive, trimmed); each part of `equipment` must occur (case-insensitive) in the
/// manufacturer / model name (catalog first, else DICOM). An unknown value is out of scope.
pub fn in_scope(card: &StudyCard, obj: &InMemDicomObject, catalog: &dyn CatalogFields) -> bool {
    let wanted = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase)
    };
    if let Some(center) = wanted(&card.center) {
        let actual = catalog.field(CatalogField::Center);
        if actual.is_none_or(|a| a.trim().to_lowercase() != center) {
            return false;
        }
    }
    if let Some(eq) = &card.equipment {
        for (part, field) in [
            (&eq.manufacturer, CatalogField::Manufacturer),
            (&eq.model, CatalogField::Model),
        ] {
            if let Some(part) = wanted(part) {
                let actual = catalog_or_dicom(field, obj, catalog);
                if actual.is_none_or(|a| !a.to_lowercase().contains(&part)) {
                    return false;
                }
            }
        }
    }
    true
}

/// A catalog field's value, else its DICOM fallback's first value.
fn catalog_or_dicom(
    field: CatalogField,
    obj: &InMemDicomObject,
    catalog: &dyn CatalogFields,
) -> Option<String> {
    catalog
        .field(field)
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            let tag = dicom_fallback(field)?;
            let mut obs = Observed::default();
            if let Some(e) = obj.get(tag) {
                add_element(e, None, &mut obs);
            }
            obs.values.into_iter().next().map(|(_, v)| v)
        })
}

/// Evaluates one card: scope, then every rule in order, then every quality rule.
pub fn evaluate(
    card: &StudyCard,
    obj: &InMemDicomObject,
    catalog: &dyn CatalogFields,
) -> CardOutcome {
    let mut out = CardOutcome {
        card: card.name.clone(),
        ..CardOutcome::default()
    };
    if !in_scope(card, obj, catalog) {
        return out;
    }
    out.in_scope = true;
    for (i, rule) in card.rules.iter().enumerate() {
        if all_hold(&rule.conditions, obj, catalog) {
            out.assignments.merge(&rule.assign);
            out.matched_rules.push(i);
        }
    }
    if !card.quality.is_empty() {
        let mut grade = Grade::Pass;
        for (i, q) in card.quality.iter().enumerate() {
            if all_hold(&q.conditions, obj, catalog) {
                grade = grade.max(q.grade);
                let observed = q
                    .conditions
                    .iter()
                    .map(|c| describe_observed(c, obj, catalog))
                    .collect::<Vec<_>>()
                    .join("; ");
                out.findings.push(QualityFinding {
                    card: card.name.clone(),
                    rule: i,
                    grade: q.grade,
                    message: q.message.clone().unwrap_or_else(|| {
                        if observed.is_empty() {
                            format!("quality rule {} of `{}`", i + 1, card.name)
                        } else {
                            observed.clone()
                        }
                    }),
                    observed,
                });
            }
        }
        out.grade = Some(grade);
    }
    out
}

/// Evaluates a study's cards. When several versions of a card are given only the highest
/// applies; cards apply in the order of their names, so a later card's scalars override an
/// earlier one's and tags accumulate. The grade is the worst over the cards that grade.
pub fn evaluate_study(
    cards: &[VersionedCard],
    obj: &InMemDicomObject,
    catalog: &dyn CatalogFields,
) -> StudyOutcome {
    let mut latest: BTreeMap<&str, &VersionedCard> = BTreeMap::new();
    for vc in cards {
        let slot = latest.entry(vc.card.name.as_str()).or_insert(vc);
        if vc.version > slot.version {
            *slot = vc;
        }
    }
    let mut out = StudyOutcome::default();
    for vc in latest.into_values() {
        let o = evaluate(&vc.card, obj, catalog);
        if !o.in_scope {
            out.out_of_scope.push(o.card);
            continue;
        }
        out.assignments.merge(&o.assignments);
        out.grade = out.grade.max(o.grade);
        out.findings.extend(o.findings);
        out.applications.push(CardApplication {
            card_name: o.card,
            card_version: vc.version,
            applied_at: None,
            matched_rules: o.matched_rules,
            assignments: o.assignments,
            grade: o.grade,
        });
    }
    out
}

fn all_hold(conditions: &[Condition], obj: &InMemDicomObject, catalog: &dyn CatalogFields) -> bool {
    conditions.iter().all(|c| holds(c, obj, catalog))
}

/// Whether one condition holds for the acquisition.
pub fn holds(cond: &Condition, obj: &InMemDicomObject, catalog: &dyn CatalogFields) -> bool {
    let obs = observe(cond.field(), obj, catalog);
    match cond.op() {
        Operator::Present => obs.present,
        Operator::Absent => !obs.present,
        op => match op.negated() {
            Some(positive) => !any_match(positive, cond, &obs),
            None => any_match(op, cond, &obs),
        },
    }
}

/// The condition with what was found, for quality reports: "`SliceThickness` greater_than 3
/// (found 5)".
fn describe_observed(
    cond: &Condition,
    obj: &InMemDicomObject,
    catalog: &dyn CatalogFields,
) -> String {
    let obs = observe(cond.field(), obj, catalog);
    let found = if obs.values.is_empty() {
        if obs.present {
            "present".to_string()
        } else {
            "missing".to_string()
        }
    } else {
        obs.values
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join("\\")
    };
    format!("{cond} (found {found})")
}

/// The values found for a field: `present` is true when at least one non-empty value (or
/// sequence item, or binary byte) exists; `values` are the non-empty values as text with the
/// kind they compare as.
#[derive(Debug, Default)]
struct Observed {
    present: bool,
    values: Vec<(ValueKind, String)>,
}

fn observe(field: &FieldRef, obj: &InMemDicomObject, catalog: &dyn CatalogFields) -> Observed {
    let mut obs = Observed::default();
    match field {
        FieldRef::Dicom(path) => observe_path(path, obj, &mut obs),
        FieldRef::Catalog(f) => match catalog.field(*f) {
            Some(v) if !v.trim().is_empty() => {
                obs.present = true;
                obs.values.push((f.kind(), v.trim().to_string()));
            }
            _ => {
                if let Some(e) = dicom_fallback(*f).and_then(|t| obj.get(t)) {
                    add_element(e, Some(f.kind()), &mut obs);
                }
            }
        },
    }
    obs
}

fn observe_path(path: &TagPath, obj: &InMemDicomObject, obs: &mut Observed) {
    let mut level: Vec<&InMemDicomObject> = vec![obj];
    for step in path.steps() {
        let mut next = Vec::new();
        for o in level {
            let Some(items) = o.get(step.tag).and_then(|e| e.items()) else {
                continue;
            };
            match step.item {
                ItemSelector::Any => next.extend(items.iter()),
                ItemSelector::Index(i) => next.extend(items.get(i as usize)),
            }
        }
        level = next;
    }
    let kind = path.leaf_vr().map(ValueKind::of_vr);
    for o in level {
        if let Some(e) = o.get(path.leaf()) {
            add_element(e, kind, obs);
        }
    }
}

fn add_element(e: &InMemElement, kind: Option<ValueKind>, obs: &mut Observed) {
    let kind = kind.unwrap_or_else(|| ValueKind::of_vr(e.vr()));
    match e.value() {
        DicomValue::Sequence(seq) => obs.present |= !seq.items().is_empty(),
        DicomValue::PixelSequence(ps) => obs.present |= !ps.fragments().is_empty(),
        DicomValue::Primitive(p) => {
            if kind == ValueKind::Binary {
                obs.present |= p.multiplicity() > 0;
                return;
            }
            if e.vr() == VR::UN {
                // Private attributes of implicit-VR files: read the bytes as text when they are.
                let bytes = p.to_bytes();
                match std::str::from_utf8(&bytes) {
                    Ok(text) if !text.chars().any(|c| c.is_control() && c != '\0') => {
                        push_texts(text.split('\\'), kind, obs);
                    }
                    _ => obs.present |= !bytes.is_empty(),
                }
                return;
            }
            push_texts(p.to_multi_str().iter().map(String::as_str), kind, obs);
        }
    }
}

fn push_texts<'a>(texts: impl Iterator<Item = &'a str>, kind: ValueKind, obs: &mut Observed) {
    for t in texts {
        let t = t.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        if !t.is_empty() {
            obs.present = true;
            obs.values.push((kind, t.to_string()));
        }
    }
}

/// Whether any found value matches any operand under a positive operator.
fn any_match(op: Operator, cond: &Condition, obs: &Observed) -> bool {
    obs.values.iter().any(|(kind, text)| {
        let folded = fold(text, cond.case_sensitive());
        cond.operands()
            .iter()
            .any(|o| matches_one(op, *kind, text, &folded, o))
    })
}

fn matches_one(op: Operator, kind: ValueKind, text: &str, folded: &str, o: &Operand) -> bool {
    match op {
        Operator::Equals => equal(kind, text, folded, o),
        Operator::StartsWith => folded.starts_with(&o.folded),
        Operator::EndsWith => folded.ends_with(&o.folded),
        Operator::Contains => folded.contains(&o.folded),
        Operator::LessThan => compare(kind, text, o) == Some(Ordering::Less),
        Operator::GreaterThan => compare(kind, text, o) == Some(Ordering::Greater),
        Operator::Matches => o.regex.as_ref().is_some_and(|re| re.is_match(text)),
        // Negative and value-less operators never reach here.
        Operator::NotEquals
        | Operator::NotStartsWith
        | Operator::NotEndsWith
        | Operator::NotContains
        | Operator::Present
        | Operator::Absent => false,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn equal(kind: ValueKind, text: &str, folded: &str, o: &Operand) -> bool {
    match kind {
        ValueKind::Number => both(parse_number(text), o.number).is_some_and(|(a, b)| close(a, b)),
        ValueKind::Age => both(parse_age(text), o.age).is_some_and(|(a, b)| close(a, b)),
        ValueKind::Date => both(parse_date(text), o.date).is_some_and(|(a, b)| a == b),
        ValueKind::Time => both(parse_time(text), o.time).is_some_and(|(a, b)| close(a, b)),
        ValueKind::DateTime => both(parse_datetime(text), o.datetime).is_some_and(|(a, b)| a == b),
        ValueKind::Text | ValueKind::Sequence | ValueKind::Binary => {
            if o.written_as_number {
                if let Some((a, b)) = both(parse_number(text), o.number) {
                    return close(a, b);
                }
            }
            folded == o.folded
        }
    }
}

/// How the found value compares with the operand, when both have the kind's form. Text of an
/// attribute whose VR the dictionary does not know is tried as a number, then a date, then a
/// date-time, then a time.
fn compare(kind: ValueKind, text: &str, o: &Operand) -> Option<Ordering> {
    match kind {
        ValueKind::Number => cmp_f(parse_number(text), o.number),
        ValueKind::Age => cmp_f(parse_age(text), o.age),
        ValueKind::Date => both(parse_date(text), o.date).map(|(a, b)| a.cmp(&b)),
        ValueKind::Time => cmp_f(parse_time(text), o.time),
        ValueKind::DateTime => both(parse_datetime(text), o.datetime).map(|(a, b)| a.cmp(&b)),
        ValueKind::Text => cmp_f(parse_number(text), o.number)
            .or_else(|| both(parse_date(text), o.date).map(|(a, b)| a.cmp(&b)))
            .or_else(|| both(parse_datetime(text), o.datetime).map(|(a, b)| a.cmp(&b)))
            .or_else(|| cmp_f(parse_time(text), o.time)),
        ValueKind::Sequence | ValueKind::Binary => None,
    }
}

fn both<A, B>(a: Option<A>, b: Option<B>) -> Option<(A, B)> {
    Some((a?, b?))
}

fn cmp_f(a: Option<f64>, b: Option<f64>) -> Option<Ordering> {
    let (a, b) = both(a, b)?;
    if close(a, b) {
        Some(Ordering::Equal)
    } else {
        a.partial_cmp(&b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::studycard::file::parse_card;
    use crate::studycard::model::Nature;
    use dicom_core::value::{DataSetSequence, PrimitiveValue};
    use dicom_core::{dicom_value, DataElement};

    fn put(obj: &mut InMemDicomObject, tag: Tag, vr: VR, v: PrimitiveValue) {
        obj.put(DataElement::new(tag, vr, v));
    }

    fn put_seq(obj: &mut InMemDicomObject, tag: Tag, items: Vec<InMemDicomObject>) {
        obj.put(DataElement::new(tag, VR::SQ, DataSetSequence::from(items)));
    }

    /// An MR instance with one attribute of each kind, multi-valued ones, sequences, a private
    /// attribute read as UN, and an empty one.
    fn mr() -> InMemDicomObject {
        let mut o = InMemDicomObject::new_empty();
        put(
            &mut o,
            tags::SERIES_DESCRIPTION,
            VR::LO,
            "T1_MPRAGE_sag ".into(),
        );
        put(&mut o, tags::MODALITY, VR::CS, "MR".into());
        put(&mut o, tags::MANUFACTURER, VR::LO, "SIEMENS".into());
        put(
            &mut o,
            tags::MANUFACTURER_MODEL_NAME,
            VR::LO,
            "Prisma_fit".into(),
        );
        put(&mut o, tags::MAGNETIC_FIELD_STRENGTH, VR::DS, "3".into());
        put(&mut o, tags::REPETITION_TIME, VR::DS, "2300".into());
        put(&mut o, tags::ECHO_TIME, VR::DS, "2.98".into());
        put(
            &mut o,
            tags::PIXEL_SPACING,
            VR::DS,
            dicom_value!(Strs, ["1", "1.5"]),
        );
        put(&mut o, tags::ROWS, VR::US, dicom_value!(U16, [256]));
        put(
            &mut o,
            tags::IMAGE_TYPE,
            VR::CS,
            dicom_value!(Strs, ["ORIGINAL", "PRIMARY", "M"]),
        );
        put(&mut o, tags::STUDY_DATE, VR::DA, "20201107".into());
        put(
            &mut o,
            tags::ACQUISITION_TIME,
            VR::TM,
            "143340.000000".into(),
        );
        put(
            &mut o,
            tags::ACQUISITION_DATE_TIME,
            VR::DT,
            "20201107143340+0100".into(),
        );
        put(&mut o, tags::PATIENT_AGE, VR::AS, "055Y".into());
        put(&mut o, tags::PROTOCOL_NAME, VR::LO, PrimitiveValue::Empty);
        put(
            &mut o,
            Tag(0x0019, 0x100C),
            VR::UN,
            PrimitiveValue::U8(b"1000".as_slice().into()),
        );
        let mut timing = InMemDicomObject::new_empty();
        put(
            &mut timing,
            tags::REPETITION_TIME,
            VR::FD,
            dicom_value!(F64, [2300.0]),
        );
        let mut shared = InMemDicomObject::new_empty();
        put_seq(
            &mut shared,
            tags::MR_TIMING_AND_RELATED_PARAMETERS_SEQUENCE,
            vec![timing],
        );
        put_seq(
            &mut o,
            tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
            vec![shared],
        );
        let frames = [10.0, 20.0]
            .into_iter()
            .map(|te| {
                let mut echo = InMemDicomObject::new_empty();
                put(
                    &mut echo,
                    tags::EFFECTIVE_ECHO_TIME,
                    VR::FD,
                    dicom_value!(F64, [te]),
                );
                let mut frame = InMemDicomObject::new_empty();
                put_seq(&mut frame, tags::MR_ECHO_SEQUENCE, vec![echo]);
                frame
            })
            .collect();
        put_seq(&mut o, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, frames);
        put_seq(&mut o, tags::REFERENCED_IMAGE_SEQUENCE, vec![]);
        o
    }

    fn card(conditions: &str) -> StudyCard {
        parse_card(&format!(
            "name = \"t\"\n[[rule]]\nconditions = [{conditions}]\nassign = {{ comment = \"hit\" }}\n"
        ))
        .unwrap()
    }

    /// Whether the single condition (inline TOML table body) holds on `obj`.
    fn on(obj: &InMemDicomObject, catalog: &dyn CatalogFields, cond: &str) -> bool {
        let c = card(&format!("{{ {cond} }}"));
        holds(&c.rules[0].conditions[0], obj, catalog)
    }

    fn check(cond: &str) -> bool {
        on(&mr(), &NoCatalogFields, cond)
    }

    fn assert_cases(cases: &[(&str, bool)]) {
        for (cond, want) in cases {
            assert_eq!(check(cond), *want, "{cond}");
        }
    }

    #[test]
    fn every_operator_on_text() {
        let t = "tag = \"SeriesDescription\", ";
        assert_cases(&[
            (
                &format!("{t}op = \"equals\", values = [\"t1_mprage_SAG\"]"),
                true,
            ),
            (
                &format!("{t}op = \"equals\", values = [\"t1_mprage\"]"),
                false,
            ),
            (
                &format!("{t}op = \"equals\", values = [\"t1_mprage_SAG\"], case_sensitive = true"),
                false,
            ),
            (
                &format!("{t}op = \"equals\", values = [\"T1_MPRAGE_sag\"], case_sensitive = true"),
                true,
            ),
            (
                &format!("{t}op = \"not_equals\", values = [\"t1_mprage\"]"),
                true,
            ),
            (
                &format!("{t}op = \"not_equals\", values = [\"x\", \"t1_mprage_sag\"]"),
                false,
            ),
            (&format!("{t}op = \"starts_with\", values = [\"t1\"]"), true),
            (
                &format!("{t}op = \"starts_with\", values = [\"mprage\"]"),
                false,
            ),
            (
                &format!("{t}op = \"starts_with\", values = [\"t1\"], case_sensitive = true"),
                false,
            ),
            (
                &format!("{t}op = \"not_starts_with\", values = [\"t2\", \"flair\"]"),
                true,
            ),
            (
                &format!("{t}op = \"not_starts_with\", values = [\"t2\", \"T1\"]"),
                false,
            ),
            (&format!("{t}op = \"ends_with\", values = [\"SAG\"]"), true),
            (
                &format!("{t}op = \"ends_with\", values = [\"tra\", \"cor\"]"),
                false,
            ),
            (
                &format!("{t}op = \"not_ends_with\", values = [\"tra\"]"),
                true,
            ),
            (
                &format!("{t}op = \"not_ends_with\", values = [\"sag\"]"),
                false,
            ),
            (
                &format!("{t}op = \"contains\", values = [\"flair\", \"mprage\"]"),
                true,
            ),
            (
                &format!("{t}op = \"contains\", values = [\"flair\"]"),
                false,
            ),
            (
                &format!("{t}op = \"contains\", values = [\"mprage\"], case_sensitive = true"),
                false,
            ),
            (
                &format!("{t}op = \"not_contains\", values = [\"flair\", \"tse\"]"),
                true,
            ),
            (
                &format!("{t}op = \"not_contains\", values = [\"flair\", \"MPRAGE\"]"),
                false,
            ),
            (
                &format!("{t}op = \"matches\", values = [\"^t1_.*_sag$\"]"),
                true,
            ),
            (&format!("{t}op = \"matches\", values = [\"mprage\"]"), true),
            (
                &format!("{t}op = \"matches\", values = [\"^mprage\"]"),
                false,
            ),
            (
                &format!("{t}op = \"matches\", values = [\"^t1\"], case_sensitive = true"),
                false,
            ),
            (&format!("{t}op = \"present\""), true),
            (&format!("{t}op = \"absent\""), false),
        ]);
    }

    #[test]
    fn every_operator_on_numbers() {
        let tr = "tag = \"RepetitionTime\", ";
        assert_cases(&[
            (&format!("{tr}op = \"equals\", values = [2300]"), true),
            (&format!("{tr}op = \"equals\", values = [\"2300.0\"]"), true),
            (&format!("{tr}op = \"equals\", values = [2300.5, 6000]"), false),
            (&format!("{tr}op = \"not_equals\", values = [6000]"), true),
            (&format!("{tr}op = \"not_equals\", values = [6000, 2300.0]"), false),
            (&format!("{tr}op = \"less_than\", values = [3000]"), true),
            (&format!("{tr}op = \"less_than\", values = [2300]"), false),
            (&format!("{tr}op = \"less_than\", values = [1000, 2500]"), true),
            (&format!("{tr}op = \"greater_than\", values = [3000]"), false),
            (&format!("{tr}op = \"greater_than\", values = [\"1e3\"]"), true),
            (&format!("{tr}op = \"starts_with\", values = [23]"), true),
            (&format!("{tr}op = \"not_starts_with\", values = [23]"), false),
            (&format!("{tr}op = \"ends_with\", values = [\"00\"]"), true),
            (&format!("{tr}op = \"not_ends_with\", values = [\"00\"]"), false),
            (&format!("{tr}op = \"contains\", values = [30]"), true),
            (&format!("{tr}op = \"not_contains\", values = [30]"), false),
            (&format!("{tr}op = \"matches\", values = [\"^2[0-9]{{3}}$\"]"), true),
            (&format!("{tr}op = \"present\""), true),
            (&format!("{tr}op = \"absent\""), false),
            ("tag = \"EchoTime\", op = \"equals\", values = [2.98]", true),
            ("tag = \"EchoTime\", op = \"greater_than\", values = [2.9]", true),
            ("tag = \"EchoTime\", op = \"less_than\", values = [2.98]", false),
            // US, stored binary.
            ("tag = \"Rows\", op = \"equals\", values = [256]", true),
            ("tag = \"Rows\", op = \"greater_than\", values = [255.5]", true),
            // FD, stored binary, inside a sequence.
            (
                "tag = \"SharedFunctionalGroupsSequence/MRTimingAndRelatedParametersSequence/RepetitionTime\", op = \"equals\", values = [2300]",
                true,
            ),
            // AS compares in years.
            ("tag = \"PatientAge\", op = \"greater_than\", values = [50]", true),
            ("tag = \"PatientAge\", op = \"less_than\", values = [\"661M\"]", true),
            ("tag = \"PatientAge\", op = \"equals\", values = [55]", true),
        ]);
    }

    #[test]
    fn every_operator_on_dates_and_times() {
        let d = "tag = \"StudyDate\", ";
        assert_cases(&[
            (&format!("{d}op = \"equals\", values = [\"2020-11-07\"]"), true),
            (&format!("{d}op = \"equals\", values = [20201107]"), true),
            (&format!("{d}op = \"equals\", values = [2020-11-07]"), true),
            (&format!("{d}op = \"not_equals\", values = [\"20201108\"]"), true),
            (&format!("{d}op = \"not_equals\", values = [\"20201107\"]"), false),
            (&format!("{d}op = \"less_than\", values = [\"2021-01-01\"]"), true),
            (&format!("{d}op = \"less_than\", values = [\"2020-11-07\"]"), false),
            (&format!("{d}op = \"greater_than\", values = [\"2020-01-31\"]"), true),
            (&format!("{d}op = \"greater_than\", values = [\"2020-12-01\"]"), false),
            (&format!("{d}op = \"starts_with\", values = [\"2020\"]"), true),
            (&format!("{d}op = \"not_starts_with\", values = [\"2021\"]"), true),
            (&format!("{d}op = \"ends_with\", values = [\"07\"]"), true),
            (&format!("{d}op = \"not_ends_with\", values = [\"07\"]"), false),
            (&format!("{d}op = \"contains\", values = [\"11\"]"), true),
            (&format!("{d}op = \"not_contains\", values = [\"12\"]"), true),
            (&format!("{d}op = \"matches\", values = [\"^2020\"]"), true),
            (&format!("{d}op = \"present\""), true),
            (&format!("{d}op = \"absent\""), false),
            ("tag = \"AcquisitionTime\", op = \"greater_than\", values = [\"14:00\"]", true),
            ("tag = \"AcquisitionTime\", op = \"less_than\", values = [\"143340.5\"]", true),
            ("tag = \"AcquisitionTime\", op = \"equals\", values = [\"14:33:40\"]", true),
            (
                "tag = \"AcquisitionDateTime\", op = \"equals\", values = [\"2020-11-07T14:33:40\"]",
                true,
            ),
            (
                "tag = \"AcquisitionDateTime\", op = \"greater_than\", values = [2020-11-07T14:00:00]",
                true,
            ),
            ("tag = \"AcquisitionDateTime\", op = \"less_than\", values = [\"2020\"]", false),
        ]);
    }

    #[test]
    fn a_missing_attribute_satisfies_only_negative_operators_and_absent() {
        // InversionTime is not in the object; ProtocolName is present but empty.
        for tag in ["InversionTime", "ProtocolName", "(0029,1010)"] {
            for op in Operator::ALL {
                if tag == "ProtocolName" && op.is_ordering() {
                    continue; // text: rejected when the card is read
                }
                let values = match op {
                    Operator::Present | Operator::Absent => String::new(),
                    _ => ", values = [\"1\"]".to_string(),
                };
                let want = op.negated().is_some() || *op == Operator::Absent;
                let cond = format!("tag = \"{tag}\", op = \"{op}\"{values}");
                assert_eq!(check(&cond), want, "{cond}");
            }
        }
    }

    #[test]
    fn multi_valued_attributes_match_when_any_value_matches() {
        let it = "tag = \"ImageType\", ";
        assert_cases(&[
            (
                &format!("{it}op = \"equals\", values = [\"primary\"]"),
                true,
            ),
            (
                &format!("{it}op = \"equals\", values = [\"ORIGINAL\\\\PRIMARY\"]"),
                false,
            ),
            // not_equals: no value equals any given value.
            (
                &format!("{it}op = \"not_equals\", values = [\"primary\"]"),
                false,
            ),
            (
                &format!("{it}op = \"not_equals\", values = [\"derived\", \"secondary\"]"),
                true,
            ),
            (&format!("{it}op = \"contains\", values = [\"RIG\"]"), true),
            // not_contains: true when NO value contains any of the given values.
            (
                &format!("{it}op = \"not_contains\", values = [\"RIG\"]"),
                false,
            ),
            (
                &format!("{it}op = \"not_contains\", values = [\"DERIVED\", \"SEC\"]"),
                true,
            ),
            (&format!("{it}op = \"ends_with\", values = [\"ARY\"]"), true),
            (&format!("{it}op = \"matches\", values = [\"^M$\"]"), true),
            (
                "tag = \"PixelSpacing\", op = \"less_than\", values = [1.2]",
                true,
            ),
            (
                "tag = \"PixelSpacing\", op = \"greater_than\", values = [1.2]",
                true,
            ),
            (
                "tag = \"PixelSpacing\", op = \"greater_than\", values = [1.5]",
                false,
            ),
            (
                "tag = \"PixelSpacing\", op = \"equals\", values = [1.5]",
                true,
            ),
            (
                "tag = \"PixelSpacing\", op = \"not_equals\", values = [1]",
                false,
            ),
        ]);
    }

    #[test]
    fn sequence_paths_select_items() {
        let te = "MREchoSequence/EffectiveEchoTime\", op = \"equals\", values = ";
        assert_cases(&[
            (&format!("tag = \"PerFrameFunctionalGroupsSequence/{te}[20]"), true),
            (&format!("tag = \"PerFrameFunctionalGroupsSequence[*]/{te}[20]"), true),
            (&format!("tag = \"PerFrameFunctionalGroupsSequence[0]/{te}[20]"), false),
            (&format!("tag = \"PerFrameFunctionalGroupsSequence[1]/{te}[20]"), true),
            (&format!("tag = \"PerFrameFunctionalGroupsSequence[0]/{te}[10]"), true),
            (&format!("tag = \"PerFrameFunctionalGroupsSequence[5]/{te}[10]"), false),
            (
                "tag = \"PerFrameFunctionalGroupsSequence[5]/MREchoSequence/EffectiveEchoTime\", op = \"absent\"",
                true,
            ),
            (
                "tag = \"PerFrameFunctionalGroupsSequence/MREchoSequence/EffectiveEchoTime\", op = \"greater_than\", values = [15]",
                true,
            ),
            (
                "tag = \"(5200,9230)/(0018,9114)/(0018,9082)\", op = \"less_than\", values = [15]",
                true,
            ),
            // Sequences themselves: present when they have an item.
            ("tag = \"PerFrameFunctionalGroupsSequence\", op = \"present\"", true),
            ("tag = \"ReferencedImageSequence\", op = \"present\"", false),
            ("tag = \"ReferencedImageSequence\", op = \"absent\"", true),
            ("tag = \"SourceImageSequence\", op = \"absent\"", true),
        ]);
    }

    #[test]
    fn private_attributes_read_as_un_compare_by_their_text() {
        assert_cases(&[
            (
                "tag = \"(0019,100C)\", op = \"equals\", values = [1000]",
                true,
            ),
            (
                "tag = \"(0019,100C)\", op = \"equals\", values = [\"1000.0\"]",
                false,
            ),
            (
                "tag = \"(0019,100C)\", op = \"equals\", values = [1000.0]",
                true,
            ),
            (
                "tag = \"(0019,100C)\", op = \"greater_than\", values = [500]",
                true,
            ),
            (
                "tag = \"(0019,100C)\", op = \"less_than\", values = [500]",
                false,
            ),
            ("tag = \"(0019,100C)\", op = \"present\"", true),
        ]);
    }

    #[test]
    fn catalog_fields_come_from_the_catalog_then_dicom() {
        let cat: BTreeMap<CatalogField, String> = [
            (CatalogField::Center, "Rennes CHU".to_string()),
            (CatalogField::FieldStrength, "1.5".to_string()),
        ]
        .into();
        let obj = mr();
        let yes = |c: &str| on(&obj, &cat, c);
        assert!(yes(
            "field = \"center\", op = \"equals\", values = [\"rennes chu\"]"
        ));
        assert!(yes(
            "field = \"center\", op = \"starts_with\", values = [\"Rennes\"]"
        ));
        // The catalog's value wins over DICOM's (3 T in the object).
        assert!(yes(
            "field = \"field_strength\", op = \"less_than\", values = [2]"
        ));
        // Fields the catalog does not know fall back to DICOM.
        assert!(yes(
            "field = \"modality\", op = \"equals\", values = [\"mr\"]"
        ));
        assert!(yes(
            "field = \"series_description\", op = \"contains\", values = [\"mprage\"]"
        ));
        assert!(yes(
            "field = \"examination_date\", op = \"less_than\", values = [\"2021-01-01\"]"
        ));
        assert!(yes("field = \"study\", op = \"absent\""));
        assert!(yes("field = \"protocol_name\", op = \"absent\""));
        let none = NoCatalogFields;
        assert!(on(
            &obj,
            &none,
            "field = \"field_strength\", op = \"equals\", values = [3]"
        ));
        assert!(on(
            &obj,
            &none,
            "field = \"center\", op = \"not_equals\", values = [\"x\"]"
        ));
    }

    fn scoped(scope: &str) -> StudyCard {
        parse_card(&format!(
            "name = \"s\"\n{scope}\n[[rule]]\nassign = {{ nature = \"T1w\" }}\n"
        ))
        .unwrap()
    }

    #[test]
    fn scope_restricts_cards_to_a_center_and_equipment() {
        let obj = mr();
        let rennes: BTreeMap<CatalogField, String> =
            [(CatalogField::Center, " Rennes ".to_string())].into();
        let cases = [
            ("", &NoCatalogFields as &dyn CatalogFields, true),
            ("center = \"rennes\"", &rennes, true),
            ("center = \"ren\"", &rennes, false),
            ("center = \"rennes\"", &NoCatalogFields, false),
            ("equipment = { manufacturer = \"siemens\" }", &NoCatalogFields, true),
            ("equipment = { manufacturer = \"ge\" }", &NoCatalogFields, false),
            ("equipment = { model = \"prisma\" }", &NoCatalogFields, true),
            (
                "equipment = { manufacturer = \"Siemens\", model = \"skyra\" }",
                &NoCatalogFields,
                false,
            ),
            (
                "center = \"Rennes\"\nequipment = { manufacturer = \"SIEMENS\", model = \"Prisma_fit\" }",
                &rennes,
                true,
            ),
        ];
        for (scope, cat, want) in cases {
            let card = scoped(scope);
            let out = evaluate(&card, &obj, cat);
            assert_eq!(out.in_scope, want, "{scope}");
            assert_eq!(out.assignments.nature.is_some(), want, "{scope}");
            assert_eq!(out.matched_rules.len(), usize::from(want), "{scope}");
        }
        // The catalog's manufacturer wins over DICOM's; unknown equipment is out of scope.
        let ge: BTreeMap<CatalogField, String> =
            [(CatalogField::Manufacturer, "GE MEDICAL".to_string())].into();
        let card = scoped("equipment = { manufacturer = \"siemens\" }");
        assert!(!evaluate(&card, &obj, &ge).in_scope);
        assert!(!evaluate(&card, &InMemDicomObject::new_empty(), &NoCatalogFields).in_scope);
    }

    #[test]
    fn rules_apply_in_order_later_scalars_win_and_tags_accumulate() {
        let card = parse_card(
            r#"
name = "order"
[[rule]]
assign = { nature = "T2w", contrast = "T2", tags = ["all"] }
[[rule]]
conditions = [{ tag = "SeriesDescription", op = "contains", values = ["mprage"] },
              { tag = "RepetitionTime", op = "less_than", values = [3000] }]
assign = { nature = "T1w", tags = ["t1", "all"] }
[[rule]]
conditions = [{ tag = "SeriesDescription", op = "contains", values = ["mprage"] },
              { tag = "RepetitionTime", op = "greater_than", values = [3000] }]
assign = { nature = "PDw" }
[[rule]]
conditions = [{ tag = "Modality", op = "equals", values = ["MR"] }]
assign = { series_name = "mr", tags = ["mr"] }
"#,
        )
        .unwrap();
        let out = evaluate(&card, &mr(), &NoCatalogFields);
        assert_eq!(out.matched_rules, [0, 1, 3]);
        assert_eq!(out.assignments.nature, Some(Nature::T1w));
        assert_eq!(out.assignments.contrast.as_deref(), Some("T2"));
        assert_eq!(out.assignments.series_name.as_deref(), Some("mr"));
        assert_eq!(out.assignments.tags, ["all", "t1", "mr"]);
        assert_eq!(out.grade, None, "no quality rules: ungraded");
    }

    #[test]
    fn the_grade_is_the_worst_matching_quality_rule() {
        let card = parse_card(
            r#"
name = "q"
[[quality]]
grade = "warning"
message = "TR over 2 s"
conditions = [{ tag = "RepetitionTime", op = "greater_than", values = [2000] }]
[[quality]]
grade = "fail"
conditions = [{ tag = "EchoTime", op = "greater_than", values = [2] },
              { tag = "InversionTime", op = "absent" }]
[[quality]]
grade = "fail"
conditions = [{ tag = "Rows", op = "less_than", values = [64] }]
"#,
        )
        .unwrap();
        let out = evaluate(&card, &mr(), &NoCatalogFields);
        assert_eq!(out.grade, Some(Grade::Fail));
        assert_eq!(out.findings.len(), 2);
        assert_eq!(out.findings[0].message, "TR over 2 s");
        assert_eq!(
            out.findings[0].observed,
            "`RepetitionTime` greater_than 2000 (found 2300)"
        );
        assert_eq!(
            out.findings[1].message,
            "`EchoTime` greater_than 2 (found 2.98); `InversionTime` absent (found missing)"
        );
        assert_eq!(out.findings[1].rule, 1);
        // Nothing matches: pass.
        let empty = evaluate(&card, &InMemDicomObject::new_empty(), &NoCatalogFields);
        assert_eq!((empty.grade, empty.findings.len()), (Some(Grade::Pass), 0));
    }

    #[test]
    fn a_study_applies_the_latest_version_of_each_card_in_name_order() {
        let mk = |text: &str, version| VersionedCard {
            version,
            card: parse_card(text).unwrap(),
        };
        let cards = [
            mk("name = \"b\"\n[[rule]]\nassign = { nature = \"FLAIR\", tags = [\"b\"] }", 1),
            mk("name = \"a\"\n[[rule]]\nassign = { nature = \"T2w\", contrast = \"T2\", tags = [\"a2\"] }\n[[quality]]\ngrade = \"warning\"", 2),
            mk("name = \"a\"\n[[rule]]\nassign = { nature = \"T1w\", tags = [\"a1\"] }\n[[quality]]\ngrade = \"fail\"", 1),
            mk("name = \"c\"\ncenter = \"elsewhere\"\n[[rule]]\nassign = { nature = \"bold\" }", 1),
            mk("name = \"d\"\n[[quality]]\ngrade = \"pass\"", 1),
        ];
        let out = evaluate_study(&cards, &mr(), &NoCatalogFields);
        let applied: Vec<_> = out
            .applications
            .iter()
            .map(|a| (a.card_name.as_str(), a.card_version))
            .collect();
        assert_eq!(applied, [("a", 2), ("b", 1), ("d", 1)]);
        assert_eq!(out.out_of_scope, ["c"]);
        assert_eq!(out.assignments.nature, Some(Nature::Flair));
        assert_eq!(out.assignments.contrast.as_deref(), Some("T2"));
        assert_eq!(out.assignments.tags, ["a2", "b"]);
        assert_eq!(out.grade, Some(Grade::Warning));
        assert_eq!(out.applications[0].grade, Some(Grade::Warning));
        assert_eq!(out.applications[1].grade, None);
        assert_eq!(out.findings.len(), 2);
        assert_eq!(
            evaluate_study(&[], &mr(), &NoCatalogFields),
            StudyOutcome::default()
        );
    }
}
