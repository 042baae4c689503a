//! Locking by itself: after the idle delay, when the computer goes to sleep,
//! and when the session's screen locks. The page is told at once by a
//! [`VaultLocked`] message on the channel it gave `lock_watch` (pushed from
//! here, never polled; no event permission needed), and stops showing data.
//!
//! On Linux, sleep and screen lock come from D-Bus: logind's
//! `PrepareForSleep(true)` and the session's `Lock` signal on the system bus,
//! and the screensaver's `ActiveChanged(true)` (freedesktop and GNOME names)
//! on the session bus. Without a bus (a bare X server, a container) those
//! watches are skipped with a note on standard error; idle auto-lock still
//! works. What it must never do: keep the vault open after a lock signal, or
//! stop the app because a bus is missing.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

/// Why the vault locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// No activity for the auto-lock delay.
    Idle,
    /// The computer is going to sleep.
    Sleep,
    /// The session's screen was locked.
    ScreenLocked,
}

/// Pushed to the page when the vault locked by itself: the page hides everything at once.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct VaultLocked {
    pub reason: LockReason,
}

/// How often the idle time is checked.
const IDLE_CHECK: Duration = Duration::from_millis(500);

/// Checks the idle time twice a second for as long as the app runs, locking when it passes the delay.
pub fn watch_idle<R: Runtime>(app: AppHandle<R>) {
    std::thread::spawn(move || loop {
        std::thread::sleep(IDLE_CHECK);
        app.state::<AppState>().lock_if_idle();
    });
}

/// Watches the system's sleep and screen-lock signals, calling `lock` with the reason for each.
/// Returns at once; each bus is watched on its own thread, or skipped when it cannot be reached.
pub fn watch_session(lock: impl Fn(LockReason) + Send + Sync + 'static) {
    #[cfg(target_os = "linux")]
    {
        let lock = Arc::new(lock);
        let system = Arc::clone(&lock);
        std::thread::spawn(move || {
            if let Err(e) = dbus_watch::system_bus(&*system) {
                eprintln!("tessera: not locking on sleep or screen lock from logind: {e}");
            }
        });
        std::thread::spawn(move || {
            if let Err(e) = dbus_watch::session_bus(&*lock) {
                eprintln!("tessera: not locking when the screensaver starts: {e}");
            }
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = lock;
}

#[cfg(target_os = "linux")]
mod dbus_watch {
    use std::time::Duration;

    use dbus::blocking::Connection;
    use dbus::message::MatchRule;

    use super::LockReason;

    type Lock<'a> = &'a (dyn Fn(LockReason) + Send + Sync);

    /// Signals are handed to `lock` on this thread, as they arrive.
    fn serve(connection: &Connection, received: &std::sync::mpsc::Receiver<LockReason>, lock: Lock<'_>) -> ! {
        loop {
            // An error here means the bus went away: wait and go on serving what is left.
            if connection.process(Duration::from_secs(1)).is_err() {
                std::thread::sleep(Duration::from_secs(1));
            }
            while let Ok(reason) = received.try_recv() {
                lock(reason);
            }
        }
    }

    /// logind: `PrepareForSleep(true)` before sleeping, and `Lock` on this process's session.
    pub(super) fn system_bus(lock: Lock<'_>) -> Result<(), dbus::Error> {
        let connection = Connection::new_system()?;
        let (sender, received) = std::sync::mpsc::channel();
        let sleeping = sender.clone();
        connection.add_match(
            MatchRule::new_signal("org.freedesktop.login1.Manager", "PrepareForSleep"),
            move |(starting,): (bool,), _: &Connection, _: &dbus::Message| {
                if starting {
                    let _ = sleeping.send(LockReason::Sleep);
                }
                true
            },
        )?;
        let login = connection.with_proxy("org.freedesktop.login1", "/org/freedesktop/login1", Duration::from_secs(2));
        let session: Result<(dbus::Path<'static>,), dbus::Error> =
            login.method_call("org.freedesktop.login1.Manager", "GetSessionByPID", (std::process::id(),));
        match session {
            Ok((path,)) => {
                connection.add_match(
                    MatchRule::new_signal("org.freedesktop.login1.Session", "Lock").with_path(path),
                    move |(): (), _: &Connection, _: &dbus::Message| {
                        let _ = sender.send(LockReason::ScreenLocked);
                        true
                    },
                )?;
            }
            Err(e) => eprintln!("tessera: no logind session for this process ({e}); locking on sleep only"),
        }
        serve(&connection, &received, lock)
    }

    /// The screensaver: `ActiveChanged(true)` under its freedesktop and GNOME names.
    pub(super) fn session_bus(lock: Lock<'_>) -> Result<(), dbus::Error> {
        let connection = Connection::new_session()?;
        let (sender, received) = std::sync::mpsc::channel();
        for interface in ["org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver"] {
            let sender = sender.clone();
            connection.add_match(
                MatchRule::new_signal(interface, "ActiveChanged"),
                move |(active,): (bool,), _: &Connection, _: &dbus::Message| {
                    if active {
                        let _ = sender.send(LockReason::ScreenLocked);
                    }
                    true
                },
            )?;
        }
        serve(&connection, &received, lock)
    }
}
