#!/usr/bin/env bash
# Builds Tessera and opens the desktop app, installing whatever is missing first.
#   bash scripts/run.sh                 the desktop app
#   bash scripts/run.sh --cli ARGS…     the `tessera` command instead (brand tools, vault, consent)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh >&2
cargo build --release --locked -p tessera-app -p tessera-cli >&2
if [ "${1:-}" = "--cli" ]; then
    shift
    exec target/release/tessera "${@:---help}"
fi
exec target/release/tessera-app
