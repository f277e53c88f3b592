//! QIDO-RS (PS3.18 10.6): studies, series and instances searched in the catalog. Study and
//! series attributes come from the catalog's rows, instance attributes from the series' DICOM
//! manifest (one small blob per series, read only for series that match): no instance blob is
//! opened.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use node::{AuditAction, DatasetRow, NewEvent, Right};
use serde_json::Value;

use super::attrs::{instance_value, series_value, study_value, Item, Level, StudyView};
use super::matching::Search;
use super::{group, uid, visible_rows};
use crate::api::{PathParams, QueryParams};
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::state::{blocking, now, AppState};

/// The media type of DICOM JSON.
pub(crate) const DICOM_JSON: &str = "application/dicom+json";

/// Where a search is confined by its path.
#[derive(Debug, Clone, Default)]
pub(crate) struct Within {
    /// This study (StudyInstanceUID).
    pub study: Option<String>,
    /// This series (SeriesInstanceUID).
    pub series: Option<String>,
}

fn answer(items: Vec<Value>) -> Response {
    (
        [(CONTENT_TYPE, DICOM_JSON)],
        Value::Array(items).to_string(),
    )
        .into_response()
}

async fn run(
    st: AppState,
    auth: Auth,
    q: QueryParams,
    level: Level,
    within: Within,
) -> ApiResult<Response> {
    let search = Search::parse(&q.0, level)?;
    let items = blocking(move || {
        let rows = visible_rows(&st, &auth, Right::See)?;
        let items: Vec<Value> = find(&st, rows, &search, level, &within)?
            .iter()
            .map(Item::to_json)
            .collect();
        st.node.catalog.audit().append_lazy(
            NewEvent::new(auth.who(), AuditAction::Search, now()).detail(format!(
                "dicomweb qido level={} results={}",
                match level {
                    Level::Study => "study",
                    Level::Series => "series",
                    Level::Instance => "instance",
                },
                items.len()
            )),
        )?;
        Ok(items)
    })
    .await?;
    Ok(answer(items))
}

fn page<T>(items: impl Iterator<Item = T>, s: &Search) -> impl Iterator<Item = T> {
    items.skip(s.offset).take(s.limit)
}

fn study_item(s: &StudyView, search: &Search) -> Item {
    let mut item = Item::default();
    for a in search.returned(&[Level::Study]) {
        if a.level == Level::Study {
            item.set(a, study_value(a, s));
        }
    }
    item
}

fn study_items(studies: &[StudyView], search: &Search) -> Vec<Item> {
    page(studies.iter(), search)
        .map(|s| study_item(s, search))
        .collect()
}

/// Series of the matching studies that match the series keys, with their study.
fn matching_series<'a>(
    studies: &'a [StudyView],
    search: &'a Search,
) -> impl Iterator<Item = (&'a StudyView, &'a DatasetRow)> + 'a {
    studies
        .iter()
        .flat_map(|s| s.series.iter().map(move |r| (s, r)))
        .filter(|(_, r)| {
            search
                .keys_at(Level::Series)
                .all(|k| k.matches(&series_value(k.attr, r)))
        })
}

fn series_item(s: &StudyView, r: &DatasetRow, search: &Search, with_study: bool) -> Item {
    let levels: &[Level] = if with_study {
        &[Level::Study, Level::Series]
    } else {
        &[Level::Series]
    };
    let mut item = Item::default();
    for a in search.returned(levels) {
        match a.level {
            Level::Study => item.set(a, study_value(a, s)),
            Level::Series => item.set(a, series_value(a, r)),
            Level::Instance => {}
        }
    }
    // The parent's UID is always given, so that a result can be retrieved.
    if let Some(a) = super::attrs::find("StudyInstanceUID") {
        item.set(a, study_value(a, s));
    }
    item
}

fn series_items(studies: &[StudyView], search: &Search, with_study: bool) -> Vec<Item> {
    page(matching_series(studies, search), search)
        .map(|(s, r)| series_item(s, r, search, with_study))
        .collect()
}

