//! The `/api/v1` handlers, one module per resource, and the request helpers they share:
//! extractors whose rejections are [`ApiError`]s (so that malformed JSON, a wrong content type or
//! a bad path answer the same JSON error body as everything else), strict query-string parsing,
//! and id parsing with the protocol's newtypes (anything else, `../../etc/passwd` included, is
//! `400 invalid_id`).

pub(crate) mod accounts;
pub(crate) mod audit;
pub(crate) mod cards;
pub(crate) mod datasets;
pub(crate) mod download;
pub(crate) mod entities;
pub(crate) mod federation;
pub(crate) mod import;
mod names;
pub(crate) mod quarantine;
mod query;
pub(crate) mod reports;
pub(crate) mod results;
pub(crate) mod rights;
pub(crate) mod scores;
pub(crate) mod search;
pub(crate) mod studies;
pub(crate) mod upload;

use std::str::FromStr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

use node::{Catalog, Study};
use protocol::id::StudyId;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A JSON request body; malformed or mistyped bodies are `400 bad_request` with serde's message,
/// a missing `Content-Type: application/json` is `415`, an oversized body `413`.
#[derive(Debug, Clone)]
pub(crate) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(r) => Err(json_rejection(r)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r.status() {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "expected a JSON body with `Content-Type: application/json`",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large("the JSON body is too large"),
        _ => ApiError::bad_request(format!("invalid JSON body: {}", r.body_text())),
    }
}

/// The path parameters of a route, as strings (parsed by the handler into id newtypes).
#[derive(Debug, Clone)]
pub(crate) struct PathParams(pub Vec<String>);

impl FromRequestParts<AppState> for PathParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match axum::extract::RawPathParams::from_request_parts(parts, state).await {
            Ok(raw) => Ok(PathParams(raw.iter().map(|(_, v)| v.to_string()).collect())),
            Err(_) => Err(ApiError::invalid_id(
                "a path segment is not valid percent-encoded UTF-8",
            )),
        }
    }
}

impl PathParams {
    /// The `i`-th parameter.
    pub(crate) fn get(&self, i: usize) -> ApiResult<&str> {
        self.0
            .get(i)
            .map(String::as_str)
            .ok_or_else(|| ApiError::internal(format!("route has no path parameter {i}")))
    }

    /// The `i`-th parameter parsed as an id newtype.
    pub(crate) fn id<T>(&self, i: usize) -> ApiResult<T>
    where
        T: FromStr + std::fmt::Display,
        T::Err: std::fmt::Display,
    {
        parse_id(self.get(i)?)
    }
}

/// Parse an id newtype; anything else is `400 invalid_id`. The protocol accepts only an id's
/// own text form (the one the API writes): lower case or a ULID whose first character overflows
/// 128 bits is refused, never changed, and the error suggests the canonical spelling.
pub(crate) fn parse_id<T>(s: &str) -> ApiResult<T>
where
    T: FromStr + std::fmt::Display,
    T::Err: std::fmt::Display,
{
    s.parse::<T>()
        .map_err(|e| ApiError::invalid_id(e.to_string()))
}

/// A study as a route names it: by id (`st_…`) or by name. Strings starting with `st_` are ids
/// (a study whose name starts so is named by its id); so is anything shaped like another kind of
/// id (`ds_` + 26 characters: a dataset id where a study belongs is `400 invalid_id`, not a
/// name looked up in vain); anything else is a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StudyKey {
    /// By id.
    Id(StudyId),
    /// By name.
    Name(String),
}

/// Longest study name a route accepts.
pub(crate) const MAX_STUDY_NAME: usize = 200;

/// Whether `s` has the shape of an entity id (`xx_` + 26 letters and digits).
fn id_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 29
        && b[..2].iter().all(u8::is_ascii_lowercase)
        && b[2] == b'_'
        && b[3..].iter().all(u8::is_ascii_alphanumeric)
}

impl StudyKey {
    /// Parse a study id or name; a malformed id, or a string that cannot be a study's name
    /// (empty, too long, control characters, `.` or `..`), is `400 invalid_id`.
    pub(crate) fn parse(s: &str) -> ApiResult<StudyKey> {
        if s.starts_with(StudyId::PREFIX) || id_shaped(s) {
            return parse_id(s).map(StudyKey::Id);
        }
        let n = s.chars().count();
        if n == 0
            || n > MAX_STUDY_NAME
            || s.chars().any(char::is_control)
            || s.trim() != s
            || s == "."
            || s == ".."
        {
            return Err(ApiError::invalid_id(format!(
                "{:?} is neither a study id (`st_` followed by 26 base32 characters) nor a study name (1 to {MAX_STUDY_NAME} printable characters, no surrounding spaces)",
                clip(s, 40)
            )));
        }
        Ok(StudyKey::Name(s.to_string()))
    }

    /// The study, or `404 not_found` naming what was asked.
    pub(crate) fn resolve(&self, catalog: &Catalog) -> ApiResult<Study> {
        match self {
            StudyKey::Id(id) => catalog
                .study(*id)?
                .ok_or_else(|| ApiError::not_found(format!("no study {id}"))),
            StudyKey::Name(name) => catalog
                .study_by_name(name)?
                .ok_or_else(|| ApiError::not_found(format!("no study named {:?}", clip(name, 60)))),
        }
    }
}

/// How messages name a study: `study "MS cohort" (st_…)`.
pub(crate) fn study_label(study: &Study) -> String {
    format!("study {:?} ({})", study.name, study.id)
}

