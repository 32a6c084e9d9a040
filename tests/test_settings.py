"""Settings come from the environment when asked for, in one typed model that the README documents."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reporting import settings
from reporting.intake.selection import closed_biennium, output_folder, package_folder
from reporting.resources import examples_dir
from tests.conftest import ROOT


def variable(field: str) -> str:
    alias = settings.Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else f"REPORTING_{field.upper()}"


@pytest.fixture
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An environment without any of the project's variables, in an empty current folder."""
    for field in settings.Settings.model_fields:
        monkeypatch.delenv(variable(field), raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_defaults(no_settings: Path) -> None:
    assert settings.data_dir() == no_settings.resolve() / "data"
    assert settings.database_url() == f"sqlite:///{no_settings.resolve() / 'data' / 'reporting.db'}"
    assert settings.archive_dir() == no_settings.resolve() / "data" / "archive"
    assert package_folder("2014-15") == examples_dir().resolve() / "2014-15"
    assert output_folder("2014-15") == no_settings.resolve() / "out" / "2014-15"
    assert settings.current().alert_webhook_url == settings.current().reviewer == ""


def test_a_variable_set_after_import_is_read_and_an_empty_one_is_unset(
    no_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORTING_DATA_DIR", str(no_settings / "elsewhere"))
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://reporting@db/reporting")
    monkeypatch.setenv("REPORTING_PACKAGES_DIR", str(no_settings / "packages"))
    monkeypatch.setenv("REPORTING_OUTPUT_DIR", "")
    assert settings.data_dir() == no_settings.resolve() / "elsewhere"
    assert settings.database_url() == "postgresql+psycopg://reporting@db/reporting"
    assert package_folder("2016-17") == no_settings.resolve() / "packages" / "2016-17"
    assert output_folder("2016-17") == no_settings.resolve() / "out" / "2016-17"


def test_the_readme_lists_every_setting_with_its_default() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    for field in settings.Settings.model_fields:
        assert any(row.startswith(f"| `{variable(field)}` |") for row in rows), variable(field)


@pytest.mark.parametrize(
    ("place", "text"),
    [
        (".env", "PREFECT_API_URL=http://prefect.example.org/api\n"),
        ("prefect.toml", '[api]\nurl = "http://prefect.example.org/api"\n'),
        ("pyproject.toml", '[tool.prefect.api]\nurl = "http://prefect.example.org/api"\n'),
        ("data/prefect/profiles.toml", '[profiles.default]\nPREFECT_API_URL = "http://x/api"\n'),
    ],
)
def test_a_server_address_prefect_could_read_is_never_assumed_away(
    no_settings: Path, monkeypatch: pytest.MonkeyPatch, place: str, text: str
) -> None:
    """The data folder's server starts before Prefect is imported only where nothing can name another."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("PREFECT_PROFILES_PATH", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(no_settings / "data" / "prefect"))
    assert not settings.prefect_api_may_be_configured()
    (no_settings / place).parent.mkdir(parents=True, exist_ok=True)
    (no_settings / place).write_text(text, encoding="utf-8")
    assert settings.prefect_api_may_be_configured()


def test_an_address_in_the_environment_is_prefects_to_read(
    no_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example.org/api")
    assert settings.prefect_api_may_be_configured()


def test_the_biennium_that_has_just_closed() -> None:
    """The end-of-biennium run's default biennium (reporting.intake.selection)."""
    assert closed_biennium(date(2028, 1, 15)) == "2026-27"
    assert closed_biennium(date(2027, 6, 30)) == "2024-25"
    assert closed_biennium(date(2000, 1, 15)) == "1998-99"
