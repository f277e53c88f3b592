//! Clinical scores over HTTP: the instruments (`GET`/`POST /instruments`), recording a study's
//! assessments (`POST /studies/{id}/assessments`: JSON rows or a CSV table, all or none, every
//! bad row reported) and reading them back (`GET /studies/{id}/scores`, JSON or CSV).
//!
//! Rights, as for the rest of the API: any account lists instruments; defining one takes the
//! admin role or the `administer` right on some study (a study manager: instruments are shared
//! by the node's studies); recording takes `import` on the study (at this node's center, as an
//! upload does); reading takes `see`, and a center-limited `see` shows only the assessments of
//! the examinations of its centers and the subject-level ones of subjects examined there.

use std::collections::{BTreeMap, HashSet};

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use node::{AccessScope, AuditAction, NewEvent, NodeError, Right, Role};
use node::{Catalog, Instrument, Study, Table, VariableKind};
use protocol::id::ExaminationId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::studies::{view_of, View};
use super::{clip, PathParams, QueryParams, StudyKey, StudyRef};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

/// Largest body of `POST /studies/{id}/assessments` and `POST /instruments`.
pub(crate) const MAX_SCORES_BODY: usize = 8 << 20;

/// One variable of an instrument (the TOML definition's keys).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VariableBody {
    /// Name, as in column headers and filters.
    pub name: String,
    /// `number`, `integer` or `choice`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Smallest allowed value (number, integer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest allowed value (number, integer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Allowed values are `min + k * step` (number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<f64>,
    /// The allowed codes (choice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// Unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// What it measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An instrument definition, as `neurofed scores instrument add` reads it from TOML.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstrumentBody {
    /// Full name.
    pub name: String,
    /// Acronym, the instrument's key (`EDSS`): letters, digits, `-` and `_`.
    pub acronym: String,
    /// What it is, its reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its variables, at least one.
    pub variables: Vec<VariableBody>,
}

impl From<&Instrument> for InstrumentBody {
    fn from(i: &Instrument) -> Self {
        InstrumentBody {
            name: i.name.clone(),
            acronym: i.acronym.clone(),
            description: i.description.clone(),
            variables: i
                .variables
                .iter()
                .map(|v| {
                    let (kind, min, max, step, values) = match &v.kind {
                        VariableKind::Number { min, max, step } => {
                            ("number", *min, *max, *step, None)
                        }
                        VariableKind::Integer { min, max } => (
                            "integer",
                            min.map(|x| x as f64),
                            max.map(|x| x as f64),
                            None,
                            None,
                        ),
                        VariableKind::Choice { values } => {
                            ("choice", None, None, None, Some(values.clone()))
                        }
                    };
                    VariableBody {
                        name: v.name.clone(),
                        kind: kind.to_string(),
                        min,
                        max,
                        step,
                        values,
                        unit: v.unit.clone(),
                        description: v.description.clone(),
                    }
                })
                .collect(),
        }
    }
}

/// `GET /instruments`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct InstrumentList {
    /// Every instrument of the node, by acronym.
    pub instruments: Vec<InstrumentBody>,
}

/// What `POST /instruments` did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct InstrumentSet {
    /// The instrument's acronym.
    pub instrument: String,
    /// Whether the definition changed (false: already recorded as defined).
    pub changed: bool,
}

fn node_error(e: NodeError) -> ApiError {
    match e {
        NodeError::Catalog(c) => c.into(),
        NodeError::Index(i) => i.into(),
        NodeError::Busy => ApiError::conflict(e.to_string()),
        other => ApiError::internal(other),
    }
}

/// The body, at most [`MAX_SCORES_BODY`] bytes, and its media type (lower-cased, without
/// parameters).
async fn body_of(req: Request) -> ApiResult<(String, Vec<u8>)> {
    let media = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(req.into_body(), MAX_SCORES_BODY)
        .await
        .map_err(|_| {
            ApiError::too_large(format!(
                "the body is larger than {} MiB (or was cut)",
                MAX_SCORES_BODY >> 20
            ))
        })?;
    Ok((media, bytes.to_vec()))
}

fn utf8(bytes: Vec<u8>) -> ApiResult<String> {
    String::from_utf8(bytes).map_err(|_| ApiError::bad_request("the body is not UTF-8 text"))
}

/// The instruments of the node.
#[utoipa::path(get, path = "/api/v1/instruments", operation_id = "list_instruments", tag = "scores",
    responses((status = 200, body = InstrumentList), (status = 401, body = ErrorBody)))]
