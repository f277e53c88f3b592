//! From a catalog row to an index document: every value a dataset is searched, filtered,
//! counted and sorted by, and the [`Hit`] shown for it.
//!
//! Everything here comes from the catalog, which holds no PHI: subjects appear by pseudonym,
//! dates are the shifted ones. Nothing else is written to the index.

use std::collections::HashMap;

use protocol::id::{CenterId, EquipmentId, SubjectId};
use protocol::query::{FacetField, Hit, QcGrade, RangeField, StudyRef};
use protocol::time::Date;
use tantivy::TantivyDocument;

use super::schema::Fields;
use crate::catalog::{Catalog, CatalogError, Center, DatasetRow, Equipment};
use crate::scores::{Assessment, Instrument};
use dicom::Grade;

/// Longest value indexed for a facet or offered as a completion, in bytes (the longest term a
/// filter may name is 256 bytes as well).
const MAX_VALUE: usize = 256;

/// What a row refers to by id and the index shows by name: centers and equipment; and what
/// its subject was scored (assessments, with the instruments' definitions). Small (one entry
/// per center, scanner, instrument and assessment), read from the catalog before each batch.
#[derive(Debug, Clone, Default)]
pub struct Context {
    centers: HashMap<CenterId, String>,
    equipment: HashMap<EquipmentId, Equipment>,
    instruments: HashMap<String, Instrument>,
    assessments: HashMap<SubjectId, Vec<Assessment>>,
}

impl Context {
    /// Read every center, scanner, instrument and assessment of the catalog.
    pub fn load(catalog: &Catalog) -> Result<Context, CatalogError> {
        Ok(
            Context::from_parts(catalog.centers()?, catalog.all_equipment()?)
                .with_scores(catalog.instruments()?, catalog.all_assessments()?),
        )
    }

    /// A context from these centers and scanners.
    pub fn from_parts(centers: Vec<Center>, equipment: Vec<Equipment>) -> Context {
        Context {
            centers: centers.into_iter().map(|c| (c.id, c.name)).collect(),
            equipment: equipment.into_iter().map(|e| (e.id, e)).collect(),
            ..Context::default()
        }
    }

    /// This context with these instruments and assessments (replacing any it had).
    pub fn with_scores(
        mut self,
        instruments: Vec<Instrument>,
        assessments: Vec<Assessment>,
    ) -> Self {
        self.instruments = instruments
            .into_iter()
            .map(|i| (i.acronym.to_ascii_lowercase(), i))
            .collect();
        self.assessments.clear();
        for a in assessments {
            self.assessments.entry(a.subject).or_default().push(a);
        }
        self
    }

