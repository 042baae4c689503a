//! What the real-window tests share: driving the window ([`webdriver`]), steps several take
//! ([`journeys`]), a brand and its inbox ([`brand`]), and private D-Bus daemons ([`Bus`]).
#![allow(dead_code)]

pub mod brand;
pub mod journeys;
pub mod webdriver;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A private D-Bus daemon standing in for the session or the system bus.
pub struct Bus {
    daemon: Child,
    pub address: String,
}

impl Bus {
    pub fn start() -> Bus {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon runs (scripts/setup.sh installs it)");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().unwrap()).read_line(&mut address).unwrap();
        Bus { daemon, address: address.trim().to_owned() }
    }

    pub fn signal(&self, path: &str, member: &str, value: bool) {
        let sent = Command::new("dbus-send")
            .args([&format!("--bus={}", self.address), "--type=signal", path, member, &format!("boolean:{value}")])
            .status()
            .unwrap();
        assert!(sent.success());
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}
