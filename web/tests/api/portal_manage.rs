//! The portal's study-level pages and forms: subjects, examinations, slices (the previews'
//! right), study cards (new version, re-apply), rights that expire soon and their renewal. The
//! forms post with the session's CSRF token, scraped from the page as a browser would send it.

use axum::body::Body;
use axum::http::StatusCode;
use node::{Date, Grant, Principal, Role};
use serde_json::json;

use crate::fixture::*;

fn text(r: &Resp) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// A portal session of `name`: its cookie.
async fn session(state: &web::AppState, name: &str) -> String {
    let r = json(
        state,
        "POST",
        "/api/v1/login",
        None,
        json!({ "name": name, "password": PASSWORD }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let c = r.headers["set-cookie"].to_str().unwrap();
    c.split(';').next().unwrap().to_string()
}

async fn page(state: &web::AppState, cookie: &str, uri: &str) -> Resp {
    send(
        state,
        request("GET", uri, None)
            .header("cookie", cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

async fn post(state: &web::AppState, cookie: &str, uri: &str, form: &[(&str, &str)]) -> Resp {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    send(
        state,
        request("POST", uri, None)
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

/// The CSRF token of the forms of a page.
fn csrf(html: &str) -> String {
    let at = html
        .find(r#"name="csrf" value=""#)
        .expect("a form with its token")
        + 19;
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn subject_examination_and_slice_pages_follow_the_rights() {
    let s = shared();
    let ds = s.dataset(s.closed);
    let row = s.node().catalog.dataset_rows_for(&[ds]).unwrap().remove(0);
    let subject = format!("/subjects/{}", row.subject.id);
    let exam = format!("/examinations/{}", row.examination.id);
    let r = get(&s.state, &subject, Some(s.token("loader"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = text(&r);
    assert!(html.contains(&row.subject.pseudonym));
    assert!(html.contains(&format!("/examinations/{}", row.examination.id)));
    assert!(html.contains(&format!("/datasets/{ds}")));
    let r = get(&s.state, &exam, Some(s.token("loader"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(text(&r).contains(&format!("/subjects/{}", row.subject.id)));
    for (who, status) in [
        ("nobody", StatusCode::FORBIDDEN),
        ("elsewhere", StatusCode::NOT_FOUND),
    ] {
        assert_eq!(
            get(&s.state, &subject, Some(s.token(who))).await.status,
            status
        );
        assert_eq!(
            get(&s.state, &exam, Some(s.token(who))).await.status,
            status
        );
    }

    // Slices: the download right, as the previews; a slider over the whole range.
    let slices = format!("/datasets/{ds}/slices?plane=coronal");
    let r = get(&s.state, &slices, Some(s.token("loader"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = text(&r);
    assert!(html.contains(r#"id="slice-range""#) && html.contains("plane=coronal&amp;slice="));
    let max: usize = html
        .split(r#"max=""#)
        .nth(1)
        .and_then(|t| t.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("the slider's range");
    assert!(max > 10, "a volume's coronal slices: {max}");
    // The last slice renders, one past it does not.
    let png = get(
        &s.state,
        &format!("/datasets/{ds}/preview.png?plane=coronal&slice={max}"),
        Some(s.token("loader")),
    )
    .await;
    assert_eq!(png.status, StatusCode::OK);
    let past = get(
        &s.state,
        &format!("/datasets/{ds}/preview.png?plane=coronal&slice={}", max + 1),
        Some(s.token("loader")),
    )
    .await;
    assert_eq!(past.status, StatusCode::BAD_REQUEST);
    // see without download: no slices, and the dataset page says why instead of broken images.
    assert_eq!(
        get(&s.state, &slices, Some(s.token("seer"))).await.status,
        StatusCode::FORBIDDEN
    );
    let r = get(&s.state, &format!("/datasets/{ds}"), Some(s.token("seer"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = text(&r);
    assert!(html.contains(r#"id="no-previews""#) && !html.contains("preview.png"));
    assert!(html.contains(r#"id="no-download""#) && !html.contains("/download?format="));
    let r = get(
        &s.state,
        &format!("/datasets/{ds}"),
        Some(s.token("loader")),
    )
    .await;
    let html = text(&r);
    assert!(html.contains("axial-row") && html.contains("size=128"));
    assert!(html.contains(r#"id="provenance""#));
    // The cards applied at import, by name and version (the fixture's two cards).
    assert!(
        html.contains(r#"id="card-history""#) && html.contains("mr-natures v1"),
        "{html}"
    );
}

#[tokio::test]
async fn managers_edit_and_re_apply_study_cards_from_the_portal() {
    let small = Small::new(false);
    let st = &small.state;
    let study = small.study.unwrap();
    user(small.node(), "seer", Role::User);
    grant(small.node(), "seer", study, "see", None);
    let admin = session(st, "admin").await;
    let cards = format!("/studies/{study}/cards");
    let r = page(st, &admin, &cards).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = text(&r);
    assert!(html.contains("mr-natures") && html.contains("(in force)"));
    let token = csrf(&html);
    let toml = "name = \"portal-card\"\n\n[[rule]]\nassign = { nature = \"FLAIR\" }\n";
    // Without the token: refused, nothing added.
    let r = post(st, &admin, &format!("{cards}/add"), &[("toml", toml)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!text(&page(st, &admin, &cards).await).contains("portal-card"));
    let r = post(
        st,
        &admin,
        &format!("{cards}/add"),
        &[("csrf", &token), ("toml", toml)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", text(&r));
    assert!(text(&r).contains("portal-card version 1 saved"));
    let r = post(st, &admin, &format!("{cards}/apply"), &[("csrf", &token)]).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = text(&r);
    assert!(
        html.contains("acquisitions evaluated, 1 changed") && html.contains("FLAIR"),
        "{html}"
    );
    // A broken card: the parser's message, nothing saved.
    let r = post(
        st,
        &admin,
        &format!("{cards}/add"),
        &[("csrf", &token), ("toml", "name = [")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(text(&r).contains("does not parse"));
    // A member who may only see: the page, not the change.
    let seer = session(st, "seer").await;
    let html = text(&page(st, &seer, &cards).await);
    assert!(html.contains("portal-card"));
    let r = post(
        st,
        &seer,
        &format!("{cards}/add"),
        &[("csrf", &csrf(&html)), ("toml", toml)],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn rights_that_expire_soon_are_shown_and_renewed() {
    let small = Small::new(false);
    let st = &small.state;
    let study = small.study.unwrap();
    user(small.node(), "visitor", Role::User);
    let today = Date::from_unix(now()).days_since_epoch();
    let day = |n: i64| Date::from_unix(((today + n) * 86_400) as u64);
    access(small.node())
        .rights()
        .grant(
            &Principal::Operator,
            "visitor",
            study,
            Grant {
                rights: "see,download".parse().unwrap(),
                until: Some(day(5)),
                centers: None,
            },
            now(),
        )
        .unwrap();
    let admin = session(st, "admin").await;
    let home = text(&page(st, &admin, "/").await);
    assert!(
        home.contains("Rights to renew") && home.contains("visitor"),
        "{home}"
    );
    let rights = format!("/studies/{study}/rights");
    let html = text(&page(st, &admin, &rights).await);
    assert!(html.contains("expires in 5 days"), "{html}");
    let r = post(
        st,
        &admin,
        &format!("{rights}/renew"),
        &[("csrf", &csrf(&html)), ("user", "visitor")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", text(&r));
    let r = get(
        st,
        &format!("/api/v1/studies/{study}/rights/visitor"),
        Some(&small.admin),
    )
    .await
    .json();
    assert_eq!(r["until"], day(370).to_string());
    assert_eq!(r["rights"], json!(["see", "download"]));
    let html = text(&page(st, &admin, &rights).await);
    assert!(!html.contains("expires in"));
    assert!(!text(&page(st, &admin, "/").await).contains("Rights to renew"));
}

#[tokio::test]
async fn a_password_change_ends_every_session_of_the_account() {
    let small = Small::new(false);
    let st = &small.state;
    user(small.node(), "visitor", Role::User);
    let first = session(st, "visitor").await;
    let second = session(st, "visitor").await;
    let r = page(st, &first, "/account").await;
    assert_eq!(r.status, StatusCode::OK);
    let token = csrf(&text(&r));
    let new = "a brand new passphrase";
    // The current password proves it: a wrong one changes nothing.
    let r = post(
        st,
        &first,
        "/account/password",
        &[
            ("csrf", &token),
            ("current", "not the password"),
            ("new", new),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(page(st, &first, "/account").await.status, StatusCode::OK);
    let r = post(
        st,
        &first,
        "/account/password",
        &[("csrf", &token), ("current", PASSWORD), ("new", "short")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", text(&r));
    let r = post(
        st,
        &first,
        "/account/password",
        &[("csrf", &token), ("current", PASSWORD), ("new", new)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", text(&r));
    assert!(r.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    // Both sessions are over; the new password opens a new one, the old one nothing.
    for cookie in [&first, &second] {
        let r = page(st, cookie, "/account").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/login"));
    }
    let login = |password: &str| json!({ "name": "visitor", "password": password });
    assert_eq!(
        json(st, "POST", "/api/v1/login", None, login(PASSWORD))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        json(st, "POST", "/api/v1/login", None, login(new))
            .await
            .status,
        StatusCode::OK
    );
}