    /// The center's name (its id when the center is unknown).
    pub fn center_name(&self, id: CenterId) -> String {
        self.centers
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

/// Every indexed value of one dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Term values per facet field (several for tags).
    pub facets: Vec<(FacetField, Vec<String>)>,
    /// Numeric values.
    pub ranges: Vec<(RangeField, f64)>,
    /// Examination date, days since 1970-01-01.
    pub exam_date: Option<i64>,
    /// Quality rank (pass 0, warning 1, fail 2).
    pub qc_rank: Option<u64>,
    /// Clinical score terms (see `index/scores.rs`).
    pub scores: Vec<String>,
    /// Free text.
    pub text: Vec<String>,
    /// Completions.
    pub suggest: Vec<String>,
    /// The hit.
    pub hit: Hit,
}

/// Age band of an age in years: `30-39`.
pub(super) fn age_band(age: f64) -> Option<String> {
    if !age.is_finite() || !(0.0..200.0).contains(&age) {
        return None;
    }
    let lo = (age.floor() as u32 / 10) * 10;
    Some(format!("{lo}-{}", lo + 9))
}

/// Field strength as facet text: `3`, `1.5` (tenths of a tesla).
pub(super) fn field_strength_text(t: f64) -> Option<String> {
    if !t.is_finite() || t <= 0.0 {
        return None;
    }
    Some(format!("{}", (t * 10.0).round() / 10.0))
}

/// The protocol's grade for a card grade.
pub(super) fn qc_grade(g: Grade) -> QcGrade {
    match g {
        Grade::Pass => QcGrade::Pass,
        Grade::Warning => QcGrade::Warning,
        Grade::Fail => QcGrade::Fail,
    }
}

fn qc_rank(g: QcGrade) -> u64 {
    match g {
        QcGrade::Pass => 0,
        QcGrade::Warning => 1,
        QcGrade::Fail => 2,
    }
}

fn bounded(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut end = s.len().min(MAX_VALUE);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Some(s[..end].to_string())
}

impl Summary {
    /// Summarize a row.
    pub fn of(row: &DatasetRow, ctx: &Context) -> Summary {
        let acq = &row.acquisition;
        let exam = &row.examination;
        let p = &acq.protocol;
        let cards = &acq.cards.current;
        let center = ctx.center_name(exam.center);
        let equipment = exam.equipment.and_then(|id| ctx.equipment.get(&id));
        let field_strength = equipment
            .and_then(|e| e.field_strength)
            .or(p.field_strength)
            .filter(|t| t.is_finite() && *t > 0.0);
        let exam_date = exam.date.as_deref().and_then(|d| d.parse::<Date>().ok());
        let age = exam
            .age_years
            .filter(|a| a.is_finite() && *a >= 0.0)
            .or_else(|| {
                let born = row.subject.birth_year?;
                let year = i32::from(exam_date?.year());
                (year >= born).then(|| f64::from(year - born))
            });
        let nature = cards.nature.map(|n| n.as_str().to_string());
        let grade = acq.cards.grade.map(qc_grade);
        let dims = match &p.dims {
            Some(d) => d.clone(),
            None => [p.columns, p.rows, Some(p.frames)]
                .into_iter()
                .flatten()
                .collect(),
        };

        let one = |v: Option<&str>| -> Vec<String> { v.and_then(bounded).into_iter().collect() };
        let facets = vec![
            (FacetField::Study, one(Some(&row.study.name))),
            (FacetField::Center, one(Some(&center))),
            (
                FacetField::Manufacturer,
                one(equipment.map(|e| e.manufacturer.as_str())),
            ),
            (FacetField::Model, one(equipment.map(|e| e.model.as_str()))),
            (
                FacetField::FieldStrength,
                field_strength
                    .and_then(field_strength_text)
                    .into_iter()
                    .collect(),
            ),
            (FacetField::Modality, one(Some(&acq.modality))),
            (FacetField::Nature, one(nature.as_deref())),
            (FacetField::Contrast, one(cards.contrast.as_deref())),
            (
                FacetField::BidsDatatype,
                one(cards.effective_bids_datatype().map(|b| b.as_str())),
            ),
            (
                FacetField::QcGrade,
                one(acq.cards.grade.map(|g| g.as_str())),
            ),
            (FacetField::Sex, one(row.subject.sex.as_deref())),
            (
                FacetField::AgeBand,
                age.and_then(age_band).into_iter().collect(),
            ),
            (
                FacetField::ExamYear,
                exam_date
                    .map(|d| d.year().to_string())
                    .into_iter()
                    .collect(),
            ),
            (FacetField::Tags, {
                let mut tags: Vec<String> = cards.tags.iter().filter_map(|t| bounded(t)).collect();
                tags.sort();
                tags.dedup();
                tags
            }),
            (
                FacetField::HasNifti,
                vec![row.dataset.nifti.is_some().to_string()],
            ),
        ];

        let ranges = [
            (RangeField::Tr, p.repetition_time),
            (RangeField::Te, p.echo_time),
            (RangeField::Ti, p.inversion_time),
            (RangeField::FlipAngle, p.flip_angle),
            (RangeField::SliceThickness, p.slice_thickness),
            // The coarser in-plane spacing: `pixel_spacing:[* TO 1]` means 1 mm or finer both ways.
            (
                RangeField::PixelSpacing,
                p.pixel_spacing.map(|[r, c]| r.max(c)),
            ),
            (RangeField::FieldStrength, field_strength),
            (RangeField::Age, age),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.filter(|v| v.is_finite()).map(|v| (f, v)))
        .collect();

        let mut text: Vec<String> = [
            acq.series_description.as_deref(),
            acq.protocol_name.as_deref(),
            cards.series_name.as_deref(),
            Some(row.study.name.as_str()),
            Some(row.study.description.as_str()),
            Some(center.as_str()),
            equipment.map(|e| e.manufacturer.as_str()),
            equipment.map(|e| e.model.as_str()),
            Some(acq.modality.as_str()),
            nature.as_deref(),
            cards.contrast.as_deref(),
            cards.effective_bids_datatype().map(|b| b.as_str()),
            cards.comment.as_deref(),
            exam.comment.as_deref(),
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .collect();
        text.extend(cards.tags.iter().cloned());

        let mut suggest: Vec<String> = [
            acq.series_description.as_deref(),
            acq.protocol_name.as_deref(),
            cards.series_name.as_deref(),
            Some(row.study.name.as_str()),
            Some(center.as_str()),
            equipment.map(|e| e.manufacturer.as_str()),
            equipment.map(|e| e.model.as_str()),
            nature.as_deref(),
        ]
        .into_iter()
        .flatten()
        .filter_map(bounded)
        .chain(cards.tags.iter().filter_map(|t| bounded(t)))
        .collect();
        suggest.sort();
        suggest.dedup();

        let hit = Hit {
            node: None,
            dataset: row.dataset.id,
            center,
            study: StudyRef {
                id: row.study.id,
                name: row.study.name.clone(),
            },
            subject: row.subject.pseudonym.clone(),
            exam_date,
            modality: acq.modality.clone(),
            series_description: acq.series_description.clone(),
            nature,
            contrast: cards.contrast.clone(),
            qc_grade: grade,
            dims,
            instances: row.dataset.dicom.instances,
            content: row.dataset.content_id(),
            has_nifti: row.dataset.nifti.is_some(),
            score: None,
        };
        let scores = super::scores::terms(
            ctx.assessments
                .get(&row.subject.id)
                .map_or(&[][..], Vec::as_slice),
            &ctx.instruments,
            exam.id,
        );
        Summary {
            facets,
            ranges,
            scores,
            exam_date: exam_date.map(Date::days_since_epoch),
            qc_rank: grade.map(qc_rank),
            text,
            suggest,
            hit,
        }
    }

    /// The tantivy document.
    pub fn document(&self, row: &DatasetRow, f: &Fields) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_text(f.dataset_id, row.dataset.id.to_string());
        doc.add_text(f.study_id, row.study.id.to_string());
        doc.add_text(f.center_id, row.examination.center.to_string());
        doc.add_text(f.subject_id, row.subject.id.to_string());
        doc.add_text(f.examination_id, row.examination.id.to_string());
        let id = u128::from_be_bytes(row.dataset.id.to_bytes());
        doc.add_u64(f.id_hi, (id >> 64) as u64);
        doc.add_u64(f.id_lo, id as u64);
        for (field, values) in &self.facets {
            for v in values {
                doc.add_text(f.facet(*field), v);
            }
        }
        for (field, v) in &self.ranges {
            doc.add_f64(f.range(*field), *v);
        }
        if let Some(d) = self.exam_date {
            doc.add_i64(f.exam_date, d);
        }
        if let Some(r) = self.qc_rank {
            doc.add_u64(f.qc_rank, r);
        }
        doc.add_text(f.subject, &row.subject.pseudonym);
        for t in &self.scores {
            doc.add_text(f.scores, t);
        }
        for t in &self.text {
            doc.add_text(f.text, t);
            doc.add_text(f.text_raw, t);
        }
        for s in &self.suggest {
            doc.add_text(f.suggest, s);
        }
        // A Hit always serializes (plain data); an empty record would only show as a missing hit.
        doc.add_bytes(f.hit, &serde_json::to_vec(&self.hit).unwrap_or_default());
        doc
    }
}
