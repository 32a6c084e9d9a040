"""A malformed framework is refused with a message that names the problem."""

from __future__ import annotations

import pytest
import yaml

from reporting.errors import PackageError
from reporting.framework import parse_framework
from tests.conftest import SAMPLE


def sample() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((SAMPLE / "framework.yaml").read_text(encoding="utf-8"))


def refused(raw: object) -> str:
    with pytest.raises(PackageError) as caught:
        parse_framework(yaml.safe_dump(raw))
    return str(caught.value)


def test_the_sample_framework_is_accepted() -> None:
    framework = parse_framework((SAMPLE / "framework.yaml").read_text(encoding="utf-8"))
    assert [i.id for i in framework.outcomes[0].indicators] == ["7.1", "7.2"]


def test_duplicate_indicator_is_refused() -> None:
    raw = sample()
    raw["outcomes"][0]["indicators"][1]["id"] = "7.1"
    assert "7.1 is declared twice" in refused(raw)


def test_min_criteria_above_the_number_of_criteria_is_refused() -> None:
    raw = sample()
    raw["outcomes"][0]["indicators"][0]["min_criteria"] = 5
    assert "min_criteria 5" in refused(raw)


def test_unknown_key_is_refused() -> None:
    raw = sample()
    raw["outcomes"][0]["indicators"][0]["minimum_criteria"] = 2
    assert "minimum_criteria" in refused(raw)


def test_missing_id_is_refused() -> None:
    raw = sample()
    del raw["outcomes"][0]["id"]
    assert "outcomes.0.id" in refused(raw)
