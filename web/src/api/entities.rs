//! `GET /subjects/{id}` and `GET /examinations/{id}`: one subject (its examinations and their
//! acquisitions, its clinical scores) or one examination, with the study's `see` right. A
//! center-limited right shows only the examinations at its centers (and refuses an examination
//! elsewhere, and a subject never examined there, as if they did not exist); audited as views.

use axum::extract::State;
use axum::Json;
use node::{Assessment, AuditAction, Catalog, NewEvent, Right, ScoreValue};
use protocol::id::{ExaminationId, SubjectId};
use serde::Serialize;
use utoipa::ToSchema;

use super::datasets::SubjectSummary;
use super::studies::{view_of, ExaminationNode, TreeReader, View};
use super::{PathParams, StudyRef};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

/// One recorded assessment of a subject.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ScoreEntry {
    /// The instrument's acronym.
    pub instrument: String,
    /// The examination it belongs to, when recorded at one.
    pub examination: Option<String>,
    /// Values by variable: numbers, codes as strings.
    #[schema(value_type = Object)]
    pub values: serde_json::Map<String, serde_json::Value>,
    /// When it was recorded, unix seconds.
    pub recorded_at: u64,
}

/// `GET /subjects/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SubjectDetail {
    /// The study.
    pub study: StudyRef,
    /// The subject.
    pub subject: SubjectSummary,
    /// Its examinations the caller may see, with their acquisitions and datasets.
    pub examinations: Vec<ExaminationNode>,
    /// Its clinical scores the caller may see.
    pub scores: Vec<ScoreEntry>,
}

/// `GET /examinations/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExaminationDetail {
    /// The study.
    pub study: StudyRef,
    /// The subject.
    pub subject: SubjectSummary,
    /// The examination with its acquisitions and datasets.
    pub examination: ExaminationNode,
    /// The examination's comment.
    pub comment: Option<String>,
    /// Clinical scores recorded at this examination.
    pub scores: Vec<ScoreEntry>,
}

fn score_json(v: &ScoreValue) -> serde_json::Value {
    match v {
        ScoreValue::Integer(i) => (*i).into(),
        ScoreValue::Number(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        ScoreValue::Code(c) => c.clone().into(),
    }
}

fn score_entry(a: &Assessment) -> ScoreEntry {
    ScoreEntry {
        instrument: a.instrument.clone(),
        examination: a.examination.map(|e| e.to_string()),
        values: a
            .values
            .iter()
            .map(|(k, v)| (k.clone(), score_json(v)))
            .collect(),
        recorded_at: a.recorded_at,
    }
}

fn summary(s: &node::Subject) -> SubjectSummary {
    SubjectSummary {
        id: s.id.to_string(),
        pseudonym: s.pseudonym.clone(),
        sex: s.sex.clone(),
        birth_year: s.birth_year,
        subject_type: s.subject_type.clone(),
    }
}

/// The subject's assessments the caller may see: at visible examinations, and the
/// subject-level ones when `exam_visible` (the subject was examined where the caller sees).
fn scores_of(
    catalog: &Catalog,
    s: &node::Subject,
    visible: &dyn Fn(ExaminationId) -> bool,
    subject_level: bool,
) -> ApiResult<Vec<ScoreEntry>> {
    Ok(catalog
        .assessments(s.study, None)?
        .iter()
        .filter(|a| a.subject == s.id)
        .filter(|a| a.examination.map_or(subject_level, visible))
        .map(score_entry)
        .collect())
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("no {what} {id}"))
}

/// A subject with its examinations and scores.
#[utoipa::path(get, path = "/api/v1/subjects/{id}", operation_id = "get_subject", tag = "studies",
    params(("id" = String, Path, description = "Subject id (`su_…`)")),
    responses(
        (status = 200, body = SubjectDetail),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn subject(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<SubjectDetail>> {
    let id: SubjectId = path.id(0)?;
    blocking(move || {
        let catalog = &st.node.catalog;
        let s = catalog
            .subject(id)?
            .ok_or_else(|| not_found("subject", &id.to_string()))?;
        let study = catalog
            .study(s.study)?
            .ok_or_else(|| not_found("study", &s.study.to_string()))?;
        let t = now();
        let view = view_of(st.access(), &auth.principal(), Right::See, &study, t)?;
        let mut reader = TreeReader::new(catalog)?;
        let mut examinations = Vec::new();
        let mut visible = Vec::new();
        for x in catalog.examinations_of(s.id)? {
            if view.allows(x.center) {
                visible.push(x.id);
                examinations.push(reader.examination(x)?);
            }
        }
        if examinations.is_empty() && view != View::All {
            return Err(not_found("subject", &id.to_string()));
        }
        let scores = scores_of(catalog, &s, &|e| visible.contains(&e), true)?;
        catalog.audit().append_lazy(
            NewEvent::new(auth.who(), AuditAction::View, t)
                .study(study.id)
                .detail(format!("subject {id}")),
        )?;
        Ok(Json(SubjectDetail {
            study: StudyRef::from(&study),
            subject: summary(&s),
            examinations,
            scores,
        }))
    })
    .await
}

/// An examination with its acquisitions, datasets and scores.
#[utoipa::path(get, path = "/api/v1/examinations/{id}", operation_id = "get_examination", tag = "studies",
    params(("id" = String, Path, description = "Examination id (`ex_…`)")),
    responses(
        (status = 200, body = ExaminationDetail),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn examination(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<ExaminationDetail>> {
    let id: ExaminationId = path.id(0)?;
    blocking(move || {
        let catalog = &st.node.catalog;
        let x = catalog
            .examination(id)?
            .ok_or_else(|| not_found("examination", &id.to_string()))?;
        let study = catalog
            .study(x.study)?
            .ok_or_else(|| not_found("study", &x.study.to_string()))?;
        let s = catalog
            .subject(x.subject)?
            .ok_or_else(|| not_found("subject", &x.subject.to_string()))?;
        let t = now();
        let view = view_of(st.access(), &auth.principal(), Right::See, &study, t)?;
        if !view.allows(x.center) {
            return Err(not_found("examination", &id.to_string()));
        }
        let scores = scores_of(catalog, &s, &|e| e == id, false)?;
        let comment = x.comment.clone();
        let examination = TreeReader::new(catalog)?.examination(x)?;
        catalog.audit().append_lazy(
            NewEvent::new(auth.who(), AuditAction::View, t)
                .study(study.id)
                .detail(format!("examination {id}")),
        )?;
        Ok(Json(ExaminationDetail {
            study: StudyRef::from(&study),
            subject: summary(&s),
            examination,
            comment,
            scores,
        }))
    })
    .await
}
