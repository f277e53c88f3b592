//! The managers' pages: access requests (approve / refuse), a study's rights (grant / revoke),
//! the audit log, the consortium, and the node's statistics with SVG charts. Each action is the
//! API's, so only who the API lets do it can.

use axum::body::Body;
use axum::extract::State;
use axum::http::Request;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup, PreEscaped};
use serde_json::Value;

use super::{error_page, layout, s, value, when, Page, PostForm};
use crate::api::rights::GrantRequest;
use crate::api::{JsonBody, PathParams, QueryParams};
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /access-requests`: the pending requests the account may decide.
pub(crate) async fn requests(State(st): State<AppState>, page: Page) -> Response {
    let v = match crate::api::rights::pending(State(st), page.auth.clone()).await {
        Ok(j) => value(j),
        Err(e) => return error_page(Some(&page), &e),
    };
    let list = v["requests"].as_array().cloned().unwrap_or_default();
    let body = html! {
        @if list.is_empty() { p #no-requests { "No request waits for your decision." } }
        table.requests {
            thead { tr { th { "Account" } th { "Study" } th { "Rights asked" } th { "Why" } th { "Sent" } th { "Decision" } } }
            tbody {
                @for r in &list {
                    @let id = s(&r["id"]);
                    tr.request {
                        td { (s(&r["user"])) @if r["new_account"] == true { " (new account)" } }
                        td { (s(&r["study"])) }
                        td { (r["rights"].as_array().map(|x| x.iter().map(s).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                        td { (s(&r["motivation"])) }
                        td { (when(&r["created_at"])) }
                        td {
                            form.inline method="post" action=(format!("/access-requests/{id}/approve")) {
                                (page.csrf_field())
                                button.approve type="submit" { "Approve" }
                            }
                            form.inline method="post" action=(format!("/access-requests/{id}/refuse")) {
                                (page.csrf_field())
                                button.refuse type="submit" { "Refuse" }
                            }
                        }
                    }
                }
            }
        }
    };
    layout("Access requests", Some(&page), body).into_response()
}

/// `POST /access-requests/{id}/approve|refuse`.
pub(crate) async fn decide(
    State(st): State<AppState>,
    path: PathParams,
    PostForm { page, .. }: PostForm,
) -> Response {
    let approve = match path.0.get(1).map(String::as_str) {
        Some("approve") => true,
        Some("refuse") => false,
        _ => {
            return error_page(
                Some(&page),
                &ApiError::not_found("no such decision (approve or refuse)"),
            )
        }
    };
    let id = PathParams(path.0.iter().take(1).cloned().collect());
    let req = Request::new(Body::empty());
    let done = if approve {
        crate::api::rights::approve(State(st), page.auth.clone(), id, req).await
    } else {
        crate::api::rights::refuse(State(st), page.auth.clone(), id, req).await
    };
    match done {
        Ok(_) => Redirect::to("/access-requests").into_response(),
        Err(e) => error_page(Some(&page), &e),
    }
}

const RIGHTS: [&str; 4] = ["see", "download", "import", "administer"];

/// `GET /studies/{id}/rights`: who holds what, with grant and revoke forms.
pub(crate) async fn rights(State(st): State<AppState>, page: Page, path: PathParams) -> Response {
    let study = path.0.first().cloned().unwrap_or_default();
    let v = match crate::api::rights::list(State(st), page.auth.clone(), path).await {
        Ok(j) => value(j),
        Err(e) => return error_page(Some(&page), &e),
    };
    let body = html! {
        table.rights {
            thead { tr { th { "Account" } th { "Rights" } th { "Until" } th { "Granted by" } th {} } }
            tbody {
                @for r in v["rights"].as_array().cloned().unwrap_or_default() {
                    tr.right {
                        td { (s(&r["user"])) }
                        td { (r["rights"].as_array().map(|x| x.iter().map(s).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                        td { (s(&r["until"]))
                            @if let Some(note) = super::manage::expiry_note(&r["until"]) {
                                " " strong.expiring { (note) }
                            }
                        }
                        td { (s(&r["granted_by"])) }
                        td {
                            @if r["until"].is_string() {
                                form.inline method="post" action=(format!("/studies/{study}/rights/renew")) {
                                    (page.csrf_field())
                                    input type="hidden" name="user" value=(s(&r["user"]));
                                    button.renew type="submit" { "Renew for a year" }
                                }
                            }
                            form.inline method="post" action=(format!("/studies/{study}/rights/revoke")) {
                                (page.csrf_field())
                                input type="hidden" name="user" value=(s(&r["user"]));
                                button.revoke type="submit" { "Revoke" }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Grant rights" }
        form.card method="post" action=(format!("/studies/{study}/rights/grant")) #grant-form {
            (page.csrf_field())
            label for="grant-user" { "Account" }
            input #grant-user name="user" type="text" required;
            fieldset { legend { "Rights" }
                @for r in RIGHTS { label { input type="checkbox" name="rights" value=(r) checked[r == "see"]; " " (r) } " " }
            }
            label for="grant-until" { "Until (YYYY-MM-DD, empty: no end)" }
            input #grant-until name="until" type="date";
            button type="submit" { "Grant" }
        }
        (super::manage::agreement_form(&page, &study))
    };
    layout("Rights", Some(&page), body).into_response()
}

/// `POST /studies/{id}/rights/grant|revoke|renew`.
pub(crate) async fn change_rights(
    State(st): State<AppState>,
    path: PathParams,
    PostForm { page, form: f }: PostForm,
) -> Response {
    let study = path.0.first().cloned().unwrap_or_default();
    let user = f.get("user").trim().to_string();
    let p = PathParams(vec![study.clone(), user]);
    let grant = match path.0.get(1).map(String::as_str) {
        Some("grant") => true,
        Some("revoke") => false,
        Some("renew") => return super::manage::renew(st, &page, &study, p.0[1].as_str()).await,
        _ => {
            return error_page(
                Some(&page),
                &ApiError::not_found("no such action (grant, revoke or renew)"),
            )
        }
    };
    let done = if grant {
        let rights: Vec<String> = f.all("rights").map(str::to_string).collect();
        let until = Some(f.get("until").trim().to_string()).filter(|u| !u.is_empty());
        let req = GrantRequest {
            rights,
            until,
            centers: None,
        };
        crate::api::rights::put(State(st), page.auth.clone(), p, JsonBody(req)).await
    } else {
        crate::api::rights::delete(State(st), page.auth.clone(), p).await
    };
    match done {
        Ok(_) => Redirect::to(&format!("/studies/{study}/rights")).into_response(),
        Err(e) => error_page(Some(&page), &e),
    }
}

/// `GET /audit?study=&offset=`: the log, newest first (what the API lets the account read).
pub(crate) async fn audit(State(st): State<AppState>, page: Page, q: QueryParams) -> Response {
    let mut api: Vec<(String, String)> =
        q.0.iter()
            .filter(|(k, _)| k == "study" || k == "offset")
            .cloned()
            .collect();
    api.push(("limit".into(), "100".into()));
    let v = match crate::api::audit::list(State(st), page.auth.clone(), QueryParams(api)).await {
        Ok(j) => value(j),
        Err(e) => return error_page(Some(&page), &e),
    };
    let body = html! {
        table.audit {
            thead { tr { th { "When" } th { "Who" } th { "What" } th { "Study" } th { "Detail" } } }
            tbody {
                @for r in v["records"].as_array().cloned().unwrap_or_default() {
                    tr.event { td { (when(&r["at"])) } td { (s(&r["who"])) } td { (s(&r["action"])) } td { (s(&r["study"])) } td { (s(&r["detail"])) } }
                }
            }
        }
    };
    layout("Audit log", Some(&page), body).into_response()
}

/// `GET /consortium`: the members and the state of the roster and revocation list.
pub(crate) async fn consortium(State(st): State<AppState>, page: Page) -> Response {
    let v = match crate::api::federation::consortium(State(st), page.auth.clone()).await {
        Ok(j) => value(j),
        Err(e) if e.status.is_server_error() || e.status.as_u16() == 409 => {
            // Not federated: how to be, rather than an error.
            let body = html! {
                p.notice #not-federated role="status" { (e.message) }
                p { "A node joins a consortium with " code { "neurofed consortium join ROSTER MEMBERSHIP" } " and runs its federation with " code { "neurofed serve --p2p ADDR" } "; see docs/federation.md." }
            };
            return layout("Consortium", Some(&page), body).into_response();
        }
        Err(e) => return error_page(Some(&page), &e),
    };
    let body = html! {
        dl.meta {
            dt { "Consortium" } dd { (s(&v["consortium"])) }
            dt { "This node" } dd { code { (s(&v["node"])) } }
            dt { "Roster" } dd { "serial " (s(&v["roster_serial"])) }
            dt { "Revocation list" } dd { "serial " (s(&v["revocation_serial"])) ", trusted until " (when(&v["revocation_trusted_until"])) }
            dt { "Connected peers" } dd { (s(&v["connected_peers"])) }
        }
        @for w in v["warnings"].as_array().cloned().unwrap_or_default() { p.error role="alert" { (s(&w)) } }
        table.members {
            thead { tr { th { "Center" } th { "Node" } th { "State" } th { "Last seen" } } }
            tbody { @for m in v["members"].as_array().cloned().unwrap_or_default() {
                tr.member { td { (s(&m["center"])) } td { code { (s(&m["node"])) } } td { (s(&m["state"])) } td { (when(&m["last_seen"])) } }
            } }
        }
    };
    layout("Consortium", Some(&page), body).into_response()
}

/// A horizontal bar chart, as inline SVG (no script).
fn bars(title: &str, rows: &[(String, u64)]) -> Markup {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let h = 24 * rows.len() + 8;
    let label_of = |t: &str| html! { (t) }.into_string();
    let mut svg = format!(
        r#"<svg class="chart" role="img" aria-label="{}" viewBox="0 0 520 {h}" width="520" height="{h}">"#,
        label_of(title)
    );
    for (i, (label, n)) in rows.iter().enumerate() {
        let y = 4 + 24 * i;
        let w = (360 * n / max).max(1);
        let label = label_of(label);
        svg.push_str(&format!(
            r##"<text x="0" y="{}" font-size="13">{label}</text><rect x="130" y="{y}" width="{w}" height="18" fill="#0b5cad"></rect><text x="{}" y="{}" font-size="13">{n}</text>"##,
            y + 14,
            136 + w,
            y + 14
        ));
    }
    svg.push_str("</svg>");
    html! { figure { (PreEscaped(svg)) figcaption { (title) } } }
}

/// Dataset counts per value of `facets` over what the account may see, in `scope`
/// (`local` or `federated`), with the members' answers in federated scope.
async fn facet_counts(st: &AppState, page: &Page, scope: &str, facets: &[&str]) -> Value {
    let mut q = vec![("limit".to_string(), "0".to_string())];
    for f in facets {
        q.push(("facet".into(), f.to_string()));
    }
    if scope == "federated" {
        q.push(("scope".into(), "federated".into()));
    }
    match crate::api::search::search(State(st.clone()), page.auth.clone(), QueryParams(q)).await {
        Ok(r) => super::body_json(r).await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

fn facet_rows(v: &Value, facet: &str) -> Vec<(String, u64)> {
    v["facets"][facet]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /stats`: the node's counts (administrators: the API's `/stats`), and per center over
