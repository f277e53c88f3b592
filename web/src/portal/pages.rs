//! The portal's pages: home, search (facets, scope), studies, a study's tree, a dataset with its
//! previews. Each asks the API handler for its data and renders it; a refusal of the API is the
//! page's refusal.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde_json::Value;

use super::{body_json, enc, error_page, layout, s, value, Page};
use crate::api::{PathParams, QueryParams};

use crate::state::AppState;

/// Axial thumbnails in a dataset's row.
const ROW: usize = 8;

/// Facets shown beside the hits.
const FACETS: [&str; 6] = [
    "study",
    "nature",
    "modality",
    "qc_grade",
    "center",
    "exam_year",
];

/// `GET /`: the four things users do most, and what the account may see.
pub(crate) async fn home(State(st): State<AppState>, page: Page) -> Response {
    let studies = match crate::api::studies::list(State(st.clone()), page.auth.clone()).await {
        Ok(j) => value(j),
        Err(e) => return error_page(Some(&page), &e),
    };
    let list = studies["studies"].as_array().cloned().unwrap_or_default();
    let subjects: u64 = list.iter().filter_map(|s| s["subjects"].as_u64()).sum();
    // Rights that end soon in the studies the account manages, for their renewal.
    let mut expiring = Vec::new();
    for study in &list {
        let manages = study["rights"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x == "administer"));
        if !manages {
            continue;
        }
        let p = PathParams(vec![s(&study["id"])]);
        if let Ok(j) = crate::api::rights::list(State(st.clone()), page.auth.clone(), p).await {
            for r in value(j)["rights"].as_array().cloned().unwrap_or_default() {
                if let Some(note) = super::manage::expiry_note(&r["until"]) {
                    expiring.push((s(&study["id"]), s(&study["name"]), s(&r["user"]), note));
                }
            }
        }
    }
    let body = html! {
        ul.actions {
            li { a href="/search" { strong { "Find and download datasets" } span { "Search every dataset you may see, narrow with facets, download as DICOM or NIfTI." } } }
            li { a href="/studies" { strong { "Explore the research studies" } span { "Walk a study's subjects, examinations, acquisitions and datasets." } } }
            li { a href="/scores" { strong { "Find clinical scores" } span { "Datasets of subjects with recorded scores (EDSS, MMSE...)." } } }
            li { a href="/import" { strong { "Import data" } span { "Send a zip or a folder of DICOM into a study." } } }
        }
        @if !expiring.is_empty() {
            section #expiring aria-labelledby="expiring-h" {
                h2 #expiring-h { "Rights to renew" }
                ul { @for (id, name, user, note) in &expiring {
                    li { (user) " on " a href=(format!("/studies/{id}/rights")) { (name) } ": " (note) }
                } }
            }
        }
        section aria-labelledby="stats-h" {
            h2 #stats-h { "What you may see" }
            dl.stats {
                dt { "Studies" } dd #stat-studies { (list.len()) }
                dt { "Subjects" } dd #stat-subjects { (subjects) }
            }
        }
    };
    layout("neurofed", Some(&page), body).into_response()
}

