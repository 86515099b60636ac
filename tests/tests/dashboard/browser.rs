//! Headless Chromium over WebDriver: one chromedriver per test binary, a fresh browser (own
//! profile directory) per test, at most [`MAX_BROWSERS`] at once, and look-ups of controls by
//! their accessible name as Chromium's accessibility tree computes it.

use std::future::Future;
use std::net::{TcpListener, TcpStream};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

/// Browsers open at once in this binary: 2 cores are shared with other work.
pub const MAX_BROWSERS: usize = 2;
static SLOTS: Semaphore = Semaphore::const_new(MAX_BROWSERS);

/// How long a look-up or a wait for the page gives the page.
pub const PATIENCE: Duration = Duration::from_secs(10);

fn chromium() -> PathBuf {
    std::env::var_os("TELEGCRM_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

fn chromedriver() -> PathBuf {
    std::env::var_os("TELEGCRM_CHROMEDRIVER").map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from)
}

/// Whether the browser tests can run: `false` (after saying why) when Chromium or chromedriver
/// is missing locally; with `CI=true` a missing browser fails the test instead.
pub fn available() -> bool {
    let missing: Vec<String> = [chromium(), chromedriver()].into_iter().filter(|p| !p.exists()).map(|p| p.display().to_string()).collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!("{} not installed (apt-get install chromium chromium-driver)", missing.join(" and "));
    assert!(std::env::var("CI").as_deref() != Ok("true"), "browser tests need Chromium: {why}");
    eprintln!("SKIPPED browser test: {why}");
    false
}

static DRIVER: OnceLock<Result<String, String>> = OnceLock::new();

/// The chromedriver of this test binary, started on first use on a free loopback port.
fn driver_url() -> String {
    DRIVER.get_or_init(start_driver).clone().unwrap_or_else(|e| panic!("chromedriver: {e}"))
}

fn start_driver() -> Result<String, String> {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let (tx, rx) = std::sync::mpsc::channel();
    // The driver is a child of a thread that lives as long as the test binary; `setpriv
    // --pdeathsig` kills it when that thread (so the binary) ends, even on a crash.
    std::thread::Builder::new()
        .name("chromedriver".into())
        .spawn(move || {
            let driver = chromedriver();
            let mut cmd = if Path::new("/usr/bin/setpriv").exists() {
                let mut c = Command::new("/usr/bin/setpriv");
                c.args(["--pdeathsig", "KILL", "--"]).arg(&driver);
                c
            } else {
                Command::new(&driver)
            };
            cmd.arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            match cmd.spawn() {
                Ok(_child) => {
                    let _ = tx.send(Ok(()));
                    loop {
                        std::thread::park();
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(format!("cannot start {}: {e}", driver.display())));
                }
            }
        })
        .map_err(|e| e.to_string())?;
    rx.recv().map_err(|e| e.to_string())??;
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("not listening on port {port} after 20 s"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(format!("http://127.0.0.1:{port}/"))
}

/// How a browser looks at the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    /// Viewport width in CSS pixels.
    pub width: u32,
    /// Emulates `prefers-color-scheme: dark`.
    pub dark: bool,
}

impl View {
    /// 1280 × 900, light.
    pub const DESKTOP: View = View { width: 1280, dark: false };
    /// 360 px wide, as a phone.
    pub const PHONE: View = View { width: 360, dark: false };
    /// 1280 × 900, dark.
    pub const DARK: View = View { width: 1280, dark: true };
}

/// One browser session against the server at `base`.
#[derive(Clone, Debug)]
pub struct Browser {
    /// The WebDriver client.
    pub c: Client,
    /// `http://127.0.0.1:PORT` of the server under test.
    pub base: String,
}

/// Opens a fresh browser, runs `body` with it, and closes the browser however `body` ended.
pub async fn with_browser<F>(base: &str, view: View, body: F)
where
    F: AsyncFnOnce(Browser),
{
    let _slot = SLOTS.acquire().await.expect("semaphore open");
    let profile = tempfile::tempdir().expect("profile directory");
    let caps = json!({
        "browserName": "chrome",
        "unhandledPromptBehavior": "ignore",
        "goog:chromeOptions": {
            "binary": chromium(),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--hide-scrollbars",
                format!("--user-data-dir={}", profile.path().display()), "--window-size=1280,900",
            ],
        },
    });
    let Value::Object(caps) = caps else { unreachable!() };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let c = ClientBuilder::new(connector).capabilities(caps).connect(&driver_url()).await.expect("new Chromium session");
    let b = Browser { c: c.clone(), base: base.to_owned() };
    let outcome = AssertUnwindSafe(async {
        b.set_view(view).await;
        body(b.clone()).await;
    })
    .catch_unwind()
    .await;
    let _ = c.close().await;
    drop(profile);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A role, with the elements that can have it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `button`
    Button,
    /// `link`
    Link,
    /// `textbox` (text-like inputs, textarea, password)
    TextBox,
    /// `searchbox`
    SearchBox,
    /// `combobox` (`select`)
    ComboBox,
    /// `checkbox`
    CheckBox,
    /// `list`
    List,
    /// `region`
    Region,
    /// any form control (input, select, textarea)
    Control,
}

