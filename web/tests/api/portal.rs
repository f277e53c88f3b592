//! The portal over HTTP: pages need a session (else the login form, with a local `next` only),
//! forms need their CSRF token, user-controlled text is escaped, and a page shows what the API
//! shows the same account (nothing of a study without rights).

use axum::body::Body;
use axum::http::StatusCode;
use node::Role;

use crate::fixture::*;

fn text(r: &Resp) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

#[tokio::test]
async fn pages_need_a_session_and_forms_their_token() {
    let s = shared();
    let r = get(&s.state, "/search?q=t1", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers["location"], "/login?next=%2Fsearch%3Fq%3Dt1");
    // The login form sets its token cookie; a POST without the matching token is refused.
    let r = get(&s.state, "/login?next=//evil.example", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("HttpOnly; SameSite=Strict"));
    assert!(
        text(&r).contains(r#"name="next" value="/""#),
        "a foreign next is not kept"
    );
    let form = format!(
        "user=admin&password={}&csrf=forged&next=%2F",
        PASSWORD.replace(' ', "+")
    );
    let r = send(
        &s.state,
        request("POST", "/login", None)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", "neurofed_form=other")
            .body(Body::from(form))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.headers.get("location").is_none(),
        "no session without the token"
    );
    // With it: a session cookie and the redirect.
    let form = format!(
        "user=admin&password={}&csrf=abc123&next=%2Fstudies",
        PASSWORD.replace(' ', "+")
    );
    let r = send(
        &s.state,
        request("POST", "/login", None)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", "neurofed_form=abc123")
            .body(Body::from(form))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", text(&r));
    assert_eq!(r.headers["location"], "/studies");
    let cookie = r.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("neurofed_session=nfs_") && cookie.contains("HttpOnly"));
    let session = cookie.split(';').next().unwrap().to_string();
    // Logout without the form token is refused; the session still works.
    let r = send(
        &s.state,
        request("POST", "/logout", None)
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("csrf=nope"))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &s.state,
        request("GET", "/studies", None)
            .header("cookie", &session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    // The page's own token logs out; the session is then over.
    let page = text(&r);
    let at = page.find(r#"name="csrf" value=""#).unwrap() + 19;
    let token = &page[at..at + 32];
    let r = send(
        &s.state,
        request("POST", "/logout", None)
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={token}")))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(
        &s.state,
        request("GET", "/studies", None)
            .header("cookie", &session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "the closed session leads to the login form"
    );
}

#[tokio::test]
async fn pages_show_what_the_api_shows_and_escape_what_users_wrote() {
    let s = shared();
    // nobody: the closed study is in no page, no hit, no count.
    let r = get(&s.state, "/search", Some(s.token("nobody"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let closed = s.node().catalog.study(s.closed).unwrap().unwrap().name;
    assert!(!text(&r).contains(&format!(">{closed}<")), "{}", text(&r));
    let r = get(
        &s.state,
        &format!("/studies/{}", s.closed),
        Some(s.token("nobody")),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = get(
        &s.state,
        &format!("/datasets/{}", s.dataset(s.closed)),
        Some(s.token("nobody")),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // loader: the dataset page with its previews and downloads.
    let r = get(
        &s.state,
        &format!("/datasets/{}", s.dataset(s.closed)),
        Some(s.token("loader")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let page = text(&r);
    assert!(page.contains("preview.png?plane=sagittal") && page.contains("format=nifti"));

    // A study named with markup is shown as text.
    let small = Small::new(false);
    let mut st = small
        .node()
        .catalog
        .study(small.study.unwrap())
        .unwrap()
        .unwrap();
    st.description = "<script>alert('x')</script>".into();
    small.node().catalog.update_study(&st).unwrap();
    let tok = user(small.node(), "boss", Role::Admin);
    let r = get(&small.state, &format!("/studies/{}", st.id), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK);
    let page = text(&r);
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("&lt;script&gt;alert"));
}
