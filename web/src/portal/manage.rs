//! A study manager's and a member's study-level forms: study cards (`/studies/{id}/cards`: every
//! version with its TOML, a new version, re-apply), the data-use agreement (set a version,
//! accept it), e-mail reports (subscribe / unsubscribe) and the renewal of rights that expire.
//! Each form posts to the portal, which calls the API handler: the API's rights, audit and
//! refusals, one place.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use protocol::time::Date;
use serde_json::Value;

use super::{error_page, layout, s, value, when, Page, PostForm};
use crate::api::rights::GrantRequest;
use crate::api::{JsonBody, PathParams};
use crate::error::ApiError;
use crate::state::{now, AppState};

/// Rights ending within this many days are shown as expiring.
pub(crate) const EXPIRING_DAYS: i64 = 30;
/// A renewal extends a right by this many days.
const RENEWAL_DAYS: i64 = 365;

/// Days from today (UTC) to the last valid day `until` (`YYYY-MM-DD`); negative once expired.
pub(crate) fn days_left(until: &Value) -> Option<i64> {
    let d: Date = until.as_str()?.parse().ok()?;
    Some(d.days_since_epoch() - Date::from_unix(now()).days_since_epoch())
}

/// The last day of a right renewed today from `until` (a year after the later of today and it).
fn renewed(until: &Value) -> String {
    let today = Date::from_unix(now()).days_since_epoch();
    let from = until
        .as_str()
        .and_then(|u| u.parse::<Date>().ok())
        .map_or(today, |d| d.days_since_epoch().max(today));
    let day = (from + RENEWAL_DAYS).max(0) as u64;
    Date::from_unix(day * 86_400).to_string()
}

/// "expires in N days" / "expired", for rights ending soon; empty otherwise.
pub(crate) fn expiry_note(until: &Value) -> Option<String> {
    let d = days_left(until)?;
    match d {
        d if d < 0 => Some("expired".into()),
        0 => Some("expires today".into()),
        d if d <= EXPIRING_DAYS => Some(format!("expires in {d} days")),
        _ => None,
    }
}

fn back_to(path: &str) -> Response {
    Redirect::to(path).into_response()
}

fn study_of(path: &PathParams) -> String {
    path.0.first().cloned().unwrap_or_default()
}

/// `GET /studies/{id}/cards`.
pub(crate) async fn cards(State(st): State<AppState>, page: Page, path: PathParams) -> Response {
    let study = study_of(&path);
    let v = match crate::api::cards::list(State(st), page.auth.clone(), path).await {
        Ok(j) => value(j),
        Err(e) => return error_page(Some(&page), &e),
    };
    let list = v["cards"].as_array().cloned().unwrap_or_default();
    let body = html! {
        p { a href=(format!("/studies/{study}")) { "← " (s(&v["study"]["name"])) } }
        @if list.is_empty() { p #no-cards { "This study has no study card yet." } }
        @for c in &list {
            details.card-version open[c["current"] == true] {
                summary {
                    strong { (s(&c["name"])) } " version " (s(&c["version"]))
                    @if c["current"] == true { " (in force)" }
                    " · " (s(&c["rules"])) " rules, " (s(&c["quality_rules"])) " quality rules · added " (when(&c["added_at"]))
                }
                pre.card-source { code { (s(&c["source"])) } }
            }
        }
        h2 { "Add a card or a new version" }
        form.card method="post" action=(format!("/studies/{study}/cards/add")) #card-form {
            (page.csrf_field())
            label for="card-toml" { "Study card (TOML, as " code { "neurofed studycard add" } " reads it; a card with an existing name becomes its next version)" }
            textarea #card-toml name="toml" rows="14" required spellcheck="false" {
                (list.iter().rev().find(|c| c["current"] == true).map(|c| s(&c["source"])).unwrap_or_default())
            }
            button type="submit" #card-submit { "Save the card" }
        }
        h2 { "Apply to the data already imported" }
        form.card method="post" action=(format!("/studies/{study}/cards/apply")) #apply-form {
            (page.csrf_field())
            p { "New imports use the cards in force. Re-applying updates the values and quality grades of every acquisition of the study; the values at import stay visible as the original ones." }
            button type="submit" #apply-submit { "Re-apply the cards" }
        }
    };
    layout("Study cards", Some(&page), body).into_response()
}