pub(crate) async fn list_instruments(
    State(st): State<AppState>,
    _auth: Auth,
) -> ApiResult<Json<InstrumentList>> {
    blocking(move || {
        let all = st.node.catalog.instruments()?;
        Ok(Json(InstrumentList {
            instruments: all.iter().map(InstrumentBody::from).collect(),
        }))
    })
    .await
}

/// Define an instrument, or a new version of one (refused while a recorded value would not pass
/// it). The body is the definition as JSON, or its TOML text with `Content-Type:
/// application/toml`. Admins and study administrators; audited.
#[utoipa::path(post, path = "/api/v1/instruments", operation_id = "set_instrument", tag = "scores",
    request_body(content = InstrumentBody, description = "JSON, or the TOML definition with `Content-Type: application/toml`"),
    responses((status = 200, body = InstrumentSet), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub(crate) async fn set_instrument(
    State(st): State<AppState>,
    auth: Auth,
    req: Request,
) -> ApiResult<Json<InstrumentSet>> {
    let (st2, auth2) = (st.clone(), auth.clone());
    blocking(move || {
        if auth2.user.role == Role::Admin && !auth2.user.disabled {
            return Ok(());
        }
        match st2
            .access()
            .scope(&auth2.principal(), Right::Administer, now())?
        {
            AccessScope::Studies(v) if v.is_empty() => Err(ApiError::forbidden(format!(
                "account {:?} administers no study: instruments are defined by admins and study administrators",
                auth2.user.name
            ))),
            _ => Ok(()),
        }
    })
    .await?;
    let (media, bytes) = body_of(req).await?;
    let instrument = match media.as_str() {
        "application/json" => {
            let body: InstrumentBody = serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
            let value = serde_json::to_value(&body).map_err(ApiError::internal)?;
            let i: Instrument = serde_json::from_value(value)
                .map_err(|e| ApiError::bad_request(format!("instrument definition: {e}")))?;
            i.validate()
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            i
        }
        "application/toml" | "text/plain" => Instrument::from_toml(&utf8(bytes)?)
            .map_err(|e| ApiError::bad_request(e.to_string()))?,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the definition as application/json or application/toml",
            ))
        }
    };
    blocking(move || {
        let changed = st
            .node
            .set_instrument(&instrument, auth.who())
            .map_err(node_error)?;
        Ok(Json(InstrumentSet {
            instrument: instrument.acronym,
            changed,
        }))
    })
    .await
}

/// One row of `POST /studies/{id}/assessments` as JSON.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssessmentRow {
    /// The subject's pseudonym (`sub-` prefix allowed).
    pub subject: String,
    /// The examination's shifted date (`ses-YYYYMMDD`, `YYYY-MM-DD`, `YYYYMMDD`); none: the
    /// subject level.
    #[serde(default)]
    pub session: Option<String>,
    /// The examination's id (`ex_…`), instead of or with `session`.
    #[serde(default)]
    pub examination: Option<String>,
    /// Values by variable name: numbers, or codes as strings.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub values: BTreeMap<String, serde_json::Value>,
}

/// `POST /studies/{id}/assessments` as JSON.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssessmentRows {
    /// The rows; problems are reported as `row N` (from 1).
    pub rows: Vec<AssessmentRow>,
}

/// What recording did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ScoresReportBody {
    /// The instrument.
    pub instrument: String,
    /// Rows taken.
    pub rows: usize,
    /// Assessments that did not exist.
    pub added: usize,
    /// Assessments whose values changed.
    pub changed: usize,
    /// Assessments already recorded with the same values.
    pub unchanged: usize,
    /// Whether nothing was written.
    pub dry_run: bool,
}

fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// JSON rows as the table the CSV import reads (row N is "line N").
fn rows_table(rows: &AssessmentRows) -> Table {
    let mut vars: Vec<String> = Vec::new();
    for r in &rows.rows {
        for k in r.values.keys() {
            if !vars.iter().any(|v| v.eq_ignore_ascii_case(k)) {
                vars.push(k.clone());
            }
        }
    }
    let mut header = vec![
        "subject".to_string(),
        "session".to_string(),
        "examination".to_string(),
    ];
    header.extend(vars.iter().cloned());
    let rows = rows
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut cells = vec![
                r.subject.clone(),
                r.session.clone().unwrap_or_default(),
                r.examination.clone().unwrap_or_default(),
            ];
            for v in &vars {
                cells.push(
                    r.values
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(v))
                        .map(|(_, x)| cell(x))
                        .unwrap_or_default(),
                );
            }
            (i + 1, cells)
        })
        .collect();
    Table { header, rows }
}

fn flag(q: &QueryParams, name: &str) -> ApiResult<bool> {
    match q.one(name)? {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") | Some("") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "{name}={:?}: use true or false",
            clip(other, 20)
        ))),
    }
}

