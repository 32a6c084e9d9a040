"""A result's version (counting.approval.result_versions) is computed column-wise, once per build's
review, and stays what earlier builds stored: a changed digest would send every approved result back to
review (issues 21, 24)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reporting.counting import approval
from reporting.review import build
from reporting.store.database import upgraded_engine

EVIDENCE = pd.DataFrame(
    {
        "indicator": ["7.1", "7.1", "7.2"],
        "cpo_code": ["TUN129", "TUN129", "KHM129"],
        "criterion": [1, 2, 1],
        "result_achieved": ["a", "b", "c"],
    }
)


def test_the_versions_earlier_builds_stored_still_hold() -> None:
    assert approval.result_versions(EVIDENCE) == {  # computed row by row before issue 24
        ("7.1", "TUN129"): "54f60c74ef11cdfb",
        ("7.2", "KHM129"): "822a60b097491b12",
    }


def test_a_review_computes_the_versions_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = EVIDENCE.assign(country=["Tunisia", "Tunisia", "Cambodia"])
    computed: list[int] = []

    def counted(evidence: pd.DataFrame) -> dict[approval.Result, str]:
        computed.append(len(evidence))
        return versions(evidence)

    versions = approval.result_versions
    monkeypatch.setattr(approval, "result_versions", counted)
    monkeypatch.setattr(build, "result_versions", counted)
    build.reviewed(upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}"), "2014-15", evidence, draft=True)
    assert computed == [3]
