#!/usr/bin/env bash
# Runs every test of Tessera, installing whatever is missing first.
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

# Build everything once (one workspace, one target directory), then test it.
cargo build --workspace --all-targets --locked
cargo test --workspace --locked
