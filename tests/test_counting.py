"""The counting rule of the contract: distinct criteria, member States only, each State once and in its
one region, so that the regions add up to the Total."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reporting.counting.aggregate import aggregate, member_state_counts, reportable_results
from reporting.framework import Framework, load_framework
from reporting.intake.readers import read_package
from reporting.intake.validate import validate_evidence, validate_package
from reporting.synth import synthetic_package
from reporting.vocabulary import REGIONS, TOTAL
from tests.conftest import SAMPLE, evidence_frame

TARGETS = pd.DataFrame(columns=["outcome", "indicator", "region", "target"])


@pytest.fixture(scope="module")
def framework() -> Framework:
    return load_framework(SAMPLE / "framework.yaml")


def achieved(evidence: pd.DataFrame, framework: Framework, region: str, indicator: str = "7.1") -> int:
    summary = aggregate(evidence, TARGETS, framework)
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


def test_a_member_state_given_in_two_regions_is_counted_once_in_its_own(framework: Framework) -> None:
    """Validation sets such rows aside; the count itself still never puts one State in two regions."""
    evidence = evidence_frame(
        [{"cpo_code": "TUN129", "criterion": c} for c in (1, 2)]
        + [{"cpo_code": "TUN130", "region": "Arab States", "criterion": c} for c in (3, 4)]
    )
    assert achieved(evidence, framework, "Africa") == 1
    assert achieved(evidence, framework, "Arab States") == 0
    assert achieved(evidence, framework, "Total") == 1


@pytest.mark.parametrize(
    ("code", "country", "region"),
    [
        ("ATA101", "Antarctica", "Africa"),
        ("PRI101", "Puerto Rico", "Americas"),
        ("GRL101", "Greenland", "Europe and Central Asia"),
        ("HKG101", "Hong Kong, China", "Asia and the Pacific"),
        ("PSE101", "occupied Palestinian territory", "Arab States"),
        ("AND101", "Andorra", "Europe and Central Asia"),
    ],
)
def test_territories_and_non_members_are_listed_but_not_counted(
    framework: Framework, code: str, country: str, region: str
) -> None:
    evidence = evidence_frame(
        [{"cpo_code": code, "country": country, "region": region, "criterion": c} for c in (1, 2)]
    )
    results = reportable_results(evidence, framework)
    assert results["reportable"].all() and not results["member_state"].any()
    assert achieved(evidence, framework, region) == achieved(evidence, framework, "Total") == 0


def sample_with_antarctica() -> pd.DataFrame:
    """The sample plus two Antarctica CPOs under indicator 7.2, one in Africa, one in the Americas,
    two criteria each (the case of issue 9: counted in both regions, once in the Total)."""
    sample = read_package(SAMPLE).evidence
    given = [
        ("ATA101", "Africa", 1),
        ("ATA101", "Africa", 2),
        ("ATA102", "Americas", 1),
        ("ATA102", "Americas", 2),
    ]
    antarctica = pd.DataFrame(
        [
            {
                **sample.iloc[0].to_dict(),
                "indicator": "7.2",
                "region": region,
                "country": "Antarctica",
                "cpo_code": code,
                "criterion": str(criterion),
            }
            for code, region, criterion in given
        ]
    ).assign(source_row=range(100, 100 + len(given)))
    return pd.concat([sample, antarctica], ignore_index=True)


def test_antarctica_is_set_aside_and_the_sample_figures_do_not_change(framework: Framework) -> None:
    evidence = sample_with_antarctica()
    checked = validate_evidence(evidence, framework)
    assert checked.findings[["severity", "column", "rule", "value"]].drop_duplicates().values.tolist() == [
        ["error", "cpo_code", "country_is_member_state", "ATA101"],
        ["error", "cpo_code", "country_is_member_state", "ATA102"],
    ]
    assert sorted(checked.rejected["cpo_code"]) == ["ATA101", "ATA101", "ATA102", "ATA102"]
    summary = aggregate(checked.clean, TARGETS, framework).summary
    assert_regions_add_up(summary)
    assert figures(summary, "7.2") == {**dict.fromkeys(REGIONS, 1), "Asia and the Pacific": 3, TOTAL: 7}
    # counted without validation, Antarctica still never counts
    assert figures(aggregate(evidence, TARGETS, framework).summary, "7.2")[TOTAL] == 7


def figures(summary: pd.DataFrame, indicator: str) -> dict[str, int]:
    rows = summary[summary["indicator"] == indicator]
    return dict(zip(rows["region"], rows["achieved"].astype(int), strict=True))


def assert_regions_add_up(summary: pd.DataFrame) -> None:
    """Every indicator's regions add up to its Total, which is the number of distinct member States."""
    for indicator, rows in summary.groupby("indicator"):
        by_region = rows[rows["region"] != TOTAL]
        assert set(by_region["region"]) == set(REGIONS), indicator
        assert by_region["achieved"].sum() == rows.loc[rows["region"] == TOTAL, "achieved"].item(), indicator


def assert_each_state_in_one_region(results: pd.DataFrame) -> None:
    counted = results[results["reportable"] & results["member_state"]]
    assert counted.groupby(counted["cpo_code"].str[:3])["region"].nunique().eq(1).all()


def test_the_regions_add_up_to_the_total_on_the_sample(framework: Framework) -> None:
    checked = validate_evidence(read_package(SAMPLE).evidence, framework)
    results = aggregate(checked.clean, TARGETS, framework)
    assert_regions_add_up(results.summary)
    assert_each_state_in_one_region(results.results)
    assert figures(results.summary, "7.1") == {
        "Africa": 2,
        "Americas": 2,
        "Arab States": 1,
        "Asia and the Pacific": 8,
        "Europe and Central Asia": 0,
        TOTAL: 13,
    }


def test_the_regions_add_up_to_the_total_on_a_synthetic_package(tmp_path: Path) -> None:
    package = read_package(synthetic_package(tmp_path / "synthetic", rows=3000, outcomes=4))
    checked = validate_package(package)
    assert checked.rejected.empty
    results = aggregate(checked.evidence.clean, checked.targets.clean, package.framework)
    assert_regions_add_up(results.summary)
    assert results.summary.loc[results.summary["region"] == TOTAL, "achieved"].gt(10).all()
    assert_each_state_in_one_region(results.results)
