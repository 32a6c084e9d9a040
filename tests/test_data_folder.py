"""The data folder (store, archive of received files, Prefect's home) is readable by its owner only, from
the moment the program creates it, whichever command creates it first (issue 20)."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from reporting import settings
from reporting.intake.readers import ReceivedFile
from reporting.store.archive import archive
from reporting.store.database import upgraded_engine


def _prefect_home() -> None:
    settings.configure_prefect()


def _store() -> None:
    upgraded_engine(settings.database_url()).dispose()


def _archive() -> None:
    archive(ReceivedFile("framework.yaml", "framework", b"biennium: 2014-15\n"), settings.archive_dir())


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("first", [_prefect_home, _store, _archive], ids=["prefect", "store", "archive"])
def test_the_data_folder_is_created_for_its_owner_only(
    first: Callable[[], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "new" / "data"
    monkeypatch.setenv("REPORTING_DATA_DIR", str(data))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PREFECT_HOME")  # the session's: configure_prefect sets the data folder's again
    first()
    for make in (_prefect_home, _store, _archive):
        make()
    folders = [data, *(p for p in data.rglob("*") if p.is_dir())]
    files = [p for p in data.rglob("*") if p.is_file()]
    assert {p.relative_to(data).as_posix(): oct(_mode(p)) for p in folders} == {
        p.relative_to(data).as_posix(): "0o700" for p in folders
    }
    assert data / "reporting.db" in files and any("archive" in p.parts for p in files)
    assert {p.name: oct(_mode(p) & 0o077) for p in files} == {p.name: "0o0" for p in files}


def test_the_data_folder_is_made_when_prefects_home_is_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prefect's home on its own disk (PREFECT_HOME): the data folder is still made, since the server's
    watchdog stops a server whose data folder is gone (make test-reliability's full-home case found the
    first build's server stopped at once)."""
    monkeypatch.setenv("REPORTING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    settings.configure_prefect()
    assert (tmp_path / "data").is_dir() and (tmp_path / "prefect-home").is_dir()
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
