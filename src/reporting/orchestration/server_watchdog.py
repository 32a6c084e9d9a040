"""The watchdog of a data folder's Prefect server: starts it (`local_server.serve`), then stops it when
the data folder is deleted (within seconds) or after `REPORTING_SERVER_IDLE_HOURS` without use, so that
a script building in temporary folders leaves no server behind and a forgotten one does not run for
ever. It reads only the server's REST API (no Prefect import: a few MB instead of a hundred).

In use means: a worker is online (it waits for scheduled runs), a flow run is under way or paused (a
sign-off may wait for weeks), or a flow run ended within the idle period. Looking at the UI alone
does not count.

`python -m reporting.orchestration.server_watchdog PORT` (0: a free port), as `local_server.launch`
starts it, in the data folder's environment; its output goes to the server's log."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reporting import settings
from reporting.orchestration import local_server

UNDER_WAY = ["PENDING", "RUNNING", "PAUSED", "CANCELLING"]
"""Flow run states that keep a server in use however long they last."""


def _post(api_url: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"{api_url}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def last_use(api_url: str) -> datetime:
    """When the server was last in use: now while a worker is online or a run is under way, else the
    end of the latest flow run (the epoch if none). Now too when the server cannot say (it is busy)."""
    now = datetime.now(UTC)
    try:
        for pool in _post(api_url, "/work_pools/filter", {}):
            online = {"workers": {"status": {"any_": ["ONLINE"]}}, "limit": 1}
            if _post(api_url, f"/work_pools/{quote(pool['name'])}/workers/filter", online):
                return now
        under_way = {"flow_runs": {"state": {"type": {"any_": UNDER_WAY}}}, "limit": 1}
        if _post(api_url, "/flow_runs/filter", under_way):
            return now
        latest = _post(api_url, "/flow_runs/filter", {"sort": "END_TIME_DESC", "limit": 1})
    except (OSError, ValueError):
        return now
    ended = latest[0]["end_time"] if latest else None
    return datetime.fromisoformat(ended) if ended else datetime.fromtimestamp(0, UTC)


def watch(server: local_server.LocalServer, data_dir: Path, idle: timedelta | None) -> str:
    """Wait until the server should stop, stop it, and say why."""
    used = datetime.now(UTC)
    check_every = min(60.0, idle.total_seconds() / 2) if idle else 0.0
    next_check = time.monotonic() + check_every
    while local_server.running(server.pid):
        if not data_dir.exists():  # Prefect's PID file went with it: stopped by the PID it named
            with contextlib.suppress(ProcessLookupError):
                os.kill(server.pid, signal.SIGTERM)
            return f"its data folder {data_dir} was deleted"
        if idle and time.monotonic() >= next_check:
            used = max(used, last_use(server.api_url))
            if datetime.now(UTC) - used > idle:
                local_server.stop(say=print)
                return f"not used for {idle}"
            next_check = time.monotonic() + check_every
        time.sleep(1)
    return "it exited"


def main(port: int) -> int:
    data_dir, hours = settings.data_dir(), settings.current().server_idle_hours
    server = local_server.serve(port or None)
    if server is None:  # another command's watchdog starts this data folder's server
        return 0
    why = watch(server, data_dir, timedelta(hours=hours) if hours else None)
    local_server.wait_until_stopped(server)
    local_server.unregister(data_dir, server)
    if data_dir.exists():
        local_server.clear_stale_pid_file()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} the Prefect server (PID {server.pid}) stopped: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
