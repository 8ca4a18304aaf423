"""A real, throw-away PostgreSQL server for the tests and the bench scripts.

The corpus store must behave the same on SQLite and on PostgreSQL, and only a real server shows
that (types, transactions, encodings, concurrency): nothing here is mocked. One server is started
per test session in a fresh temp directory on a free loopback port, with durability switched off
for speed (the data is thrown away anyway), and each test gets its own fresh database in it.

Usage::

    with PostgresServer() as pg:
        url = pg.create_database("my test")   # postgresql+psycopg://nianbao@127.0.0.1:PORT/my_test
        ...
        pg.drop_database("my test")

PostgreSQL refuses to run as root, and CI runs the tests as root: then initdb and pg_ctl run as
the `postgres` system user (created by the Debian package) through runuser/setpriv, in a temp
directory under /tmp owned by that user. Connections go over TCP as the superuser `nianbao` with
trust authentication, so the test process itself never needs to be `postgres`.
"""
from __future__ import annotations

import atexit
import glob
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER = "nianbao"
HOST = "127.0.0.1"
INSTALL_HINT = (
    "PostgreSQL server binaries not found (no initdb via `pg_config --bindir` nor under "
    "/usr/lib/postgresql/*/bin): install the Debian package `postgresql` "
    "(`make test` installs it), or set NIANBAO_SKIP_POSTGRES=1 to skip the PostgreSQL tests"
)


class PostgresNotFound(RuntimeError):
    """The server binaries are missing: the message says how to install them."""


class PostgresStartError(RuntimeError):
    """initdb or the server start failed: the message carries the command output and log tail."""


def find_bindir() -> Path:
    """The directory holding initdb/pg_ctl/postgres.

    `pg_config --bindir` first (it honours a PATH the user chose), but on Debian pg_config may come
    from libpq-dev and point at /usr/bin, which has no initdb: then the newest versioned directory
    under /usr/lib/postgresql wins.
    """
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            candidate = Path(out.stdout.strip())
            if out.returncode == 0 and (candidate / "initdb").is_file():
                return candidate
        except (OSError, subprocess.SubprocessError):
            pass

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in re.findall(r"\d+", name)) or (0,)

    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    raise PostgresNotFound(INSTALL_HINT)


