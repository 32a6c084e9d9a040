"""The data folder's own Prefect server, started on demand, reused by every later command, stopped when
no longer used.

Without an API URL, Prefect starts a temporary server inside each `reporting build` (8–18 s here, every
time) that runs none of the server's services and outlives a killed build. Instead, the first build
starts one real server for the data folder with Prefect's own lifecycle: `prefect server start
--background` (which records its process in `<PREFECT_HOME>/server.pid` and refuses a second start for
the same home, so two commands never start two servers) and `prefect server stop`. Later builds,
`make worker` and `make deploy` find it and reuse it (about a second). Being a real server, it runs the
repossessor service, which takes back the write slot of a build that was killed.

The start is the work of a watchdog (`reporting.orchestration.server_watchdog`), a small process
started beside the server: it starts it on a free port, lists it in a per-user registry of the servers
started for data folders (`registry_dir()`, what `reporting server status` shows), and stops it when
its data folder is deleted or after `REPORTING_SERVER_IDLE_HOURS` without use. The command that
launched it only waits for the registry to name a server that answers. Nothing here imports Prefect:
reusing a running server costs no import, and a first build imports its flow while the server starts.
"""

from __future__ import annotations

import contextlib
import hashlib
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
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

from reporting import settings

START_SECONDS = 120.0
"""A first start (migrations on a new database) takes 15–40 s on a busy 2-core machine."""
STOP_SECONDS = 10.0
"""How long a server has to stop on `prefect server stop` (SIGTERM) before it is killed."""
PID_FILE = "server.pid"
"""Where `prefect server start --background` records its server's process, in PREFECT_HOME."""
LOGGING = Path(__file__).with_name("server_logging.yml")
"""The server's logging settings: its warnings and errors into `server.log` (see the file)."""
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
    """The local server could not be started (its log's last exception line says why)."""


@dataclass(frozen=True)
class LocalServer:
    pid: int
    api_url: str

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")


@dataclass(frozen=True)
class Starting:
    """A server being started by the watchdog `process`, on `port` if it is free (else on a free one)."""

    process: subprocess.Popen[bytes]
    port: int | None


class Listed(NamedTuple):
    """A registry entry: the data folder, its server, and whether the server answers (else it starts)."""

    data_dir: Path
    server: LocalServer
    answering: bool


def _home() -> Path:
    settings.configure_prefect()
    return Path(os.environ["PREFECT_HOME"])


def log_path() -> Path:
    return _home() / "server.log"


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def running(pid: int) -> bool:
    """The process exists (the server's parent, Prefect's start command, is gone: init reaps it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process took the number
        return True
    return True


# --- the registry of started servers ------------------------------------------------------------


def registry_dir() -> Path:
    """One file per data folder whose server runs, in the user's runtime folder (emptied at boot)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    folder = (
        Path(runtime) / "reporting-servers"
        if runtime
        else Path(tempfile.gettempdir()) / (f"reporting-servers-{os.getuid()}")
    )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _entry_path(data_dir: Path) -> Path:
    return registry_dir() / f"{hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]}.json"


def _read_entry(path: Path) -> Listed | None:
    try:
        entry = json.loads(path.read_text())
        server = LocalServer(pid=int(entry["pid"]), api_url=str(entry["api_url"]))
        return Listed(Path(entry["data_dir"]), server, answering=False)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def register(data_dir: Path, server: LocalServer) -> None:
    entry = _entry_path(data_dir)
    partial = entry.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(json.dumps({"data_dir": str(data_dir), "pid": server.pid, "api_url": server.api_url}))
    os.replace(partial, entry)


def unregister(data_dir: Path, server: LocalServer) -> None:
    """Drop the data folder's entry if it still names `server` (a newer server keeps its own)."""
    entry = _entry_path(data_dir)
    listed = _read_entry(entry)
    if listed and listed.server == server:
        entry.unlink(missing_ok=True)


def server_for(data_dir: Path) -> LocalServer | None:
    """The server registered for `data_dir`, if its process still runs."""
    listed = _read_entry(_entry_path(data_dir))
    return listed.server if listed and running(listed.server.pid) else None


def recorded() -> LocalServer | None:
    """The server of this data folder, if one runs."""
    return server_for(settings.data_dir())


def servers() -> list[Listed]:
    """Every registered server whose process runs, each asked whether it answers; entries of servers
    that are gone are dropped."""
    found = []
    for path in sorted(registry_dir().glob("*.json")):
        listed = _read_entry(path)
        if listed is None or not running(listed.server.pid):
            path.unlink(missing_ok=True)
            continue
        found.append(listed._replace(answering=healthy(listed.server.api_url)))
    return found


# --- starting and stopping -----------------------------------------------------------------------


def _free_port() -> int:
    """A port free now: Prefect checks it again before starting, and another one is tried if taken."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _prefect(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A Prefect command, by default in the project's Prefect settings (the data folder's home)."""
    if env is None:
        settings.configure_prefect()
    return subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", *arguments],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )


def _pid_file() -> Path:
    return _home() / PID_FILE


def clear_stale_pid_file() -> None:
    """Remove Prefect's PID file when its process is gone (a server killed with SIGKILL, a reboot), as
    `prefect server stop` would; an empty one is being written by a start under way."""
    pid_file = _pid_file()
    with contextlib.suppress(OSError, ValueError):
        if not running(int(pid_file.read_text())):
            pid_file.unlink()


