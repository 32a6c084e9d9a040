"""Alembic environment: the target is the SQLModel metadata of reporting.store.models.

`upgrade_to_head` hands in an open connection; the `alembic` command line (alembic.ini at the project
root) connects to `DATABASE_URL`, or the SQLite database of the data folder.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool
from sqlmodel import SQLModel

from reporting import settings
from reporting.store import (
    models,  # noqa: F401  (importing the models registers the tables)
    review,  # noqa: F401  (the review tables)
    translations,  # noqa: F401  (the translation memory)
)

TARGET = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=TARGET, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    return context.config.get_main_option("sqlalchemy.url") or settings.database_url()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=TARGET, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
elif (given := context.config.attributes.get("connection")) is not None:
    _run(given)
else:
    with create_engine(_url(), poolclass=pool.NullPool).connect() as opened:
        _run(opened)
        opened.commit()