fn instance_items(
    st: &AppState,
    studies: &[StudyView],
    search: &Search,
    within: &Within,
) -> ApiResult<Vec<Item>> {
    let levels: &[Level] = match (&within.study, &within.series) {
        (None, _) => &[Level::Study, Level::Series, Level::Instance],
        (Some(_), None) => &[Level::Series, Level::Instance],
        (Some(_), Some(_)) => &[Level::Instance],
    };
    let returned = search.returned(levels);
    let mut out = Vec::new();
    let mut skipped = 0usize;
    for (s, r) in matching_series(studies, search).filter(|(_, r)| {
        within
            .series
            .as_deref()
            .is_none_or(|u| r.acquisition.series_uid == u)
    }) {
        if out.len() >= search.limit {
            break;
        }
        let manifest = super::manifest(st, r)?;
        for e in &manifest.instances {
            let keep = search
                .keys_at(Level::Instance)
                .all(|k| k.matches(&instance_value(k.attr, r, e)));
            if !keep {
                continue;
            }
            if skipped < search.offset {
                skipped += 1;
                continue;
            }
            if out.len() >= search.limit {
                break;
            }
            let mut item = Item::default();
            for a in &returned {
                let v = match a.level {
                    Level::Study => study_value(a, s),
                    Level::Series => series_value(a, r),
                    Level::Instance => instance_value(a, r, e),
                };
                item.set(a, v);
            }
            for k in ["StudyInstanceUID", "SeriesInstanceUID"] {
                if let Some(a) = super::attrs::find(k) {
                    let v = match a.level {
                        Level::Study => study_value(a, s),
                        _ => series_value(a, r),
                    };
                    item.set(a, v);
                }
            }
            out.push(item);
        }
    }
    Ok(out)
}

/// The results of `search` at `level` among `rows` (the datasets the caller may see), within a
/// study or series: the one matching of QIDO-RS and C-FIND.
pub(crate) fn find(
    st: &AppState,
    rows: Vec<DatasetRow>,
    search: &Search,
    level: Level,
    within: &Within,
) -> ApiResult<Vec<Item>> {
    let studies: Vec<StudyView> = group(rows)
        .into_iter()
        .filter(|s| within.study.as_deref().is_none_or(|u| s.uid() == u))
        .filter(|s| {
            search
                .keys_at(Level::Study)
                .all(|k| k.matches(&study_value(k.attr, s)))
        })
        .collect();
    Ok(match level {
        Level::Study => study_items(&studies, search),
        Level::Series => series_items(&studies, search, within.study.is_none()),
        Level::Instance => instance_items(st, &studies, search, within)?,
    })
}

/// `GET /dicom-web/studies`.
pub(crate) async fn studies(
    State(st): State<AppState>,
    auth: Auth,
    q: QueryParams,
) -> ApiResult<Response> {
    run(st, auth, q, Level::Study, Within::default()).await
}

/// `GET /dicom-web/series`.
pub(crate) async fn all_series(
    State(st): State<AppState>,
    auth: Auth,
    q: QueryParams,
) -> ApiResult<Response> {
    run(st, auth, q, Level::Series, Within::default()).await
}

/// `GET /dicom-web/instances`.
pub(crate) async fn all_instances(
    State(st): State<AppState>,
    auth: Auth,
    q: QueryParams,
) -> ApiResult<Response> {
    run(st, auth, q, Level::Instance, Within::default()).await
}

/// `GET /dicom-web/studies/{study}/series`.
pub(crate) async fn study_series(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    q: QueryParams,
) -> ApiResult<Response> {
    let within = Within {
        study: Some(uid(path.get(0)?)?),
        series: None,
    };
    run(st, auth, q, Level::Series, within).await
}

/// `GET /dicom-web/studies/{study}/instances`.
pub(crate) async fn study_instances(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    q: QueryParams,
) -> ApiResult<Response> {
    let within = Within {
        study: Some(uid(path.get(0)?)?),
        series: None,
    };
    run(st, auth, q, Level::Instance, within).await
}

/// `GET /dicom-web/studies/{study}/series/{series}/instances`.
pub(crate) async fn series_instances(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    q: QueryParams,
) -> ApiResult<Response> {
    let within = Within {
        study: Some(uid(path.get(0)?)?),
        series: Some(uid(path.get(1)?)?),
    };
    run(st, auth, q, Level::Instance, within).await
}
