//! Driving the real app window through tauri-driver and WebKitWebDriver, for the
//! end-to-end test and the app benchmark.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// The longest any single wait may take.
pub const WAIT: Duration = Duration::from_secs(30);

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn wait_for_port(port: u16, what: &str) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < WAIT, "{what} did not open port {port} within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// tauri-driver, stopped with SIGTERM (SIGKILL would leave WebKitWebDriver holding its port).
pub struct Driver(pub Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn tauri_driver() -> PathBuf {
    let home = std::env::var("HOME").unwrap_or_default();
    [PathBuf::from(&home).join(".cargo/bin/tauri-driver"), PathBuf::from("tauri-driver")]
        .into_iter()
        .find(|p| p.is_file() || Command::new(p).arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok())
        .unwrap_or_else(|| panic!("tauri-driver is not installed: `cargo install tauri-driver --locked --version '^2'` (scripts/test.sh does)"))
}

/// Starts tauri-driver on free ports with `envs` for the app (French unless `LANG` is among them), waits for
/// both ports, and opens a session on `app`.
pub async fn start(app: &Path, envs: &[(&str, &Path)], shots: PathBuf) -> (Driver, Session) {
    start_with_args(app, &[], envs, shots).await
}

/// [`start`], the app being started with `args` (a `tessera://` link, a request file).
pub async fn start_with_args(app: &Path, args: &[&str], envs: &[(&str, &Path)], shots: PathBuf) -> (Driver, Session) {
    let (port, native_port) = (free_port(), free_port());
    let mut command = Command::new(tauri_driver());
    command
        .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
        .env("LANG", "fr_FR.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in envs {
        command.env(name, value);
    }
    let driver = Driver(command.spawn().expect("tauri-driver starts"));
    wait_for_port(port, "tauri-driver");
    wait_for_port(native_port, "WebKitWebDriver");
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("tauri:options".into(), json!({"application": app, "args": args}));
    let client = tokio::time::timeout(
        WAIT,
        ClientBuilder::native().capabilities(capabilities).connect(&format!("http://127.0.0.1:{port}")),
    )
    .await
    .expect("the WebDriver session starts in time")
    .expect("the WebDriver session starts");
    std::fs::create_dir_all(&shots).expect("screenshot directory");
    (driver, Session { client, shots })
}

pub struct Session {
    pub client: Client,
    pub shots: PathBuf,
}

impl Session {
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
    }

    /// Clicks `css` once it is shown, after scrolling it to the middle of the window (nothing sticky covers it there).
    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        let _ = self
            .client
            .execute("arguments[0].scrollIntoView({block: 'center', inline: 'nearest'}); return null;", vec![json!(el)])
            .await;
        el.click().await.unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    pub async fn set_value(&self, css: &str, value: &str) {
        self.find(css).await;
        self.client.execute("const el = document.querySelector(arguments[0]); el.value = arguments[1]; el.dispatchEvent(new Event('input', {bubbles: true}));", vec![json!(css), json!(value)]).await.unwrap();
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("cannot choose {value} in {css}: {e}"));
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Waits until `css` exists and its text contains `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let started = Instant::now();
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = el.text().await {
                    if text.contains(needle) {
                        return text;
                    }
                }
            }
            assert!(started.elapsed() < WAIT, "{css} never showed {needle:?}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    pub async fn screenshot(&self, name: &str) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = self.client.screenshot().await.unwrap();
        let path = self.shots.join(format!("{name}.png"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Types `text` into `css` as a password manager's auto-type does: one key every `per_key`, in one
    /// WebDriver action sequence (so the pace is the driver's, not this test's round trips).
    pub async fn auto_type(&self, css: &str, text: &str, per_key: Duration) {
        self.find(css).await;
        self.client
            .execute(
                "const el = document.querySelector(arguments[0]); el.focus(); el.setSelectionRange(el.value.length, el.value.length); return null;",
                vec![json!(css)],
            )
            .await
            .unwrap();
        let mut keys = KeyActions::new("auto-type".into());
        for c in text.chars() {
            keys = keys.then(KeyAction::Down { value: c }).then(KeyAction::Up { value: c }).pause(per_key);
        }
        self.client.perform_actions(keys).await.unwrap();
        self.client.release_actions().await.unwrap();
    }

    /// Presses Ctrl and `key` together.
    pub async fn ctrl(&self, key: char) {
        let control: char = Key::Control.into();
        let keys = KeyActions::new("shortcut".into())
            .then(KeyAction::Down { value: control })
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key })
            .then(KeyAction::Up { value: control });
        self.client.perform_actions(keys).await.unwrap();
        self.client.release_actions().await.unwrap();
    }

    /// Presses Tab.
    pub async fn tab(&self) {
        let tab: char = Key::Tab.into();
        let keys =
            KeyActions::new("tab".into()).then(KeyAction::Down { value: tab }).then(KeyAction::Up { value: tab });
        self.client.perform_actions(keys).await.unwrap();
        self.client.release_actions().await.unwrap();
    }

    /// The value of an input, as the page holds it.
    pub async fn value(&self, css: &str) -> String {
        self.find(css).await;
        let value =
            self.client.execute("return document.querySelector(arguments[0]).value;", vec![json!(css)]).await.unwrap();
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Runs `script` in the page and returns its result.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Waits until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let started = Instant::now();
        while self.client.find(Locator::Css(css)).await.is_ok() {
            assert!(started.elapsed() < WAIT, "{css} is still shown");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Scrolls the page to the top (for screenshots of a screen's beginning).
    pub async fn scroll_top(&self) {
        self.eval("window.scrollTo(0, 0); return null;").await;
    }

    /// Scrolls so that `css` is in view.
    pub async fn scroll_to(&self, css: &str) {
        self.find(css).await;
        self.client
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView({block: 'center'}); return null;",
                vec![json!(css)],
            )
            .await
            .unwrap();
    }
}
