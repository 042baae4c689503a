#!/usr/bin/env bash
# Builds Tessera's installable packages with Tauri's bundler, installing whatever is missing first:
#   bash scripts/package.sh          the .deb, then the AppImage when the bundler's AppImage tools can be had
#   bash scripts/package.sh deb      the .deb only
# They land in target/release/bundle/deb/ and target/release/bundle/appimage/.
#
# The AppImage needs linuxdeploy and its GTK plugin, which Tauri's bundler downloads from GitHub on first
# use (into ~/.cache/tauri). Where GitHub cannot be reached (this project's CI and development machines
# reach package registries only), the AppImage is skipped with a message, and the .deb is still built.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${TESSERA_SETUP_DONE:-}" ] || source scripts/setup.sh >&2
what="${1:-all}"
case "$what" in all|deb) ;; *) echo "usage: bash scripts/package.sh [deb]" >&2; exit 2 ;; esac

tauri=ui/node_modules/.bin/tauri
started=$SECONDS
binary=target/release/tessera-app
unbundled=target/release/tessera-app.unbundled
# Without the copy described below, the app is built again (a bundled binary cannot be made fresh again).
[ -f "$unbundled" ] || [ ! -f "$binary" ] || cargo clean --release --locked -p tessera-app
"$tauri" build --ci --no-bundle -- --locked
# The bundler writes into the binary which package it is in (deb, appimage). A binary fresh from cargo says
# "unknown": it is stripped of its symbol table (a third of the file; what Debian packages ship) and kept
# aside, and every bundle starts from that copy, so a .deb never holds a binary marked for the AppImage.
if grep -aq __TAURI_BUNDLE_TYPE_VAR_UNK "$binary"; then
    strip --strip-unneeded "$binary"
    cp -p "$binary" "$unbundled"
fi
[ -f "$unbundled" ] || { echo "package: $binary says it is bundled already, and $unbundled is missing" >&2; exit 1; }
echo "package: the release build in $((SECONDS - started)) s"

# The .deb's Depends: what tauri.conf.json lists (WebKitGTK, GTK: the bundler adds those; D-Bus, the MIME and
# desktop databases), plus every package whose shared libraries the binary links to, as dpkg-shlibdeps finds them.
started=$SECONDS
shlibs_dir="$(mktemp -d)"
trap 'rm -rf "$shlibs_dir"' EXIT
mkdir -p "$shlibs_dir/debian"
printf 'Source: tessera\n\nPackage: tessera\nArchitecture: any\n' >"$shlibs_dir/debian/control"
unbundled_path="$PWD/$unbundled"
shlibs="$(cd "$shlibs_dir" && dpkg-shlibdeps -O --warnings=0 "$unbundled_path" | sed -n 's/^shlibs:Depends=//p')"
[ -n "$shlibs" ] || { echo "package: dpkg-shlibdeps found no dependency for $binary" >&2; exit 1; }
deb_config="$(SHLIBS="$shlibs" python3 -c '
import json, os
listed = json.load(open("src-tauri/tauri.conf.json"))["bundle"]["linux"]["deb"]["depends"]
found = [d.strip() for d in os.environ["SHLIBS"].split(",") if d.strip()]
names = {d.split()[0] for d in listed}
depends = listed + [d for d in found if d.split()[0] not in names]
print(json.dumps({"bundle": {"linux": {"deb": {"depends": depends}}}}))
')"
rm -f target/release/bundle/deb/*.deb
cp -p "$unbundled" "$binary"
"$tauri" bundle --ci --bundles deb --config "$deb_config"
# Debian's file name: package_version_architecture (the bundler names it after the product, capitalised).
for built in target/release/bundle/deb/Tessera_*.deb; do
    mv "$built" "target/release/bundle/deb/tessera_${built##*/Tessera_}"
done
echo "package: the .deb in $((SECONDS - started)) s"
ls -l target/release/bundle/deb/tessera_*.deb

if [ "$what" = all ]; then
    started=$SECONDS
    cp -p "$unbundled" "$binary"
    if "$tauri" bundle --ci --bundles appimage >target/release/appimage.log 2>&1; then
        echo "package: the AppImage in $((SECONDS - started)) s"
        ls -l target/release/bundle/appimage/*.AppImage
    else
        echo "package: no AppImage: Tauri's bundler could not get its AppImage tools (linuxdeploy, from GitHub)." >&2
        echo "package: its log: target/release/appimage.log (last lines below); the .deb is built." >&2
        tail -n 5 target/release/appimage.log >&2
    fi
fi
# The binary left for scripts/run.sh is the one no bundle marked.
cp -p "$unbundled" "$binary"
