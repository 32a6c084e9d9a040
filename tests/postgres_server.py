"""A throwaway PostgreSQL server from the Debian binaries (`make system-deps` installs them): a cluster in
a temporary folder, on a free loopback port, trusted logins, no fsync. tests/test_postgres.py stores in
it; `make soak` (benchmarks/soak.py) runs a Prefect server and the report's store on it and restarts it
under load."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text


class PostgresUnavailable(RuntimeError):
    """No server can be started here: the reason (binaries or the `postgres` user missing)."""


def postgres_binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise PostgresUnavailable(
            "PostgreSQL server binaries not found under /usr/lib/postgresql (make system-deps)"
        )
    return Path(found[-1]).parent


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


PORT_TRIES = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresServer:
    """One cluster: `url` is its server's address without a database (postgresql+psycopg://…)."""

    def __init__(self, base: Path) -> None:
        binaries = postgres_binaries()
        as_root = os.geteuid() == 0
        if as_root and not _has_user("postgres"):
            raise PostgresUnavailable(
                "running as root and no 'postgres' user to run initdb as (the postgresql package makes it)"
            )
        self.base = base
        self.port = free_port()
        self.log = base / "server.log"
        self._as_owner = ["runuser", "-u", "postgres", "--"] if as_root else []  # initdb refuses root
        self._initdb = [*self._as_owner, str(binaries / "initdb"), "-D", str(base / "data")]
        self._pg_ctl = [*self._as_owner, str(binaries / "pg_ctl"), "-D", str(base / "data")]
        if as_root:
            shutil.chown(base, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def _run(self, command: list[str]) -> None:
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=120)
        except subprocess.CalledProcessError as exc:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{Path(command[len(self._as_owner)]).name} failed: {log or exc.stderr!r}"
            ) from exc

    def create(self) -> None:
        self._run([*self._initdb, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])

    def start_on_a_free_port(self) -> None:
        """The first start: on another free port if `port` was taken between being found free and being
        bound (a restart keeps its port: its clients know it)."""
        for attempt in range(PORT_TRIES):
            try:
                self.start()
                return
            except RuntimeError as refused:
                if "Address already in use" not in str(refused) or attempt == PORT_TRIES - 1:
                    raise
                self.port = free_port()

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base}"
        options += " -c fsync=off -c full_page_writes=off"  # throwaway: no crash of the machine to survive
        self._run([*self._pg_ctl, "-o", options, "-l", str(self.log), "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        """`fast` disconnects every client first; `immediate` is a crash (recovery on the next start)."""
        subprocess.run(
            [*self._pg_ctl, "-m", mode, "-w", "stop"], check=False, capture_output=True, timeout=120
        )

    def restart(self) -> None:
        self.stop()
        self.start()

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        admin = create_engine(f"{self.url}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        return f"{self.url}/{name}"


@contextmanager
def throwaway_postgres() -> Iterator[PostgresServer]:
    """A started server, stopped and its folder removed at the end (raises PostgresUnavailable)."""
    base = Path(tempfile.mkdtemp(prefix="reporting-pg-"))
    try:
        server = PostgresServer(base)
        server.create()
        server.start_on_a_free_port()
        try:
            yield server
        finally:
            server.stop("immediate")
    finally:
        shutil.rmtree(base, ignore_errors=True)