impl Role {
    fn css(self) -> &'static str {
        match self {
            Role::Button => "button, input[type=submit], input[type=button], [role=button]",
            Role::Link => "a[href], [role=link]",
            Role::TextBox => {
                "input:not([type]), input[type=text], input[type=email], input[type=url], input[type=tel], \
                 input[type=password], input[type=number], textarea, [role=textbox]"
            }
            Role::SearchBox => "input[type=search], [role=searchbox]",
            Role::ComboBox => "select, [role=combobox]",
            Role::CheckBox => "input[type=checkbox], [role=checkbox], [role=switch]",
            Role::List => "ul, ol, [role=list], [role=feed]",
            Role::Region => "section, [role=region], [role=log], [role=feed]",
            Role::Control => "input, select, textarea",
        }
    }
}

/// WebDriver's "Get Computed Label": the accessible name Chromium computed.
#[derive(Debug)]
struct ComputedLabel(String);

impl WebDriverCompatibleCommand for ComputedLabel {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/element/{}/computedlabel", session.unwrap_or_default(), self.0))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::GET, None)
    }
}

/// A Chrome DevTools command through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp(Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.0.to_string()))
    }
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Browser {
    /// Sends a DevTools command.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.c.issue_cmd(Cdp(json!({"cmd": cmd, "params": params}))).await.unwrap_or_else(|e| panic!("CDP {cmd}: {e}"))
    }

    /// Sets the viewport width (device metrics) and the colour scheme.
    pub async fn set_view(&self, view: View) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": view.width, "height": if view.width < 600 { 780 } else { 900 }, "deviceScaleFactor": 1, "mobile": view.width < 600}),
        )
        .await;
        let scheme = if view.dark { "dark" } else { "light" };
        self.cdp("Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]})).await;
    }

    /// Opens `path` on the server.
    pub async fn go(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The current path (without query and fragment).
    pub async fn path(&self) -> String {
        self.c.current_url().await.expect("current url").path().to_owned()
    }

    /// The current URL.
    pub async fn url(&self) -> url::Url {
        self.c.current_url().await.expect("current url")
    }

    /// The accessible name of `el`.
    pub async fn name_of(&self, el: &Element) -> String {
        let v = self.c.issue_cmd(ComputedLabel(el.element_id().to_string())).await.unwrap_or(Value::Null);
        squash(v.as_str().unwrap_or(""))
    }

    async fn matching(&self, scope: Option<&Element>, role: Role, want: &dyn Fn(&str) -> bool) -> Vec<Element> {
        let found = match scope {
            Some(s) => s.find_all(Locator::Css(role.css())).await,
            None => self.c.find_all(Locator::Css(role.css())).await,
        };
        let mut out = Vec::new();
        for el in found.unwrap_or_default() {
            if want(&self.name_of(&el).await) {
                out.push(el);
            }
        }
        out
    }

    /// Every element with `role` named exactly `name` (whitespace squashed), now.
    pub async fn all_named(&self, scope: Option<&Element>, role: Role, name: &str) -> Vec<Element> {
        let name = squash(name);
        self.matching(scope, role, &|n| n == name).await
    }

    /// Waits for the one element with `role` named `name` (the first when several).
    pub async fn named(&self, role: Role, name: &str) -> Element {
        self.named_in(None, role, name).await
    }

    /// Waits for an element with `role` named `name` inside `scope`.
    pub async fn named_in(&self, scope: Option<&Element>, role: Role, name: &str) -> Element {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(el) = self.all_named(scope, role, name).await.into_iter().next() {
                return el;
            }
            if Instant::now() > deadline {
                let path = self.url().await;
                panic!("no {role:?} named {name:?} on {path} within {PATIENCE:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for a link whose name contains `text`, inside `scope`.
    pub async fn link_containing(&self, scope: Option<&Element>, text: &str) -> Element {
        let text = squash(text);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(el) = self.matching(scope, Role::Link, &|n| n.contains(&text)).await.into_iter().next() {
                return el;
            }
            assert!(Instant::now() < deadline, "no link containing {text:?} on {} within {PATIENCE:?}", self.url().await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The form an element belongs to.
    pub async fn form_of(&self, el: &Element) -> Element {
        el.find(Locator::XPath("./ancestor::form[1]")).await.expect("the control is inside a form")
    }

    /// Types `text` into the text box named `name` (clearing it first).
    pub async fn fill(&self, scope: Option<&Element>, name: &str, text: &str) {
        let el = self.named_in(scope, Role::TextBox, name).await;
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
    }

    /// Clicks the button named `name`.
    pub async fn press(&self, scope: Option<&Element>, name: &str) {
        self.named_in(scope, Role::Button, name).await.click().await.unwrap_or_else(|e| panic!("click {name:?}: {e}"));
    }

    /// Chooses the option labelled `label` in the select named `name`.
    pub async fn choose(&self, name: &str, label: &str) {
        let el = self.named(Role::ComboBox, name).await;
        // Compared here rather than by fantoccini's `select_by_label`, whose XPath breaks on an
        // apostrophe ("Grace Hopper's workspace").
        for option in el.find_all(Locator::Css("option")).await.unwrap_or_default() {
            if option.text().await.is_ok_and(|t| t.trim() == label) {
                option.click().await.unwrap_or_else(|e| panic!("choose {label:?} in {name:?}: {e}"));
                return;
            }
        }
        panic!("no option {label:?} in {name:?}");
    }

    /// Presses keys one after another, as a keyboard would, on whatever has focus.
    pub async fn keys(&self, keys: &[char]) {
        let mut actions = KeyActions::new("keyboard".into());
        for k in keys {
            actions = actions.then(KeyAction::Down { value: *k }).then(KeyAction::Up { value: *k });
        }
        self.c.perform_actions(actions).await.expect("key actions");
    }

    /// Runs JavaScript in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.c.execute(script, args).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// `document.body.innerText`.
    pub async fn text(&self) -> String {
        self.js("return document.body ? document.body.innerText : ''", vec![]).await.as_str().unwrap_or("").to_owned()
    }

    /// Waits until `probe` answers `Some`, checking every 100 ms for [`PATIENCE`].
    pub async fn until<T, Fut>(&self, what: &str, mut probe: impl FnMut() -> Fut) -> T
    where
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(v) = probe().await {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out after {PATIENCE:?} waiting for {what} on {}", self.url().await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page's text contains `text`.
    pub async fn until_text(&self, text: &str) {
        self.until(&format!("text {text:?}"), || async { self.text().await.contains(text).then_some(()) }).await;
    }

    /// Waits until the path is `path`.
    pub async fn until_path(&self, path: &str) {
        self.until(&format!("path {path}"), || async { (self.path().await == path).then_some(()) }).await;
    }

    /// The session cookies as a `Cookie` header value.
    pub async fn cookie_header(&self) -> String {
        let cookies = self.c.get_all_cookies().await.expect("cookies");
        cookies.iter().map(|c| format!("{}={}", c.name(), c.value())).collect::<Vec<_>>().join("; ")
    }

    /// A PNG of the viewport, or of the whole page when `full` (through DevTools).
    pub async fn screenshot(&self, full: bool) -> Vec<u8> {
        if !full {
            return self.c.screenshot().await.expect("screenshot");
        }
        let v = self.cdp("Page.captureScreenshot", json!({"format": "png", "captureBeyondViewport": true})).await;
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(v["data"].as_str().expect("screenshot data")).expect("base64 PNG")
    }

    /// `(scrollWidth, innerWidth)` of the document.
    pub async fn widths(&self) -> (i64, i64) {
        let v = self.js("return [document.documentElement.scrollWidth, window.innerWidth]", vec![]).await;
        (v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0))
    }

    /// Whether a JavaScript dialog (alert) is open.
    pub async fn alert_open(&self) -> bool {
        self.c.get_alert_text().await.is_ok()
    }
}

/// The WebDriver Enter key.
pub fn enter() -> char {
    fantoccini::key::Key::Enter.into()
}

/// The WebDriver Tab key.
pub fn tab() -> char {
    fantoccini::key::Key::Tab.into()
}
