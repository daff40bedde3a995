#!/usr/bin/env bash
# Make sure the Debian/Ubuntu packages the project needs outside its venv are present.
#
#   scripts/ensure-system-deps.sh run    # running the app: python3 venv + Qt's shared libraries
#   scripts/ensure-system-deps.sh test   # the test suite: the above + PostgreSQL + Mosquitto
#
# Why: PySide6 wheels bundle Qt but not the system libraries it links against, and the
# test harness (tests/support/servers.py) starts its own PostgreSQL and Mosquitto from
# the system binaries. As root, missing packages are installed with apt-get; otherwise
# the exact command is printed and the script exits 1. Silent when nothing is missing.
set -euo pipefail

mode="${1:-test}"
case "$mode" in
run | test) ;;
*)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
venv_dir="${VENV:-$root_dir/.venv}"

missing=()  # Debian package names
reasons=()  # one line per package, same order

need() { # need PACKAGE WHY
    local p
    for p in "${missing[@]+"${missing[@]}"}"; do
        [[ "$p" == "$1" ]] && return 0
    done
    missing+=("$1")
    reasons+=("$2")
}

# The dynamic linker's cache, read once (ldconfig is in /sbin, often not on a user's PATH).
ld_cache="$( (command -v ldconfig >/dev/null && ldconfig -p || /sbin/ldconfig -p) 2>/dev/null || true)"
have_lib() { # have_lib SONAME: is it known to the dynamic linker?
    [[ $'\n'"$ld_cache" == *$'\n'[[:space:]]*"$1 ("* ]]
}

# python3 -m venv: Debian ships venv's ensurepip separately (python3-venv). Not needed
# once the project's venv exists and works.
if ! "$venv_dir/bin/python" -c '' >/dev/null 2>&1; then
    if ! command -v "$python" >/dev/null 2>&1; then
        need python3 "python3 is not installed (needed to create $venv_dir)"
        need python3-venv "python3 -m venv is not available (needed to create $venv_dir)"
    elif ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        need python3-venv "'$python -m venv' cannot work: ensurepip is missing"
    fi
fi

# Shared libraries PySide6's Qt links against (QtCore/QtGui/QtWidgets/QtDBus and the
# xcb platform plugin, which a desktop session uses), as SONAME:package.
qt_libs=(
    libglib-2.0.so.0:libglib2.0-0
    libgthread-2.0.so.0:libglib2.0-0
    libdbus-1.so.3:libdbus-1-3
    libEGL.so.1:libegl1
    libGL.so.1:libgl1
    libfontconfig.so.1:libfontconfig1
    libfreetype.so.6:libfreetype6
    libxkbcommon.so.0:libxkbcommon0
    libxkbcommon-x11.so.0:libxkbcommon-x11-0
    libX11.so.6:libx11-6
    libX11-xcb.so.1:libx11-xcb1
    libxcb.so.1:libxcb1
    libxcb-cursor.so.0:libxcb-cursor0
    libxcb-icccm.so.4:libxcb-icccm4
    libxcb-image.so.0:libxcb-image0
    libxcb-keysyms.so.1:libxcb-keysyms1
    libxcb-randr.so.0:libxcb-randr0
    libxcb-render.so.0:libxcb-render0
    libxcb-render-util.so.0:libxcb-render-util0
    libxcb-shape.so.0:libxcb-shape0
    libxcb-shm.so.0:libxcb-shm0
    libxcb-sync.so.1:libxcb-sync1
    libxcb-util.so.1:libxcb-util1
    libxcb-xfixes.so.0:libxcb-xfixes0
    libxcb-xkb.so.1:libxcb-xkb1
)
for entry in "${qt_libs[@]}"; do
    soname="${entry%%:*}"
    have_lib "$soname" || need "${entry#*:}" "Qt (PySide6) needs $soname"
done

if [[ "$mode" == test ]]; then
    # Same search as tests/support/servers.py: pg_config --bindir, Debian's versioned
    # dirs, PATH. The harness needs the server (initdb, pg_ctl, postgres), not psql.
    have_pg=false
    candidates=()
    if command -v pg_config >/dev/null 2>&1; then
        candidates+=("$(pg_config --bindir 2>/dev/null || true)")
    fi
    for d in /usr/lib/postgresql/*/bin; do candidates+=("$d"); done
    if command -v initdb >/dev/null 2>&1; then
        candidates+=("$(dirname "$(readlink -f "$(command -v initdb)")")")
    fi
    for d in "${candidates[@]}"; do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
            have_pg=true
            break
        fi
    done
    $have_pg || need postgresql "the test harness needs PostgreSQL server binaries (initdb, pg_ctl)"

    if ! command -v mosquitto >/dev/null 2>&1 && [[ ! -x /usr/sbin/mosquitto ]]; then
        need mosquitto "the test harness needs the mosquitto broker"
    fi
    command -v Xvfb >/dev/null 2>&1 || need xvfb "the installer test opens the installed app on a virtual screen"
    command -v dpkg-deb >/dev/null 2>&1 || need dpkg-dev "the installer test builds a .deb"
fi

((${#missing[@]} == 0)) && exit 0

if [[ $EUID -ne 0 ]]; then
    echo "Missing system packages (mode: $mode):" >&2
    for i in "${!missing[@]}"; do
        echo "  ${missing[$i]}: ${reasons[$i]}" >&2
    done
    echo "Install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing system packages, and no apt-get to install them: ${missing[*]}" >&2
    exit 1
fi

echo "Installing missing system packages (apt-get, may take a minute): ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# dpkg's unpacking chatter means nothing to a user; it is shown only if the install fails.
apt_log="$(mktemp)"
trap 'rm -f "$apt_log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    echo "apt-get could not install: ${missing[*]}" >&2
    exit 1
fi
echo "Installed: ${missing[*]}" >&2
