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

/// Log in through the portal's form (the page the browser is sent to).
fn form_login(b: &Browser, base: &str, user: &str, password: &str) {
    b.goto(&format!("{base}/login"));
    b.fill("#user", user);
    b.fill("#password", password);
    b.click("#login-submit");
    b.wait_for("document.readyState === 'complete' && !location.pathname.startsWith('/login')");
}

fn total(b: &Browser) -> u64 {
    let t = b.text("#total");
    t.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no total in {t:?}"))
}

#[test]
fn a_researcher_logs_in_searches_narrows_previews_downloads_and_imports() {
    crate::need_browser!();
    let corpus = testkit::synth_corpus();
    let mut subjects: Vec<std::path::PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    subjects.sort();
    let (dir, home) = new_home("Rennes Neurinfo");
    for card in ["mr-natures.toml", "mr-quality.toml"] {
        ok(neurofed(&home)
            .args(["studycard", "add", "--create", "--study", "MS cohort"])
            .arg(testkit::workspace_root().join("docs/cards").join(card)));
    }
    run_json(
        neurofed(&home)
            .args(["import", "--create", "--study", "MS cohort"])
            .arg(&subjects[0])
            .arg(&subjects[1]),
    );
    // A zip of the third subject, for the import page.
    let zip_path = dir.path().join("third.zip");
    {
        let f = std::fs::File::create(&zip_path).unwrap();
        let mut z = zip::ZipWriter::new(f);
        for p in crate::util::files_under(&subjects[2]) {
            let name = p
                .strip_prefix(&corpus)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            z.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut z, &std::fs::read(&p).unwrap()).unwrap();
        }
        z.finish().unwrap();
    }
    for u in ["alice", "bob"] {
        with_stdin(&home, &["user", "add", u], &format!("{PASSWORD}\n"));
    }
    with_stdin(
        &home,
        &["user", "add", "root", "--admin"],
        &format!("{PASSWORD}\n"),
    );
    ok(neurofed(&home).args([
        "rights",
        "grant",
        "alice",
        "--study",
        "MS cohort",
        "--rights",
        "see,download,import",
    ]));
    let study_id = run_json(neurofed(&home).args(["study", "ls"]))
        .as_array()
        .unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_server, addr) = serve_http(&home, None);
    let base = format!("http://{addr}");
    let b = Browser::start();

    // A page without a session leads to the login form, and back after it.
    b.goto(&format!("{base}/search"));
    assert!(
        b.path().starts_with("/login?next=%2Fsearch"),
        "{}",
        b.path()
    );
    b.fill("#user", "alice");
    b.fill("#password", "wrong password, surely");
    b.click("#login-submit");
    assert!(b.text("#login-error").to_lowercase().contains("password"));
    b.fill("#user", "alice");
    b.fill("#password", PASSWORD);
    b.click("#login-submit");
    b.wait_for("location.pathname === '/search'");
    assert_eq!(b.text("#whoami"), "alice");

    // Everything, then a facet narrows it and its count is the new total.
    let all = total(&b);
    assert_eq!(all, 12, "two subjects x two examinations x three series");
    let t1 = b.js(
        "const a = document.querySelector('a.facet[data-facet=nature][data-value=T1w]');
         return a ? a.parentElement.querySelector('.count').textContent : null;",
        vec![],
    );
    assert_eq!(t1, json!("4"));
    b.click("a.facet[data-facet=nature][data-value=T1w]");
    b.wait_for("location.search.includes('filter=nature')");
    assert_eq!(total(&b), 4);
    assert_eq!(
        b.js("return document.querySelectorAll('tr.hit').length;", vec![]),
        json!(4)
    );

    // Autocomplete proposes what the index holds.
    b.fill("#q", "t1_mp");
    b.wait_for("document.querySelectorAll('#suggestions option').length > 0");
    let first = b.js(
        "return document.querySelector('#suggestions option').value;",
        vec![],
    );
    assert!(
        first.as_str().is_some_and(|s| s.starts_with("t1_mp")),
        "{first}"
    );

    // A dataset page: its metadata and three previews, loaded.
    b.click("tr.hit td a");
    b.wait_for("location.pathname.startsWith('/datasets/')");
    assert!(b.text("#series").contains("t1_mprage"));
    b.wait_for(
        "Array.from(document.querySelectorAll('img.preview')).length === 3 &&
         Array.from(document.querySelectorAll('img.preview')).every(i => i.complete && i.naturalWidth > 16)",
    );
    // Its download links answer with zips.
    let dl = b.js(
        "return Promise.all(Array.from(document.querySelectorAll('a.download')).map(a =>
           fetch(a.href).then(r => [r.status, r.headers.get('content-type')])));",
        vec![],
    );
    let dl = dl.as_array().unwrap();
    assert_eq!(dl.len(), 2, "{dl:?}");
    for d in dl {
        assert_eq!(d[0], json!(200), "{d}");
        assert!(d[1].as_str().unwrap_or("").contains("zip"), "{d}");
    }

    // The import page: a zip goes in with its progress, and its datasets appear.
    b.goto(&format!("{base}/import"));
    b.fill("#import-files", &zip_path.to_string_lossy());
    b.click("#import-submit");
    b.wait_for("document.getElementById('import-form').dataset.finished === '1'");
    let result = b.text("tr.upload .result");
    assert!(result.contains("instances"), "{result}");
    assert_eq!(
        b.js(
            "return document.querySelectorAll('tr.upload.done').length;",
            vec![]
        ),
        json!(1)
    );
    b.goto(&format!("{base}/search"));
    assert_eq!(total(&b), 18);

    // Logging out ends the session: pages lead to the login form again.
    b.click("#logout");
    b.wait_for("location.pathname === '/login'");
    b.goto(&format!("{base}/search"));
    assert!(b.path().starts_with("/login"), "{}", b.path());

    // bob has no right on the study: nothing of it shows, not even in counts.
    form_login(&b, &base, "bob", PASSWORD);
    b.goto(&format!("{base}/search"));
    assert_eq!(total(&b), 0);
    assert!(!b.source().contains("MS cohort"));
    b.goto(&format!("{base}/studies/{study_id}"));
    assert!(b.text("p.error").contains("right"), "{}", b.source());
    b.click("#logout");

    // An account request reaches the study's managers; once approved, the account gets in.
    b.goto(&format!("{base}/account-request"));
    b.fill("#study", &study_id);
    b.fill("#name", "carol");
    b.fill("#display_name", "Carol Study-Nurse");
    b.fill("#contact", "carol@rennes.example");
    b.fill("#password", PASSWORD);
    b.fill("#motivation", "Quality control of the MS cohort");
    b.click("#account-form button[type=submit]");
    assert!(b.text("#request-result").len() > 5);
    // The administrator answers it in the portal, and grants bob a right through the form.
    form_login(&b, &base, "root", PASSWORD);
    b.goto(&format!("{base}/access-requests"));
    assert!(b.text("tr.request").contains("carol"));
    b.click("tr.request button.approve");
    b.wait_for("document.getElementById('no-requests') !== null");
    b.goto(&format!("{base}/studies/{study_id}/rights"));
    b.fill("#grant-user", "bob");
    b.click("#grant-form button[type=submit]");
    b.wait_for("Array.from(document.querySelectorAll('tr.right')).some(r => r.textContent.includes('bob'))");
    // Statistics with their charts, and the audit log of all this.
    b.goto(&format!("{base}/stats"));
    assert_eq!(b.text("dd[data-stat=datasets]"), "18");
    assert_eq!(
        b.js(
            "return document.querySelectorAll('svg.chart rect').length > 3;",
            vec![]
        ),
        json!(true)
    );
    b.goto(&format!("{base}/audit"));
    let log = b.text("table.audit");
    assert!(
        log.contains("access_decision") && log.contains("right_grant"),
        "{log}"
    );
    b.click("#logout");
    form_login(&b, &base, "carol", PASSWORD);
    b.goto(&format!("{base}/search"));
    assert_eq!(total(&b), 18);
    b.click("#logout");
    form_login(&b, &base, "bob", PASSWORD);
    b.goto(&format!("{base}/search"));
    assert_eq!(total(&b), 18, "bob's new right shows him the study");

    if let Ok(dir) = std::env::var("NEUROFED_SCREENSHOTS") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, path) in [
            ("search", "/search"),
            ("studies", "/studies"),
            ("home", "/"),
        ] {
            b.goto(&format!("{base}{path}"));
            std::fs::write(dir.join(format!("{name}.png")), b.screenshot()).unwrap();
        }
        b.goto(&format!("{base}/search?filter=nature%3AT1w"));
        b.click("tr.hit td a");
        b.wait_for(
            "Array.from(document.querySelectorAll('img.preview')).every(i => i.complete && i.naturalWidth > 16)",
        );
        b.js(
            "document.querySelector('h2:nth-of-type(3)').scrollIntoView();",
            vec![],
        );
        std::fs::write(dir.join("dataset.png"), b.screenshot()).unwrap();
    }
}
