"""The data folder's own Prefect server: started on demand, reused, stopped within seconds, and a
server that was killed is replaced, not waited on."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reporting.orchestration import local_server
from reporting.orchestration.run_record import record_completed_run

pytestmark = pytest.mark.slow


@pytest.fixture
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for key in [k for k in os.environ if k.startswith("PREFECT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("REPORTING_DATA_DIR", str(tmp_path / "data"))
    yield tmp_path / "data"
    local_server.stop(say=lambda _: None)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as stat:  # a zombie (exited, not yet reaped) is gone too
        return stat.read().rsplit(")", 1)[1].split()[0] == "Z"


def test_started_once_reused_then_stopped_within_seconds(data_folder: Path) -> None:
    said: list[str] = []
    first = local_server.start(say=said.append)
    assert local_server.healthy(first.api_url) and said and "starting" in said[0]
    assert local_server.start(say=said.append) == first and len(said) == 1  # reused, nothing started
    assert (data_folder / "prefect" / "server.json").is_file()

    stopped_at = time.monotonic()
    assert local_server.stop(say=said.append)
    assert time.monotonic() - stopped_at < 11
    assert _gone(first.pid) and not local_server.healthy(first.api_url)
    assert local_server.recorded() is None and not local_server.stop(say=said.append)


def test_a_killed_server_is_replaced_by_the_next_command(data_folder: Path) -> None:
    killed = local_server.start(say=lambda _: None)
    os.killpg(killed.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not _gone(killed.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert local_server.recorded() is None or _gone(killed.pid)
    replacement = local_server.start(say=lambda _: None)
    assert replacement.pid != killed.pid and local_server.healthy(replacement.api_url)


def _revision(database: Path) -> str:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return str(connection.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def test_a_new_data_folder_starts_on_prefects_migrated_database(
    data_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = tmp_path / "share" / "prefect.db"
    monkeypatch.setattr(local_server, "database_template", lambda: template)
    assert local_server.prepare_database_template() == template and _revision(template)
    made = template.stat().st_mtime_ns
    assert local_server.prepare_database_template() == template and template.stat().st_mtime_ns == made

    server = local_server.start(say=lambda _: None)
    assert _revision(data_folder / "prefect" / "prefect.db") == _revision(template)
    assert record_completed_run(server.api_url, "biennial-report", "a-run", {}, "recorded")  # a full schema
    assert template.stat().st_mtime_ns == made  # the server writes to its copy, never to the template


def test_without_a_template_the_server_migrates_a_new_database(
    data_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_server, "database_template", lambda: tmp_path / "none.db")
    server = local_server.start(say=lambda _: None)
    assert record_completed_run(server.api_url, "biennial-report", "a-run", {}, "recorded")
    assert _revision(data_folder / "prefect" / "prefect.db")


def test_the_template_is_not_copied_where_another_database_is_configured(
    data_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = tmp_path / "template.db"
    template.write_bytes(b"a migrated database")
    monkeypatch.setattr(local_server, "database_template", lambda: template)
    monkeypatch.setenv("PREFECT_API_DATABASE_CONNECTION_URL", "postgresql+asyncpg://prefect@db/prefect")
    local_server._database_from_template()
    assert not (data_folder / "prefect" / "prefect.db").exists()

    monkeypatch.delenv("PREFECT_API_DATABASE_CONNECTION_URL")
    local_server._database_from_template()
    database = data_folder / "prefect" / "prefect.db"
    assert database.read_bytes() == b"a migrated database"
    database.write_bytes(b"the folder's own")  # an existing database is never replaced
    local_server._database_from_template()
    assert database.read_bytes() == b"the folder's own"


def test_a_first_build_starts_the_server_before_prefect_is_imported(data_folder: Path) -> None:
    """The server's start (about 4 s) overlaps Prefect's import (about 1 s) and the flow module's."""
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom reporting import cli, settings\nsettings.configure_prefect()\n"
            "cli._prefect_api()\nprint('prefect' in sys.modules)",
        ],
        cwd=data_folder.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert started.stdout.split()[-1] == "False", started.stdout + started.stderr
    assert local_server.recorded() is not None  # launched; stopped by the fixture
