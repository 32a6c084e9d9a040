"""Where the pipeline keeps its state: one data folder, overridable by environment variables."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The project's data folder (database, archive, Prefect home); `REPORTING_DATA_DIR` moves it."""
    return Path(os.environ.get("REPORTING_DATA_DIR", Path.cwd() / "data")).resolve()


def database_url() -> str:
    """SQLite in the data folder unless `DATABASE_URL` names another database (e.g. PostgreSQL)."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir() / 'reporting.db'}"


def archive_dir() -> Path:
    return data_dir() / "archive"


def configure_prefect() -> None:
    """Keep Prefect local and quiet: its home inside the data folder, no telemetry, patient start-up.

    Called before Prefect is imported; values already set by the operator win.
    """
    defaults = {
        "PREFECT_HOME": str(data_dir() / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        # Task results persisted (cached ingest/validation survive the process) in the data folder.
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_LOCAL_STORAGE_PATH": str(data_dir() / "prefect" / "storage"),
        # A server keeps concurrency leases on disk and takes back expired ones every few seconds: the
        # write slot of a killed build is free again once its lease (flows: WRITE_LEASE_SECONDS) ends.
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect.server.concurrency.lease_storage.filesystem",
        "PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS": "5",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
