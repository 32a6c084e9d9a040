"""The counting rule of the contract: distinct criteria, member States only, each State once."""

from __future__ import annotations

import pandas as pd
import pytest

from reporting.aggregate import aggregate, member_state_counts, reportable_results
from reporting.framework import Framework, load_framework
from tests.conftest import SAMPLE, evidence_frame


@pytest.fixture(scope="module")
def framework() -> Framework:
    return load_framework(SAMPLE / "framework.yaml")


def achieved(evidence: pd.DataFrame, framework: Framework, region: str, indicator: str = "7.1") -> int:
    summary = aggregate(
        evidence, pd.DataFrame(columns=["outcome", "indicator", "region", "target"]), framework
    )
    row = summary.summary.query("indicator == @indicator and region == @region")
    return int(row["achieved"].iloc[0])


def test_two_distinct_criteria_make_a_result_reportable(framework: Framework) -> None:
    evidence = evidence_frame([{"criterion": 1}, {"criterion": 3}])
    assert achieved(evidence, framework, "Africa") == 1
    assert achieved(evidence, framework, "Total") == 1


def test_the_same_criterion_listed_twice_counts_once(framework: Framework) -> None:
    evidence = evidence_frame([{"criterion": 2}, {"criterion": 2}])
    results = reportable_results(evidence, framework)
    assert results["criteria_met"].tolist() == [1]
    assert not results["reportable"].any()
    assert achieved(evidence, framework, "Africa") == 0


def test_one_criterion_only_is_not_reportable(framework: Framework) -> None:
    evidence = evidence_frame([{"criterion": 4}])
    assert achieved(evidence, framework, "Total") == 0


@pytest.mark.parametrize(
    ("code", "country"),
    [("RAS151", "Asia and the Pacific Region"), ("SHA127", "Southern Africa"), ("GLO101", "Global")],
)
def test_regional_subregional_and_global_cpos_are_listed_but_not_counted(
    framework: Framework, code: str, country: str
) -> None:
    evidence = evidence_frame([{"cpo_code": code, "country": country, "criterion": c} for c in (1, 2, 3)])
    results = reportable_results(evidence, framework)
    assert results["reportable"].all() and not results["member_state"].any()
    assert achieved(evidence, framework, "Total") == 0


def test_a_member_state_with_two_cpos_is_counted_once(framework: Framework) -> None:
    evidence = evidence_frame(
        [{"cpo_code": "TUN129", "criterion": c} for c in (1, 2)]
        + [{"cpo_code": "TUN130", "criterion": c} for c in (3, 4)]
    )
    assert len(reportable_results(evidence, framework)) == 2
    assert achieved(evidence, framework, "Africa") == 1


def test_counts_are_per_indicator_and_region(framework: Framework) -> None:
    evidence = evidence_frame(
        [{"criterion": c} for c in (1, 2)]
        + [
            {
                "indicator": "7.2",
                "region": "Americas",
                "country": "Brazil",
                "cpo_code": "BRA107",
                "criterion": c,
            }
            for c in (1, 3)
        ]
    )
    counts = member_state_counts(reportable_results(evidence, framework))
    assert set(map(tuple, counts[["indicator", "region", "achieved"]].to_numpy().tolist())) == {
        ("7.1", "Africa", 1),
        ("7.1", "Total", 1),
        ("7.2", "Americas", 1),
        ("7.2", "Total", 1),
    }


def test_targets_appear_beside_achieved_with_a_total(framework: Framework) -> None:
    evidence = evidence_frame([{"criterion": c} for c in (1, 2)])
    targets = pd.DataFrame(
        [
            {"outcome": "7", "indicator": "7.1", "region": "Africa", "target": 2},
            {"outcome": "7", "indicator": "7.1", "region": "Americas", "target": 1},
        ]
    )
    summary = aggregate(evidence, targets, framework).summary.set_index(["indicator", "region"])
    assert summary.loc[("7.1", "Africa"), "target"] == 2
    assert summary.loc[("7.1", "Total"), "target"] == 3
    assert pd.isna(summary.loc[("7.1", "Arab States"), "target"])
    assert pd.isna(summary.loc[("7.2", "Total"), "target"])
