"""Alembic migrations of the store: `engine_for` brings every database to the newest revision.

A database made before migrations existed (tables created straight from the models) is recognised and
stamped at the first revision, whose tables are exactly those, and then upgraded like any other.
New revision, after changing a model in storage.py:
`.venv/bin/alembic revision --autogenerate -m "what changed"` (alembic.ini at the project root).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

HERE = Path(__file__).resolve().parent
INITIAL_REVISION = "0001"


def alembic_config() -> Config:
    """The migrations' configuration without any .ini file (the package carries its scripts)."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    return config


@cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade_to_head(engine: Engine) -> None:
    """Run the revisions this database has not had yet, in one transaction (cheap when up to date)."""
    with engine.begin() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        if current == head_revision():
            return
        config = alembic_config()
        config.attributes["connection"] = connection
        if current is None and inspect(connection).has_table("received_file"):
            command.stamp(config, INITIAL_REVISION)
        command.upgrade(config, "head")
