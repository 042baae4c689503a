//! The desktop app with a vault of 100,000 purchases, in a real window.
//!
//! `xvfb-run -a cargo bench -p tessera-app --bench app` (needs tauri-driver and
//! WebKitWebDriver, like the end-to-end test). Prints: cold start to the unlock
//! screen, unlock to a usable purchases screen, and the memory of the app
//! process (and of the WebKit processes it started).

#[path = "../tests/support/webdriver.rs"]
mod webdriver;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use tessera_vault::csv_import::CsvOptions;
use tessera_vault::Vault;

const PASSPHRASE: &str = "benchmark passphrase";

/// Resident memory in MiB of `pid`, from /proc.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
        let parent =
            stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(1)).and_then(|p| p.parse::<u32>().ok());
        if parent == Some(pid) {
            out.push(child);
            out.extend(children(child));
        }
    }
    out
}

fn app_pid(app: &Path) -> Option<u32> {
    let wanted = std::fs::canonicalize(app).ok()?;
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
        (std::fs::read_link(format!("/proc/{pid}/exe")).ok()? == wanted).then_some(pid)
    })
}

#[tokio::main]
async fn main() {
    let rows: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let work = tempfile::tempdir().expect("temp dir");
    let data = work.path().join("data");
    let (mut vault, _) = Vault::create(&data.join("vault"), PASSPHRASE).expect("vault");
    let mut csv = String::from("Date;Libellé;Montant\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "{:02}/{:02}/{};Magasin {};-{},{:02}\n",
            i % 28 + 1,
            i % 12 + 1,
            2021 + i % 5,
            i / 10,
            i % 300,
            i % 100
        ));
    }
    vault.import_csv(csv.as_bytes(), &CsvOptions::default()).expect("import");
    drop(vault);

    let app = Path::new(env!("CARGO_BIN_EXE_tessera-app"));

    // Cold start: from spawning the process to the page asking which screen to show (then the unlock screen).
    let mut cold_starts = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let mut child = Command::new(app)
            .env("TESSERA_DATA_DIR", &data)
            .env("TESSERA_TRACE_STARTUP", "1")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("the app starts");
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let reported = stderr
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("tessera-startup-ms ").and_then(|v| v.parse::<u64>().ok()));
        let wall = started.elapsed();
        let _ = child.kill();
        let _ = child.wait();
        cold_starts.push((reported.expect("the app reports its start-up"), wall));
    }

    let (driver, s) = webdriver::start(app, &[("TESSERA_DATA_DIR", &data)], work.path().join("shots")).await;
    s.find("#unlock-passphrase").await;
    s.type_into("#unlock-passphrase", PASSPHRASE).await;
    let started = Instant::now();
    s.click("#unlock").await;
    s.find("[data-nav='purchases']").await;
    let unlock = started.elapsed();
    let started = Instant::now();
    s.click("[data-nav='purchases']").await;
    while s.client.find(fantoccini::Locator::Css(".purchases tbody tr")).await.is_err() {
        assert!(started.elapsed() < webdriver::WAIT, "the purchases table never appeared");
    }
    let to_purchases = started.elapsed();

    let pid = app_pid(app).expect("the app process is running");
    let own = rss_mib(pid);
    let webkit: f64 = children(pid).into_iter().map(rss_mib).sum();

    println!("purchases in the vault:                 {rows}");
    for (reported, wall) in &cold_starts {
        println!("cold start to the unlock screen:        {reported:>7} ms  (process start to the page asking for its first screen; {:.0} ms wall from spawn; target < 1 000 ms)", wall.as_secs_f64() * 1000.0);
    }
    println!("unlock (Argon2id + decrypting all):     {:>7.0} ms", unlock.as_secs_f64() * 1000.0);
    println!(
        "unlocked to a usable purchases screen:  {:>7.0} ms  (totals, chart, first page of 50; target < 300 ms)",
        to_purchases.as_secs_f64() * 1000.0
    );
    println!("memory of the app process (RSS):        {own:>7.0} MiB  (target < 250 MiB)");
    println!("memory of its WebKit processes (RSS):   {webkit:>7.0} MiB");
    s.client.close().await.expect("close");
    drop(driver);
}
