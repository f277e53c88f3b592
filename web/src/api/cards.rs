//! Study cards over HTTP: `GET /studies/{id}/cards` (every version, with its TOML), `POST
//! /studies/{id}/cards` (a new card, or the next version of one, as `neurofed studycard add`)
//! and `POST /studies/{id}/cards/apply` (re-apply the cards in force to the study's data, as
//! `neurofed studycard apply`). Reading takes `see`, changing takes `administer`; changes are
//! audited.

use axum::extract::State;
use axum::Json;
use node::{AuditAction, NewEvent, Right};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{about_study, JsonBody, PathParams, StudyKey, StudyRef};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

/// Longest card text taken.
const MAX_CARD_BYTES: usize = 256 << 10;

/// One version of a card.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CardVersion {
    /// The card's name.
    pub name: String,
    /// Its version (1, 2, ...).
    pub version: u32,
    /// Whether this is the version in force.
    pub current: bool,
    /// Its description.
    pub description: Option<String>,
    /// The center it is limited to.
    pub center: Option<String>,
    /// Assignment rules.
    pub rules: usize,
    /// Quality rules.
    pub quality_rules: usize,
    /// The TOML it was read from.
    pub source: String,
    /// When it was added, unix seconds.
    pub added_at: u64,
}

/// `GET /studies/{id}/cards`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CardList {
    /// The study.
    pub study: StudyRef,
    /// Every version of every card, by name then version.
    pub cards: Vec<CardVersion>,
}

/// `POST /studies/{id}/cards`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCard {
    /// The card as TOML (the format of `neurofed studycard add`, docs/studycards.md).
    pub toml: String,
}

/// The card added.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CardAdded {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: u32,
}

/// One acquisition whose values changed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AppliedChange {
    /// Acquisition id (`aq_…`).
    pub acquisition: String,
    /// Its series description.
    pub series_description: Option<String>,
    /// `field: before -> after`, one per changed field.
    pub changes: Vec<String>,
    /// Its grade now.
    pub grade: Option<String>,
}

/// `POST /studies/{id}/cards/apply`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplyBody {
    /// Acquisitions evaluated.
    pub acquisitions: usize,
    /// Those whose values changed.
    pub changed: Vec<AppliedChange>,
}

/// Every version of a study's cards.
#[utoipa::path(get, path = "/api/v1/studies/{id}/cards", operation_id = "list_study_cards", tag = "studies",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    responses(
        (status = 200, body = CardList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn list(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<CardList>> {
    let key = StudyKey::parse(path.get(0)?)?;
    blocking(move || {
        let catalog = &st.node.catalog;
        let study = key.resolve(catalog)?;
        st.access()
            .check(&auth.principal(), Right::See, study.id, None, now())
            .map_err(about_study(&study))?;
        let current: Vec<(String, u32)> = catalog
            .cards(study.id)?
            .into_iter()
            .map(|c| (c.card.name, c.version))
            .collect();
        let cards = catalog
            .card_history(study.id)?
            .into_iter()
            .map(|c| {
                let name = c.card.card.name.clone();
                CardVersion {
                    current: current.contains(&(name.clone(), c.card.version)),
                    name,
                    version: c.card.version,
                    description: c.card.card.description.clone(),
                    center: c.card.card.center.clone(),
                    rules: c.card.card.rules.len(),
                    quality_rules: c.card.card.quality.len(),
                    source: c.source,
                    added_at: c.added_at,
                }
            })
            .collect();
        Ok(Json(CardList {
            study: StudyRef::from(&study),
            cards,
        }))
    })
    .await
}

/// Add a card (or the next version of a card with the same name); it applies to imports from
/// now on, and to existing data after `POST /studies/{id}/cards/apply`. The study of the URL is
/// the card's (its own `study` key is ignored, as `neurofed studycard add --study` does).
#[utoipa::path(post, path = "/api/v1/studies/{id}/cards", operation_id = "add_study_card", tag = "studies",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    request_body = NewCard,
    responses(
        (status = 200, body = CardAdded),
        (status = 400, description = "The card does not parse (the message says where)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn add(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    JsonBody(req): JsonBody<NewCard>,
) -> ApiResult<Json<CardAdded>> {
    let key = StudyKey::parse(path.get(0)?)?;
    if req.toml.len() > MAX_CARD_BYTES {
        return Err(ApiError::bad_request(format!(
            "the card is {} bytes, more than {MAX_CARD_BYTES}",
            req.toml.len()
        )));
    }
    let card = dicom::parse_card(&req.toml)
        .map_err(|e| ApiError::bad_request(format!("the card does not parse: {e}")))?;
    blocking(move || {
        let catalog = &st.node.catalog;
        let study = key.resolve(catalog)?;
        let t = now();
        st.access()
            .check(&auth.principal(), Right::Administer, study.id, None, t)
            .map_err(about_study(&study))?;
        let v = catalog.add_card(study.id, card, &req.toml)?;
        catalog.audit().append(
            NewEvent::new(auth.who(), AuditAction::StudyCardSet, t)
                .study(study.id)
                .detail(format!(
                    "study card {:?} version {}",
                    v.card.name, v.version
                )),
        )?;
        Ok(Json(CardAdded {
            name: v.card.name,
            version: v.version,
        }))
    })
    .await
}

/// Re-apply the cards in force to every acquisition of the study (values at import are kept as
/// the original ones); the search index follows.
#[utoipa::path(post, path = "/api/v1/studies/{id}/cards/apply", operation_id = "apply_study_cards", tag = "studies",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    responses(
        (status = 200, body = ApplyBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn apply(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<ApplyBody>> {
    let key = StudyKey::parse(path.get(0)?)?;
    blocking(move || {
        let study = key.resolve(&st.node.catalog)?;
        let t = now();
        st.access()
            .check(&auth.principal(), Right::Administer, study.id, None, t)
            .map_err(about_study(&study))?;
        let report = node::apply_cards(&st.node, &study)
            .map_err(|e| ApiError::internal(format!("applying the cards: {e}")))?;
        let changed: Vec<AppliedChange> = report
            .acquisitions
            .iter()
            .filter(|a| !a.changes.is_empty())
            .map(|a| AppliedChange {
                acquisition: a.acquisition.to_string(),
                series_description: a.series_description.clone(),
                changes: a
                    .changes
                    .iter()
                    .map(|c| {
                        format!(
                            "{}: {} -> {}",
                            c.field,
                            c.before.as_deref().unwrap_or("-"),
                            c.after.as_deref().unwrap_or("-")
                        )
                    })
                    .collect(),
                grade: a.grade.map(|g| g.to_string()),
            })
            .collect();
        st.node.catalog.audit().append(
            NewEvent::new(auth.who(), AuditAction::StudyCardApply, t)
                .study(study.id)
                .detail(format!(
                    "study cards applied: {} acquisitions, {} changed",
                    report.acquisitions.len(),
                    changed.len()
                )),
        )?;
        Ok(Json(ApplyBody {
            acquisitions: report.acquisitions.len(),
            changed,
        }))
    })
    .await
}
