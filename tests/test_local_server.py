"""The data folder's own Prefect server: started with Prefect's lifecycle on a port it finds, reused,
listed, stopped; replaced when killed; stopped by its watchdog when its data folder is deleted or when it
is not used; and a server that cannot start says why."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from reporting.cli import app
from reporting.orchestration import local_server

pytestmark = pytest.mark.slow


@pytest.fixture
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data folder and a registry of servers of its own; whatever server is left is stopped."""
    for key in [k for k in os.environ if k.startswith("PREFECT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("REPORTING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.delenv("REPORTING_SERVER_IDLE_HOURS", raising=False)
    yield tmp_path / "data"
    local_server.stop(say=lambda _: None)


def _wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds:.0f} s: {what}"
        time.sleep(0.25)


def _revision(database: Path) -> str:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return str(connection.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def test_started_on_a_free_port_reused_listed_then_stopped(data_folder: Path) -> None:
    """Asked for a taken port, it says so and runs on another; a new data folder's database starts as
    Prefect's migrated template (`make venv` made it; made once), which the server never writes to."""
    template = local_server.prepare_database_template()
    made = template.stat().st_mtime_ns
    assert local_server.prepare_database_template() == template and template.stat().st_mtime_ns == made

    said: list[str] = []
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = local_server.start(port=port, say=said.append)
    assert said[-1] == f"using the local Prefect server {server.ui_url} (port {port} was taken)"
    assert local_server.healthy(server.api_url) and not server.api_url.endswith(f":{port}/api")
    ui_settings = httpx.get(f"{server.ui_url}/ui-settings", timeout=10).json()
    assert ui_settings["api_url"] == server.api_url  # its UI asks this server, not 4200's
    assert (data_folder / "prefect" / "server.pid").read_text() == str(server.pid)  # Prefect's own record
    assert _revision(data_folder / "prefect" / "prefect.db") == _revision(template)
    assert httpx.post(f"{server.api_url}/flows/", json={"name": "a-flow"}, timeout=10).is_success
    assert template.stat().st_mtime_ns == made

    assert local_server.start(say=said.append) == server  # reused: nothing started, nothing said
    assert local_server.servers() == [local_server.Listed(data_folder, server, answering=True)]
    status = CliRunner().invoke(app, ["server", "status"])
    assert f"{server.ui_url}  PID {server.pid}  {data_folder}" in status.output

    assert local_server.stop(say=said.append)
    assert not local_server.running(server.pid) and not local_server.healthy(server.api_url)
    assert local_server.servers() == [] and not local_server.stop(say=said.append)
    assert not (data_folder / "prefect" / "server.pid").exists()


def test_a_killed_server_is_replaced_and_a_deleted_data_folder_stops_its_server(
    data_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a template the server migrates its new database itself. Killed, it leaves Prefect's
    PID file behind: the next command starts another server all the same. A script that deletes its
    temporary data folder leaves no server behind."""
    monkeypatch.setattr(local_server, "database_template", lambda: tmp_path / "none.db")
    killed = local_server.start(say=lambda _: None)
    assert _revision(data_folder / "prefect" / "prefect.db")
    os.kill(killed.pid, signal.SIGKILL)
    _wait_for(lambda: not local_server.running(killed.pid), 30, "the killed server gone")
    assert local_server.recorded() is None

    replacement = local_server.start(say=lambda _: None)
    assert replacement.pid != killed.pid and local_server.healthy(replacement.api_url)
    assert [listed.server for listed in local_server.servers()] == [replacement]  # the killed one dropped

    shutil.rmtree(data_folder)
    _wait_for(lambda: not local_server.running(replacement.pid), 30, "the server stopped by its watchdog")
    _wait_for(lambda: local_server.servers() == [], 30, "the registry entry dropped")


def test_a_server_not_used_stops_by_itself(data_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTING_SERVER_IDLE_HOURS", "0.001")  # 3.6 s
    launched = local_server.launch()
    assert isinstance(launched, local_server.Starting)
    launched.process.wait(timeout=180)  # the watchdog ends with its server
    log = local_server.log_path().read_text()
    assert "stopped: not used for 0:00:03.600000" in log, log[-3000:]
    assert local_server.servers() == [] and not (data_folder / "prefect" / "server.pid").exists()


def test_a_server_that_exits_while_starting_says_why(
    data_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reason from its log (the exception line), not Prefect's banner."""
    missing = tmp_path / "no-such-folder" / "prefect.db"
    monkeypatch.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", f"sqlite+aiosqlite:///{missing}")
    with pytest.raises(local_server.ServerError, match=r"exited: .*unable to open database file"):
        local_server.start(say=lambda _: None)


def test_a_first_build_starts_the_server_before_prefect_is_imported(data_folder: Path) -> None:
    """The server's start overlaps Prefect's import (about 1 s) and the flow module's."""
    launched = subprocess.run(
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
    assert launched.stdout.split()[-1] == "False", launched.stdout + launched.stderr
    server = local_server.start(say=lambda _: None)  # the one it launched, once it answers
    assert local_server.healthy(server.api_url)


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


def test_prefects_own_commands_get_the_projects_settings_without_telemetry(data_folder: Path) -> None:
    exported = CliRunner().invoke(app, ["server", "env", "--settings-only"]).output
    assert "export DO_NOT_TRACK=1\n" in exported
    assert "export PREFECT_SERVER_ANALYTICS_ENABLED=false\n" in exported
    assert f"export PREFECT_HOME={data_folder / 'prefect'}\n" in exported
    assert "PREFECT_API_URL" not in exported
