"""The synthetic generator looks like the programme (issue 24): every member State, 2 to 4 indicators
per outcome, each CPO its own code and title, so that a large package's findings are the ones a real
package of that size would have."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pandas as pd
import pytest

from reporting import people
from reporting.domain.member_states import member_state_codes
from reporting.intake.stages import dry_run
from reporting.resources import examples_dir
from reporting.synth import synthetic_package


@pytest.fixture(scope="module")
def programme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic_package(tmp_path_factory.mktemp("synth") / "programme", rows=10_000, outcomes=19)


def test_ten_thousand_rows_validate_with_only_the_results_below_threshold(programme: Path) -> None:
    findings = dry_run(programme).findings
    assert set(findings["rule"]) == {"not_reportable"}  # no cpo_title_consistent, no unknown country
    assert set(findings["severity"]) == {"advice"}


def test_every_member_state_and_one_code_and_title_per_cpo(programme: Path) -> None:
    evidence = pd.concat(
        [pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted((programme / "evidence").iterdir())]
    )
    assert member_state_codes() <= set(evidence["cpo_code"].str[:3])
    assert evidence["cpo_code"].str.fullmatch(r"[A-Z]{3}\d{3}").all()
    per_cpo = evidence.groupby("cpo_code").agg(
        {"cpo_title": "nunique", "country": "nunique", "indicator": "nunique"}
    )
    assert (per_cpo == 1).all().all()  # one title, one country, one result per CPO code
    indicators = evidence.groupby("outcome")["indicator"].nunique()
    assert len(indicators) == 19 and indicators.between(2, 4).all()


def test_the_approvals_are_a_reviewer_s_of_every_region(programme: Path) -> None:
    directory = people.load(examples_dir() / "people.yaml")
    reviews = pd.read_csv(programme / "reviews.csv", dtype=str, keep_default_na=False)
    evidence = pd.read_csv(programme / "evidence" / "outcome-01.csv", dtype=str, keep_default_na=False)
    assert len(reviews) > 0
    for by in set(reviews["by"]):
        assert all(people.refusal(directory, by, "reviewer", r) is None for r in set(evidence["region"]))


def test_same_seed_same_package(tmp_path: Path) -> None:
    first = synthetic_package(tmp_path / "a", rows=500, outcomes=3, seed=11)
    second = synthetic_package(tmp_path / "b", rows=500, outcomes=3, seed=11)
    compared = filecmp.dircmp(first, second)
    assert not compared.diff_files and not compared.subdirs["evidence"].diff_files


def test_at_most_nineteen_outcomes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="1 to 19 outcomes"):
        synthetic_package(tmp_path / "p", rows=100, outcomes=20)
