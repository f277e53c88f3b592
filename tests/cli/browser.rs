//! A real browser for the portal's tests: Debian's headless Chromium driven through
//! chromedriver (WebDriver, `fantoccini`), both installed by `scripts/setup`. Each [`Browser`]
//! is its own chromedriver on a free 127.0.0.1 port with an empty profile, ended on drop.
//! Chromium runs with the background-networking switches off, so it never reaches beyond
//! loopback.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// Whether Chromium and chromedriver are installed (else the test is skipped, or fails under
/// `scripts/test`).
#[macro_export]
macro_rules! need_browser {
    () => {
        testkit::need_tool!("chromedriver", ["--version"]);
        testkit::need_tool!("chromium", ["--version"]);
    };
}

/// A headless Chromium session.
pub struct Browser {
    pub rt: tokio::runtime::Runtime,
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let c = self.client.clone();
        let _ = self
            .rt
            .block_on(async move { tokio::time::timeout(Duration::from_secs(5), c.close()).await });
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Start chromedriver and a headless Chromium session (a 1280 x 900 window).
    pub fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (scripts/setup installs Debian's chromium-driver)");
        let profile = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-extensions",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let client = rt.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let connector = hyper_util::client::legacy::connect::HttpConnector::new();
                match ClientBuilder::new(connector)
                    .capabilities(caps.clone())
                    .connect(&url)
                    .await
                {
                    Ok(c) => break c,
                    Err(e) if Instant::now() < deadline => {
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    Err(e) => panic!("no WebDriver session from chromedriver on {url}: {e}"),
                }
            }
        });
        Browser {
            rt,
            client,
            driver,
            _profile: profile,
        }
    }

    /// Open `url`.
    pub fn goto(&self, url: &str) {
        self.rt
            .block_on(self.client.goto(url))
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// Run `script` (a function body; `arguments[i]`) and return its value; a script returning a
    /// promise is awaited.
    pub fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.rt
            .block_on(self.client.execute(script, args))
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Type `text` into the element matching `css` (after clearing it).
    pub fn fill(&self, css: &str, text: &str) {
        self.rt.block_on(async {
            let e = self
                .client
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("no element {css}: {e}"));
            let _ = e.clear().await;
            e.send_keys(text).await.unwrap();
        })
    }

    /// Click the element matching `css`.
    pub fn click(&self, css: &str) {
        self.rt.block_on(async {
            let e = self
                .client
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("no element {css}: {e}"));
            e.click().await.unwrap();
        })
    }

    /// The text of the first element matching `css`, waiting up to 10 s for it.
    pub fn text(&self, css: &str) -> String {
        self.rt.block_on(async {
            let e = self
                .client
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("no element {css}: {e}"));
            e.text().await.unwrap()
        })
    }

    /// The page's path and query.
    pub fn path(&self) -> String {
        let u = self.rt.block_on(self.client.current_url()).unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    /// The page's HTML.
    pub fn source(&self) -> String {
        self.rt.block_on(self.client.source()).unwrap()
    }

    /// Wait up to 20 s until `predicate` (a JS expression) is true.
    pub fn wait_for(&self, predicate: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.js(&format!("return !!({predicate});"), vec![]);
            if v == Value::Bool(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {predicate}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A PNG screenshot of the window.
    pub fn screenshot(&self) -> Vec<u8> {
        self.rt.block_on(self.client.screenshot()).unwrap()
    }
}
