#!/usr/bin/env bash
# Build the standalone app and its Debian package, and prove the bundle works:
#
#   build/make_dist.sh            # (`make dist`) bundle -> frozen self-test -> .deb -> sizes
#
# Output:  dist/compost-desktop/                     the one-folder bundle (runs from anywhere)
#          dist/compost-desktop_<version>_<arch>.deb installs it under /opt/compost-desktop
# Scratch: .pyinstaller-work/ (PyInstaller's work folder and the package staging tree; never
#          under build/, which holds only sources).
#
# Environment:
#   PYTHON=path               the Python with PyInstaller and the app installed (default .venv)
#   COMPOST_SELFTEST_BROKER   mqtt://host:port: the frozen self-test also checks that broker
#   COMPOST_DEB_COMPRESSION   zstd (default: 70 MB in ~10 s here) | xz (59 MB, but ~2 min on
#                             2 cores) | gzip | none. Every dpkg that can install the package
#                             reads zstd: its libc6 (>= 2.34) already rules out older systems.
#   SKIP_DEB=1                stop after the bundle and its self-test (any OS with bash)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-$root/.venv/bin/python}"
work="$root/.pyinstaller-work"
dist="$root/dist"
app=compost-desktop
bundle="$dist/$app"

say() { printf '%s\n' "$*" >&2; }
die() {
    say "make_dist: $*"
    exit 1
}
human() { du -sh "$1" | cut -f1; }
seconds_since() { echo $(($(date +%s) - $1)); }

# -- prerequisites ---------------------------------------------------------------------------
"$python" -c 'import PyInstaller' 2>/dev/null ||
    die "PyInstaller is not installed for $python; run: $python -m pip install -e '.[dist]'"
"$python" -c 'import compost_desktop' 2>/dev/null ||
    die "the app is not installed for $python; run: $python -m pip install -e '.[dist]'"

case "$(uname -s)" in
Linux) os=linux ;;
Darwin) os=macos ;;
MINGW* | MSYS* | CYGWIN*) os=windows ;;
*) os=other ;;
esac

if [[ $os == linux ]]; then
    # PyInstaller reads ELF files with ldd/objdump and strips them (binutils); the package
    # needs dpkg-deb and, for its Depends line, dpkg-shlibdeps (dpkg-dev).
    missing=()
    command -v objdump >/dev/null || missing+=(binutils)
    command -v strip >/dev/null || missing+=(binutils)
    if [[ -z ${SKIP_DEB:-} ]]; then
        command -v dpkg-deb >/dev/null || missing+=(dpkg)
        command -v dpkg-shlibdeps >/dev/null || missing+=(dpkg-dev)
    fi
    if ((${#missing[@]})); then
        mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
        if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
            say "Installing ${missing[*]}"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                "${missing[@]}" >&2
        else
            die "missing tools; install them with: sudo apt-get install -y ${missing[*]}"
        fi
    fi
    # Qt's system libraries must be present to run the frozen self-test (and to compute the
    # package's dependencies from them).
    bash scripts/ensure-system-deps.sh run
fi

version="$("$python" -c 'import compost_desktop; print(compost_desktop.__version__)' | tr -d '\r')"

# -- 1. the bundle ---------------------------------------------------------------------------
say "== PyInstaller bundle (work folder $work)"
started=$(date +%s)
# Warnings the app expects (build/pyinstaller-expected-warnings.txt says why each needs no
# action) are counted, not shown; every other line of PyInstaller's output is.
expected="$work/expected-warnings.re"
mkdir -p "$work"
grep -v -e '^#' -e '^$' build/pyinstaller-expected-warnings.txt >"$expected"
hidden="$work/hidden-warnings.log"
set +e
"$python" -m PyInstaller --noconfirm --log-level "${PYINSTALLER_LOG_LEVEL:-WARN}" \
    --workpath "$work" --distpath "$dist" build/compost-desktop.spec 2>&1 |
    tee >(grep -E -f "$expected" >"$hidden") | grep -v -E -f "$expected" >&2
status=${PIPESTATUS[0]}
set -e
((status == 0)) || die "PyInstaller failed (exit $status)"
sleep 0.2 # the tee's reader finishes writing $hidden
n_hidden=$(wc -l <"$hidden")
((n_hidden == 0)) || say "($n_hidden expected PyInstaller warnings hidden: see build/pyinstaller-expected-warnings.txt and $hidden)"
build_s=$(seconds_since "$started")

case $os in
windows) exe="$bundle/$app-cli.exe" ;; # the console twin of the windowed compost-desktop.exe
*) exe="$bundle/$app" ;;
esac
[[ -x $exe ]] || die "the build produced no $exe"

if [[ $os == linux ]]; then
    # Every library the bundle links must resolve, inside it or on the system.
    unresolved="$(find "$bundle" -type f \( -name '*.so' -o -name '*.so.*' \) -print0 |
        LD_LIBRARY_PATH="$bundle/_internal" xargs -0 ldd 2>/dev/null | grep 'not found' | sort -u || true)"
    [[ -z $unresolved ]] || die "libraries not found for the bundle:"$'\n'"$unresolved"
fi

# -- 2. the frozen self-test -----------------------------------------------------------------
say "== frozen self-test"
selftest_args=(self-test)
[[ -n ${COMPOST_SELFTEST_BROKER:-} ]] && selftest_args+=(--broker "$COMPOST_SELFTEST_BROKER")
started=$(date +%s)
QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" "$exe" "${selftest_args[@]}" ||
    die "the frozen self-test failed (see above)"
selftest_s=$(seconds_since "$started")

