"""The member States the counting rule counts: the data file shipped with the package, read back."""

from __future__ import annotations

import csv
import tomllib
from collections import Counter
from importlib import resources

import pytest

from reporting.domain.member_states import (
    MEMBER_STATES_FILE,
    country_code,
    iso_codes,
    member_state_codes,
    member_states,
    region_of,
)
from reporting.vocabulary import REGIONS
from tests.conftest import ROOT


def file_rows() -> list[dict[str, str]]:
    """The data file's rows as written (a State listed twice would show here, not in the dict)."""
    text = resources.files("reporting.domain").joinpath(MEMBER_STATES_FILE).read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def test_the_organisation_has_187_member_states_each_in_one_of_the_five_regions() -> None:
    rows = file_rows()
    assert len(rows) == 187
    assert len({r["iso3"] for r in rows}) == 187  # no member State in two regions
    assert len(member_states()) == len(member_state_codes()) == 187
    assert Counter(r["ilo_region"] for r in rows) == {
        "Africa": 54,
        "Americas": 35,
        "Arab States": 11,
        "Asia and the Pacific": 36,
        "Europe and Central Asia": 51,
    }
    assert set(REGIONS) == {r["ilo_region"] for r in rows}
    assert member_state_codes() < iso_codes()


def test_the_arab_states_are_the_eleven_and_north_africa_is_in_africa() -> None:
    arab_states = {code for code, state in member_states().items() if state.ilo_region == "Arab States"}
    assert arab_states == {"BHR", "IRQ", "JOR", "KWT", "LBN", "OMN", "QAT", "SAU", "SYR", "ARE", "YEM"}
    assert {region_of(c) for c in ("DZA", "EGY", "LBY", "MAR", "MRT", "SDN", "TUN")} == {"Africa"}
    assert region_of("ISR") == "Europe and Central Asia"


@pytest.mark.parametrize("code", ["COK", "TON", "SSD", "MNE", "TLS"])
def test_recent_members_are_member_states(code: str) -> None:
    assert code in member_state_codes()


@pytest.mark.parametrize(
    "code",
    # observer, UN Member States that are not ILO members, territories
    ["PSE", "AND", "BTN", "PRK", "LIE", "FSM", "MCO", "NRU", "ATA", "PRI", "GRL", "HKG", "REU", "GUM"],
)
def test_observers_non_members_and_territories_are_not_member_states(code: str) -> None:
    assert code in iso_codes()
    assert code not in member_state_codes() and region_of(code) is None


def test_every_member_state_is_known_by_the_name_the_ilo_writes() -> None:
    assert [s.name for s in member_states().values() if country_code(s.name) != s.iso3] == []
    assert country_code("Türkiye") == country_code("Turkey") == "TUR"


def test_the_list_ships_with_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert MEMBER_STATES_FILE in pyproject["tool"]["setuptools"]["package-data"]["reporting.domain"]
