"""The connection to the store: an engine on a database brought to the newest schema revision."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reporting.settings import private_folder

if TYPE_CHECKING:
    from sqlalchemy import Engine


def engine_for(url: str) -> Engine:
    """An engine on a database migrated to the newest schema revision."""
    from sqlmodel import create_engine

    from reporting.store.migrations import upgrade_to_head  # Alembic: only where the schema may change

    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        private_folder(database.parent)
        if not database.exists():  # SQLite gives its journal files the database's mode
            database.touch(mode=0o600)
    engine = create_engine(url)
    upgrade_to_head(engine)
    return engine


def engine_as_is(url: str) -> Engine | None:
    """An engine on the database as it is, for a quick look that changes nothing (no migration, no new
    SQLite file): None when there is no SQLite file yet."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return None  # found without importing SQLAlchemy: a first build starts its server at once
    from sqlmodel import create_engine

    return create_engine(url)