/// `GET /search?q=&filter=&scope=local|federated&offset=`.
pub(crate) async fn search(State(st): State<AppState>, page: Page, q: QueryParams) -> Response {
    let text = q.all("q").next().unwrap_or("").to_string();
    let filters: Vec<String> = q.all("filter").map(str::to_string).collect();
    let scope = match q.all("scope").next() {
        Some("federated") => "federated",
        _ => "local",
    };
    let offset: u64 = q
        .all("offset")
        .next()
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let mut api = vec![
        ("limit".to_string(), "25".to_string()),
        ("offset".to_string(), offset.to_string()),
    ];
    if !text.is_empty() {
        api.push(("q".into(), text.clone()));
    }
    for f in &filters {
        api.push(("filter".into(), f.clone()));
    }
    for f in FACETS {
        api.push(("facet".into(), f.into()));
    }
    if scope == "federated" {
        api.push(("scope".into(), "federated".into()));
    }
    let mut answer = match crate::api::search::search(
        State(st.clone()),
        page.auth.clone(),
        QueryParams(api.clone()),
    )
    .await
    {
        Ok(r) => body_json(r).await,
        Err(e) => Err(e),
    };
    // All centers refused (no federation here, a malformed filter for a member...): say why and
    // show this center's answer, so that the page stays usable.
    let mut federation_note = None;
    if scope == "federated" {
        if let Err(e) = &answer {
            federation_note = Some(e.message.clone());
            api.retain(|(k, _)| k != "scope");
            answer =
                match crate::api::search::search(State(st), page.auth.clone(), QueryParams(api))
                    .await
                {
                    Ok(r) => body_json(r).await,
                    Err(e) => Err(e),
                };
        }
    }
    let v = match answer {
        Ok(v) => v,
        Err(e) => return error_page(Some(&page), &e),
    };
    // The link that adds (or removes) one filter to this search.
    let link = |add: Option<&str>, remove: Option<&str>, off: u64| {
        let mut parts = Vec::new();
        if !text.is_empty() {
            parts.push(format!("q={}", enc(&text)));
        }
        for f in filters.iter().filter(|f| Some(f.as_str()) != remove) {
            parts.push(format!("filter={}", enc(f)));
        }
        if let Some(a) = add {
            parts.push(format!("filter={}", enc(a)));
        }
        if scope == "federated" {
            parts.push("scope=federated".into());
        }
        if off > 0 {
            parts.push(format!("offset={off}"));
        }
        format!("/search?{}", parts.join("&"))
    };
    let total = s(&v["total"]);
    let hits = v["hits"].as_array().cloned().unwrap_or_default();
    let body = html! {
        form.search role="search" method="get" action="/search" {
            label for="q" { "Search" }
            input #q name="q" type="search" value=(text) autocomplete="off" list="suggestions" placeholder="t1 mprage, FLAIR, a pseudonym...";
            datalist #suggestions {}
            @for f in &filters { input type="hidden" name="filter" value=(f); }
            fieldset.scope {
                legend { "Centers" }
                label { input type="radio" name="scope" value="local" checked[scope == "local"]; " this center" }
                label { input type="radio" name="scope" value="federated" checked[scope == "federated"]; " all centers" }
            }
            button type="submit" { "Search" }
        }
        @if let Some(why) = &federation_note {
            p.notice #federation-note role="status" { "All centers could not be asked: " (why) ". Showing this center only." }
        }
        @if !filters.is_empty() {
            p.filters { "Filters: "
                @for f in &filters { a.filter-chip href=(link(None, Some(f), 0)) title="Remove this filter" { (f) " ×" } " " }
            }
        }
        @if let Some(nodes) = v["nodes"].as_array() {
            ul.nodes #centers aria-label="Centers" {
                @for n in nodes {
                    li class=(format!("node {}", s(&n["status"]))) { (s(&n["center"])) ": " (s(&n["status"])) }
                }
            }
        }
        div.results {
            aside.facets aria-label="Facets" {
                @for f in FACETS {
                    @if let Some(values) = v["facets"][f].as_object() {
                        @if !values.is_empty() {
                            h2 { (f.replace('_', " ")) }
                            ul {
                                @for (val, n) in values {
                                    @let filt = format!("{f}:{}", quote(val));
                                    li { a.facet href=(link(Some(&filt), None, 0)) data-facet=(f) data-value=(val) { (val) } " " span.count { (s(n)) } }
                                }
                            }
                        }
                    }
                }
            }
            section aria-label="Hits" {
                p #total { (total) " datasets" }
                form #selection-form method="get" action="/api/v1/download" {
                    table.hits {
                        thead { tr {
                            th { label.visually-hidden for="select-all" { "Select all" } input #select-all type="checkbox"; }
                            th { "Subject" } th { "Study" } th { "Date" } th { "Series" } th { "Nature" } th { "QC" } th { "Center" }
                        } }
                        tbody {
                            @for h in &hits {
                                @let local = h["node"].is_null();
                                @let ds = s(&h["dataset"]);
                                tr.hit {
                                    td { @if local { input.select type="checkbox" name="dataset" value=(ds) aria-label=(format!("select {}", s(&h["series_description"]))); } }
                                    td { (s(&h["subject"])) }
                                    td { (s(&h["study"]["name"])) }
                                    td { (s(&h["exam_date"])) }
                                    td {
                                        @if local { a href=(format!("/datasets/{ds}")) { (s(&h["series_description"])) } }
                                        @else { (s(&h["series_description"])) }
                                    }
                                    td { (s(&h["nature"])) }
                                    td { (s(&h["qc_grade"])) }
                                    td { (s(&h["center"])) }
                                }
                            }
                        }
                    }
                    div.selection {
                        label for="selection-format" { "Download the selected datasets as" }
                        select #selection-format name="format" {
                            option value="dicom" { "DICOM" }
                            option value="nifti" { "NIfTI" }
                            option value="bids" { "BIDS (one study)" }
                        }
                        button type="submit" #selection-download { "Download selection" }
                        progress #selection-progress hidden max="1" value="0" {}
                        span #selection-status role="status" {}
                    }
                }
                nav.pages aria-label="Pages" {
                    @if offset > 0 { a rel="prev" href=(link(None, None, offset.saturating_sub(25))) { "← previous" } " " }
                    @if v["total"].as_u64().is_some_and(|t| t > offset + 25) { a rel="next" href=(link(None, None, offset + 25)) { "next →" } }
                }
            }
        }
    };
    layout("Find datasets", Some(&page), body).into_response()
}

