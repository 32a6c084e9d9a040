"""A full disk is said in words: a store that cannot grow names the store, not the driver's raw
OperationalError (the full-disk builds themselves run in `make test-reliability`, on a tmpfs)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import OperationalError

from reporting.errors import full_disk, store_full


def _driver_error(message: str) -> OperationalError:
    return OperationalError("INSERT INTO evidence_record …", {}, Exception(message))


def test_a_full_sqlite_store_is_said_in_words() -> None:
    said = store_full(_driver_error("database or disk is full"), "sqlite:////srv/data/reporting.db")
    assert str(said) == "the store is full (no space left on device): /srv/data/reporting.db"


def test_a_full_postgresql_store_is_said_without_its_password() -> None:
    error = _driver_error('could not extend file "base/16384/16385": No space left on device')
    said = str(store_full(error, "postgresql+psycopg://reporting:SECRET@db:5432/reports"))
    assert said.startswith("the store is full (no space left on device): postgresql+psycopg://reporting:")
    assert "SECRET" not in said and said.endswith("@db:5432/reports")


def test_other_database_errors_are_not_called_a_full_disk(tmp_path: Path) -> None:
    assert store_full(_driver_error("database is locked"), "sqlite:///x.db") is None
    assert full_disk([tmp_path]) is None  # this disk has room
