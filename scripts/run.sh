#!/usr/bin/env bash
# Builds Tessera and runs it, installing whatever is missing first.
#   bash scripts/run.sh [tessera arguments…]     (no arguments: the command's help)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh >&2
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked -p tessera-cli >&2
exec target/release/tessera "${@:---help}"
