//! A brand for the real-window tests: its `tessera` command (the workspace's build), its inbox (the real
//! `tessera brand serve` on loopback, stopped with SIGTERM), and what it holds.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BRAND_PASSPHRASE: &str = "brand passphrase for the e2e test";

pub fn tessera_cli() -> PathBuf {
    let cli = Path::new(env!("CARGO_BIN_EXE_tessera-app")).with_file_name("tessera");
    assert!(cli.is_file(), "{} is missing: build the workspace first (cargo build --workspace)", cli.display());
    cli
}

/// Runs `tessera ARGS` for the brand whose store is in `dir/brand`; its standard output.
pub fn brand_cli(args: &[&str], dir: &Path) -> String {
    let output = Command::new(tessera_cli())
        .args(args)
        .current_dir(dir)
        .env("TESSERA_BRAND_DIR", dir.join("brand"))
        .env("TESSERA_PASSPHRASE", BRAND_PASSPHRASE)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "tessera {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `tessera brand serve` on `addr`; stopped with SIGTERM when dropped.
pub struct Inbox(Child);

impl Inbox {
    pub fn start(dir: &Path, addr: &str) -> (Inbox, SocketAddr) {
        let mut child = Command::new(tessera_cli())
            .args(["brand", "serve", "--listen", addr])
            .current_dir(dir)
            .env("TESSERA_BRAND_DIR", dir.join("brand"))
            .env("TESSERA_PASSPHRASE", BRAND_PASSPHRASE)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let url = first.trim().rsplit(' ').next().unwrap().to_owned();
        let listening: SocketAddr = url.trim_start_matches("http://").parse().expect("the inbox says where it listens");
        assert!(listening.ip().is_loopback());
        (Inbox(child), listening)
    }

    pub fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        for _ in 0..300 {
            if self.0.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// How many packets the brand holds.
pub fn held_packets(dir: &Path) -> usize {
    brand_cli(&["brand", "list"], dir).lines().filter(|l| !l.starts_with("No packet") && !l.trim().is_empty()).count()
}
