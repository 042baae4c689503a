#!/usr/bin/env bash
# Installs what Tessera needs to build, run and test, skipping whatever is already there.
# Safe to run again and again; sourced by scripts/run.sh and scripts/test.sh.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages: a C toolchain (bundled SQLite), the WebKitGTK stack Tauri builds on,
# and what the tests drive: Xvfb, WebKitWebDriver, the stock age command, curl, private D-Bus
# daemons (locking on sleep and screen lock), a PostgreSQL server (the system tests start
# their own clusters in temporary directories; none is left running), and what packaging and its
# test use (dpkg-shlibdeps, the MIME and desktop databases, xdg-mime).
packages=(build-essential pkg-config ca-certificates curl file python3 age
          libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
          xvfb xauth webkit2gtk-driver dbus-daemon dbus-bin postgresql util-linux
          dpkg-dev shared-mime-info desktop-file-utils xdg-utils)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
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
export PATH="$HOME/.cargo/bin:$PATH"
# rustfmt and clippy, which the test command runs (rustup's minimal profile leaves them out).
if command -v rustup >/dev/null 2>&1 && ! { cargo fmt --version && cargo clippy --version; } >/dev/null 2>&1; then
    echo "setup: adding rustfmt and clippy"
    rustup component add rustfmt clippy
fi

# tauri-driver, which drives the real window in the end-to-end test.
if ! command -v tauri-driver >/dev/null 2>&1; then
    echo "setup: installing tauri-driver"
    cargo install tauri-driver --locked --version '^2' --quiet
fi

# A standard JOSE library for the interop tests: pip where allowed, else Debian's package.
if ! python3 -c 'import jwcrypto' >/dev/null 2>&1; then
    echo "setup: installing jwcrypto"
    python3 -m pip install --quiet --disable-pip-version-check jwcrypto >/dev/null 2>&1 \
        || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-jwcrypto
    python3 -c 'import jwcrypto' || { echo "setup: cannot install jwcrypto for $(command -v python3)" >&2; exit 1; }
fi

# The interface: npm packages at the versions of the lock file, then the build the app embeds.
# (`npm install --no-save` rather than `npm ci`: the lock file lists only this platform's optional
# packages, which some npm versions' `npm ci` refuses.)
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -d "$top/ui/node_modules" ] || [ "$top/ui/package-lock.json" -nt "$top/ui/node_modules/.package-lock.json" ]; then
    echo "setup: installing the interface's npm packages"
    (cd "$top/ui" && npm install --no-audit --no-fund --no-save --loglevel=error)
fi
(cd "$top/ui" && npm run --silent build >/dev/null)
# Scripts run from one that sourced this (scripts/test.sh runs scripts/package-test.sh) skip it: the interface
# built again would make cargo rebuild the app for nothing.
export TESSERA_SETUP_DONE=1
