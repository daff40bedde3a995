#!/usr/bin/env bash
# macOS: the app bundle and a disk image, each self-tested.
#
#   PYTHON=python3 bash build/macos/make_dmg.sh
#
# 1. build/make_dist.sh (SKIP_DEB=1) runs PyInstaller with build/compost-desktop.spec, whose
#    BUNDLE step makes "dist/Compost Desktop.app" on macOS, and self-tests the bundle;
# 2. the .app's own executable runs the self-test (what Finder starts is that binary);
# 3. hdiutil makes dist/compost-desktop-<version>-macos-<arch>.dmg with the app and an
#    /Applications link to drag it onto; the image is mounted read-only and the app inside it
#    self-tested once more, then unmounted.
# The app is signed ad hoc only (PyInstaller does that; Apple silicon needs a signature). For
# distribution outside CI, sign with a Developer ID and notarize: codesign --deep --options
# runtime --sign "Developer ID Application: ..." then xcrun notarytool submit --wait.
# Works with macOS's own bash 3.2.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
[[ "$(uname -s)" == Darwin ]] || {
    echo "make_dmg.sh runs on macOS only" >&2
    exit 1
}
python="${PYTHON:-$root/.venv/bin/python}"
version="$("$python" -c 'import compost_desktop; print(compost_desktop.__version__)')"
app_name="Compost Desktop"
app="$root/dist/$app_name.app"
dmg="$root/dist/compost-desktop-$version-macos-$(uname -m).dmg"

SKIP_DEB=1 PYTHON="$python" bash build/make_dist.sh
[[ -d $app ]] || {
    echo "PyInstaller made no $app" >&2
    exit 1
}

echo "== self-test of the .app" >&2
QT_QPA_PLATFORM=offscreen "$app/Contents/MacOS/compost-desktop" self-test
codesign --verify --deep --strict "$app" || echo "warning: codesign --verify failed for $app" >&2

echo "== disk image" >&2
staging="$(mktemp -d)"
mount_point="$(mktemp -d)"
cleanup() {
    hdiutil detach "$mount_point" -quiet >/dev/null 2>&1 || true
    rm -rf "$staging"
    rmdir "$mount_point" 2>/dev/null || true
}
trap cleanup EXIT
ditto "$app" "$staging/$app_name.app" # keeps symlinks, permissions and signatures
ln -s /Applications "$staging/Applications"
rm -f "$dmg"
hdiutil create -volname "$app_name" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg" >/dev/null
hdiutil verify "$dmg" >/dev/null

hdiutil attach "$dmg" -readonly -nobrowse -noautoopen -mountpoint "$mount_point" >/dev/null
QT_QPA_PLATFORM=offscreen "$mount_point/$app_name.app/Contents/MacOS/compost-desktop" self-test
hdiutil detach "$mount_point" >/dev/null

echo "app:        $app  $(du -sh "$app" | cut -f1)"
echo "disk image: $dmg  $(du -sh "$dmg" | cut -f1)"