/// `POST /studies/{id}/cards/add|apply`.
pub(crate) async fn change_cards(
    State(st): State<AppState>,
    path: PathParams,
    PostForm { page, form: f }: PostForm,
) -> Response {
    let study = study_of(&path);
    let p = PathParams(vec![study.clone()]);
    let done: Result<Markup, ApiError> = match path.0.get(1).map(String::as_str) {
        Some("add") => {
            let req = crate::api::cards::NewCard {
                toml: f.get("toml").to_string(),
            };
            crate::api::cards::add(State(st), page.auth.clone(), p, JsonBody(req))
                .await
                .map(|j| {
                    html! { p.notice #card-result role="status" { "Card " (j.0.name) " version " (j.0.version) " saved. It applies to new imports; re-apply it to the data already here from the cards page." } }
                })
        }
        Some("apply") => crate::api::cards::apply(State(st), page.auth.clone(), p)
            .await
            .map(|j| {
                html! {
                    p.notice #card-result role="status" { (j.0.acquisitions) " acquisitions evaluated, " (j.0.changed.len()) " changed." }
                    @if !j.0.changed.is_empty() {
                        table.changes { thead { tr { th { "Series" } th { "Changes" } th { "QC" } } }
                            tbody { @for c in &j.0.changed { tr { td { (c.series_description.clone().unwrap_or_default()) } td { (c.changes.join("; ")) } td { (c.grade.clone().unwrap_or_default()) } } } }
                        }
                    }
                }
            }),
        _ => Err(ApiError::not_found("no such action (add or apply)")),
    };
    match done {
        Ok(m) => {
            let body = html! { (m) p { a href=(format!("/studies/{study}/cards")) { "Back to the study's cards" } } };
            layout("Study cards", Some(&page), body).into_response()
        }
        Err(e) => error_page(Some(&page), &e),
    }
}

/// The agreement and report blocks of a study's page.
pub(crate) async fn study_panels(st: &AppState, page: &Page, study: &str) -> Markup {
    let p = PathParams(vec![study.to_string()]);
    let agreement = crate::api::rights::agreement(State(st.clone()), page.auth.clone(), p.clone())
        .await
        .map(value)
        .unwrap_or(Value::Null);
    let reports = crate::api::reports::get(State(st.clone()), page.auth.clone(), p)
        .await
        .map(value)
        .ok();
    let a = &agreement["agreement"];
    let accepted = agreement["accepted_version"].as_u64();
    html! {
        @if !a.is_null() {
            section.agreement #agreement aria-labelledby="agreement-h" {
                h2 #agreement-h { "Data-use agreement (version " (s(&a["version"])) ")" }
                blockquote { (s(&a["text"])) }
                @if accepted == a["version"].as_u64() {
                    p #agreement-accepted { "You accepted this version." }
                } @else {
                    form method="post" action=(format!("/studies/{study}/agreement/accept")) {
                        (page.csrf_field())
                        input type="hidden" name="version" value=(s(&a["version"]));
                        button type="submit" #agreement-accept { "I accept this agreement" }
                    }
                }
            }
        }
        @if let Some(r) = reports {
            section.reports aria-labelledby="reports-h" {
                h2 #reports-h { "E-mail reports" }
                @if r["mail_configured"] != true { p { "This node sends no e-mail (no [smtp] in its configuration)." } }
                @else if r["has_email"] != true { p { "Your account has no e-mail address: ask an administrator to add one." } }
                @else {
                    form method="post" action=(format!("/studies/{study}/reports")) {
                        (page.csrf_field())
                        @if r["subscribed"] == true {
                            input type="hidden" name="subscribe" value="no";
                            span #reports-state { "You receive a report of every import into this study. " }
                            button type="submit" #reports-toggle { "Stop the reports" }
                        } @else {
                            input type="hidden" name="subscribe" value="yes";
                            span #reports-state { "You receive no report of imports. " }
                            button type="submit" #reports-toggle { "Send me a report of every import" }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /studies/{id}/agreement/accept|set`.
pub(crate) async fn study_form(
    State(st): State<AppState>,
    path: PathParams,
    PostForm { page, form: f }: PostForm,
) -> Response {
    let study = study_of(&path);
    let p = PathParams(vec![study.clone()]);
    let what = path.0.get(1).map(String::as_str).unwrap_or("");
    let done = match what {
        "accept" => {
            let version = f.get("version").parse().unwrap_or(0);
            let req = crate::api::rights::AcceptRequest { version };
            crate::api::rights::accept(State(st), page.auth.clone(), p, JsonBody(req))
                .await
                .map(|_| format!("/studies/{study}"))
        }
        "set" => {
            let req = crate::api::rights::AgreementText {
                text: f.get("text").to_string(),
            };
            crate::api::rights::set_agreement(State(st), page.auth.clone(), p, JsonBody(req))
                .await
                .map(|_| format!("/studies/{study}/rights"))
        }
        _ => Err(ApiError::not_found("no such form")),
    };
    match done {
        Ok(to) => back_to(&to),
        Err(e) => error_page(Some(&page), &e),
    }
}

/// `POST /studies/{id}/reports` (field `subscribe`: `yes` or `no`).
pub(crate) async fn reports_form(
    State(st): State<AppState>,
    path: PathParams,
    PostForm { page, form: f }: PostForm,
) -> Response {
    let study = study_of(&path);
    let p = PathParams(vec![study.clone()]);
    let done = if f.get("subscribe") == "yes" {
        crate::api::reports::subscribe(State(st), page.auth.clone(), p).await
    } else {
        crate::api::reports::unsubscribe(State(st), page.auth.clone(), p).await
    };
    match done {
        Ok(_) => back_to(&format!("/studies/{study}")),
        Err(e) => error_page(Some(&page), &e),
    }
}

/// The agreement form of a study's rights page (its managers set the text).
pub(crate) fn agreement_form(page: &Page, study: &str) -> Markup {
    html! {
        h2 { "Data-use agreement" }
        form.card method="post" action=(format!("/studies/{study}/agreement/set")) #agreement-form {
            (page.csrf_field())
            label for="agreement-text" { "Text of a new version (every member accepts it before downloading)" }
            textarea #agreement-text name="text" rows="5" required {}
            button type="submit" { "Publish this version" }
        }
    }
}

/// `POST /studies/{id}/rights/renew` (field `user`): the right, unchanged, until a year later.
pub(crate) async fn renew(st: AppState, page: &Page, study: &str, user: &str) -> Response {
    let p = PathParams(vec![study.to_string(), user.to_string()]);
    let current =
        match crate::api::rights::get(State(st.clone()), page.auth.clone(), p.clone()).await {
            Ok(j) => value(j),
            Err(e) => return error_page(Some(page), &e),
        };
    let req = GrantRequest {
        rights: current["rights"]
            .as_array()
            .map(|r| r.iter().map(s).collect())
            .unwrap_or_default(),
        until: Some(renewed(&current["until"])),
        centers: current["centers"]
            .as_array()
            .map(|c| c.iter().map(s).collect()),
    };
    match crate::api::rights::put(State(st), page.auth.clone(), p, JsonBody(req)).await {
        Ok(_) => back_to(&format!("/studies/{study}/rights")),
        Err(e) => error_page(Some(page), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_notes_and_renewals() {
        let today = Date::from_unix(now());
        let in_days = |n: i64| {
            let d = (today.days_since_epoch() + n) as u64;
            Value::String(Date::from_unix(d * 86_400).to_string())
        };
        assert_eq!(expiry_note(&in_days(-1)).as_deref(), Some("expired"));
        assert_eq!(expiry_note(&in_days(0)).as_deref(), Some("expires today"));
        assert_eq!(
            expiry_note(&in_days(5)).as_deref(),
            Some("expires in 5 days")
        );
        assert_eq!(expiry_note(&in_days(90)), None);
        assert_eq!(expiry_note(&Value::Null), None);
        // A year from the later of today and the old end.
        assert_eq!(renewed(&in_days(10)), in_days(375).as_str().unwrap_or(""));
        assert_eq!(renewed(&in_days(-40)), in_days(365).as_str().unwrap_or(""));
        assert_eq!(renewed(&Value::Null), in_days(365).as_str().unwrap_or(""));
    }
}
