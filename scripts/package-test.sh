#!/usr/bin/env bash
# The packages as a person gets them: builds them (scripts/package.sh), inspects the .deb, installs it with
# apt-get, starts the installed app in a virtual display with a tessera:// link from a real inbox on loopback
# (then a second launch with a link, and one with a request file: one window), removes the package and checks
# that nothing is left. Run by scripts/test.sh; on its own (root, or sudo):
#   bash scripts/package-test.sh
# It installs and removes the `tessera` package on this machine: a Tessera installed here before is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${TESSERA_SETUP_DONE:-}" ] || source scripts/setup.sh >&2

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
fail() { echo "package-test: FAILED: $*" >&2; exit 1; }
step_started=$SECONDS
step() { echo "package-test: $1 ($((SECONDS - step_started)) s)"; step_started=$SECONDS; }

# 1. Build the packages: one command. (And the workspace's debug build, for the test of step 4 and the
# brand's `tessera` command it uses: nothing to do after scripts/test.sh's build.)
bash scripts/package.sh
step "packages built"
cargo build --workspace --all-targets --locked
step "tests built"

debs=(target/release/bundle/deb/tessera_*_amd64.deb)
[ "${#debs[@]}" -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one tessera_*_amd64.deb, found: ${debs[*]}"
deb="${debs[0]}"
echo "package-test: $deb, $(du -k "$deb" | cut -f1) KiB"

# 2. What the .deb declares and holds.
[ "$(dpkg-deb -f "$deb" Package)" = tessera ] || fail "the package is not named tessera"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "package-test: Depends: $depends"
for needed in libwebkit2gtk-4.1-0 libgtk-3-0 libdbus-1-3 libc6 shared-mime-info desktop-file-utils; do
    grep -Eq "(^|, )$needed( |,|$)" <<<"$depends" || fail "Depends lacks $needed"
done
# Every dependency is a package this Debian knows (apt-get install ./… on a fresh Debian 12 fetches them).
for dependency in $(sed 's/([^)]*)//g; s/,/ /g' <<<"$depends" | tr ' ' '\n' | sort -u); do
    apt-cache show "$dependency" >/dev/null 2>&1 || fail "$dependency, in Depends, is not a Debian package here"
done
contents="$(dpkg-deb -c "$deb" | awk '{print $6}')"
for path in usr/bin/tessera-app usr/share/applications/Tessera.desktop usr/share/mime/packages/tessera.xml \
            usr/share/icons/hicolor/32x32/apps/tessera-app.png usr/share/icons/hicolor/128x128/apps/tessera-app.png \
            usr/share/icons/hicolor/256x256@2/apps/tessera-app.png usr/share/icons/hicolor/512x512/apps/tessera-app.png; do
    grep -qxF "$path" <<<"$contents" || fail "the .deb has no $path"
done
desktop="$(dpkg-deb --fsys-tarfile "$deb" | tar -xO usr/share/applications/Tessera.desktop)"
echo "$desktop" | sed 's/^/package-test:   /'
mime_line="$(grep '^MimeType=' <<<"$desktop")" || fail "the desktop entry has no MimeType line"
for type in x-scheme-handler/tessera application/x-tessera-request; do
    grep -q "[=;]$type;" <<<"$mime_line" || fail "the desktop entry's MimeType lacks $type"
done
dpkg-deb --fsys-tarfile "$deb" | tar -xO usr/bin/tessera-app | grep -ac __TAURI_BUNDLE_TYPE_VAR_DEB >/dev/null \
    || fail "the binary in the .deb does not say it is in a .deb"
grep -Eq '^Exec=tessera-app %[uUfF]$' <<<"$desktop" || fail "the desktop entry's Exec does not pass the link or file"
grep -q '<glob pattern="\*.tessera-request"/>' <(dpkg-deb --fsys-tarfile "$deb" | tar -xO usr/share/mime/packages/tessera.xml) \
    || fail "the MIME type does not match *.tessera-request"
step ".deb inspected"

# 3. Install it as a person would (a Tessera installed before is removed first: this test installs its own).
if dpkg-query -W -f='${Status}' tessera 2>/dev/null | grep -q "install ok installed"; then
    as_root apt-get purge -y -qq tessera >/dev/null
fi
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$deb" >/dev/null
dpkg-query -W -f='${Status}' tessera | grep -q "install ok installed" || fail "tessera is not installed"
installed_files="$(dpkg -L tessera)"
[ -x /usr/bin/tessera-app ] || fail "/usr/bin/tessera-app is not installed"
desktop-file-validate /usr/share/applications/Tessera.desktop || fail "the installed desktop entry is not valid"
grep -q "x-scheme-handler/tessera=.*Tessera.desktop" /usr/share/applications/mimeinfo.cache \
    || fail "the desktop database does not name Tessera for tessera:// links"
grep -q "application/x-tessera-request=.*Tessera.desktop" /usr/share/applications/mimeinfo.cache \
    || fail "the desktop database does not name Tessera for request files"
grep -q "application/x-tessera-request:\*.tessera-request" /usr/share/mime/globs2 \
    || fail "the MIME database does not know *.tessera-request"
handler="$(XDG_DATA_DIRS=/usr/share XDG_CONFIG_HOME="$(mktemp -d)" xdg-mime query default x-scheme-handler/tessera)"
[ "$handler" = Tessera.desktop ] || fail "xdg-mime names '$handler' for tessera:// links, not Tessera.desktop"
step "installed with apt-get"

# 4. The installed binary, started with a tessera:// link in a virtual display (tests/installed.rs).
TESSERA_INSTALLED_APP=/usr/bin/tessera-app timeout 900 xvfb-run -a -s "-screen 0 1280x800x24" \
    cargo test --workspace --locked --test installed -- --ignored
step "installed app tested"

# 5. Removed, and nothing of it left.
as_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq tessera >/dev/null
dpkg-query -W -f='${Status}' tessera 2>/dev/null | grep -q "install ok installed" && fail "tessera is still installed"
while IFS= read -r path; do
    [ -f "$path" ] && fail "$path is left after removal"
done <<<"$installed_files"
grep -q "tessera" /usr/share/applications/mimeinfo.cache 2>/dev/null && fail "the desktop database still names Tessera"
grep -q "x-tessera-request" /usr/share/mime/globs2 && fail "the MIME database still knows the request type"
step "removed cleanly"
echo "package-test: all passed"
