"""The connection to the store: an engine on the database as it is, and the explicit step that brings its
schema to the newest revision (`reporting db upgrade`, `make deploy`, a build)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reporting.settings import private_folder

if TYPE_CHECKING:
    from sqlalchemy import Engine


def engine_for(url: str) -> Engine:
    """An engine on the store (a new SQLite file is made private to its owner); opening it changes no
    schema: that is `upgraded_engine`'s explicit step. A connection the engine keeps is checked before
    it is handed out (`pool_pre_ping`): a restart of PostgreSQL ends them all, and make soak saw a
    build's next query fail on one."""
    from sqlmodel import create_engine

    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        private_folder(database.parent)
        if not database.exists():  # SQLite gives its journal files the database's mode
            database.touch(mode=0o600)
    return create_engine(url, pool_pre_ping=True)


def upgraded_engine(url: str) -> Engine:
    """An engine on the store once its schema is at the newest revision: `reporting db upgrade`, `make
    deploy`, and a build (a first build finds a new store and upgrades it; on a store already at the
    newest revision the check is one query: 8 ms against 3 ms to open and connect, measured at load 9 on
    2 cores)."""
    from reporting.store.migrations import upgrade_to_head  # Alembic: only where the schema may change

    engine = engine_for(url)
    upgrade_to_head(engine)
    return engine


def engine_as_is(url: str) -> Engine | None:
    """An engine on the database as it is, for a quick look that changes nothing (no migration, no new
    SQLite file): None when there is no SQLite file yet."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return None  # found without importing SQLAlchemy: a first build starts its server at once
    from sqlmodel import create_engine

    return create_engine(url, pool_pre_ping=True)