def _log_reason() -> str:
    """Why the server stopped, from its log: the last exception line (`OSError: [Errno 28] No space
    left on device`), not the tail of a traceback nor Prefect's banner."""
    try:
        lines = [line.strip() for line in log_path().read_text(errors="replace").splitlines() if line.strip()]
    except OSError as error:
        return f"its log cannot be read ({error.strerror})"
    reasons = [line for line in lines if re.match(r"^[\w.]*(Error|Exception|Exit)\b.*:", line)]
    return (reasons or lines or ["no log written (is the disk full?)"])[-1]


def serve(port: int | None, say: Callable[[str], None] = print) -> LocalServer | None:
    """Start the data folder's server with `prefect server start --background` on `port`, or on a free
    port if it is taken (or None), and register it. None if another command is starting it (Prefect
    refused: its PID file exists). Run by the watchdog."""
    clear_stale_pid_file()
    env = {**os.environ, "PREFECT_LOGGING_SETTINGS_PATH": str(LOGGING)}
    for attempt in range(4):
        candidate = port if port and attempt == 0 else _free_port()
        api_url = f"http://127.0.0.1:{candidate}/api"
        started = _prefect(
            "server", "start", "--background", "--host", "127.0.0.1", "--port", str(candidate),
            env=env | {"PREFECT_API_URL": api_url},
        )  # fmt: skip
        if started.returncode == 0:
            server = LocalServer(pid=int(_pid_file().read_text()), api_url=api_url)
            register(settings.data_dir(), server)
            say(f"started the Prefect server for {settings.data_dir()} on {server.ui_url} (PID {server.pid})")
            return server
        if _pid_file().exists():
            return None
        refused = " ".join((started.stdout + started.stderr).split())  # "Port 4200 is already in use. …"
        say(refused)
    raise ServerError(f"the local Prefect server could not start: {refused[-300:]}")


def launch(port: int | None = None) -> LocalServer | Starting:
    """The running server of the data folder, or a watchdog started to start one (on `port` if free):
    `wait_until_healthy` waits for it. The caller may do other work meanwhile."""
    server = recorded()
    if server is not None:
        return server
    _database_from_template()
    with log_path().open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reporting.orchestration.server_watchdog", str(port or 0)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # untouched by a Ctrl-C of the command that launched it
        )
    return Starting(process, port)


def wait_until_healthy(launched: LocalServer | Starting, say: Callable[[str], None] = print) -> LocalServer:
    """The server once it answers; if it exits, or nothing answers within START_SECONDS, an error
    saying why (the reason from its log)."""
    if isinstance(launched, Starting):
        say(f"starting the local Prefect server for {settings.data_dir()} …")
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        server = launched if isinstance(launched, LocalServer) else recorded()
        if server and healthy(server.api_url):
            if isinstance(launched, Starting):
                moved = launched.port and not server.api_url.endswith(f":{launched.port}/api")
                taken = f" (port {launched.port} was taken)" if moved else ""
                say(f"using the local Prefect server {server.ui_url}{taken}")
            return server
        exited = server is not None and not running(server.pid)
        if isinstance(launched, Starting) and server is None:  # not registered (yet)
            exited = launched.process.poll() is not None and not _pid_file().exists()
        if exited:
            raise ServerError(f"the local Prefect server exited: {_log_reason()} (log: {log_path()})")
        time.sleep(0.25)
    stop(say=say)
    raise ServerError(
        f"the local Prefect server did not answer within {START_SECONDS:.0f} s (log: {log_path()})"
    )


def start(port: int | None = None, say: Callable[[str], None] = print) -> LocalServer:
    """The running server of the data folder, or a new one on `port` (a free one if taken or None)."""
    return wait_until_healthy(launch(port), say)


def wait_until_stopped(server: LocalServer) -> None:
    """Wait for a server that was told to stop (SIGTERM); killed if still running after STOP_SECONDS."""
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline and running(server.pid):
        time.sleep(0.1)
    if running(server.pid):
        os.kill(server.pid, signal.SIGKILL)


def stop(say: Callable[[str], None] = print) -> bool:
    """Stop the data folder's server with `prefect server stop` (killed after STOP_SECONDS). True if
    one was running."""
    server = recorded()
    if server is None:
        clear_stale_pid_file()
        return False
    _prefect("server", "stop")
    wait_until_stopped(server)
    unregister(settings.data_dir(), server)
    say(f"stopped the local Prefect server (PID {server.pid}, {server.ui_url})")
    return True


# --- the migrated database ------------------------------------------------------------------------


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
        _prefect("server", "database", "upgrade", "-y", env=env).check_returncode()
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
    setting names another database: `prefect server start --background` to healthy took 32.0–32.8 s
    with the copy against 38.5–46.0 s without (3 rounds each, alternated, load 8–10, December 2026);
    the server still runs its migrations on start (none is left to do)."""
    database = _home() / DATABASE
    if database.exists() or any(os.environ.get(k) for k in OTHER_DATABASE):
        return
    template = database_template()
    if not template.is_file():
        return
    partial = database.with_name(f".{DATABASE}.partial")
    shutil.copyfile(template, partial)
    os.replace(partial, database)