fn required<'a>(q: &'a QueryParams, name: &str, what: &str) -> ApiResult<&'a str> {
    q.one(name)?
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(format!("query parameter {name:?} ({what}) is required"))
        })
}

/// The table of a body: JSON rows, or CSV text.
fn body_table(media: &str, bytes: Vec<u8>) -> ApiResult<(Table, &'static str)> {
    match media {
        "application/json" => {
            let rows: AssessmentRows = serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
            Ok((rows_table(&rows), "row"))
        }
        "text/csv" | "text/plain" | "text/tab-separated-values" => {
            let text = utf8(bytes)?;
            let table =
                node::parse_table(&text).map_err(|e| ApiError::bad_request(e.to_string()))?;
            Ok((table, "line"))
        }
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the rows as application/json ({\"rows\": [...]}) or the table as text/csv",
        )),
    }
}

/// Record assessments of one instrument in a study: JSON rows, or a table (`text/csv`: comma,
/// semicolon or tab separated, with a subject column, an optional `session`/`examination` column
/// and one column per variable, as `neurofed scores import` reads it). All rows or none: when a
/// row is bad, nothing is recorded and the 400 names every bad row (`line N` of a table, `row N`
/// of JSON). `dry_run=true` reports what would change. Takes `import` on the study; audited.
#[utoipa::path(post, path = "/api/v1/studies/{id}/assessments", operation_id = "record_assessments", tag = "scores",
    params(
        ("id" = String, Path, description = "Study id (`st_…`) or name"),
        ("instrument" = String, Query, description = "The instrument's acronym"),
        ("dry_run" = Option<bool>, Query, description = "Write nothing, report what would change"),
    ),
    request_body(content = AssessmentRows, description = "JSON rows, or a CSV table with `Content-Type: text/csv`"),
    responses((status = 200, body = ScoresReportBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub(crate) async fn record(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    q: QueryParams,
    req: Request,
) -> ApiResult<Json<ScoresReportBody>> {
    let key = StudyKey::parse(path.get(0)?)?;
    q.allow(&["instrument", "dry_run"])?;
    let instrument = required(&q, "instrument", "an instrument's acronym")?.to_string();
    let dry_run = flag(&q, "dry_run")?;
    // Authorize before reading the body.
    let (st2, auth2) = (st.clone(), auth.clone());
    let (study, instrument) = blocking(move || {
        let catalog = &st2.node.catalog;
        let study = key.resolve(catalog)?;
        let center = catalog.node_center()?.id;
        st2.access()
            .check(
                &auth2.principal(),
                Right::Import,
                study.id,
                Some(center),
                now(),
            )
            .map_err(super::about_study(&study))?;
        let instrument = catalog.require_instrument(&instrument)?;
        Ok((study, instrument))
    })
    .await?;
    let (media, bytes) = body_of(req).await?;
    let (table, unit) = body_table(&media, bytes)?;
    blocking(move || {
        let rows = st
            .node
            .catalog
            .rows_to_assessments(study.id, &instrument, &table)?
            .map_err(|e| {
                let problems: Vec<String> = e
                    .problems
                    .iter()
                    .map(|p| match p.strip_prefix("line ") {
                        Some(rest) => format!("{unit} {rest}"),
                        None => p.clone(),
                    })
                    .collect();
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_rows",
                    format!(
                        "nothing recorded, {} problem(s): {}",
                        problems.len(),
                        problems.join("; ")
                    ),
                )
            })?;
        let report = st
            .node
            .record_assessments(study.id, &instrument, &rows, auth.who(), dry_run)
            .map_err(node_error)?;
        Ok(Json(ScoresReportBody {
            instrument: instrument.acronym,
            rows: rows.len(),
            added: report.added,
            changed: report.changed,
            unchanged: report.unchanged,
            dry_run: report.dry_run,
        }))
    })
    .await
}

/// One assessment in `GET /studies/{id}/scores`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AssessmentBody {
    /// `sub-<pseudonym>`.
    pub participant_id: String,
    /// `ses-YYYYMMDD` (shifted date), empty at the subject level.
    pub session: String,
    /// The examination's id, empty at the subject level.
    pub examination: String,
    /// Values by variable: numbers, codes as strings.
    #[schema(value_type = Object)]
    pub values: BTreeMap<String, serde_json::Value>,
}

/// `GET /studies/{id}/scores` as JSON.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ScoresBody {
    /// The study.
    pub study: StudyRef,
    /// The instrument.
    pub instrument: InstrumentBody,
    /// Its assessments, by subject and session.
    pub assessments: Vec<AssessmentBody>,
}

