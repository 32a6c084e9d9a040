"""The connection to the store: an engine on a database brought to the newest schema revision."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import create_engine

from reporting.store.migrations import upgrade_to_head


def engine_for(url: str) -> Engine:
    """An engine on a database migrated to the newest schema revision."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    upgrade_to_head(engine)
    return engine
