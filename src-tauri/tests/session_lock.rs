//! Locking on sleep and screen lock, through real D-Bus daemons started by the
//! test (one standing in for the system bus, one for the session bus): logind's
//! `PrepareForSleep(true)` and the screensaver's `ActiveChanged(true)` lock;
//! `ActiveChanged(false)` and waking up do not.

mod support;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::Bus;
use tessera_app::locking::{watch_session, LockReason};

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
    let (system, session) = (Bus::start(), Bus::start());
    // This test binary has this one test: no other thread reads the environment meanwhile.
    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &system.address);
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &session.address);
    let (sender, received) = mpsc::channel();
    let sender = std::sync::Mutex::new(sender);
    watch_session(move |reason| {
        let _ = sender.lock().unwrap().send(reason);
    });

    let screensaver =
        || session.signal("/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver.ActiveChanged", true);
    assert_eq!(heard_after(&received, screensaver), LockReason::ScreenLocked);
    let gnome = || session.signal("/org/gnome/ScreenSaver", "org.gnome.ScreenSaver.ActiveChanged", true);
    assert_eq!(heard_after(&received, gnome), LockReason::ScreenLocked);
    let sleep = || system.signal("/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", true);
    assert_eq!(heard_after(&received, sleep), LockReason::Sleep);

    while received.recv_timeout(Duration::from_millis(300)).is_ok() {}
    session.signal("/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver.ActiveChanged", false);
    system.signal("/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", false);
    assert!(
        received.recv_timeout(Duration::from_secs(1)).is_err(),
        "the screensaver stopping or waking up locks nothing"
    );
}
