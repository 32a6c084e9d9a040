"""The store on a real PostgreSQL server (DATABASE_URL=postgresql+psycopg://...): the same scenarios as
tests/test_storage.py. The server is a throwaway one started once per test session from the Debian
binaries (`make system-deps` installs them), on a free loopback port, and stopped at the end."""

from __future__ import annotations

import itertools
import socket
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from reporting.review.results import Decision, decide
from reporting.review.trail import verify_trail
from reporting.store.database import engine_for, upgraded_engine
from reporting.store.review import Entry, record
from tests import postgres_server as throwaway
from tests.postgres_server import PostgresServer, PostgresUnavailable, postgres_binaries, throwaway_postgres
from tests.test_audit_verify import SCENARIOS
from tests.test_review import (
    check_audit_is_append_only,
    check_full_cycle,
    check_new_version_of_an_approved_result,
    check_refusals,
    received,
)
from tests.test_storage import (
    check_corrected_file_supersedes,
    check_failed_file_leaves_store_as_before,
    check_migrated_schema_matches_models,
    check_processes_starting_together_on_a_new_database,
    check_reingest_changes_nothing,
)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster in a temporary folder."""
    try:
        with throwaway_postgres() as server:
            yield server
    except PostgresUnavailable as reason:
        pytest.skip(str(reason))


@pytest.fixture(scope="session")
def postgres_server(postgres_cluster: PostgresServer) -> str:
    """The URL of the cluster's server (no database name)."""
    return postgres_cluster.url


_numbers = itertools.count(1)


@pytest.fixture
def empty_database(postgres_server: str) -> Iterator[str]:
    """The URL of a new, empty database (dropped after the test, whoever is still connected)."""
    name = f"reporting_test_{next(_numbers)}"
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT", pool_pre_ping=True)
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


def test_postgres_a_restarted_server_is_connected_to_again(
    postgres_cluster: PostgresServer, engine: Engine
) -> None:
    """A restart of PostgreSQL ends the connections an engine keeps in its pool: make soak saw builds fail
    on their next query ("terminating connection due to administrator command"). The store's engine
    checks a pooled connection before handing it out, and connects again."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    postgres_cluster.restart()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1


@pytest.mark.usefixtures("postgres_cluster")  # skipped where it is (no PostgreSQL binaries)
def test_a_port_taken_after_it_was_found_free_is_left_for_another(monkeypatch: pytest.MonkeyPatch) -> None:
    """A free port is free only when it is found: another process may bind it before the server does.
    The first start then takes another free port instead of failing."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = iter([port])
        found_free = throwaway.free_port
        monkeypatch.setattr(throwaway, "free_port", lambda: next(ports, None) or found_free())
        with throwaway_postgres() as server:
            assert server.port != port
            engine = create_engine(f"{server.url}/postgres")
            with engine.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar() == 1
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
        assert conn.execute(text("select version_num from alembic_version")).scalar_one() == "0006"
    engine.dispose()


def test_postgres_review_full_cycle(engine: Engine, tmp_path: Path) -> None:
    check_full_cycle(engine, tmp_path)


def test_postgres_review_refusals(engine: Engine, tmp_path: Path) -> None:
    check_refusals(engine, tmp_path)


def test_postgres_review_new_version_of_an_approved_result(engine: Engine, tmp_path: Path) -> None:
    check_new_version_of_an_approved_result(engine, tmp_path)


def test_postgres_audit_is_append_only(engine: Engine, tmp_path: Path) -> None:
    check_audit_is_append_only(engine, tmp_path)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__.removeprefix("check_"))
def test_postgres_audit_verify(scenario: Any, engine: Engine, tmp_path: Path) -> None:
    scenario(engine, tmp_path)


def test_postgres_refuses_to_truncate_the_audit_trail(engine: Engine, tmp_path: Path) -> None:
    received(engine, tmp_path)
    with pytest.raises(DBAPIError, match="audit entries are never changed or removed"), engine.begin() as c:
        c.execute(text("TRUNCATE audit_entry"))


def test_postgres_the_application_role_cannot_touch_the_trail(
    postgres_server: str, empty_database: str, tmp_path: Path
) -> None:
    """README: the owner migrates and grants (scripts/postgres-app-role.sql); the application's role
    reviews, and cannot drop, disable or get round a trigger."""
    number = next(_numbers)
    owner, application = f"reporting_owner_{number}", f"reporting_app_{number}"
    database = empty_database.rsplit("/", 1)[1]
    admin = create_engine(empty_database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {owner} LOGIN"))
        conn.execute(text(f"CREATE ROLE {application} LOGIN"))
        conn.execute(text(f"ALTER DATABASE {database} OWNER TO {owner}"))
    admin.dispose()
    as_owner = empty_database.replace("//postgres@", f"//{owner}@")
    upgraded_engine(as_owner).dispose()  # the migrations, as the owner
    binaries = postgres_binaries()
    psql_url = as_owner.replace("postgresql+psycopg://", "postgresql://")
    script = Path(__file__).resolve().parents[1] / "scripts" / "postgres-app-role.sql"
    subprocess.run(
        [
            str(binaries / "psql"),
            psql_url,
            "-v",
            "ON_ERROR_STOP=1",
            "-v",
            f"app={application}",
            "-f",
            str(script),
        ],
        check=True,
        capture_output=True,
    )
    engine = engine_for(empty_database.replace("//postgres@", f"//{application}@"))
    received(engine, tmp_path)
    assert not decide(engine, "2014-15", [Decision("7.1", "TUN129", "approve", "Ana")]).refused
    for statement, refusal in [
        ("DROP TRIGGER audit_entry_append_only ON audit_entry", "must be owner"),
        ("ALTER TABLE audit_entry DISABLE TRIGGER USER", "must be owner"),
        ("TRUNCATE audit_entry", "permission denied"),
        ("DELETE FROM audit_entry", "permission denied"),
    ]:
        with pytest.raises(DBAPIError, match=refusal), engine.begin() as c:
            c.execute(text(statement))
    engine.dispose()


def test_postgres_writers_of_the_trail_take_turns(engine: Engine) -> None:
    """Four writers appending at once: every entry is kept and the chain does not fork."""

    def append(writer: int) -> None:
        for n in range(10):
            with engine.begin() as conn:
                record(conn, Entry(f"writer {writer}", "2014-15", "note", new_value=str(n)))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(append, range(4)))
    assert verify_trail(engine) == (40, [])
