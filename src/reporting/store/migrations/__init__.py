"""Alembic migrations of the store: `upgraded_engine` (`reporting db upgrade`, `make deploy`, a build)
brings a database to the newest revision.

A database made before migrations existed (tables created straight from the models) is recognised and
stamped at the first revision, whose tables are exactly those, and then upgraded like any other.
New revision, after changing a model in store/models.py:
`.venv/bin/alembic revision --autogenerate -m "what changed"` (alembic.ini at the project root).
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text

from reporting.resources import shipped_folder

HERE = shipped_folder("reporting.store.migrations")
INITIAL_REVISION = "0001"
LOCK_WAIT_SECONDS = 60
_ONE_THREAD = threading.Lock()
MIGRATION_LOCK = 7_302_015
"""PostgreSQL advisory lock key held while migrating (any fixed number unique to this application)."""


def alembic_config() -> Config:
    """The migrations' configuration without any .ini file (the package carries its scripts)."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    return config


@cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _migrating(engine: Engine) -> Engine:
    """The engine to migrate with. SQLite's Python driver runs DDL outside any transaction unless told
    otherwise: this one starts every transaction with BEGIN IMMEDIATE, so a migration is atomic and
    processes migrating the same file wait for one another (up to `LOCK_WAIT_SECONDS`)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return engine
    migrating = create_engine(engine.url, connect_args={"timeout": LOCK_WAIT_SECONDS})

    @event.listens_for(migrating, "connect")
    def _driver_leaves_transactions_to_us(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(migrating, "begin")
    def _take_the_write_lock(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return migrating


def upgrade_to_head(engine: Engine) -> None:
    """Run the revisions this database has not had yet, in one transaction (cheap when up to date).

    Several processes may start on a new database at once (a worker, the command line): they take
    turns (PostgreSQL advisory lock, SQLite write lock), and the later ones find the schema in place.
    Threads of one process take turns too (Alembic's context is global to the process)."""
    if current_revision(engine) == head_revision():
        return
    migrating = _migrating(engine)
    try:
        with _ONE_THREAD, migrating.begin() as connection:
            _upgrade(connection)
    finally:
        if migrating is not engine:
            migrating.dispose()


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    current = MigrationContext.configure(connection).get_current_revision()
    if current == head_revision():
        return  # another process migrated while this one waited
    config = alembic_config()
    config.attributes["connection"] = connection
    if current is None and inspect(connection).has_table("received_file"):
        command.stamp(config, INITIAL_REVISION)
    command.upgrade(config, "head")
