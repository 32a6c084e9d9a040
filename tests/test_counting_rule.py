"""The counting rule written once (`reporting.domain.rule`): the count and the validation's
not-reportable advice are two readings of it, so they always agree."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reporting.counting.aggregate import reportable_results
from reporting.domain import rule
from reporting.intake.readers import read_package
from reporting.intake.validate import validate_package
from reporting.synth import synthetic_package
from tests.conftest import evidence_frame


def test_member_states_territories_and_regional_cpos_are_told_apart() -> None:
    codes = pd.Series(["ZWE131", "ATA101", "RAS151", "GLO101"])
    assert rule.is_member_state(codes).tolist() == [True, False, False, False]
    assert rule.is_regional(codes).tolist() == [False, False, True, True]
    assert rule.state_code(codes).tolist() == ["ZWE", "ATA", "RAS", "GLO"]


def test_a_criterion_given_twice_counts_once_and_the_threshold_is_reached_at_equality() -> None:
    rows = [{"criterion": 1}, {"criterion": 1}, {"criterion": 3}, {"cpo_code": "TUN130", "criterion": 2}]
    evidence = evidence_frame(rows)
    met = rule.criteria_met(evidence, evidence["criterion"])
    assert met.tolist() == [2, 2, 2, 1]
    assert rule.is_reportable(met, pd.Series([2] * 4)).tolist() == [True, True, True, False]


def test_the_advice_names_exactly_the_results_the_count_leaves_out(tmp_path: Path) -> None:
    package = read_package(synthetic_package(tmp_path / "synthetic", rows=2000, outcomes=3))
    checked = validate_package(package)
    clean = checked.evidence.clean
    results = reportable_results(clean, package.framework)
    not_reportable = results.loc[~results["reportable"], rule.CPO_RESULT]
    assert len(not_reportable) > 0  # the synthetic package has results below the threshold

    findings = checked.findings[checked.findings["rule"] == "not_reportable"]
    located = clean.set_index(["source_file", "source_sheet", "source_row"])
    rows = located.loc[list(zip(findings["file"], findings["sheet"], findings["row"], strict=True))]
    advised = set(map(tuple, rows[rule.CPO_RESULT].to_numpy().tolist()))
    assert advised == set(map(tuple, not_reportable.to_numpy().tolist()))