/// The rows of the export table the caller may see: all, or with a center-limited view, those
/// of examinations at its centers and the subject-level ones of subjects examined there.
fn visible_rows(
    catalog: &Catalog,
    study: &Study,
    view: &View,
    rows: Vec<Vec<String>>,
) -> ApiResult<Vec<Vec<String>>> {
    if *view == View::All {
        return Ok(rows);
    }
    let mut seen_subjects: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for row in rows {
        let keep = match row.get(2).filter(|e| !e.is_empty()) {
            Some(e) => match e.parse::<ExaminationId>() {
                Ok(id) => catalog
                    .examination(id)?
                    .is_some_and(|x| view.allows(x.center)),
                Err(_) => false,
            },
            None => {
                let p = row.first().map(String::as_str).unwrap_or_default();
                if seen_subjects.contains(p) {
                    true
                } else {
                    let examined = match catalog.subject_by_pseudonym(study.id, p)? {
                        Some(s) => catalog
                            .examinations_of(s.id)?
                            .iter()
                            .any(|x| view.allows(x.center)),
                        None => false,
                    };
                    if examined {
                        seen_subjects.insert(p.to_string());
                    }
                    examined
                }
            }
        };
        if keep {
            out.push(row);
        }
    }
    Ok(out)
}

fn json_value(kind: &VariableKind, text: &str) -> serde_json::Value {
    let number = match kind {
        VariableKind::Integer { .. } => text.parse::<i64>().ok().map(serde_json::Value::from),
        VariableKind::Number { .. } => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(serde_json::Value::Number),
        VariableKind::Choice { .. } => None,
    };
    number.unwrap_or_else(|| serde_json::Value::String(text.to_string()))
}

/// A study's scores of one instrument, one row per assessment: JSON, or (`format=csv`) the CSV
/// `neurofed scores export` writes (`participant_id,session,examination,<variables>`), which
/// records back as it is. Takes `see` on the study; audited.
#[utoipa::path(get, path = "/api/v1/studies/{id}/scores", operation_id = "get_scores", tag = "scores",
    params(
        ("id" = String, Path, description = "Study id (`st_…`) or name"),
        ("instrument" = String, Query, description = "The instrument's acronym"),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`"),
    ),
    responses(
        (status = 200, body = ScoresBody, description = "JSON, or `text/csv` with `format=csv`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn scores(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    q: QueryParams,
) -> ApiResult<Response> {
    let key = StudyKey::parse(path.get(0)?)?;
    q.allow(&["instrument", "format"])?;
    let instrument = required(&q, "instrument", "an instrument's acronym")?.to_string();
    let format = q.one("format")?.unwrap_or("json").to_ascii_lowercase();
    if !matches!(format.as_str(), "json" | "csv") {
        return Err(ApiError::bad_request(format!(
            "format={:?}: use json or csv",
            clip(&format, 20)
        )));
    }
    blocking(move || {
        let catalog = &st.node.catalog;
        let study = key.resolve(catalog)?;
        let t = now();
        let view = view_of(st.access(), &auth.principal(), Right::See, &study, t)?;
        let instrument = catalog.require_instrument(&instrument)?;
        let (header, rows) = catalog.assessments_table(study.id, &instrument)?;
        let rows = visible_rows(catalog, &study, &view, rows)?;
        catalog.audit().append_lazy(
            NewEvent::new(auth.who(), AuditAction::View, t)
                .study(study.id)
                .detail(format!("scores {} rows={}", instrument.acronym, rows.len())),
        )?;
        if format == "csv" {
            let csv = node::write_csv(&header, &rows);
            let name = format!("{}-{}.csv", study.name, instrument.acronym).replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '.',
                "_",
            );
            return Ok((
                [
                    (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                csv,
            )
                .into_response());
        }
        let assessments = rows
            .into_iter()
            .map(|row| {
                let values = instrument
                    .variables
                    .iter()
                    .zip(row.iter().skip(3))
                    .filter(|(_, c)| !c.is_empty())
                    .map(|(v, c)| (v.name.clone(), json_value(&v.kind, c)))
                    .collect();
                let mut cells = row.into_iter();
                AssessmentBody {
                    participant_id: cells.next().unwrap_or_default(),
                    session: cells.next().unwrap_or_default(),
                    examination: cells.next().unwrap_or_default(),
                    values,
                }
            })
            .collect();
        Ok(Json(ScoresBody {
            study: StudyRef::from(&study),
            instrument: InstrumentBody::from(&instrument),
            assessments,
        })
        .into_response())
    })
    .await
}
