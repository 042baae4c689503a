//! # tessera-system-tests — Tessera's system tests, with real processes
//!
//! The tests in this folder start what a brand runs for real — `tessera brand serve` inbox
//! servers (the very binary), a PostgreSQL server from Debian's packages in a temporary
//! directory, the `tessera` command — and talk to them over loopback HTTP only. Every loop is
//! bounded in count and in time. This library holds what they share:
//!
//! * [`postgres`] — a throwaway PostgreSQL cluster ([`postgres::PgCluster`]);
//! * [`process`] — the `tessera` binary, inbox server processes, signals;
//! * [`http`] — a small HTTP/1.1 client on hyper, for tests and the load benchmark;
//! * [`consumer`] — consumers answering and revoking, made in-process with the protocol crate;
//! * [`scenarios`] — scenarios run on both backends (SQLite and PostgreSQL).
//!
//! What it must never do: send traffic anywhere but 127.0.0.1, or leave a process running
//! after a test (servers and clusters stop when dropped).

pub mod consumer;
pub mod http;
pub mod postgres;
pub mod process;
pub mod scenarios;
