"""The store on a real PostgreSQL server (DATABASE_URL=postgresql+psycopg://...): the same scenarios as
tests/test_storage.py. The server is a throwaway one started once per test session from the Debian
binaries (`make system-deps` installs them), on a free loopback port, and stopped at the end."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from reporting.store.database import upgraded_engine
from tests.test_review import (
    check_audit_is_append_only,
    check_full_cycle,
    check_new_version_of_an_approved_result,
    check_refusals,
)
from tests.test_storage import (
    check_corrected_file_supersedes,
    check_failed_file_leaves_store_as_before,
    check_migrated_schema_matches_models,
    check_processes_starting_together_on_a_new_database,
    check_reingest_changes_nothing,
)


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL cluster in a temporary folder; yields the URL of its server (no database name)."""
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries not found under /usr/lib/postgresql (make system-deps)")
    if os.geteuid() == 0 and not _has_user("postgres"):
        pytest.skip(
            "running as root and no 'postgres' user to run initdb as (the postgresql package makes it)"
        )
    base = Path(tempfile.mkdtemp(prefix="reporting-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(base, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = base / "data"
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off -c full_page_writes=off"
    pg_ctl = [*as_owner, str(binaries / "pg_ctl"), "-D", str(data)]
    initdb = [*as_owner, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
    start = [*pg_ctl, "-o", options, "-l", str(base / "server.log"), "-w", "-t", "60", "start"]
    try:
        subprocess.run([*initdb, "-E", "UTF8", "--locale=C", "--no-sync"], check=True, capture_output=True)
        subprocess.run(start, check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:
        log = base / "server.log"
        detail = log.read_text() if log.exists() else exc.stderr.decode(errors="replace")
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {detail}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


_numbers = itertools.count(1)


@pytest.fixture
def empty_database(postgres_server: str) -> Iterator[str]:
    """The URL of a new, empty database (dropped after the test, whoever is still connected)."""
    name = f"reporting_test_{next(_numbers)}"
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield f"{postgres_server}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def engine(empty_database: str) -> Iterator[Engine]:
    """A new database for each test, migrated by `upgraded_engine` as the pipeline does it."""
    engine = upgraded_engine(empty_database)
    yield engine
    engine.dispose()


def test_postgres_migrated_schema_matches_models(engine: Engine) -> None:
    assert engine.dialect.name == "postgresql"
    check_migrated_schema_matches_models(engine)


def test_postgres_reingesting_the_sample_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    check_reingest_changes_nothing(engine, tmp_path)


def test_postgres_a_corrected_file_supersedes(engine: Engine, tmp_path: Path) -> None:
    check_corrected_file_supersedes(engine, tmp_path)


def test_postgres_a_file_failing_half_way_leaves_the_store_as_before(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_failed_file_leaves_store_as_before(engine, tmp_path, monkeypatch)


def test_postgres_processes_starting_together_on_a_new_database(empty_database: str, tmp_path: Path) -> None:
    check_processes_starting_together_on_a_new_database(empty_database, tmp_path / "signals")


def test_database_url_selects_postgres(postgres_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from reporting import settings

    monkeypatch.setenv("DATABASE_URL", f"{postgres_server}/postgres")
    engine = upgraded_engine(settings.database_url())
    with engine.connect() as conn:
        assert conn.execute(text("select current_setting('server_version_num')::int")).scalar_one() > 100000
        assert conn.execute(text("select version_num from alembic_version")).scalar_one() == "0004"
    engine.dispose()


def test_postgres_review_full_cycle(engine: Engine, tmp_path: Path) -> None:
    check_full_cycle(engine, tmp_path)


def test_postgres_review_refusals(engine: Engine, tmp_path: Path) -> None:
    check_refusals(engine, tmp_path)


def test_postgres_review_new_version_of_an_approved_result(engine: Engine, tmp_path: Path) -> None:
    check_new_version_of_an_approved_result(engine, tmp_path)


def test_postgres_audit_is_append_only(engine: Engine, tmp_path: Path) -> None:
    check_audit_is_append_only(engine, tmp_path)
