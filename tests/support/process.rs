//! The `tessera` binary, run as a command or as an inbox server process.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

/// The passphrase of every brand store the tests make.
pub const PASSPHRASE: &str = "a long passphrase for system tests";

/// The `tessera` binary of this workspace (`target/<profile>/tessera`). `cargo test --workspace`
/// builds it with the tests; when it is missing (`cargo test -p tessera-system-tests` on a fresh
/// checkout) it is built here, once. After changing the command line, run
/// `cargo build -p tessera-cli` (or test the whole workspace) so that these tests run the new one.
pub fn tessera() -> PathBuf {
    static BUILD: Once = Once::new();
    let exe = std::env::current_exe().expect("test executable");
    // target/<profile>/deps/<test> → target/<profile>/tessera
    let profile_dir = exe.parent().and_then(Path::parent).expect("target directory").to_owned();
    let binary = profile_dir.join("tessera");
    BUILD.call_once(|| {
        if binary.is_file() {
            return;
        }
        let mut build = Command::new(env!("CARGO"));
        build.args(["build", "--quiet", "-p", "tessera-cli", "--bin", "tessera"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.current_dir(env!("CARGO_MANIFEST_DIR")).status().expect("cargo");
        assert!(status.success(), "cannot build the tessera binary");
    });
    assert!(binary.is_file(), "no tessera binary at {}", binary.display());
    binary
}

/// Where a brand store is, as command-line arguments.
#[derive(Debug, Clone)]
pub enum StoreAt {
    Dir(PathBuf),
    Database(String),
}

impl StoreAt {
    pub fn args(&self) -> Vec<String> {
        match self {
            StoreAt::Dir(dir) => vec!["--dir".into(), dir.display().to_string()],
            StoreAt::Database(url) => vec!["--database".into(), url.clone()],
        }
    }
}

/// A `tessera` command with a clean environment and the tests' passphrase.
pub fn command(cwd: &Path) -> Command {
    let mut command = Command::new(tessera());
    command.current_dir(cwd);
    for name in
        ["TESSERA_NOW", "TESSERA_VAULT_DIR", "TESSERA_BRAND_DIR", "TESSERA_BRAND_DATABASE", "TESSERA_BRAND_KEY_FILE"]
    {
        command.env_remove(name);
    }
    command.env("TESSERA_PASSPHRASE", PASSPHRASE).stdin(Stdio::null());
    command
}

/// Runs `tessera ARGS…` in `cwd`; panics unless it succeeds.
pub fn tessera_ok(cwd: &Path, args: &[&str]) -> String {
    let out = run(cwd, args);
    assert!(
        out.status.success(),
        "tessera {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `tessera ARGS…` in `cwd` (at most 120 s).
pub fn run(cwd: &Path, args: &[&str]) -> Output {
    let mut child = command(cwd).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("tessera");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("tessera {args:?} took more than 120 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Creates a brand store and a request answering to the inbox `inbox` (None: files only);
/// returns the request's JWS.
pub fn brand_with_request(cwd: &Path, store: &StoreAt, inbox: Option<&str>) -> String {
    let mut init = vec!["brand", "init", "--name", "Maison Système"];
    let args = store.args();
    init.extend(args.iter().map(String::as_str));
    tessera_ok(cwd, &init);
    request(cwd, store, inbox)
}

/// Signs a new request (asking for an e-mail address, kept 30 days) and returns its JWS.
pub fn request(cwd: &Path, store: &StoreAt, inbox: Option<&str>) -> String {
    let spec = cwd.join("spec.json");
    std::fs::write(
        &spec,
        r#"{"items":[{"item":"email","purpose":"Send your loyalty card","required":true}],"retention_days":30,"offer":"15 % off","valid_days":30}"#,
    )
    .unwrap();
    let out = cwd.join(format!("request-{}.tessera-request", tessera_protocol::encoding::random_id()));
    let mut args = vec!["brand".to_owned(), "request".into(), "--spec".into(), spec.display().to_string()];
    args.extend(["--out".into(), out.display().to_string()]);
    if let Some(inbox) = inbox {
        args.extend(["--inbox".into(), inbox.to_owned()]);
    }
    args.extend(store.args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    tessera_ok(cwd, &args);
    std::fs::read_to_string(out).unwrap().trim().to_owned()
}

/// A running `tessera brand serve`.
#[derive(Debug)]
pub struct InboxServer {
    child: Option<Child>,
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`
    pub url: String,
}

impl InboxServer {
    /// Starts an inbox on a free loopback port for `store`, with extra `serve` options; waits
    /// until it listens (at most 60 s).
    pub fn start(cwd: &Path, store: &StoreAt, extra: &[&str]) -> InboxServer {
        InboxServer::start_with(cwd, store, extra, &[])
    }

    /// The same, with environment variables set (`TESSERA_NOW`, …).
    pub fn start_with(cwd: &Path, store: &StoreAt, extra: &[&str], env: &[(&str, &str)]) -> InboxServer {
        let mut command = command(cwd);
        command.args(InboxServer::arguments(store, extra));
        for (name, value) in env {
            command.env(name, value);
        }
        InboxServer::spawn(command)
    }

    /// The arguments of `tessera` that serve `store` on a free loopback port.
    pub fn arguments(store: &StoreAt, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = ["brand", "serve", "--listen", "127.0.0.1:0"].map(String::from).to_vec();
        args.extend(store.args());
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    }

    /// Runs `command` (a `tessera brand serve`, possibly wrapped, e.g. by `taskset`) and waits
    /// until it listens (at most 60 s).
    pub fn spawn(mut command: Command) -> InboxServer {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("tessera brand serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            // Keep reading, so that the server never blocks on a full pipe.
            for _ in lines {}
        });
        let first = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("the inbox did not start within 60 s");
            }
        };
        let url = first.rsplit(' ').next().expect("the address").to_owned();
        let addr: SocketAddr = url.trim_start_matches("http://").parse().expect("an address");
        assert!(addr.ip().is_loopback());
        InboxServer { child: Some(child), addr, url }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("a running server")
    }

    /// CPU time the server's process has used so far (user and system, every thread), from
    /// `/proc/PID/stat`.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).expect("/proc/PID/stat");
        // Fields after the command name (which is in parentheses and may hold spaces):
        // state is field 3, utime 14, stime 15 — in clock ticks of 1/100 s on Linux.
        let after_name = &stat[stat.rfind(')').expect("a stat line") + 2..];
        let fields: Vec<&str> = after_name.split(' ').collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        Duration::from_millis(ticks * 10)
    }

    fn signal(&self, name: &str) {
        if let Some(child) = &self.child {
            let status =
                Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status().expect("kill");
            assert!(status.success());
        }
    }

    /// Sends SIGTERM and waits for the process to leave (at most `limit`).
    pub fn terminate(&mut self, limit: Duration) -> ExitStatus {
        self.signal("TERM");
        self.wait(limit)
    }

    /// Sends SIGKILL and reaps the process.
    pub fn kill(&mut self) {
        self.signal("KILL");
        self.wait(Duration::from_secs(30));
    }

    /// Sends SIGTERM without waiting.
    pub fn send_sigterm(&self) {
        self.signal("TERM");
    }

    /// Waits for the process to leave (at most `limit`).
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("a running server");
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the inbox did not stop within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }
}

impl Drop for InboxServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