def free_port() -> int:
    """A loopback port free right now (the start retries on the small race that leaves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def sanitize_dbname(name: str) -> str:
    """A safe PostgreSQL identifier for `name`: [a-z0-9_], not starting with a digit, ≤ 63 bytes.

    Over-long names keep a hash of the full name at the end so that two long test ids that share a
    prefix still get different databases.
    """
    clean = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "db"
    if not re.match(r"[a-z_]", clean):
        clean = "d_" + clean
    if len(clean) > 63:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
        clean = clean[:52].rstrip("_") + "_" + digest
    return clean


class PostgresServer:
    """One PostgreSQL server in a temp directory; a context manager, or call start()/stop()."""

    def __init__(self, bindir: str | os.PathLike | None = None, start_timeout: float = 60.0):
        self._bindir_arg = Path(bindir) if bindir else None
        self.bindir: Path | None = None
        self.start_timeout = start_timeout
        self.tmpdir: Path | None = None
        self.port: int | None = None
        self.start_seconds: float | None = None  # wall time of the last start(), for reports
        self._running = False
        self._runas: list[str] = []
        self._owner: tuple[int, int] | None = None
        self._atexit_registered = False

    # -- paths --------------------------------------------------------------------------------
    @property
    def datadir(self) -> Path:
        return self._require_tmpdir() / "data"

    @property
    def sockdir(self) -> Path:
        return self._require_tmpdir() / "sock"

    @property
    def logfile(self) -> Path:
        return self._require_tmpdir() / "postgres.log"

    def _require_tmpdir(self) -> Path:
        if self.tmpdir is None:
            raise RuntimeError("PostgresServer not started")
        return self.tmpdir

    # -- lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> "PostgresServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "PostgresServer":
        if self._running:
            return self
        t0 = time.perf_counter()
        self.bindir = self._bindir_arg or find_bindir()
        self._setup_user()
        try:
            self._make_tmpdir()
            self._initdb()
            last_error: Exception | None = None
            for _ in range(3):  # a port found free can be taken before the server binds it
                self.port = free_port()
                try:
                    self._pg_ctl_start()
                    break
                except PostgresStartError as err:
                    last_error = err
                    if "already in use" not in self._log_tail():
                        raise
            else:
                raise last_error  # type: ignore[misc]
            self._running = True
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.perf_counter() - t0
        return self

    def stop(self) -> None:
        """Stop the server at once (`-m immediate`: nothing to keep) and remove its directory.

        Safe to call twice and after a failed start; kills the postmaster by pid if pg_ctl fails,
        so a broken teardown never leaves a server behind.
        """
        if self.tmpdir is None:
            return
        try:
            if (self.datadir / "postmaster.pid").exists():
                try:
                    self._run([self._bin("pg_ctl"), "stop", "-D", str(self.datadir), "-m", "immediate",
                               "-w", "-t", "30"], check=False, timeout=60)
                except (OSError, subprocess.SubprocessError):
                    pass
                self._kill_leftover_postmaster()
        finally:
            self._running = False
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    # -- databases ----------------------------------------------------------------------------
    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL of database `dbname` on this server (psycopg 3 driver)."""
        if self.port is None:
            raise RuntimeError("PostgresServer not started")
        return f"postgresql+psycopg://{SUPERUSER}@{HOST}:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """A fresh, empty UTF-8 database (any old one of that name is dropped first); its URL.

        template0 rather than template1, so nothing anyone added to template1 leaks in.
        """
        db = sanitize_dbname(name)
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            conn.execute(f"CREATE DATABASE \"{db}\" TEMPLATE template0 ENCODING 'UTF8'")
        return self.url(db)

    def drop_database(self, name: str) -> None:
        """Drop it, closing any connection a test left open (WITH FORCE, PostgreSQL ≥ 13)."""
        db = sanitize_dbname(name)
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    def _admin(self):
        import psycopg  # imported here: the module must import (and skip cleanly) without it

        return psycopg.connect(host=HOST, port=self.port, user=SUPERUSER, dbname="postgres",
                               autocommit=True, connect_timeout=10)

    # -- internals ----------------------------------------------------------------------------
    def _bin(self, name: str) -> str:
        assert self.bindir is not None
        return str(self.bindir / name)

    def _setup_user(self) -> None:
        """As root, run the server tools as `postgres` (PostgreSQL refuses to run as root)."""
        if os.geteuid() != 0:
            self._runas, self._owner = [], None
            return
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresNotFound(
                "running as root, but there is no `postgres` system user to run the server as: "
                "install the Debian package `postgresql` (`make test` installs it)") from None
        self._owner = (pw.pw_uid, pw.pw_gid)
        if shutil.which("runuser"):
            self._runas = ["runuser", "-u", "postgres", "--"]
        elif shutil.which("setpriv"):
            self._runas = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
                           "--init-groups", "--"]
        else:
            raise PostgresStartError("running as root and neither runuser nor setpriv is available "
                                     "to run PostgreSQL as the `postgres` user")

    def _make_tmpdir(self) -> None:
        # As root the `postgres` user must reach the directory: $TMPDIR may sit under /root
        # (mode 0700), so use /tmp itself, which everyone can traverse.
        parent = "/tmp" if self._owner and os.path.isdir("/tmp") else None
        self.tmpdir = Path(tempfile.mkdtemp(prefix="nianbao-pg-", dir=parent))
        self.sockdir.mkdir()
        if self._owner:
            for path in (self.tmpdir, self.sockdir):
                os.chown(path, *self._owner)
            # mkdtemp's 0700 is fine for the owner; the parents need to be traversable.
            for parent_dir in self.tmpdir.parents:
                if not os.stat(parent_dir).st_mode & 0o001:
                    raise PostgresStartError(
                        f"{parent_dir} is not traversable by the `postgres` user")
        if not self._atexit_registered:
            atexit.register(self.stop)  # backstop for runs that never reach the fixture teardown
            self._atexit_registered = True

    def _run(self, cmd: list[str], *, check: bool = True, timeout: float = 120):
        """Run a server tool (as `postgres` when we are root) with cwd in our temp dir.

        cwd matters: as `postgres`, a cwd under /root would be unreadable and initdb complains.
        LC_ALL=C keeps the tools' messages in English, so the start errors stay searchable.
        """
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        env.pop("PGDATA", None)
        proc = subprocess.run(self._runas + cmd, cwd=self.tmpdir, env=env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise PostgresStartError(
                f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
                f"\n--- server log tail ({self.logfile}) ---\n{self._log_tail()}")
        return proc

    def _initdb(self) -> None:
        # C.UTF-8 gives Unicode-aware character classes (regexes over Chinese text) where it
        # exists; --no-locale (still UTF8) is the fallback on systems without that locale.
        base = [self._bin("initdb"), "-D", str(self.datadir), "-A", "trust", "-U", SUPERUSER,
                "--encoding=UTF8", "--no-sync"]
        proc = self._run(base + ["--locale=C.UTF-8"], check=False)
        if proc.returncode != 0:
            shutil.rmtree(self.datadir, ignore_errors=True)
            self._run(base + ["--no-locale"])
        # Test-speed settings: the data is thrown away, so durability buys nothing.
        settings = {
            "listen_addresses": f"'{HOST}'",
            "unix_socket_directories": f"'{self.sockdir}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            "logging_collector": "off",
        }
        with open(self.datadir / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("\n# nianbao tests\n")
            fh.writelines(f"{k} = {v}\n" for k, v in settings.items())

    def _pg_ctl_start(self) -> None:
        # The port goes on the command line (a plain integer, no quoting), so a retry on another
        # port needs no rewrite of postgresql.conf. pg_ctl -w waits until the server accepts
        # connections (or has died), which is the readiness check.
        self._run([self._bin("pg_ctl"), "start", "-D", str(self.datadir), "-l", str(self.logfile),
                   "-w", "-t", str(int(self.start_timeout)), "-o", f"-p {self.port}"],
                  timeout=self.start_timeout + 30)

    def _wait_ready(self) -> None:
        """Confirm over TCP as the test process sees it (pg_ctl checked via its own socket)."""
        import psycopg

        deadline = time.monotonic() + self.start_timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with self._admin() as conn:
                    conn.execute("select 1")
                return
            except psycopg.OperationalError as err:  # while the server comes up
                last = err
                time.sleep(0.05)
        raise PostgresStartError(f"server on {HOST}:{self.port} not reachable: {last}\n"
                                 f"--- server log tail ({self.logfile}) ---\n{self._log_tail()}")

    def _log_tail(self, lines: int = 40) -> str:
        try:
            text = self.logfile.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log file)"
        return "\n".join(text.splitlines()[-lines:])

    def _kill_leftover_postmaster(self) -> None:
        """If pg_ctl could not stop it, kill the postmaster we started (pid from its pid file)."""
        try:
            pid = int((self.datadir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return
        try:
            os.kill(pid, 0)
        except OSError:
            return
        try:
            # Only our own server: the pid file lives in our private data directory.
            os.kill(pid, signal.SIGQUIT)
            for _ in range(100):
                time.sleep(0.05)
                os.kill(pid, 0)
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
