"""The standalone installer (issue 7), end to end on Linux.

`build/make_dist.sh` (what `make dist` runs) builds the PyInstaller bundle, runs its self-test
against the broker the harness starts, and packs the .deb. The package is then installed into a
scratch root with dpkg itself (--instdir/--admindir, maintainer scripts run chrootless with
DPKG_ROOT), the installed app's self-test runs from its /usr/bin link, and after a purge nothing
may be left. The machine's own dpkg database is never touched.

PyInstaller's work folder (.pyinstaller-work/) makes a rebuild of an unchanged tree quick, so
the test always runs the real command instead of guessing whether an old bundle is current.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from compost_desktop import __version__
from tests.support.servers import MosquittoServer

ROOT = Path(__file__).resolve().parents[1]
APP = "compost-desktop"
BUILD_TIMEOUT_S = 840

pytestmark = [
    pytest.mark.slow,
    pytest.mark.mqtt,
    pytest.mark.timeout(BUILD_TIMEOUT_S + 120),
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or shutil.which("dpkg-deb") is None,
        reason="the .deb is built and installed on Debian/Ubuntu only (CI builds the others)",
    ),
]

# Qt's system libraries the package must declare (any distribution's name for them).
REQUIRED_DEPENDS = ("libegl1", "libxkbcommon0", "libfontconfig1", "libdbus-1-3", "libglib2.0-0")


@dataclass(frozen=True)
class Dist:
    output: str
    bundle: Path
    deb: Path
    seconds: float


def _run(
    cmd: list[str | Path], timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env},
        check=False,
    )


def _explain(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"


@pytest.fixture(scope="module")
def dist(mqtt_broker: MosquittoServer) -> Dist:
    try:
        import PyInstaller  # type: ignore[import-untyped]  # noqa: F401  # no py.typed, no stubs
    except ImportError:
        pytest.fail(f"PyInstaller is missing: {sys.executable} -m pip install -e '.[dist]'")
    started = time.monotonic()
    proc = _run(
        ["bash", ROOT / "build" / "make_dist.sh"],
        timeout=BUILD_TIMEOUT_S,
        PYTHON=sys.executable,
        COMPOST_SELFTEST_BROKER=mqtt_broker.url,
        COMPOST_DEB_COMPRESSION="zstd",  # the default; xz would add two minutes
    )
    assert proc.returncode == 0, _explain(proc)
    debs = sorted((ROOT / "dist").glob(f"{APP}_{__version__}_*.deb"))
    assert len(debs) == 1, f"expected one .deb in dist/, found {debs}"
    return Dist(proc.stdout + proc.stderr, ROOT / "dist" / APP, debs[0], time.monotonic() - started)


def test_frozen_bundle_passes_its_self_test_with_a_broker(dist: Dist) -> None:
    assert "self-test (frozen bundle" in dist.output
    for check in ("migrations", "mix", "postgresql driver", "main window", "plotting", "broker"):
        assert re.search(rf"^ok  {check}  ", dist.output, re.M), f"{check}:\n{dist.output}"
    assert "self-test passed" in dist.output
    print(f"make_dist.sh took {dist.seconds:.0f} s")


def test_bundle_is_trimmed_but_has_what_runs_the_app(dist: Dist) -> None:
    internal = dist.bundle / "_internal"
    qt = internal / "PySide6" / "Qt"
    platforms = {p.name for p in (qt / "plugins" / "platforms").iterdir()}
    assert {"libqxcb.so", "libqoffscreen.so", "libqminimal.so"} <= platforms
    assert not (qt / "translations").exists()
    assert not (qt / "qml").exists()
    assert not list(internal.rglob("libQt6Qml*")) and not list(internal.rglob("libQt6Quick*"))
    assert not list(internal.rglob("*WebEngine*"))
    assert (internal / "migrations" / "env.py").is_file()
    assert (internal / "resources" / "icons" / f"{APP}.svg").is_file()
    assert (internal / "resources" / "help" / "user-guide.html").is_file()  # F1
    assert list(internal.rglob("libQt6Network*"))  # QLocalServer: one running copy
    broken = [p for p in dist.bundle.rglob("*") if p.is_symlink() and not p.exists()]
    assert not broken, f"dangling links: {broken}"


def test_frozen_app_opens_its_main_window(dist: Dist, tmp_path: Path) -> None:
    """The real start-up path (not the self-test): window shown, database opened, clean exit."""
    proc = _run(
        [dist.bundle / APP],
        COMPOST_DATA_DIR=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # the window saves its geometry there
        COMPOST_QUIT_AFTER_SHOWN_MS="0",
    )
    assert proc.returncode == 0, _explain(proc)
    assert "main-window-shown" in proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    # The database is opened off the GUI thread; the app waits for that work before it exits.
    log = (tmp_path / "logs" / "compost-desktop.log").read_text()
    assert "Database ready" in log, log


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (apt-get install xvfb)")
def test_frozen_app_draws_on_a_real_x11_display(dist: Dist, tmp_path: Path) -> None:
    """The self-test draws offscreen; this proves the bundled xcb platform plugin loads."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as pipe:
            display = pipe.readline().strip()
        assert display, "Xvfb did not start"
        proc = _run(
            [dist.bundle / APP],
            QT_QPA_PLATFORM="xcb",
            DISPLAY=f":{display}",
            COMPOST_DATA_DIR=str(tmp_path),
            XDG_CONFIG_HOME=str(tmp_path / "config"),
            COMPOST_QUIT_AFTER_SHOWN_MS="0",
        )
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    assert proc.returncode == 0, _explain(proc)
    assert "main-window-shown" in proc.stdout
    assert "Could not load the Qt platform plugin" not in proc.stderr


