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

    // From the dataset to its subject and examination pages.
    let dataset_page = b.path();
    b.click("#subject a");
    b.wait_for("location.pathname.startsWith('/subjects/')");
    let subject_page = b.path();
    assert!(!b.text("#pseudonym").is_empty());
    b.click("section.examination h3 a");
    b.wait_for("location.pathname.startsWith('/examinations/')");
    let exam_page = b.path();
    assert!(b.text("#exam-date").len() >= 8, "{}", b.source());
    assert!(b.source().contains("t1_mprage"));
    // Every slice, with the slider: the image follows it.
    b.goto(&format!("{base}{dataset_page}/slices?plane=sagittal"));
    b.wait_for(
        "document.getElementById('slice-image').complete &&
         document.getElementById('slice-image').naturalWidth > 16",
    );
    b.js(
        "const r = document.getElementById('slice-range'); r.value = '0';
         r.dispatchEvent(new Event('input'));",
        vec![],
    );
    b.wait_for(
        "((i) => i.src.endsWith('slice=0') && i.complete && i.naturalWidth > 16)(
           document.getElementById('slice-image'))",
    );
    assert_eq!(b.text("#slice-number"), "0");
    // A selection of two hits downloads as one zip, with its progress.
    b.goto(&format!("{base}/search"));
    b.js(
        "document.querySelectorAll('tr.hit input.select').forEach((c, i) => { c.checked = i < 2; });",
        vec![],
    );
    b.click("#selection-download");
    b.wait_for(
        // (`form.dataset` would be its inputs named "dataset": attributes are read by name)
        "((f) => f.hasAttribute('data-downloaded') || f.hasAttribute('data-failed'))(
           document.getElementById('selection-form'))",
    );
    assert_eq!(
        b.js(
            "return document.getElementById('selection-form').getAttribute('data-failed');",
            vec![]
        ),
        Value::Null,
        "{}",
        b.text("#selection-status")
    );
    let got: u64 = b
        .js(
            "return document.getElementById('selection-form').getAttribute('data-downloaded');",
            vec![],
        )
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(got > 100_000, "{got} bytes");
    assert_eq!(
        b.js(
            "const p = document.getElementById('selection-progress'); return p.value === p.max;",
            vec![]
        ),
        json!(true)
    );

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
    // Every page of the portal renders for the administrator, without an error.
    for path in [
        "/".to_string(),
        "/search?q=flair&scope=federated".to_string(),
        "/studies".to_string(),
        format!("/studies/{study_id}"),
        format!("/studies/{study_id}/cards"),
        format!("/studies/{study_id}/rights"),
        subject_page.clone(),
        exam_page.clone(),
        dataset_page.clone(),
        format!("{dataset_page}/slices?plane=coronal"),
        "/import".to_string(),
        "/scores".to_string(),
        "/access-requests".to_string(),
        "/audit".to_string(),
        "/consortium".to_string(),
        "/stats".to_string(),
    ] {
        b.goto(&format!("{base}{path}"));
        let errors = b.js(
            "return Array.from(document.querySelectorAll('.error')).map(e => e.textContent);",
            vec![],
        );
        assert_eq!(errors, json!([]), "{path}");
        assert!(b.text("h1").len() > 2, "{path}");
    }
    b.click("#logout");
    form_login(&b, &base, "carol", PASSWORD);
    b.goto(&format!("{base}/search"));
    assert_eq!(total(&b), 18);
    b.click("#logout");
    form_login(&b, &base, "bob", PASSWORD);
    b.goto(&format!("{base}/search"));
    assert_eq!(total(&b), 18, "bob's new right shows him the study");

    if let Ok(dir) = std::env::var("NEUROFED_SCREENSHOTS") {
        // As the administrator, who sees every page with its pictures.
        b.click("#logout");
        form_login(&b, &base, "root", PASSWORD);
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, path) in [
            ("search", "/search".to_string()),
            ("studies", "/studies".to_string()),
            ("home", "/".to_string()),
            ("stats", "/stats".to_string()),
            ("cards", format!("/studies/{study_id}/cards")),
            ("subject", subject_page.clone()),
            ("slices", format!("{dataset_page}/slices?plane=sagittal")),
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

/// The search page's "all centers" switch with the demo's three centers: one status line per
/// center, the hits and counts of every member, remote hits without a local link.
#[test]
fn all_centers_answer_the_portal_search() {
    crate::need_browser!();
    let corpus = testkit::synth_corpus();
    let dir = tempfile::tempdir().unwrap();
    let demo = crate::federation::start_demo(&corpus, dir.path());
    let base = format!("http://{}", demo.addr);
    let b = Browser::start();
    form_login(&b, &base, "demo", &demo.password);
    b.goto(&format!("{base}/search"));
    let local = total(&b);
    assert!(local > 0);
    assert!(
        b.js(
            "return document.getElementById('centers') === null;",
            vec![]
        ) == json!(true)
    );
    b.click("input[name=scope][value=federated]");
    b.click("form.search button[type=submit]");
    b.wait_for("location.search.includes('scope=federated')");
    let lines = b.js(
        "return Array.from(document.querySelectorAll('#centers li')).map(l => l.textContent);",
        vec![],
    );
    let lines = lines.as_array().unwrap();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines.iter().all(|l| l.as_str().unwrap().ends_with(": ok")),
        "{lines:?}"
    );
    let all = total(&b);
    assert!(all > local, "{all} datasets in all centers, {local} here");
    // The center facet counts every member, and they add up to the total.
    let centers = b.js(
        "return Array.from(document.querySelectorAll('a.facet[data-facet=center]')).map(a =>
           Number(a.parentElement.querySelector('.count').textContent));",
        vec![],
    );
    let counts: Vec<u64> = centers
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert_eq!(counts.len(), 3, "{counts:?}");
    assert_eq!(counts.iter().sum::<u64>(), all);
    // A facet keeps the scope; remote hits have no local dataset link or selection box.
    b.click("a.facet[data-facet=center]");
    b.wait_for("location.search.includes('filter=center')");
    assert!(b.path().contains("scope=federated"), "{}", b.path());
    let remote = b.js(
        "return Array.from(document.querySelectorAll('tr.hit')).filter(r => !r.querySelector('input.select')).length;",
        vec![],
    );
    let linked = b.js(
        "return document.querySelectorAll('tr.hit input.select').length;",
        vec![],
    );
    assert_eq!(
        remote.as_u64().unwrap() + linked.as_u64().unwrap(),
        total(&b).min(25)
    );
    // The statistics count per center over the consortium.
    b.goto(&format!("{base}/stats"));
    assert_eq!(
        b.js(
            "return document.querySelectorAll('#stat-centers li').length;",
            vec![]
        ),
        json!(3)
    );
    assert_eq!(b.text("#stat-total"), format!("{all} datasets in all"));
    let mut server = demo.server;
    let _ = std::process::Command::new("kill")
        .args(["-INT", &server.0.id().to_string()])
        .status();
    let _ = server.0.wait();
}
