"""A real PostgreSQL server for the tests: ``initdb`` on a temporary data directory, ``postgres`` on a free loopback
port, run as the unprivileged ``postgres`` user when the tests run as root (Debian's ``postgresql`` package, which
`make postgres` installs). With ``STORYLINE_TEST_PG`` set to a URL (a role allowed to CREATE DATABASE), that server
is used instead and nothing is started.

Fixtures: ``pg_server`` (session) and ``pg_url`` (a fresh, empty database per test, dropped after it).
Without PostgreSQL binaries the tests that need them skip locally, and fail under CI (``CI`` set), so a CI machine
that lacks the server cannot pass by skipping.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest


START_TIMEOUT_S = 30.0
_names = itertools.count()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bindir() -> Path | None:
    """The directory with ``initdb`` and ``postgres``: Debian's newest /usr/lib/postgresql/<ver>/bin, else PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    exe = shutil.which("postgres") or shutil.which("initdb")
    return Path(exe).resolve().parent if exe else None


class LocalPostgres:
    """A throwaway PostgreSQL cluster: ``start()`` runs initdb and postgres, ``stop()`` shuts it down fast and
    removes its data directory."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="storyline-pg-"))
        self.data = self.root / "data"
        self.proc: subprocess.Popen | None = None
        self.started_in_s = 0.0
        self.user: str | None = None
        if os.geteuid() == 0:  # the server refuses to run as root: run it as Debian's `postgres` user
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("tests run as root and there is no `postgres` user to run the server as; "
                                   "install Debian's postgresql package (`make postgres`)") from None
            self.user = "postgres"
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self.log = self.root / "server.log"

    def _run_as(self) -> dict:
        return {"user": self.user, "group": self.user, "extra_groups": []} if self.user else {}

    def start(self) -> "LocalPostgres":
        t0 = time.monotonic()
        subprocess.run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", "storyline", "--auth=trust",
                        "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **self._run_as())
        log = open(self.log, "wb")
        try:
            self.proc = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.root),
                 "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=200"],
                stdout=log, stderr=subprocess.STDOUT, **self._run_as())
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        import psycopg

        while True:
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"PostgreSQL did not start on port {self.port}: "
                                       f"{self.log.read_text(errors='replace')[-2000:]}") from None
                time.sleep(0.05)
        self.started_in_s = time.monotonic() - t0
        return self

    def url(self, dbname: str) -> str:
        return f"postgresql://storyline@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: disconnect clients, no checkpoint wait
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)


class PgServer:
    """The server the tests use (local or ``STORYLINE_TEST_PG``): makes and drops databases on it."""

    def __init__(self, admin_url: str, local: LocalPostgres | None = None):
        self.admin_url = admin_url
        self.local = local

    def url(self, dbname: str) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path="/" + dbname))

    def create_database(self, template: str | None = None) -> str:
        """A new database (its name): empty, or a copy of the database ``template`` (which nobody may be
        connected to: PostgreSQL copies it file by file, much faster than ingesting again)."""
        import psycopg

        name = f"storyline_test_{os.getpid()}_{next(_names)}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
        return name

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A running PostgreSQL server for the whole test session (see the module's docstring)."""
    pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'storyline[postgres]'")
    external = os.environ.get("STORYLINE_TEST_PG")
    if external:
        yield PgServer(external)
        return
    bindir = postgres_bindir()
    if bindir is None:
        message = "PostgreSQL server binaries not found: run `make postgres` (Debian's postgresql package)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    local = LocalPostgres(bindir).start()
    try:
        yield PgServer(local.url("postgres"), local)
    finally:
        local.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """The URL of a fresh, empty database on the test server, dropped after the test."""
    name = pg_server.create_database()
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop_database(name)
