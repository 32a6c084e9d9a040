"""The settings read from the environment, in one typed place, and Prefect's defaults for the project.

Every setting is read when it is asked for, never frozen at import: the CLI, a worker and the tests set
variables after the modules are loaded. An empty variable counts as unset. The README's "Settings"
table lists them all."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from reporting.resources import examples_dir


class Settings(BaseSettings):
    """The project's own environment variables (`REPORTING_…`, and `DATABASE_URL`)."""

    model_config = SettingsConfigDict(env_prefix="REPORTING_", env_ignore_empty=True, frozen=True)

    data_dir: Path = Field(
        default_factory=lambda: Path.cwd() / "data",
        description="The data folder: the database (SQLite), the archive of received files, Prefect's home.",
    )
    database_url: str = Field(
        default="",
        validation_alias="DATABASE_URL",
        description="Another database than the SQLite file in the data folder (e.g. PostgreSQL).",
    )
    packages_dir: Path = Field(
        default_factory=examples_dir,
        description="Where the submission packages are, one folder per biennium (default: the samples).",
    )
    output_dir: Path = Field(
        default=Path("out"),
        description="Where a biennium's report goes (`<dir>/<biennium>`) when no `--out` is given.",
    )
    alert_webhook_url: str = Field(
        default="",
        description="The webhook a failed scheduled run is posted to (`deployments/automations.py`).",
    )
    reviewer: str = Field(
        default="", description="Who decides in `reporting review` when `--by` is not given."
    )
    people_file: Path | None = Field(
        default=None,
        description="The people directory: who may decide (YAML; default <data dir>/people.yaml).",
    )
    output_url: str = Field(
        default="",
        description="The web address of the output folder's share: the report's artifact links there.",
    )
    smtp_host: str = Field(
        default="", description="The SMTP server the reminder e-mails go through (none: no e-mail)."
    )
    smtp_port: int = Field(default=587, description="The SMTP server's port.")
    smtp_starttls: bool = Field(
        default=True, description="Whether to switch to TLS (STARTTLS) before logging in."
    )
    smtp_sender: str = Field(default="", description="The reminder e-mails' From address.")
    smtp_user: str = Field(default="", description="The SMTP login, if the server wants one.")
    smtp_password: SecretStr = Field(default=SecretStr(""), description="The SMTP password (never shown).")
    server_idle_hours: float = Field(
        default=3.0,
        ge=0,
        description="The data folder's Prefect server stops after so many hours without use (0: never).",
    )
    zip_part_max_mb: int = Field(
        default=200,
        gt=0,
        description="The most one part of a workbook (.xlsx, .xlsm, .ods: zip archives) may unpack to, in "
        "MB, and all its parts together; a larger one is refused before it is inflated (a zip bomb). "
        "Offices' workbooks unpack to a few MB; 200 MB is about 100,000 rows of the sample's long texts "
        "(a 20,000-row sheet is 39 MB of XML), which openpyxl already reads into gigabytes of memory.",
    )
    zip_ratio_max: int = Field(
        default=100,
        gt=0,
        description="The most a workbook's part may unpack to per byte stored (its compression ratio), for a "
        "part of more than 1 MB unpacked. A sheet of real rows compresses about 5 times (that 20,000-row "
        "sheet: 5.1); a part of repeated bytes about 1,000 times (2.45 MB that unpacked to 2.5 GB).",
    )


def current() -> Settings:
    """The settings as the environment gives them now."""
    return Settings()


def data_dir() -> Path:
    """The project's data folder (database, archive, Prefect home)."""
    return current().data_dir.resolve()


def database_url() -> str:
    """SQLite in the data folder unless `DATABASE_URL` names another database."""
    return current().database_url or f"sqlite:///{data_dir() / 'reporting.db'}"


def archive_dir() -> Path:
    return data_dir() / "archive"


def private_folder(folder: Path) -> Path:
    """`folder`, and each missing folder above it, created readable by its owner only (0700): the data
    folder holds the store, the files as received and Prefect's database. An existing folder is left
    as it is."""
    for missing in reversed([f for f in (folder, *folder.parents) if not f.exists()]):
        missing.mkdir(mode=0o700, exist_ok=True)
    return folder


def prefect_api_may_be_configured() -> bool:
    """Whether Prefect could find a server's address (PREFECT_API_URL) where it looks for settings: the
    environment, `.env`, `prefect.toml` or `pyproject.toml`'s [tool.prefect] in this folder, the profiles
    file. False only when none of them can name one: the data folder's server is then the one, and it
    can start before Prefect (0.9 s to import) is loaded. In doubt, True: Prefect is asked."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    home = Path(os.environ.get("PREFECT_HOME") or data_dir() / "prefect")
    places = {
        Path(".env"): "PREFECT_",
        Path("prefect.toml"): "",
        Path("pyproject.toml"): "tool.prefect",
        Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml"): "PREFECT_API_URL",
    }
    for place, mention in places.items():
        try:
            if mention in place.read_text(encoding="utf-8", errors="replace"):
                return True
        except FileNotFoundError:
            continue
        except OSError:  # unreadable: Prefect may read it differently
            return True
    return False


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
        # Each flow run's heartbeat: a run silent for 90 s is marked Crashed (orchestration/crashed_runs.py).
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    private_folder(data_dir())  # also when Prefect's home is elsewhere: its server watches the data folder
    private_folder(Path(os.environ["PREFECT_HOME"]))
    if "PREFECT_LOGGING_SETTINGS_PATH" not in os.environ:  # an expected failure is logged in one line
        from reporting.orchestration.run_logging import write_settings

        written = write_settings(Path(os.environ["PREFECT_HOME"]))
        if written is not None:
            os.environ["PREFECT_LOGGING_SETTINGS_PATH"] = str(written)
