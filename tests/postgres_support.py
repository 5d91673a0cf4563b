"""A throwaway PostgreSQL server for the tests: ``initdb`` into a temporary folder, a
free loopback port, stopped and deleted at the end.

PostgreSQL refuses to run as root, so when the tests run as root (CI) the server runs
as the ``postgres`` user (Debian's package creates it); otherwise as the current user.
The binaries are Debian's (``/usr/lib/postgresql/<version>/bin``, installed by
``tools/install_system_packages.sh``) or whatever ``initdb`` is on PATH.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def pg_bindir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """``with PostgresServer() as pg: pg.new_database("x")`` gives a SQLAlchemy URL."""

    def __init__(self, start_timeout: float = 60.0, durable: bool = False):
        self.bindir = pg_bindir()
        self.durable = durable  # fsync and synchronous commits on, as a real server runs
        self.start_timeout = start_timeout
        self.port = free_port()
        self.folder: Path | None = None
        self.running = False
        self._as: list[str] = []

    # -- as which user --------------------------------------------------------------

    def _runas(self) -> list[str]:
        if os.getuid() != 0:
            return []
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root and there is no `postgres` user") from None
        runuser = shutil.which("runuser")
        if runuser:
            return [runuser, "-u", "postgres", "--"]
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]

    def _run(self, *cmd: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self._as, *cmd],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            cwd=self.folder,
        )

    # -- life cycle ------------------------------------------------------------------

    def start(self) -> PostgresServer:
        if self.bindir is None:
            raise RuntimeError(
                "PostgreSQL is not installed (bash tools/install_system_packages.sh)"
            )
        self._as = self._runas()
        self.folder = Path(tempfile.mkdtemp(prefix="cnnbook-pg-"))
        if self._as:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        data = self.folder / "data"
        r = self._run(
            str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--no-sync",
        )  # fmt: skip
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{r.stdout}\n{r.stderr}")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c max_connections=200 -c shared_buffers=32MB"
        )
        if not self.durable:  # a throwaway server need not survive a power cut
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        r = self._run(
            str(self.bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
            str(self.folder / "server.log"), "-w", "-t", str(int(self.start_timeout)), "start",
            timeout=self.start_timeout + 10,
        )  # fmt: skip
        if r.returncode != 0:
            log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"pg_ctl start failed:\n{r.stdout}\n{r.stderr}\n{log}")
        self.running = True
        return self

    def stop(self) -> None:
        if self.folder is None:
            return
        if self.running:
            self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"),
                "-m", "immediate", "-w", "-t", "30", "stop",
            )  # fmt: skip
            self.running = False
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        """A plain ``postgresql://`` URL, as an instructor writes it."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self, name: str) -> str:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url(), autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        return self.url(name)
