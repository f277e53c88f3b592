//! The portal in a real browser (headless Chromium, see `browser`): what a user's browser
//! loads, with the session cookie it holds.

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::serve::{serve_http, with_stdin};
use crate::util::{json as run_json, neurofed, new_home, ok};

const PASSWORD: &str = "correct horse battery";

/// Log in from the page (as the portal's form and scripts do): the browser keeps the cookie.
fn login(b: &Browser, user: &str) {
    let v = b.js(
        "return fetch('/api/v1/login', {method: 'POST', headers: {'content-type': 'application/json'},
           body: JSON.stringify({name: arguments[0], password: arguments[1]})}).then(r => r.status);",
        vec![json!(user), json!(PASSWORD)],
    );
    assert_eq!(v, json!(200), "login of {user}");
}

/// Load `src` as an image; its natural size, or null when it did not load.
fn image_size(b: &Browser, src: &str) -> Value {
    b.js(
        "return new Promise(ok => { const i = new Image();
           i.onload = () => ok([i.naturalWidth, i.naturalHeight]);
           i.onerror = () => ok(null); i.src = arguments[0]; });",
        vec![json!(src)],
    )
}

#[test]
fn previews_load_in_the_browser_for_a_user_with_rights_only() {
    crate::need_browser!();
    let corpus = testkit::synth_corpus();
    let subject = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let (_dir, home) = new_home("Rennes Neurinfo");
    run_json(
        neurofed(&home)
            .args(["import", "--create", "--study", "MS cohort"])
            .arg(&subject),
    );
    for u in ["alice", "bob"] {
        with_stdin(&home, &["user", "add", u], &format!("{PASSWORD}\n"));
    }
    ok(neurofed(&home).args([
        "rights",
        "grant",
        "alice",
        "--study",
        "MS cohort",
        "--rights",
        "see,download",
    ]));
    let ls = run_json(neurofed(&home).arg("ls"));
    let t1 = ls
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["nature"].is_null() && r["dimensions"].as_array().is_some_and(|d| d.len() == 3))
        .or_else(|| ls.as_array().unwrap().first())
        .unwrap()["dataset"]
        .as_str()
        .unwrap()
        .to_string();
    let (_server, addr) = serve_http(&home, None);
    let base = format!("http://{addr}");

    let b = Browser::start();
    b.goto(&format!("{base}/api/v1/health"));
    // Not logged in: no image.
    let url = format!("{base}/datasets/{t1}/preview.png");
    assert_eq!(image_size(&b, &url), Value::Null);
    login(&b, "alice");
    for plane in ["axial", "coronal", "sagittal"] {
        let size = image_size(&b, &format!("{url}?plane={plane}"));
        let wh = size
            .as_array()
            .unwrap_or_else(|| panic!("{plane}: not loaded"));
        assert!(
            wh.iter().all(|v| v.as_u64().is_some_and(|n| n >= 16)),
            "{plane}: {size}"
        );
    }
    // Another account on the same browser sees nothing of the study.
    let b2 = Browser::start();
    b2.goto(&format!("{base}/api/v1/health"));
    login(&b2, "bob");
    assert_eq!(image_size(&b2, &url), Value::Null);
}
