//! The app as a person installs it: the binary the `.deb` put in `/usr/bin`, started by the desktop
//! with a `tessera://` link, then a link and a request file opened while it runs (a second launch
//! hands them to the window already open, and exits).
//!
//! A brand's inbox (the real `tessera brand serve`, on loopback) publishes the requests. On a private
//! session bus (the single-instance handover goes through D-Bus), the installed app starts with the
//! first request's link: the welcome card says a request waits; once the vault is created, the
//! requests screen shows that request. A second launch with another link, then one with a request
//! file, each exit at once and the first window shows their request; with the vault locked, a link
//! opened waits (the unlock card says so) and is shown right after unlocking.
//!
//! Run by `scripts/package-test.sh` after `apt-get install ./tessera_*.deb`, under xvfb-run:
//! `TESSERA_INSTALLED_APP=/usr/bin/tessera-app cargo test --workspace --test installed -- --ignored`.
//! Screenshots go to `target/e2e-screenshots-installed/`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::brand::{brand_cli, held_packets, Inbox};
use support::journeys;
use support::webdriver;
use tessera_protocol::inbox::request_link;

const PASSPHRASE: &str = "correct horse battery staple";

/// A child process killed (SIGKILL is fine for these) and reaped when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Publishes a request with `offer` on the inbox at `base`; returns its file and its `tessera://` link.
fn publish(dir: &Path, base: &str, name: &str, offer: &str) -> (PathBuf, String) {
    let spec = dir.join(format!("{name}.json"));
    let spec_json = serde_json::json!({
        "items": [{"item": "email", "purpose": "Vous envoyer votre carte de fidélité", "required": true}],
        "retention_days": 180, "offer": offer, "valid_days": 30,
    });
    std::fs::write(&spec, spec_json.to_string()).unwrap();
    let file = dir.join(format!("{name}.tessera-request"));
    brand_cli(
        &["brand", "request", "--spec", spec.to_str().unwrap(), "--out", file.to_str().unwrap(), "--inbox", base],
        dir,
    );
    let jws = std::fs::read_to_string(&file).unwrap();
    let jti = tessera_protocol::request::verify(jws.trim()).unwrap().claims.jti;
    (file, request_link(&format!("{base}/v1/requests/{jti}")))
}

/// Launches the installed app again with `arg`, from `cwd`, as the desktop would: it must hand `arg`
/// to the window already open and exit at once, successfully.
fn second_launch(app: &Path, arg: &str, cwd: &Path, envs: &[(&str, &Path)]) {
    let mut command = Command::new(app);
    command.arg(arg).current_dir(cwd).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut child = Killed(command.spawn().expect("the installed app starts"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "a second launch with {arg} did not hand it over and exit within 30 s (it opened a second window?)"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    let _ = std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut stderr);
    assert!(status.success(), "the second launch with {arg} failed: {status}, {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the installed package: run by scripts/package-test.sh"]
async fn the_installed_app_opens_tessera_links_and_request_files_in_one_window() {
    let app = PathBuf::from(
        std::env::var_os("TESSERA_INSTALLED_APP").expect("TESSERA_INSTALLED_APP names the installed binary"),
    );
    assert!(app.is_file(), "{} is not installed", app.display());
    assert!(std::env::var_os("DISPLAY").is_some(), "no display: run under xvfb-run (scripts/package-test.sh does)");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots-installed");
    let _ = std::fs::remove_dir_all(&shots);

    brand_cli(&["brand", "init", "--name", "Maison Exemple"], w);
    let (inbox, addr) = Inbox::start(w, "127.0.0.1:0");
    let base = format!("http://{addr}");
    let (_, first_link) = publish(w, &base, "first", "Une carte de fidélité");
    let (_, second_link) = publish(w, &base, "second", "Livraison offerte pendant un an");
    let (third_file, _) = publish(w, &base, "third", "Un café offert à chaque visite");

    let bus = support::Bus::start();
    let data = w.join("data");
    let xdg = w.join("xdg");
    let (xdg_data, xdg_cache, xdg_config) = (xdg.join("data"), xdg.join("cache"), xdg.join("config"));
    let envs = [
        ("TESSERA_DATA_DIR", data.as_path()),
        ("DBUS_SESSION_BUS_ADDRESS", Path::new(&bus.address)),
        ("XDG_DATA_HOME", xdg_data.as_path()),
        ("XDG_CACHE_HOME", xdg_cache.as_path()),
        ("XDG_CONFIG_HOME", xdg_config.as_path()),
    ];
    let (driver, s) = webdriver::start_with_args(&app, &[&first_link], &envs, shots.clone()).await;

    // Started with a link, vault not created yet: the request waits, and the welcome card says so.
    s.wait_text("#incoming-waiting", "Ouvrez votre coffre pour la voir").await;
    s.screenshot("01-started-with-a-link").await;
    let secret = journeys::create_vault(&s, PASSPHRASE).await;
    journeys::confirm_recovery_noted(&s, &secret).await;

    // The vault open: the requests screen shows the request of the link, fetched from the inbox.
    s.wait_text("#request-brand", "Maison Exemple").await;
    s.wait_text("#request-area", "Une carte de fidélité").await;
    s.wait_text("#request-inbox", &addr.to_string()).await;
    s.scroll_top().await;
    s.screenshot("02-request-of-the-link").await;

    // A second launch with another link (a link clicked in the browser while the app runs).
    second_launch(&app, &second_link, w, &envs);
    s.wait_text("#request-area", "Livraison offerte pendant un an").await;
    s.scroll_top().await;
    s.screenshot("03-second-launch-link").await;

    // A second launch with a request file, named relative to where it was launched from.
    s.click("[data-nav='profile']").await;
    let file_name = third_file.file_name().unwrap().to_str().unwrap();
    second_launch(&app, file_name, w, &envs);
    s.wait_text("#request-area", "Un café offert à chaque visite").await;
    s.find(".nav-item.active[data-nav='requests']").await;
    s.scroll_top().await;
    s.screenshot("04-second-launch-file").await;

    // The vault locked, a link opened: the unlock card says a request waits, shown right after unlocking.
    s.click("[data-nav='lock']").await;
    s.find("#unlock-passphrase").await;
    second_launch(&app, &second_link, w, &envs);
    s.wait_text("#incoming-waiting", "Ouvrez votre coffre pour la voir").await;
    s.screenshot("05-locked-a-request-waits").await;
    s.type_into("#unlock-passphrase", PASSPHRASE).await;
    s.click("#unlock").await;
    s.wait_text("#request-area", "Livraison offerte pendant un an").await;
    s.find(".nav-item.active[data-nav='requests']").await;
    s.scroll_top().await;
    s.screenshot("06-shown-after-unlock").await;

    // Nothing was shared: the brand holds no packet.
    assert_eq!(held_packets(w), 0);

    drop(s);
    drop(driver);
    inbox.stop();
}