deb=""
if [[ $os == linux && -z ${SKIP_DEB:-} ]]; then
    # -- 3. the Debian package ---------------------------------------------------------------
    say "== Debian package"
    started_pkg=$(date +%s)
    arch="$(dpkg --print-architecture)"
    deb="$dist/${app}_${version}_${arch}.deb"
    stage="$work/deb/${app}_${version}_${arch}"
    rm -rf "$stage"
    mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
        "$stage/usr/share/icons/hicolor/256x256/apps" "$stage/usr/share/icons/hicolor/scalable/apps" \
        "$stage/usr/share/doc/$app"
    cp -a "$bundle" "$stage/opt/$app"

    # A relative link: the bootloader finds its folder through the link, and the same tree
    # works under any root (tests install into a scratch root with dpkg --instdir).
    ln -s "../../opt/$app/$app" "$stage/usr/bin/$app"
    install -m 0644 build/linux/$app.desktop "$stage/usr/share/applications/$app.desktop"
    install -m 0644 resources/icons/$app.png "$stage/usr/share/icons/hicolor/256x256/apps/$app.png"
    install -m 0644 resources/icons/$app.svg "$stage/usr/share/icons/hicolor/scalable/apps/$app.svg"
    install -m 0644 build/linux/copyright "$stage/usr/share/doc/$app/copyright"
    install -m 0755 build/linux/postinst "$stage/DEBIAN/postinst"
    install -m 0755 build/linux/postrm "$stage/DEBIAN/postrm"
    chmod -R u+rwX,go+rX,go-w "$stage"  # whatever the umask was

    # Depends: the system libraries the bundle links against and does not carry (Qt's X11,
    # xcb, EGL, fontconfig, GLib, D-Bus, ...), as this distribution's package names and
    # minimum versions, found by dpkg-shlibdeps from the ELF files themselves.
    mapfile -t elves < <(find "$stage/opt" -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) \
        -exec sh -c 'head -c4 "$1" | grep -q "ELF" && echo "$1"' _ {} \;)
    mapfile -t libdirs < <(for f in "${elves[@]}"; do dirname "$f"; done | sort -u)
    # A library the bundle carries itself (libssl, libsqlite3, ... of the Python runtime) is no
    # dependency, though dpkg-shlibdeps falls back to the system's copy to describe it.
    bundled_pkgs=()
    while IFS= read -r lib; do
        while IFS= read -r pkg; do
            [[ -n $pkg ]] && bundled_pkgs+=("-x$pkg")
        done < <(dpkg -S "*/$lib" 2>/dev/null | cut -d: -f1 | sort -u)
    done < <(find "$stage/opt/$app/_internal" -maxdepth 1 -type f -name 'lib*.so*' -printf '%f\n')
    shlibs_dir="$work/shlibdeps"
    rm -rf "$shlibs_dir" && mkdir -p "$shlibs_dir/debian"
    echo "Source: $app" >"$shlibs_dir/debian/control"
    depends="$(cd "$shlibs_dir" && dpkg-shlibdeps -O --ignore-missing-info \
        "${bundled_pkgs[@]}" "${libdirs[@]/#/-l}" "${elves[@]}" 2>"$shlibs_dir/warnings.log" |
        sed -n 's/^shlibs:Depends=//p')" ||
        die "dpkg-shlibdeps failed: $(tail -5 "$shlibs_dir/warnings.log")"
    [[ -n $depends ]] || die "dpkg-shlibdeps found no dependencies"
    installed_kb="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
    cat >"$stage/DEBIAN/control" <<EOF
Package: $app
Version: $version
Architecture: $arch
Maintainer: Compost Desktop developers <compost-desktop@localhost>
Installed-Size: $installed_kb
Depends: $depends
Recommends: fonts-dejavu-core | fonts-liberation
Section: misc
Priority: optional
Description: plan, run and monitor compost batches
 Compost Desktop plans and tracks compost cycles on a farm or lab office PC:
 the green and brown materials that go in, the mix C:N ratio and moisture on a
 dry-matter basis with a suggestion of what to add, and live sensor monitoring
 over MQTT. Data lives in PostgreSQL or in an embedded SQLite file.
 .
 This package carries its own Python runtime and Qt under /opt/compost-desktop.
EOF
    (cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
        xargs -0 md5sum >DEBIAN/md5sums)
    chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"

    rm -f "$dist/${app}_"*"_${arch}.deb"
    started_deb=$(date +%s)
    compression="${COMPOST_DEB_COMPRESSION:-zstd}"
    case $compression in
    zstd) level=(-z9) ;;
    xz) level=(-z6) ;;
    gzip) level=(-z9) ;;
    none) level=() ;;
    *) die "COMPOST_DEB_COMPRESSION must be zstd, xz, gzip or none, not '$compression'" ;;
    esac
    dpkg-deb --root-owner-group -Z"$compression" "${level[@]}" --build "$stage" "$deb" >/dev/null
    deb_s=$(seconds_since "$started_deb")
    pkg_s=$(seconds_since "$started_pkg")
    dpkg-deb --info "$deb" >/dev/null || die "dpkg-deb cannot read back $deb"
fi

# -- sizes -----------------------------------------------------------------------------------
say "== done"
echo "bundle:   $bundle  $(human "$bundle") on disk (built in ${build_s} s, self-test ${selftest_s} s)"
if [[ -n $deb ]]; then
    echo "package:  $deb  $(human "$deb") (staged and packed in ${pkg_s} s, of which $compression ${deb_s} s); installs $((installed_kb / 1024)) MiB"
    echo "Depends:  $depends"
fi