/// An error about `study`, its message naming the study by name as well as by id (the access
/// module's messages say `study st_…`).
pub(crate) fn about_study<E: Into<ApiError>>(study: &Study) -> impl Fn(E) -> ApiError + '_ {
    move |e| {
        let mut e: ApiError = e.into();
        e.message = e
            .message
            .replace(&format!("study {}", study.id), &study_label(study));
        e
    }
}

/// A query string, parsed strictly: unknown parameters and repeated single-valued ones are 400.
#[derive(Debug, Clone, Default)]
pub(crate) struct QueryParams(pub Vec<(String, String)>);

impl FromRequestParts<AppState> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        Ok(QueryParams(
            form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

impl QueryParams {
    /// Refuse parameters not in `known`.
    pub(crate) fn allow(&self, known: &[&str]) -> ApiResult<()> {
        match self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            Some((k, _)) => Err(ApiError::bad_request(format!(
                "unknown query parameter {:?} (valid: {})",
                clip(k, 40),
                known.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// Every value of `name`.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a single-valued parameter.
    pub(crate) fn one(&self, name: &str) -> ApiResult<Option<&str>> {
        let mut it = self
            .0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        let first = it.next();
        if it.next().is_some() {
            return Err(ApiError::bad_request(format!(
                "query parameter {name:?} is given more than once"
            )));
        }
        Ok(first)
    }

    /// A non-negative integer parameter, `default` when absent, 400 above `max`.
    pub(crate) fn number(&self, name: &str, default: u64, max: u64) -> ApiResult<u64> {
        let Some(v) = self.one(name)? else {
            return Ok(default);
        };
        let n: u64 = v.trim().parse().map_err(|_| {
            ApiError::bad_request(format!(
                "query parameter {name:?} must be a non-negative integer, not {:?}",
                clip(v, 40)
            ))
        })?;
        if n > max {
            return Err(ApiError::bad_request(format!(
                "query parameter {name:?} is {n}, the limit is {max}"
            )));
        }
        Ok(n)
    }
}

/// At most `n` characters of `s` (for echoing user input in messages).
pub(crate) fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// A study as other objects name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct StudyRef {
    /// Study id (`st_…`).
    pub id: String,
    /// Study name.
    pub name: String,
}

impl From<&node::Study> for StudyRef {
    fn from(s: &node::Study) -> Self {
        StudyRef {
            id: s.id.to_string(),
            name: s.name.clone(),
        }
    }
}

/// `{"status": "ok"}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
    /// The server's version.
    pub version: &'static str,
}

/// Liveness: no authentication, no catalog access.
#[utoipa::path(get, path = "/api/v1/health", operation_id = "health", tag = "node",
    responses((status = 200, description = "The server is up", body = Health)))]
pub(crate) async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Repository counts (`neurofed stats`) and the number of accounts.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StatsBody {
    /// Centers recorded.
    pub centers: u64,
    /// Scanners recorded.
    pub equipment: u64,
    /// Studies.
    pub studies: u64,
    /// Subjects.
    pub subjects: u64,
    /// Examinations.
    pub examinations: u64,
    /// Acquisitions (series).
    pub acquisitions: u64,
    /// Datasets.
    pub datasets: u64,
    /// DICOM instances.
    pub instances: u64,
    /// Bytes of all stored blobs.
    pub bytes: u64,
    /// Local accounts.
    pub users: u64,
}

/// Node-wide counts, for administrators only: they count private studies and the accounts
/// (other accounts see what their rights allow through `/search` and `/studies`).
#[utoipa::path(get, path = "/api/v1/stats", operation_id = "stats", tag = "node",
    responses((status = 200, body = StatsBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, description = "Not an administrator", body = crate::error::ErrorBody)))]
pub(crate) async fn stats(
    axum::extract::State(st): axum::extract::State<AppState>,
    auth: crate::auth::Auth,
) -> ApiResult<Json<StatsBody>> {
    auth.require_admin()?;
    crate::state::blocking(move || {
        let s = st.node.catalog.stats()?;
        let equipment = st.node.catalog.all_equipment()?.len() as u64;
        let users = st.access().users().list()?.len() as u64;
        Ok(Json(StatsBody {
            centers: s.centers,
            equipment,
            studies: s.studies,
            subjects: s.subjects,
            examinations: s.examinations,
            acquisitions: s.acquisitions,
            datasets: s.datasets,
            instances: s.instances,
            bytes: s.bytes,
            users,
        }))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::id::DatasetId;

    #[test]
    fn ids_refuse_traversal_and_garbage() {
        for bad in [
            "../../etc/passwd",
            "ds_",
            "",
            "st_01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "ds_%00",
        ] {
            let e = parse_id::<DatasetId>(bad).err();
            assert_eq!(e.map(|e| e.code), Some("invalid_id"), "{bad}");
        }
        let id = DatasetId::new();
        assert_eq!(parse_id::<DatasetId>(&id.to_string()).ok(), Some(id));
    }

    #[test]
    fn query_params_are_strict() {
        let q = QueryParams(vec![
            ("limit".into(), "5".into()),
            ("limit".into(), "6".into()),
            ("x".into(), "1".into()),
        ]);
        assert!(q.allow(&["limit"]).is_err());
        assert!(q.one("limit").is_err());
        let q = QueryParams(vec![("limit".into(), "100000".into())]);
        assert!(q.number("limit", 20, 1000).is_err());
        let q = QueryParams(vec![("limit".into(), "-1".into())]);
        assert!(q.number("limit", 20, 1000).is_err());
        assert_eq!(
            QueryParams::default().number("limit", 20, 1000).ok(),
            Some(20)
        );
    }
}
