//! Walking a study below its tree: `/subjects/{id}` (examinations and clinical scores of one
//! subject), `/examinations/{id}` (its acquisitions and datasets) and
//! `/datasets/{id}/slices?plane=&slice=` (every slice of a dataset, one at a time, with a
//! slider). Data and rights come from the API handlers (`api::entities`) and the previews'
//! own check.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use dicom::Plane;
use maud::{html, Markup};
use serde_json::Value;

use super::{error_page, layout, s, value, Page};
use crate::api::{PathParams, QueryParams};
use crate::state::AppState;

/// The acquisitions of an examination node with links to their datasets.
fn acquisitions(ex: &Value) -> Markup {
    html! {
        table.acquisitions {
            thead { tr { th { "Series" } th { "Modality" } th { "Nature" } th { "QC" } th { "Datasets" } } }
            tbody {
                @for acq in ex["acquisitions"].as_array().cloned().unwrap_or_default() {
                    tr.acquisition {
                        td { (s(&acq["series_number"])) " " (s(&acq["series_description"])) }
                        td { (s(&acq["modality"])) }
                        td { (s(&acq["nature"])) }
                        td { (s(&acq["grade"])) }
                        td { @for ds in acq["datasets"].as_array().cloned().unwrap_or_default() {
                            a.dataset href=(format!("/datasets/{}", s(&ds["id"]))) { (s(&ds["instances"])) " instances" @if ds["has_nifti"] == true { " · NIfTI" } } " "
                        } }
                    }
                }
            }
        }
    }
}

/// The scores of a subject or an examination.
fn scores(list: &[Value]) -> Markup {
    html! {
        @if list.is_empty() { p.none { "No clinical score recorded." } }
        @else {
            table.scores {
                thead { tr { th { "Instrument" } th { "Values" } th { "Examination" } } }
                tbody { @for a in list {
                    tr.score {
                        td { (s(&a["instrument"])) }
                        td { (a["values"].as_object().map(|m| m.iter().map(|(k, v)| format!("{k} = {}", s(v))).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                        td { @if a["examination"].is_string() { a href=(format!("/examinations/{}", s(&a["examination"]))) { "examination" } } @else { "subject level" } }
                    }
                } }
            }
        }
    }
}

/// `GET /subjects/{id}`.
pub(crate) async fn subject(State(st): State<AppState>, page: Page, path: PathParams) -> Response {
    let v = match crate::api::entities::subject(State(st), page.auth.clone(), path).await {
        Ok(j) => value(j),
        Err(e) => return error_page(Some(&page), &e),
    };
    let sub = &v["subject"];
    let body = html! {
        dl.meta {
            dt { "Study" } dd { a href=(format!("/studies/{}", s(&v["study"]["id"]))) { (s(&v["study"]["name"])) } }
            dt { "Pseudonym" } dd #pseudonym { (s(&sub["pseudonym"])) }
            dt { "Sex" } dd { (s(&sub["sex"])) }
            dt { "Birth year" } dd { (s(&sub["birth_year"])) }
            dt { "Type" } dd { (s(&sub["subject_type"])) }
        }
        h2 { "Examinations" }
        @for ex in v["examinations"].as_array().cloned().unwrap_or_default() {
            section.examination {
                h3 { a href=(format!("/examinations/{}", s(&ex["id"]))) { "Examination " (s(&ex["date"])) } " at " (s(&ex["center"]["name"])) }
                (acquisitions(&ex))
            }
        }
        h2 { "Clinical scores" }
        (scores(v["scores"].as_array().map(Vec::as_slice).unwrap_or_default()))
    };
    let title = format!("Subject {}", s(&sub["pseudonym"]));
    layout(&title, Some(&page), body).into_response()
}

/// `GET /examinations/{id}`.
pub(crate) async fn examination(
    State(st): State<AppState>,
    page: Page,
    path: PathParams,
) -> Response {
    let v = match crate::api::entities::examination(State(st), page.auth.clone(), path).await {
        Ok(j) => value(j),
        Err(e) => return error_page(Some(&page), &e),
    };
    let ex = &v["examination"];
    let eq = &ex["equipment"];
    let body = html! {
        dl.meta {
            dt { "Study" } dd { a href=(format!("/studies/{}", s(&v["study"]["id"]))) { (s(&v["study"]["name"])) } }
            dt { "Subject" } dd { a #subject href=(format!("/subjects/{}", s(&v["subject"]["id"]))) { (s(&v["subject"]["pseudonym"])) } }
            dt { "Date (shifted)" } dd #exam-date { (s(&ex["date"])) }
            dt { "Age" } dd { (s(&ex["age_years"])) }
            dt { "Center" } dd { (s(&ex["center"]["name"])) }
            dt { "Scanner" } dd { @if eq.is_null() { "–" } @else { (s(&eq["manufacturer"])) " " (s(&eq["model"])) " " (s(&eq["field_strength"])) " T" } }
            dt { "Comment" } dd { (s(&v["comment"])) }
        }
        h2 { "Acquisitions" }
        (acquisitions(ex))
        h2 { "Clinical scores at this examination" }
        (scores(v["scores"].as_array().map(Vec::as_slice).unwrap_or_default()))
    };
    let title = format!("Examination {}", s(&ex["date"]));
    layout(&title, Some(&page), body).into_response()
}

/// `GET /datasets/{id}/slices?plane=&slice=`: one slice at a time, a slider (and links, without
/// script) to move through the volume.
pub(crate) async fn slices(
    State(st): State<AppState>,
    page: Page,
    path: PathParams,
    q: QueryParams,
) -> Response {
    let id = path.0.first().cloned().unwrap_or_default();
    let plane = q
        .all("plane")
        .next()
        .and_then(Plane::parse)
        .unwrap_or(Plane::Axial);
    let ds = match path.id(0) {
        Ok(d) => d,
        Err(e) => return error_page(Some(&page), &e),
    };
    let count = match crate::preview::slice_count(&st, &page.auth, ds, plane).await {
        Ok(n) => n.max(1),
        Err(e) => return error_page(Some(&page), &e),
    };
    let slice = q
        .all("slice")
        .next()
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(count / 2)
        .min(count - 1);
    let plane_name = plane.name();
    let link = |n: usize| format!("/datasets/{id}/slices?plane={plane_name}&slice={n}");
    let body = html! {
        p { a href=(format!("/datasets/{id}")) { "← back to the dataset" } }
        nav.planes aria-label="Plane" {
            @for p in ["axial", "coronal", "sagittal"] {
                a href=(format!("/datasets/{id}/slices?plane={p}")) aria-current=[(p == plane_name).then_some("page")] { (p) } " "
            }
        }
        figure.slicer {
            img #slice-image src=(format!("/datasets/{id}/preview.png?plane={plane_name}&slice={slice}&size=512")) alt=(format!("{plane_name} slice {slice}"));
            figcaption { (plane_name) " slice " output #slice-number { (slice) } " of " (count) }
        }
        form.slicer method="get" action=(format!("/datasets/{id}/slices")) {
            input type="hidden" name="plane" value=(plane_name);
            label for="slice-range" { "Slice" }
            input #slice-range name="slice" type="range" min="0" max=(count - 1) value=(slice)
                data-src=(format!("/datasets/{id}/preview.png?plane={plane_name}&size=512&slice="));
            button type="submit" { "Show" }
        }
        p.pager {
            @if slice > 0 { a rel="prev" href=(link(slice - 1)) { "← previous slice" } " " }
            @if slice + 1 < count { a rel="next" href=(link(slice + 1)) { "next slice →" } }
        }
    };
    layout("Slices", Some(&page), body).into_response()
}
