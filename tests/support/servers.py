"""Throwaway PostgreSQL and Mosquitto servers for the test suite.

The machine's own services (5432, 1883) are shared state that tests must not
depend on or disturb, so every test session starts private servers on free
ports, with their data in a temporary directory that is removed afterwards.

Plain Python on purpose: usable from pytest fixtures, scripts and a REPL alike.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

__all__ = ["MosquittoServer", "PostgresServer", "free_port"]

LOOPBACK = "127.0.0.1"

# Module-level so tests can point them elsewhere to exercise the "missing binary" errors.
_PG_BINDIR_GLOB = "/usr/lib/postgresql/*/bin"
_MOSQUITTO_FALLBACK = "/usr/sbin/mosquitto"

_PG_READY_TIMEOUT = 30.0
_MQTT_READY_TIMEOUT = 10.0
_STOP_TIMEOUT = 15.0
_POLL_INTERVAL = 0.02
_SHM_MIN_FREE = 1 << 30
_PG_PREFIX = "compost-pg-"
_MQTT_PREFIX = "compost-mqtt-"
_OWNER_FILE = "owner.pid"
_MQTT_PID_FILE = "mosquitto.pid"
# First start only: retry on a new port if another process grabbed ours meanwhile.
_PORT_ATTEMPTS = 3


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _is_root() -> bool:
    return os.geteuid() == 0


def _wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_INTERVAL)


def _tail(path: Path, lines: int = 40) -> str:
    """Last lines of a log file, for error messages that explain a failed start."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def _tcp_accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _clean_env() -> dict[str, str]:
    """Environment for server processes: no PG* variables leaking in, English logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


def _temp_base() -> str:
    """Where server directories go.

    ``$COMPOST_TEST_TMPDIR`` if set; else /dev/shm when it is a roomy tmpfs (measured
    here: CREATE DATABASE 0.03 s there against 0.4 s on ext4, initdb twice as fast);
    else the usual temp dir. It must be traversable by other users (as root the
    cluster is handed to ``postgres``) and short enough for a unix socket path.
    """
    override = os.environ.get("COMPOST_TEST_TMPDIR")
    if override:
        return override
    shm = "/dev/shm"
    with contextlib.suppress(OSError):
        stat = os.statvfs(shm)
        roomy = stat.f_bavail * stat.f_frsize >= _SHM_MIN_FREE
        if roomy and os.access(shm, os.W_OK | os.X_OK) and os.stat(shm).st_mode & 0o001:
            return shm
    base = tempfile.gettempdir()
    if len(base) > 60:
        return "/tmp"
    if _is_root():
        path = Path(base).resolve()
        for part in (path, *path.parents):
            if not os.stat(part).st_mode & 0o001:
                return "/tmp"
    return base


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid_gone(pid: int) -> bool:
    return not _pid_alive(pid)


def _read_pid(path: Path) -> int | None:
    """First line of a pid file as an int, or None."""
    try:
        return int(path.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _reap_orphans(base: str) -> None:
    """Stop servers and delete directories left by test sessions that died (SIGKILL,
    OOM), which skipped their cleanup: left alone they would hold RAM in /dev/shm and
    keep a postmaster or broker running forever.

    Conservative: a directory is only touched when its ``owner.pid`` names a dead
    process, and a process is only signalled when its command line names that
    directory (so a recycled pid is never hit).
    """
    for prefix in (_PG_PREFIX, _MQTT_PREFIX):
        for directory in Path(base).glob(f"{prefix}*"):
            owner = _read_pid(directory / _OWNER_FILE)
            if owner is None or _pid_alive(owner):
                continue  # not ours, still being set up, or still in use
            for pid_file, sig in (
                (directory / "data" / "postmaster.pid", signal.SIGQUIT),
                (directory / _MQTT_PID_FILE, signal.SIGKILL),
            ):
                pid = _read_pid(pid_file)
                if pid is None:
                    continue
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if str(directory).encode() in cmdline:
                    with contextlib.suppress(OSError):
                        os.kill(pid, sig)
                    _wait_for(functools.partial(_pid_gone, pid), _STOP_TIMEOUT)
            shutil.rmtree(directory, ignore_errors=True)


def _make_base_dir(prefix: str) -> Path:
    """A fresh private directory, stamped with our pid for ``_reap_orphans``."""
    base = _temp_base()
    _reap_orphans(base)
    directory = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    (directory / _OWNER_FILE).write_text(f"{os.getpid()}\n")
    return directory


# --------------------------------------------------------------------------- PostgreSQL


def find_postgres_bindir() -> Path:
    """Directory holding ``initdb``/``pg_ctl``: ``pg_config --bindir`` first (it can
    name a client-only install, so check), else the newest Debian versioned dir."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            ).stdout
            candidates.append(Path(out.strip()))

    def version(bindir: str) -> tuple[int, ...]:
        name = Path(bindir).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    candidates += [Path(p) for p in sorted(glob.glob(_PG_BINDIR_GLOB), key=version, reverse=True)]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if all(os.access(bindir / exe, os.X_OK) for exe in ("initdb", "pg_ctl", "postgres")):
            return bindir
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found via pg_config, "
        f"{_PG_BINDIR_GLOB} or PATH. Install them: apt-get install postgresql "
        "(or run scripts/ensure-system-deps.sh test)"
    )


