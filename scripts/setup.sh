#!/usr/bin/env bash
# Installs what Tessera needs to build and test, skipping whatever is already there.
# Safe to run again and again; used by scripts/run.sh and scripts/test.sh.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages: a C toolchain for bundled SQLite, and the tools the interop tests use.
packages=(build-essential pkg-config ca-certificates curl age python3)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Rust (stable) through rustup, when no cargo is on the PATH.
if ! command -v cargo >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    else
        echo "setup: installing the Rust toolchain with rustup"
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
fi

# A standard JOSE library for the interop tests: pip where allowed, else Debian's package.
if ! python3 -c 'import jwcrypto' >/dev/null 2>&1; then
    echo "setup: installing jwcrypto"
    python3 -m pip install --quiet --disable-pip-version-check jwcrypto >/dev/null 2>&1 \
        || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-jwcrypto
    python3 -c 'import jwcrypto' || { echo "setup: cannot install jwcrypto for $(command -v python3)" >&2; exit 1; }
fi
