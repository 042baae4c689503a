//! Locking on sleep and screen lock, through real D-Bus daemons started by the
//! test (one standing in for the system bus, one for the session bus): logind's
//! `PrepareForSleep(true)` and the screensaver's `ActiveChanged(true)` lock;
//! `ActiveChanged(false)` and waking up do not.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tessera_app::locking::{watch_session, LockReason};

struct Bus {
    daemon: Child,
    address: String,
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

fn private_bus() -> Bus {
    let mut daemon = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon runs (Debian's dbus-daemon package; scripts/setup.sh installs it)");
    let mut address = String::new();
    BufReader::new(daemon.stdout.take().unwrap()).read_line(&mut address).unwrap();
    Bus { daemon, address: address.trim().to_owned() }
}

fn signal(bus: &Bus, path: &str, member: &str, value: bool) {
    let status = Command::new("dbus-send")
        .args([&format!("--bus={}", bus.address), "--type=signal", path, member, &format!("boolean:{value}")])
        .status()
        .expect("dbus-send runs");
    assert!(status.success());
}

/// Sends the signal until the watcher hears it (it subscribes on its own thread), for at most 10 seconds.
fn heard_after(received: &mpsc::Receiver<LockReason>, send: impl Fn()) -> LockReason {
    let started = Instant::now();
    loop {
        send();
        if let Ok(reason) = received.recv_timeout(Duration::from_millis(200)) {
            return reason;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the lock signal was never heard");
    }
}

#[test]
fn sleep_and_screen_lock_signals_lock_and_their_opposites_do_not() {
    let (system, session) = (private_bus(), private_bus());
    // This test binary has this one test: no other thread reads the environment meanwhile.
    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &system.address);
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &session.address);
    let (sender, received) = mpsc::channel();
    let sender = std::sync::Mutex::new(sender);
    watch_session(move |reason| {
        let _ = sender.lock().unwrap().send(reason);
    });

    let screensaver =
        || signal(&session, "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver.ActiveChanged", true);
    assert_eq!(heard_after(&received, screensaver), LockReason::ScreenLocked);
    let gnome = || signal(&session, "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver.ActiveChanged", true);
    assert_eq!(heard_after(&received, gnome), LockReason::ScreenLocked);
    let sleep = || signal(&system, "/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", true);
    assert_eq!(heard_after(&received, sleep), LockReason::Sleep);

    while received.recv_timeout(Duration::from_millis(300)).is_ok() {}
    signal(&session, "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver.ActiveChanged", false);
    signal(&system, "/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", false);
    assert!(
        received.recv_timeout(Duration::from_secs(1)).is_err(),
        "the screensaver stopping or waking up locks nothing"
    );
}
