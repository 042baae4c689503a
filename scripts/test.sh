#!/usr/bin/env bash
# Runs every test of Tessera, installing whatever is missing first.
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

# Style first: formatting and lints are part of the test (rustfmt.toml sets the width).
cargo fmt --all --check
cargo fmt --manifest-path fuzz/Cargo.toml --check
cargo clippy --workspace --all-targets --locked -- -D warnings

# Build everything once (one workspace, one target directory), then test it,
# in a virtual display for the real-window end-to-end test.
cargo build --workspace --all-targets --locked
timeout 3000 xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace --locked

# The packages: built, inspected, installed, the installed app started with a tessera:// link, removed.
bash scripts/package-test.sh
