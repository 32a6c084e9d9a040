"""The data folder's own Prefect server, started on demand and reused by every later command.

Without an API URL, Prefect starts a temporary server inside each `reporting build` (8–18 s here, every
time) that runs none of the server's services and outlives a killed build. Instead, the first build
starts one real `prefect server` for the data folder, in a session of its own, and records it in
`<PREFECT_HOME>/server.json`; later builds, `make worker` and `make deploy` find it and reuse it (about a
second). Being a real server, it runs the repossessor service, which takes back the write slot of a
build that was killed: leases are kept on disk (`concurrency_leases/`) so a restarted server knows them.
`reporting server stop` (or `make server-stop`) stops it. Nothing here imports Prefect: reusing a
running server costs no import.

A new data folder's server starts on a copy of Prefect's database as Prefect's migrations leave it,
made once per installed Prefect version (`make venv`): running every migration again for each new
data folder took 3 s of CPU, most of a first build's wait here. The server still runs its migrations
on start (none is left to do), so a missing or older copy only costs that time again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from reporting import settings

START_SECONDS = 120.0
"""A first start (migrations on a new database) takes 15–20 s on a busy 2-core machine."""
STOP_SECONDS = 10.0
"""How long a server has to stop on SIGTERM before it is killed."""
DATABASE = "prefect.db"
"""Prefect's SQLite database in its home, unless a connection URL names another."""
OTHER_DATABASE = (
    "PREFECT_SERVER_DATABASE_CONNECTION_URL",
    "PREFECT_API_DATABASE_CONNECTION_URL",
    "PREFECT_SERVER_DATABASE_DRIVER",
    "PREFECT_API_DATABASE_DRIVER",
)
"""Settings that point the server at another database than the one in its home."""


class ServerError(RuntimeError):
    """The local server could not be started (its log's last lines say why)."""


@dataclass(frozen=True)
class LocalServer:
    pid: int
    api_url: str

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")


def _home() -> Path:
    settings.configure_prefect()
    return Path(os.environ["PREFECT_HOME"])


def _record_path() -> Path:
    return _home() / "server.json"


def log_path() -> Path:
    return _home() / "server.log"


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """The process runs (a zombie, exited but not yet reaped by its parent, does not)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped here when this process started it
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def recorded() -> LocalServer | None:
    """The server this data folder started, if its process still runs."""
    try:
        record = json.loads(_record_path().read_text())
        server = LocalServer(pid=int(record["pid"]), api_url=str(record["api_url"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return server if _alive(server.pid) else None


@contextlib.contextmanager
def _start_lock() -> Iterator[None]:
    """One start at a time per data folder: a second command waits, then finds the server running.
    The lock dies with its process (flock), so a killed start blocks nothing."""
    with (_home() / "server.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _log_reason() -> str:
    """Why the server stopped, from its log: the last exception line (`OSError: [Errno 28] No space
    left on device`), not the tail of a traceback."""
    try:
        lines = [line.strip() for line in log_path().read_text(errors="replace").splitlines() if line.strip()]
    except OSError as error:
        return f"its log cannot be read ({error.strerror})"
    reasons = [line for line in lines if re.match(r"^[\w.]*(Error|Exception|Exit)\b.*:", line)]
    return (reasons or lines or ["no log written (is the disk full?)"])[-1]


def database_template() -> Path:
    """Prefect's database as its migrations leave it, for the installed Prefect version."""
    return Path(sys.prefix) / "share" / "reporting" / f"prefect-{metadata.version('prefect')}.db"


def prepare_database_template() -> Path:
    """Make `database_template()` if missing, with Prefect's own `prefect server database upgrade` on
    an empty database (every migration, once per installed Prefect version: `make venv` calls this)."""
    template = database_template()
    if template.is_file():
        return template
    template.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=template.parent, prefix=".template-") as scratch:
        migrated = Path(scratch) / DATABASE
        env = {k: v for k, v in os.environ.items() if k not in OTHER_DATABASE}
        env |= {
            "PREFECT_HOME": scratch,
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{migrated}",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
        subprocess.run(
            [sys.executable, "-m", "prefect", "--no-prompt", "server", "database", "upgrade", "-y"],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=True,
        )
        copy = Path(scratch) / "copy.db"
        with (
            contextlib.closing(sqlite3.connect(migrated)) as source,
            contextlib.closing(sqlite3.connect(copy)) as target,
        ):
            source.backup(target)  # one file, whatever the write-ahead log still held
        os.replace(copy, template)
    return template


def _database_from_template() -> None:
    """A new data folder's Prefect database starts as the migrated template, when there is one and no
    setting names another database."""
    database = _home() / DATABASE
    if database.exists() or any(os.environ.get(k) for k in OTHER_DATABASE):
        return
    template = database_template()
    if not template.is_file():
        return
    partial = database.with_name(f".{DATABASE}.partial")
    shutil.copyfile(template, partial)
    os.replace(partial, database)


def start(port: int | None = None, say: Callable[[str], None] = print, wait: bool = True) -> LocalServer:
    """The running server of the data folder, or a new one on `port` (a free loopback port if None).

    With `wait=False` a new server is only launched: the caller does other work (a build imports its
    flow meanwhile, which takes seconds) and then calls `wait_until_healthy`."""
    with _start_lock():
        running = recorded()
        if running and healthy(running.api_url):
            return running
        if running:  # started but not (yet) answering: another command is starting it, or it hangs
            return wait_until_healthy(running, say) if wait else running
        port = port or int(os.environ.get("PREFECT_SERVER_PORT") or 0) or _free_port()
        api_url = f"http://127.0.0.1:{port}/api"
        if healthy(api_url):
            raise ServerError(
                f"port {port} already serves another Prefect server: set PREFECT_API_URL={api_url}"
            )
        say(f"starting the local Prefect server for {settings.data_dir()} on {api_url.removesuffix('/api')}")
        _database_from_template()
        with log_path().open("ab") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "prefect",
                    "server",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as one, untouched by Ctrl-C here
                env={**os.environ, "PREFECT_API_URL": api_url},
            )
        server = LocalServer(pid=process.pid, api_url=api_url)
        _record_path().write_text(json.dumps({"pid": server.pid, "api_url": api_url}))
        return wait_until_healthy(server, say) if wait else server


def wait_until_healthy(server: LocalServer, say: Callable[[str], None] = print) -> LocalServer:
    """`server` once it answers; if it exits or stays silent for START_SECONDS, an error saying why."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if healthy(server.api_url):
            return server
        if not _alive(server.pid):
            _record_path().unlink(missing_ok=True)
            raise ServerError(f"the local Prefect server exited: {_log_reason()} (log: {log_path()})")
        time.sleep(0.25)
    stop(say=say)
    raise ServerError(
        f"the local Prefect server did not answer within {START_SECONDS:.0f} s (log: {log_path()})"
    )


def stop(say: Callable[[str], None] = print) -> bool:
    """Stop the data folder's server (SIGTERM to its process group, SIGKILL after STOP_SECONDS).
    True if one was running."""
    server = recorded()
    _record_path().unlink(missing_ok=True)
    if server is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline and _alive(server.pid):
        time.sleep(0.1)
    if _alive(server.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
    say(f"stopped the local Prefect server (PID {server.pid}, {server.ui_url})")
    return True
