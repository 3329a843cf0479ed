//! Headless Chromium over WebDriver: each test starts its own chromedriver
//! (Debian's `chromium` and `chromium-driver`) and drives the portal as a
//! person would; pages are saved as screenshots at 1280 and 390 px wide
//! into `target/portal-screenshots/`, and the browser's console must stay
//! free of errors.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::page_checks;
use crate::served::{free_port, Person};

/// A browser on the portal at `base`.
pub struct Browser {
    pub client: Client,
    driver: Child,
    base: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Where screenshots go: `target/portal-screenshots/` (of the target
/// directory this test binary was built into).
pub fn screenshot_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().expect("target dir").join("portal-screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshot directory");
    dir
}

/// The browser's console log since the last read (chromedriver's log
/// endpoint; W3C WebDriver has none).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

/// Whether a log entry is the error status of a page the test opened or
/// posted (not of a style sheet, script or fetch).
fn is_page_status(entry: &Value) -> bool {
    let message = entry["message"].as_str().unwrap_or_default();
    let url = message.split(' ').next().unwrap_or_default();
    entry["source"] == "network"
        && message.contains("the server responded with a status of")
        && !url.contains("/assets/")
        && !url.contains("/share")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium whose languages are
    /// `accept_language` (the portal follows it on a first visit).
    pub async fn start(base: &str, accept_language: &str) -> Browser {
        // Both rustls providers are linked in; the client needs one chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (Debian's chromium-driver; .ci/run installs it)");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900",
                         "--hide-scrollbars", "--force-device-scale-factor=1"],
                "prefs": {"intl.accept_languages": accept_language},
            }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        // chromedriver takes a moment to listen: try until it answers.
        for _ in 0..200 {
            let builder = ClientBuilder::rustls().expect("a WebDriver client");
            match builder
                .clone()
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        base: base.to_owned(),
                    }
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no WebDriver session: {last:?}");
    }

    /// Opens a page of the portal.
    pub async fn open(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client.goto(&url).await.expect("navigates");
    }

    /// The path (and query) of the page shown.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("a url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Types into a field (what was there is cleared first).
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.expect(css);
        field.clear().await.expect("cleared");
        field.send_keys(text).await.expect("typed");
    }

    /// Chooses the option of value `value` in a select.
    pub async fn choose(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.expect(css);
        field.select_by_value(value).await.expect("chosen");
    }

    /// Chooses a file for a file input.
    pub async fn upload(&self, css: &str, path: &str) {
        let field = self.client.find(Locator::Css(css)).await.expect(css);
        field.send_keys(path).await.expect("chosen");
    }

    /// Ticks a checkbox (or clicks anything that stays on the page).
    pub async fn tick(&self, css: &str) {
        let element = self.client.find(Locator::Css(css)).await.expect(css);
        element.click().await.expect("clicked");
    }

    /// Clicks a link or button that leads to another page, and waits until
    /// that page has loaded (the old document is marked first, so the wait
    /// ends on the new one, not on the old).
    pub async fn click(&self, css: &str) {
        self.script("window.__before_click = true").await;
        let element = self.client.find(Locator::Css(css)).await.expect(css);
        element.click().await.expect("clicked");
        for _ in 0..400 {
            let loaded = self
                .client
                .execute(
                    "return window.__before_click === undefined && document.readyState === 'complete'",
                    vec![],
                )
                .await;
            if loaded.is_ok_and(|v| v == Value::Bool(true)) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("clicking {css} led to no new page");
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.expect("text"),
            Err(_) => {
                let page = self.client.source().await.unwrap_or_default();
                panic!("no {css} on {}:\n{page}", self.path().await)
            }
        }
    }

    /// The value of an input.
    pub async fn value(&self, css: &str) -> String {
        let element = self.client.find(Locator::Css(css)).await.expect(css);
        element
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// How many elements match `css`.
    pub async fn count(&self, css: &str) -> usize {
        let found = self.client.find_all(Locator::Css(css)).await;
        found.expect("a query").len()
    }

    /// The whole page's visible text.
    pub async fn page_text(&self) -> String {
        self.text("body").await
    }

    /// Runs a script in the page.
    pub async fn script(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("script ran")
    }

    /// Sends the page's form twice as it stands (the same fields, its
    /// idempotency key too): both at once (`together`), or the second after
    /// the first was answered. The two answers' pages.
    pub async fn send_form_twice(&self, together: bool) -> Vec<String> {
        let pages = self
            .client
            .execute_async(
                "const [together, done] = arguments;
                 const form = document.querySelector('form.stack');
                 const body = new URLSearchParams(new FormData(form));
                 const send = () => fetch(form.action, {method: 'POST', body}).then(r => r.text());
                 (together ? Promise.all([send(), send()])
                           : send().then(first => send().then(second => [first, second])))
                   .then(done);",
                vec![Value::Bool(together)],
            )
            .await
            .expect("the form was sent twice");
        let pages = pages.as_array().expect("two answers");
        pages
            .iter()
            .map(|p| p.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Signs `person` in through the form.
    pub async fn sign_in(&self, person: &Person) {
        self.open("/login").await;
        self.fill("#login", &person.login).await;
        self.fill("#password", &person.password).await;
        let code = person.codes.lock().unwrap().pop_front();
        if let Some(code) = code {
            self.fill("#code", &code).await;
        }
        self.click("#sign-in").await;
    }

    /// Saves the page at 1280 and 390 px wide, each as tall as the page,
    /// and asserts at each width that it passes the page checks (axe-core,
    /// no field code, no English on a Chinese page: `page_checks`).
    pub async fn shoot(&self, name: &str) {
        let dir = screenshot_dir();
        let mut faults = Vec::new();
        for width in [1280u32, 390] {
            self.client
                .set_window_size(width, 900)
                .await
                .expect("resized");
            let height = self
                .script(
                    "return document.documentElement.scrollHeight \
                     + (window.outerHeight - window.innerHeight)",
                )
                .await
                .as_u64()
                .unwrap_or(900)
                .clamp(300, 6000) as u32;
            self.client
                .set_window_size(width, height)
                .await
                .expect("resized");
            let png = self.client.screenshot().await.expect("a screenshot");
            std::fs::write(dir.join(format!("{name}-{width}.png")), png).expect("saved");
            faults.extend(page_checks::faults(&self.client, name, width).await);
        }
        self.client
            .set_window_size(1280, 900)
            .await
            .expect("resized");
        assert!(
            faults.is_empty(),
            "page checks failed:\n{}",
            faults.join("\n")
        );
    }

    /// Asserts that the console logged no error or warning since the last
    /// check: script errors, CSP violations and failed loads of a page's
    /// resources. A page itself answered with an error status (a refusal,
    /// a 404 page) is what the test asked for, not noise.
    pub async fn assert_quiet_console(&self) {
        let log = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("the browser log");
        let noisy: Vec<&Value> = log
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| matches!(e["level"].as_str(), Some("SEVERE" | "WARNING")))
                    .filter(|e| !is_page_status(e))
                    .collect()
            })
            .unwrap_or_default();
        assert!(noisy.is_empty(), "console errors: {noisy:#?}");
    }

    /// Ends the WebDriver session (the browser quits).
    pub async fn quit(self) {
        let client = self.client.clone();
        client.close().await.expect("the session closes");
    }
}
