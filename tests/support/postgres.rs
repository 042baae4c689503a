//! A real PostgreSQL server from Debian's packages, started by a test in a temporary directory
//! on a free loopback port, and stopped (and removed) when dropped.
//!
//! `initdb` refuses to run as root: as root, the cluster belongs to the `postgres` system user
//! (made by Debian's package) and its programs run through `runuser`; otherwise they run as
//! the current user. Authentication is `trust`, on 127.0.0.1 only.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running PostgreSQL cluster.
#[derive(Debug)]
pub struct PgCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    owner: Option<String>,
}

/// The directory holding `initdb`, `pg_ctl` and `psql`: the newest Debian PostgreSQL, or the PATH.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    let found =
        std::env::var_os("PATH").and_then(|path| std::env::split_paths(&path).find(|dir| dir.join("initdb").is_file()));
    found.unwrap_or_else(|| {
        panic!("PostgreSQL is not installed: run `bash scripts/setup.sh` (Debian package postgresql)")
    })
}

fn is_root() -> bool {
    // The effective user id, without a libc dependency: /proc says it.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false)
}

/// A free TCP port on 127.0.0.1 (free when asked; the caller binds it soon after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

impl PgCluster {
    /// Makes a new cluster and starts it.
    pub fn start() -> PgCluster {
        let bin = bin_dir();
        let owner = is_root().then(|| "postgres".to_owned());
        let dir = tempfile::Builder::new().prefix("tessera-pg-").tempdir().expect("temp dir");
        if let Some(user) = &owner {
            let status = Command::new("chown").arg(user).arg(dir.path()).status().expect("chown");
            assert!(status.success(), "cannot give {} to {user}", dir.path().display());
        }
        let mut cluster = PgCluster { bin, dir, port: 0, owner };
        let data = cluster.data_dir();
        cluster.run_ok(
            "initdb",
            &["-D", data.to_str().unwrap(), "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync"],
        );
        // A port taken between asking and binding makes pg_ctl fail: try a few.
        for attempt in 0..5 {
            cluster.port = free_port();
            let options = format!(
                "-p {} -h 127.0.0.1 -k {} -c max_connections=200 -c shared_buffers=64MB",
                cluster.port,
                cluster.dir.path().display()
            );
            let log = cluster.dir.path().join("postgres.log");
            let out = cluster.run(
                "pg_ctl",
                &["-D", data.to_str().unwrap(), "-o", &options, "-l", log.to_str().unwrap(), "-w", "-t", "60", "start"],
            );
            if out.status.success() {
                return cluster;
            }
            assert!(attempt < 4, "PostgreSQL did not start: {}", std::fs::read_to_string(&log).unwrap_or_default());
        }
        unreachable!()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The cluster's files (to scan them for what must not be there in clear).
    pub fn files(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        let path = self.bin.join(program);
        let mut command = match &self.owner {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        command.args(args).current_dir(self.dir.path());
        command.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()))
    }

    fn run_ok(&self, program: &str, args: &[&str]) -> Output {
        let out = self.run(program, args);
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs SQL with psql on database `db`; returns what it printed (unaligned, tuples only).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let port = self.port.to_string();
        let out = self.run_ok(
            "psql",
            &[
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                db,
                "-c",
                sql,
            ],
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Creates database `name` and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(name)
    }

    /// The connection URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.data_dir();
        let _ = self.run("pg_ctl", &["-D", data.to_str().unwrap_or_default(), "-m", "immediate", "-w", "stop"]);
    }
}