def _control(deb: Path) -> dict[str, str]:
    text = subprocess.run(
        ["dpkg-deb", "--field", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    return dict(re.findall(r"^(\S+): (.*)$", text, re.M))


def _unsatisfied(depends: str) -> list[str]:
    """Dependencies this machine's dpkg database does not satisfy (name and version)."""
    missing = []
    for group in depends.split(","):
        options = []
        for alt in group.split("|"):
            m = re.match(r"\s*([^\s(]+)\s*(?:\((\S+)\s+([^)]+)\))?", alt)
            assert m, alt
            options.append(m.groups())
        ok = False
        for name, op, version in options:
            query = subprocess.run(
                ["dpkg-query", "-W", "-f=${Status}|${Version}", name],
                capture_output=True,
                text=True,
                check=False,
            )
            status, _, installed = query.stdout.partition("|")
            if query.returncode != 0 or not status.endswith(" installed"):
                continue
            if op is None or (
                subprocess.run(
                    ["dpkg", "--compare-versions", installed, op, version], check=False
                ).returncode
                == 0
            ):
                ok = True
                break
        if not ok:
            missing.append(group.strip())
    return missing


def test_deb_declares_what_qt_needs_and_this_machine_has_it(dist: Dist) -> None:
    fields = _control(dist.deb)
    assert fields["Package"] == APP
    assert fields["Version"] == __version__
    depends = fields["Depends"]
    names = {re.sub(r"t64$", "", d.split()[0]) for g in depends.split(",") for d in g.split("|")}
    for lib in REQUIRED_DEPENDS:
        assert lib in names, f"{lib} missing from Depends: {depends}"
    assert not _unsatisfied(depends), f"not installable here: {_unsatisfied(depends)}"
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(dist.deb)], capture_output=True, text=True, check=True
    ).stdout
    for path in (
        f"./opt/{APP}/{APP}",
        f"./usr/bin/{APP} -> ../../opt/{APP}/{APP}",
        f"./usr/share/applications/{APP}.desktop",
        f"./usr/share/icons/hicolor/256x256/apps/{APP}.png",
        f"./usr/share/icons/hicolor/scalable/apps/{APP}.svg",
    ):
        assert path in listing, path
    owners = {line.split()[1] for line in listing.splitlines()}
    assert owners == {"root/root"}, owners


def test_deb_installs_runs_and_uninstalls_cleanly(dist: Dist, tmp_path: Path) -> None:
    root = tmp_path / "root"
    admin = root / "var" / "lib" / "dpkg"
    for sub in ("info", "updates", "triggers"):
        (admin / sub).mkdir(parents=True)
    (admin / "status").touch()
    (admin / "available").touch()
    dpkg = [
        "dpkg",
        f"--instdir={root}",
        f"--admindir={admin}",
        "--log=/dev/null",
        "--force-not-root",
        "--force-script-chrootless",  # maintainer scripts see DPKG_ROOT instead of a chroot
        "--force-depends",  # the scratch database has no libc6 etc.; checked above instead
    ]

    install = _run([*dpkg, "--install", dist.deb], timeout=300)
    assert install.returncode == 0, _explain(install)
    launcher = root / "usr" / "bin" / APP
    assert launcher.is_symlink() and launcher.resolve() == root / "opt" / APP / APP
    desktop = (root / "usr" / "share" / "applications" / f"{APP}.desktop").read_text()
    assert f"Exec={APP}\n" in desktop and f"Icon={APP}\n" in desktop
    if shutil.which("desktop-file-validate"):
        check = _run(["desktop-file-validate", root / "usr/share/applications" / f"{APP}.desktop"])
        assert check.returncode == 0, _explain(check)

    with_data = tmp_path / "data"
    selftest = _run([launcher, "self-test"], COMPOST_DATA_DIR=str(with_data))
    assert selftest.returncode == 0, _explain(selftest)
    assert f"frozen bundle {root / 'opt' / APP / '_internal'}" in selftest.stdout
    assert "self-test passed" in selftest.stdout

    purge = _run([*dpkg, "--purge", APP], timeout=300)
    assert purge.returncode == 0, _explain(purge)
    status = _run(["dpkg-query", f"--admindir={admin}", "-W", "-f=${Status}", APP])
    assert "installed" not in status.stdout.replace("not-installed", "")
    assert not _leftovers(root, admin), f"left after purge: {_leftovers(root, admin)[:20]}"


# Caches the desktop tools write (if installed) are theirs, not the package's.
TOOL_CACHES = {"mimeinfo.cache", "icon-theme.cache"}


def _leftovers(root: Path, admin: Path) -> list[Path]:
    """Everything under root but dpkg's own database and the desktop tools' caches."""
    ours = {admin, *admin.parents}
    found = []
    for path in root.rglob("*"):
        if path in ours or admin in path.parents:
            continue
        if path.is_dir():
            if not any(c.name in TOOL_CACHES for c in path.rglob("*")):
                found.append(path)
        elif path.name not in TOOL_CACHES:
            found.append(path)
    return found