/// the consortium what the account may see (a federated count), with charts.
pub(crate) async fn stats(State(st): State<AppState>, page: Page) -> Response {
    let node_counts = crate::api::stats(State(st.clone()), page.auth.clone())
        .await
        .map(value);
    let keys = [
        "centers",
        "equipment",
        "studies",
        "subjects",
        "examinations",
        "acquisitions",
        "datasets",
        "instances",
        "users",
    ];
    let rows: Vec<(String, u64)> = match &node_counts {
        Ok(v) => keys
            .iter()
            .map(|k| (k.to_string(), v[*k].as_u64().unwrap_or(0)))
            .collect(),
        Err(_) => Vec::new(),
    };
    let studies = match crate::api::studies::list(State(st.clone()), page.auth.clone()).await {
        Ok(j) => value(j),
        Err(e) => return error_page(Some(&page), &e),
    };
    let per_study: Vec<(String, u64)> = studies["studies"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s2| (s(&s2["name"]), s2["subjects"].as_u64().unwrap_or(0)))
        .collect();
    let fed = facet_counts(
        &st,
        &page,
        "federated",
        &["center", "manufacturer", "modality"],
    )
    .await;
    let per_center = facet_rows(&fed, "center");
    let per_maker = facet_rows(&fed, "manufacturer");
    let per_modality = facet_rows(&fed, "modality");
    let body = html! {
        @match &node_counts {
            Ok(v) => {
                h2 { "This node" }
                dl.stats #stats {
                    @for (k, n) in &rows { dt { (k) } dd data-stat=(k) { (n) } }
                    dt { "bytes" } dd data-stat="bytes" { (s(&v["bytes"])) }
                }
                (bars("This node's counts", &rows[..7]))
            }
            Err(_) => { p.notice { "Node-wide counts are for the node's administrators; below is what your rights show." } }
        }
        (bars("Subjects per study", &per_study))
        h2 { "Across the consortium (datasets you may see)" }
        @if let Some(nodes) = fed["nodes"].as_array() {
            ul.nodes #stat-centers aria-label="Centers" {
                @for n in nodes { li class=(format!("node {}", s(&n["status"]))) { (s(&n["center"])) ": " (s(&n["status"])) } }
            }
        }
        p #stat-total { (s(&fed["total"])) " datasets in all" }
        (bars("Datasets per center", &per_center))
        (bars("Datasets per scanner manufacturer", &per_maker))
        (bars("Datasets per modality", &per_modality))
    };
    layout("Statistics", Some(&page), body).into_response()
}
