"""Frozen app start: the PyInstaller bundle against the app from source, in the same run.

Start-up is process start to `main-window-shown` (COMPOST_QUIT_AFTER_SHOWN_MS=0, as in
bench_startup). "Cold" drops the page cache of the files each variant reads (the bundle; or
the venv, the Python installation and the checkout) with posix_fadvise before every run, which
needs no root and leaves the rest of the machine's cache alone; "warm" runs right after one
another. Also prints the bundle's size on disk. Builds the bundle (without the .deb) first
when dist/compost-desktop is missing and PyInstaller is installed.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from benchmarks.bench_startup import _time_until_shown

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dist" / "compost-desktop"
FROZEN = BUNDLE / ("compost-desktop-cli.exe" if sys.platform == "win32" else "compost-desktop")
COLD_RUNS = 3
WARM_RUNS = 5


def _files(paths: Iterable[Path]) -> Iterable[Path]:
    for path in paths:
        if path.is_file():
            yield path
        elif path.is_dir():
            for dirpath, _, names in os.walk(path):
                for name in names:
                    yield Path(dirpath) / name


def _evict(paths: Iterable[Path]) -> int:
    """Drop these files' pages from the page cache; returns how many files were evicted."""
    if not hasattr(os, "posix_fadvise"):
        return 0
    count = 0
    for path in _files(paths):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            count += 1
        finally:
            os.close(fd)
    return count


def _source_files() -> list[Path]:
    """What a start from source reads: the venv, the Python installation, the checkout."""
    paths = {
        Path(sysconfig.get_paths()["purelib"]),
        Path(sysconfig.get_paths()["stdlib"]),
        Path(sysconfig.get_paths()["platstdlib"]),
        ROOT / "compost_desktop",
        ROOT / "migrations",
    }
    libdir = sysconfig.get_config_var("LIBDIR")
    ldlib = sysconfig.get_config_var("LDLIBRARY")
    if libdir and ldlib:
        paths.add(Path(libdir) / ldlib)
    return sorted(paths)


def _size(path: Path) -> tuple[int, int]:
    files = [p for p in _files([path]) if not p.is_symlink()]
    return sum(p.stat().st_size for p in files), len(files)


def _build_if_missing() -> bool:
    if FROZEN.exists():
        return True
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        print(f"no bundle at {BUNDLE} and PyInstaller is not installed: run `make dist` first")
        return False
    if shutil.which("bash") is None:
        print(f"no bundle at {BUNDLE}: run build/make_dist.sh first")
        return False
    print(f"no bundle at {BUNDLE}: building it (build/make_dist.sh, without the .deb)", flush=True)
    started = time.perf_counter()
    proc = subprocess.run(
        ["bash", str(ROOT / "build" / "make_dist.sh")],
        env={**os.environ, "SKIP_DEB": "1", "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(f"the bundle could not be built:\n{proc.stderr[-2000:]}")
        return False
    print(f"built in {time.perf_counter() - started:.0f} s")
    return True


def _measure(
    cmd: list[str], env: dict[str, str], evict: list[Path]
) -> tuple[float, list[float], list[float]]:
    first = _time_until_shown(cmd, env)  # creates the database: not a typical start
    cold = []
    for _ in range(COLD_RUNS):
        _evict(evict)
        cold.append(_time_until_shown(cmd, env))
    warm = [_time_until_shown(cmd, env) for _ in range(WARM_RUNS)]
    return first, cold, warm


def _ms(values: list[float]) -> str:
    return (
        f"median {statistics.median(values) * 1000:5.0f} ms "
        f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f}, n={len(values)})"
    )


def main() -> None:
    if not _build_if_missing():
        return
    size, count = _size(BUNDLE)
    age_h = (time.time() - FROZEN.stat().st_mtime) / 3600
    print(
        f"bundle: {BUNDLE} — {size / 2**20:.0f} MiB on disk in {count} files (built {age_h:.1f} h ago)"
    )
    frozen_cmd = [str(FROZEN)]
    source_cmd = [sys.executable, "-m", "compost_desktop"]
    results = {}
    for name, cmd, evict in (
        ("frozen", frozen_cmd, [BUNDLE]),
        ("source", source_cmd, _source_files()),
    ):
        with tempfile.TemporaryDirectory() as data:
            env = {
                **os.environ,
                "QT_QPA_PLATFORM": "offscreen",
                "COMPOST_DATA_DIR": data,
                "XDG_CONFIG_HOME": data,  # both variants start from the same (no) settings
                "COMPOST_QUIT_AFTER_SHOWN_MS": "0",
            }
            results[name] = _measure(cmd, env, evict)
    cold_note = "" if hasattr(os, "posix_fadvise") else " (no posix_fadvise here: not really cold)"
    for name, (first, cold, warm) in results.items():
        print(f"{name:6} first start (new database):  {first * 1000:5.0f} ms")
        print(f"{name:6} cold start to window shown: {_ms(cold)}{cold_note}")
        print(f"{name:6} warm start to window shown: {_ms(warm)}")
    frozen_cold = statistics.median(results["frozen"][1])
    source_cold = statistics.median(results["source"][1])
    frozen_warm = statistics.median(results["frozen"][2])
    source_warm = statistics.median(results["source"][2])
    print(
        f"ratio frozen / source: cold {frozen_cold / source_cold:.2f}, "
        f"warm {frozen_warm / source_warm:.2f}"
    )


if __name__ == "__main__":
    main()