class PostgresServer:
    """A private PostgreSQL cluster on a free 127.0.0.1 port, tuned for speed, not safety.

    As root, PostgreSQL refuses to run, so the cluster belongs to the ``postgres`` OS
    user and every server command goes through ``runuser -u postgres --``.
    """

    user = "postgres"
    host = LOOPBACK

    def __init__(self, port: int | None = None, bindir: str | Path | None = None) -> None:
        self.bindir = Path(bindir) if bindir is not None else find_postgres_bindir()
        self._run_as: list[str] = []
        self._owner: tuple[int, int] | None = None
        if _is_root():
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError(
                    "running as root, but there is no 'postgres' user to own the test "
                    "cluster. Install it: apt-get install postgresql"
                ) from None
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            self._run_as = [runuser, "-u", "postgres", "--"]
            self._owner = (pw.pw_uid, pw.pw_gid)
        self._fixed_port = port is not None
        self.port: int = port if port is not None else free_port()
        self.base_dir = _make_base_dir(_PG_PREFIX)
        self.data_dir = self.base_dir / "data"
        self.socket_dir = self.base_dir / "sock"
        self.log_path = self.base_dir / "postgres.log"
        self._initialized = False
        self._started_once = False
        atexit.register(self._stop_quietly)

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        """Start the server (running ``initdb`` the first time) and wait until it
        accepts connections. A no-op when it already runs."""
        if self.is_running:
            return
        if not self._initialized:
            self._initdb()
        for attempt in range(_PORT_ATTEMPTS):
            self._write_settings()
            proc = self._run(
                "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_path),
                "-w", "-t", str(int(_PG_READY_TIMEOUT)), "start",
            )  # fmt: skip
            if proc.returncode == 0:
                break
            port_taken = "could not bind" in _tail(self.log_path, 20)
            retry = port_taken and not self._started_once and not self._fixed_port
            if retry and attempt + 1 < _PORT_ATTEMPTS:
                self.port = free_port()
                continue
            raise RuntimeError(
                f"PostgreSQL failed to start on port {self.port} "
                f"(pg_ctl exit {proc.returncode}): {proc.stdout.strip()}\n"
                f"--- {self.log_path} ---\n{_tail(self.log_path)}"
            )
        if not _wait_for(self._accepts_connections, _PG_READY_TIMEOUT):
            raise RuntimeError(
                f"PostgreSQL on port {self.port} did not accept connections within "
                f"{_PG_READY_TIMEOUT:.0f} s\n--- {self.log_path} ---\n{_tail(self.log_path)}"
            )
        self._started_once = True

    def stop(self) -> None:
        """Stop in fast mode (open sessions are cut, committed data is kept)."""
        if not self.is_running:
            return
        proc = self._run(
            "pg_ctl", "-D", str(self.data_dir), "-m", "fast",
            "-w", "-t", str(int(_STOP_TIMEOUT)), "stop",
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(
                f"PostgreSQL on port {self.port} did not stop (pg_ctl exit "
                f"{proc.returncode}): {proc.stdout.strip()}\n"
                f"--- {self.log_path} ---\n{_tail(self.log_path)}"
            )

    def restart(self) -> None:
        """Stop and start again on the same port, keeping all data (simulates an outage)."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        """Stop the server and delete its data directory."""
        self.stop()
        atexit.unregister(self._stop_quietly)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    @property
    def is_running(self) -> bool:
        """Whether the postmaster named in ``postmaster.pid`` is alive."""
        pid = _read_pid(self.data_dir / "postmaster.pid")
        return pid is not None and _pid_alive(pid)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    # -- databases --------------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL of database ``dbname`` on this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def conninfo(self, dbname: str = "postgres") -> str:
        """libpq connection string, for psycopg directly."""
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname}"

    def connect(
        self, dbname: str = "postgres", *, autocommit: bool = True, timeout: float = 5
    ) -> psycopg.Connection[TupleRow]:
        """A psycopg connection; close it (``with``) to avoid ResourceWarnings."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=dbname,
            autocommit=autocommit,
            connect_timeout=max(1, round(timeout)),
        )

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database even if clients are still connected to it."""
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    # -- internals --------------------------------------------------------------------

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a server binary (as ``postgres`` when we are root), output captured."""
        cmd = [*self._run_as, str(self.bindir / program), *args]
        return subprocess.run(
            cmd,
            cwd=self.base_dir,
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )

    def _chown(self, path: Path) -> None:
        if self._owner is not None:
            os.chown(path, *self._owner)

    def _initdb(self) -> None:
        self.socket_dir.mkdir(exist_ok=True)
        self._chown(self.base_dir)
        self._chown(self.socket_dir)
        proc = self._run(
            "initdb", "-D", str(self.data_dir), "-U", self.user,
            "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"initdb failed (exit {proc.returncode}):\n{proc.stdout}")
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\ninclude 'harness.conf'\n")
        self._initialized = True

    def _write_settings(self) -> None:
        """Settings in a file of their own so a new port can simply rewrite it."""
        path = self.data_dir / "harness.conf"
        path.write_text(
            "# written by tests/support/servers.py\n"
            f"port = {self.port}\n"
            f"listen_addresses = '{self.host}'\n"
            f"unix_socket_directories = '{self.socket_dir}'\n"
            "fsync = off\n"
            "synchronous_commit = off\n"
            "full_page_writes = off\n"
            "logging_collector = off\n"
        )
        self._chown(path)

    def _accepts_connections(self) -> bool:
        try:
            with self.connect(timeout=2) as conn:
                conn.execute("SELECT 1")
        except psycopg.OperationalError:
            return False
        return True

    def _stop_quietly(self) -> None:
        """Safety net at interpreter exit, so a crashed session leaves no server behind."""
        with contextlib.suppress(Exception):
            self.stop()


# ---------------------------------------------------------------------------- Mosquitto


def find_mosquitto() -> Path:
    """The ``mosquitto`` broker binary (Debian puts it in /usr/sbin, often not on PATH)."""
    found = shutil.which("mosquitto")
    if found:
        return Path(found)
    if os.access(_MOSQUITTO_FALLBACK, os.X_OK):
        return Path(_MOSQUITTO_FALLBACK)
    raise RuntimeError(
        f"mosquitto broker not found on PATH nor at {_MOSQUITTO_FALLBACK}. "
        "Install it: apt-get install mosquitto (or run scripts/ensure-system-deps.sh test)"
    )


class MosquittoServer:
    """A private Mosquitto broker on a free 127.0.0.1 port, with on-disk persistence
    so QoS 1 messages queued for persistent sessions survive ``restart()``."""

    host = LOOPBACK

    def __init__(self, port: int | None = None, binary: str | Path | None = None) -> None:
        self.binary = Path(binary) if binary is not None else find_mosquitto()
        self._fixed_port = port is not None
        self.port: int = port if port is not None else free_port()
        self.base_dir = _make_base_dir(_MQTT_PREFIX)
        self.config_path = self.base_dir / "mosquitto.conf"
        self.log_path = self.base_dir / "mosquitto.log"
        self.output_path = self.base_dir / "mosquitto.out"
        self._proc: subprocess.Popen[bytes] | None = None
        self._started_once = False
        atexit.register(self._kill_quietly)

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the broker and wait until it accepts TCP connections."""
        if self.is_running:
            return
        for attempt in range(_PORT_ATTEMPTS):
            self._write_config()
            try:
                self._spawn_and_wait()
            except RuntimeError:
                port_taken = "Address already in use" in self._logs(20)
                retry = port_taken and not self._started_once and not self._fixed_port
                if retry and attempt + 1 < _PORT_ATTEMPTS:
                    self.port = free_port()
                    continue
                raise
            break
        self._started_once = True

    def stop(self) -> None:
        """SIGTERM and wait: mosquitto writes its persistence file on the way out."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL, a crash: state since the last save is lost."""
        self._end(signal.SIGKILL)

    def restart(self) -> None:
        """Graceful stop then start, same port and persistence (simulates an outage)."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        """Stop the broker and delete its directory."""
        self.stop()
        atexit.unregister(self._kill_quietly)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    # -- internals --------------------------------------------------------------------

    def _write_config(self) -> None:
        lines = [
            "# written by tests/support/servers.py",
            f"listener {self.port} {self.host}",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {self.base_dir}/",
            "persistence_file mosquitto.db",
            "max_queued_messages 100000",
            "set_tcp_nodelay true",
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "log_timestamp_format %H:%M:%S",
        ]
        if _is_root():
            # Otherwise mosquitto drops to user 'mosquitto', cannot open its log or
            # persistence file in our 0700 dir, and keeps running half-broken.
            lines.append("user root")
        self.config_path.write_text("\n".join(lines) + "\n")

    def _spawn_and_wait(self) -> None:
        """Start mosquitto; ready once *this* process says it runs and the port answers.

        A TCP connect alone could be answered by some other process that took the
        port (mosquitto then exits with "Address already in use"), hence the log check.
        """
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.output_path.open("ab") as out:
            self._proc = subprocess.Popen(
                [str(self.binary), "-c", str(self.config_path)],
                cwd=self.base_dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        proc = self._proc
        (self.base_dir / _MQTT_PID_FILE).write_text(f"{proc.pid}\n")

        def listening() -> bool:
            try:
                with self.log_path.open("rb") as log:
                    log.seek(log_offset)
                    says_running = b" running" in log.read()
            except OSError:
                return False
            return says_running and _tcp_accepts(self.host, self.port)

        _wait_for(lambda: proc.poll() is not None or listening(), _MQTT_READY_TIMEOUT)
        if proc.poll() is None and listening():
            return
        exited = proc.poll()
        if exited is None:
            self._end(signal.SIGKILL)
            state = f"was not listening after {_MQTT_READY_TIMEOUT:.0f} s"
        else:
            self._proc = None
            state = f"exited with code {exited} while starting"
        raise RuntimeError(
            f"mosquitto on port {self.port} {state}\n"
            f"--- logs in {self.base_dir} ---\n{self._logs()}"
        )

    def _end(self, sig: signal.Signals) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise RuntimeError(
                    f"mosquitto on port {self.port} ignored {sig.name} for "
                    f"{_STOP_TIMEOUT:.0f} s and was killed\n{self._logs()}"
                ) from None
        else:
            proc.wait()

    def _logs(self, lines: int = 40) -> str:
        return f"{_tail(self.log_path, lines)}\n{_tail(self.output_path, lines)}"

    def _kill_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