/// A facet value as the query language wants it: quoted when it holds more than a word.
fn quote(v: &str) -> String {
    if v.chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('"', ""))
    }
}

/// `GET /studies`.
pub(crate) async fn studies(State(st): State<AppState>, page: Page) -> Response {
    let v = match crate::api::studies::list(State(st), page.auth.clone()).await {
        Ok(j) => value(j),
        Err(e) => return error_page(Some(&page), &e),
    };
    let body = html! {
        table.studies {
            thead { tr { th { "Study" } th { "Subjects" } th { "Your rights" } th { "Status" } } }
            tbody {
                @for st in v["studies"].as_array().cloned().unwrap_or_default() {
                    tr.study {
                        td { a href=(format!("/studies/{}", s(&st["id"]))) { (s(&st["name"])) } }
                        td { (s(&st["subjects"])) }
                        td { (st["rights"].as_array().map(|r| r.iter().map(s).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                        td { (s(&st["status"])) }
                    }
                }
            }
        }
    };
    layout("Studies", Some(&page), body).into_response()
}

/// `GET /studies/{id}?offset=`: the tree, 20 subjects a page.
pub(crate) async fn study(
    State(st): State<AppState>,
    page: Page,
    path: PathParams,
    q: QueryParams,
) -> Response {
    let offset = q.all("offset").next().unwrap_or("0").to_string();
    let api = QueryParams(vec![
        ("offset".into(), offset),
        ("limit".into(), "20".into()),
    ]);
    let v = match crate::api::studies::tree(State(st.clone()), page.auth.clone(), path, api).await {
        Ok(j) => value(j),
        Err(e) => return error_page(Some(&page), &e),
    };
    let id = s(&v["study"]["id"]);
    let panels = super::manage::study_panels(&st, &page, &id).await;
    let body: Markup = html! {
        p { (s(&v["study"]["description"])) }
        p { a href=(format!("/studies/{id}/rights")) { "Rights on this study" } " · " a href=(format!("/studies/{id}/cards")) { "Study cards" } }
        (panels)
        p #subjects-total { (s(&v["subjects_total"])) " subjects" }
        ul.tree {
            @for sub in v["subjects"].as_array().cloned().unwrap_or_default() {
                li.subject { details {
                    summary { "Subject " strong { (s(&sub["pseudonym"])) } " " (s(&sub["sex"])) " · " a href=(format!("/subjects/{}", s(&sub["id"]))) { "subject page" } }
                    ul { @for ex in sub["examinations"].as_array().cloned().unwrap_or_default() {
                        li.examination { details {
                            summary { "Examination " (s(&ex["date"])) " at " (s(&ex["center"]["name"])) " · " a href=(format!("/examinations/{}", s(&ex["id"]))) { "examination page" } }
                            ul { @for acq in ex["acquisitions"].as_array().cloned().unwrap_or_default() {
                                li.acquisition {
                                    (s(&acq["series_number"])) " " (s(&acq["series_description"])) " · " (s(&acq["nature"])) " · QC " (s(&acq["grade"]))
                                    ul { @for ds in acq["datasets"].as_array().cloned().unwrap_or_default() {
                                        li.dataset { a href=(format!("/datasets/{}", s(&ds["id"]))) { (s(&ds["instances"])) " instances" } }
                                    } }
                                }
                            } }
                        } }
                    } }
                } }
            }
        }
        @if let Some(n) = v["next_offset"].as_u64() {
            a rel="next" href=(format!("/studies/{id}?offset={n}")) { "more subjects →" }
        }
    };
    let title = format!("Study {}", s(&v["study"]["name"]));
    layout(&title, Some(&page), body).into_response()
}

/// `GET /datasets/{id}`: metadata, original vs study-card values, QC, downloads, previews.
pub(crate) async fn dataset(State(st): State<AppState>, page: Page, path: PathParams) -> Response {
    let id = path.0.first().cloned().unwrap_or_default();
    let v = match crate::api::datasets::detail(State(st.clone()), page.auth.clone(), path.clone())
        .await
    {
        Ok(j) => value(j),
        Err(e) => return error_page(Some(&page), &e),
    };
    let cur = v["cards"]["current"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let orig = v["cards"]["original"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut keys: Vec<&String> = cur.keys().chain(orig.keys()).collect();
    keys.sort();
    keys.dedup();
    // The axial slices (and whether the account may see pictures at all: the download right).
    let axial = match path.id(0) {
        Ok(ds) => crate::preview::slice_count(&st, &page.auth, ds, dicom::Plane::Axial).await,
        Err(e) => Err(e),
    };
    let row: Vec<usize> = match &axial {
        Ok(n) if *n > 1 => (1..=ROW).map(|k| k * (n - 1) / (ROW + 1)).collect(),
        _ => Vec::new(),
    };
    let body = html! {
        dl.meta {
            dt { "Study" } dd { a href=(format!("/studies/{}", s(&v["study"]["id"]))) { (s(&v["study"]["name"])) } }
            dt { "Subject" } dd #subject { a href=(format!("/subjects/{}", s(&v["subject"]["id"]))) { (s(&v["subject"]["pseudonym"])) } }
            dt { "Examination" } dd { a href=(format!("/examinations/{}", s(&v["examination"]["id"]))) { (s(&v["examination"]["date"])) } " at " (s(&v["examination"]["center"]["name"])) }
            dt { "Series" } dd #series { (s(&v["acquisition"]["series_number"])) " " (s(&v["acquisition"]["series_description"])) }
            dt { "Modality" } dd { (s(&v["acquisition"]["modality"])) }
            dt { "Instances" } dd { (s(&v["dicom"]["instances"])) }
            dt { "QC grade" } dd #qc { (s(&v["cards"]["grade"])) }
            dt { "NIfTI" } dd { @if v["nifti"].is_null() { "none: " (s(&v["nifti_refusal"])) } @else { (s(&v["nifti"]["shape"])) } }
        }
        h2 { "Study-card values" }
        table.cards {
            thead { tr { th { "Field" } th { "Original" } th { "Now" } } }
            tbody { @for k in keys { tr { td { (k) } td { (s(orig.get(k).unwrap_or(&Value::Null))) } td { (s(cur.get(k).unwrap_or(&Value::Null))) } } } }
        }
        h2 { "Download" }
        @if axial.is_ok() {
            p {
                a.download href=(format!("/api/v1/datasets/{id}/download?format=dicom")) { "DICOM (zip)" }
                @if !v["nifti"].is_null() { " · " a.download href=(format!("/api/v1/datasets/{id}/download?format=nifti")) { "NIfTI (zip)" } }
            }
        } @else {
            p.notice #no-download { "Downloads and pictures need the study's download right: ask its managers." }
        }
        h2 { "Provenance" }
        dl.meta #provenance {
            dt { "Imported" } dd { (super::when(&v["created_at"])) }
            dt { "Last changed" } dd { (super::when(&v["updated_at"])) " (study cards re-applied, NIfTI converted)" }
            dt { "Content id" } dd { code { (s(&v["content"])) } }
            dt { "DICOM" } dd { (s(&v["dicom"]["instances"])) " instances, " (s(&v["dicom"]["bytes"])) " bytes, de-identified at import" }
            dt { "De-identification" } dd { "profile " code { (s(&v["provenance"]["deidentification_profile"])) } ", at import on this node" }
            dt { "Study cards" } dd { a href=(format!("/studies/{}/cards", s(&v["study"]["id"]))) { "the study's cards and their versions" } }
        }
        @let history = v["cards"]["history"].as_array().cloned().unwrap_or_default();
        @if !history.is_empty() {
            table.history #card-history {
                caption { "Study-card applications, oldest first" }
                thead { tr { th { "Card" } th { "When" } th { "Rules matched" } th { "Assigned" } th { "Grade" } } }
                tbody { @for h in &history {
                    tr {
                        td { (s(&h["card_name"])) " v" (s(&h["card_version"])) }
                        td { (super::when(&h["applied_at"])) }
                        td { (h["matched_rules"].as_array().map(|r| r.iter().map(s).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                        td { (h["assignments"].as_object().map(|m| m.iter().filter(|(_, x)| !x.is_null() && x.as_array().is_none_or(|a| !a.is_empty())).map(|(k, x)| format!("{k} = {}", s(x))).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                        td { (s(&h["grade"])) }
                    }
                } }
            }
        }
        h2 { "Previews" }
        @match &axial {
            Err(e) => { p.notice #no-previews { (e.message) } }
            Ok(_) => {
                div.previews {
                    @for plane in ["axial", "coronal", "sagittal"] {
                        @if plane == "axial" || !v["nifti"].is_null() {
                            figure { img.preview src=(format!("/datasets/{id}/preview.png?plane={plane}")) alt=(format!("{plane} slice, middle")) loading="lazy"; figcaption { a href=(format!("/datasets/{id}/slices?plane={plane}")) { (plane) ": all slices" } } }
                        }
                    }
                }
                @if !row.is_empty() {
                    div.axial-row aria-label="Axial slices" {
                        @for n in &row {
                            a href=(format!("/datasets/{id}/slices?plane=axial&slice={n}")) {
                                img.thumb src=(format!("/datasets/{id}/preview.png?plane=axial&slice={n}&size=128")) alt=(format!("axial slice {n}")) loading="lazy";
                            }
                        }
                    }
                }
            }
        }
    };
    let title = format!("Dataset {}", s(&v["acquisition"]["series_description"]));
    layout(&title, Some(&page), body).into_response()
}

/// `GET /import`: drop zips or DICOM files (or pick a folder); each file is uploaded to
/// `POST /api/v1/import` on its own, with its progress and its result.
pub(crate) async fn import(State(st): State<AppState>, page: Page) -> Response {
    let v = match crate::api::studies::list(State(st), page.auth.clone()).await {
        Ok(j) => value(j),
        Err(e) => return error_page(Some(&page), &e),
    };
    let studies: Vec<Value> = v["studies"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|s| {
            s["rights"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x == "import"))
        })
        .collect();
    let body = html! {
        @if studies.is_empty() {
            p.error role="alert" { "You may not import into any study: ask a study manager for the import right." }
        } @else {
            form #import-form {
                label for="import-study" { "Study" }
                select #import-study name="study" {
                    @for st in &studies { option value=(s(&st["id"])) { (s(&st["name"])) } }
                }
                div #dropzone.dropzone tabindex="0" {
                    p { "Drop zip archives, DICOM files or a folder here, or choose them:" }
                    label for="import-files" { "Files" }
                    input #import-files type="file" multiple accept=".zip,.dcm,application/zip,application/dicom,*/*";
                    label for="import-folder" { "A folder" }
                    input #import-folder type="file" webkitdirectory multiple;
                }
                button type="submit" #import-submit { "Import" }
            }
            table #import-progress.hits {
                thead { tr { th { "File" } th { "Progress" } th { "Result" } } }
                tbody {}
            }
            p { "Files are de-identified on arrival with the study's profile; re-sending a file changes nothing." }
        }
    };
    layout("Import data", Some(&page), body).into_response()
}

/// `GET /scores`: the instruments, each a link to the datasets of subjects with a value.
pub(crate) async fn scores(State(st): State<AppState>, page: Page) -> Response {
    let v = match crate::api::scores::list_instruments(State(st), page.auth.clone()).await {
        Ok(j) => value(j),
        Err(e) => return error_page(Some(&page), &e),
    };
    let list = v["instruments"].as_array().cloned().unwrap_or_default();
    let body = html! {
        @if list.is_empty() { p { "No instrument is defined on this node yet." } }
        table.instruments {
            thead { tr { th { "Instrument" } th { "Name" } th { "Variables" } } }
            tbody {
                @for i in &list {
                    @let acr = s(&i["acronym"]);
                    tr {
                        td { a.instrument href=(format!("/search?filter={}", enc(&format!("score.{acr}:*")))) { (acr) } }
                        td { (s(&i["name"])) }
                        td { (i["variables"].as_array().map(|vs| vs.iter().map(|x| s(&x["name"])).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                    }
                }
            }
        }
        p { "A filter such as " code { "score.EDSS:[4 TO 10]" } " in the search narrows to subjects with such a value." }
    };
    layout("Clinical scores", Some(&page), body).into_response()
}
