"""indicator_evidence.csv: every figure traced to the CPO results and the evidence rows behind it.

Counting the member States of its counted rows per indicator and region gives indicator_summary.csv
exactly; every CPO result not counted says why; every evidence row is located by file, sheet and row."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from reporting.counting.aggregate import (
    EVIDENCE_TRAIL_COLUMNS,
    aggregate,
    counted_by_region,
    indicator_evidence,
)
from reporting.intake.readers import read_package
from reporting.intake.validate import validate_package
from reporting.report.render import EVIDENCE_CSV, write_evidence_csv
from reporting.synth import synthetic_package
from tests.conftest import SAMPLE, Built
from tests.report_packages import NOT_REPORTABLE, rich_package


def summary_from_trail(trail_csv: str, summary: pd.DataFrame) -> pd.DataFrame:
    """indicator_summary.csv recomputed from indicator_evidence.csv alone (zero where nothing counted)."""
    trail = pd.read_csv(io.StringIO(trail_csv), dtype=str, keep_default_na=False)
    assert list(trail.columns) == EVIDENCE_TRAIL_COLUMNS
    counts = counted_by_region(trail)
    grid = summary[["biennium", "outcome", "indicator", "region", "target"]]
    rebuilt = grid.merge(counts, on=["outcome", "indicator", "region"], how="left")
    rebuilt["achieved"] = rebuilt["achieved"].fillna(0).astype("int64")
    return rebuilt


def test_sample_trail_counts_give_the_summary_csv_exactly(sample_build: Built) -> None:
    folder = sample_build.files.summary_csv.parent
    trail_csv = (folder / EVIDENCE_CSV).read_text(encoding="utf-8")
    summary_csv = sample_build.files.summary_csv.read_text(encoding="utf-8")
    summary = pd.read_csv(io.StringIO(summary_csv), dtype=str, keep_default_na=False)
    rebuilt = summary_from_trail(trail_csv, summary)
    assert rebuilt.to_csv(index=False) == summary_csv
    trail = pd.read_csv(io.StringIO(trail_csv), dtype=str, keep_default_na=False)
    assert len(trail) == len(sample_build.aggregates.results) == 22
    regional = trail[trail["cpo_code"].isin(["SHA127", "RAS151"])]
    assert set(regional["counted"]) == {"no"} and regional["reason"].str.startswith("regional").all()
    tunisia = trail[trail["cpo_code"] == "TUN129"].iloc[0]
    assert tunisia[["counted", "member_state", "criteria", "file", "sheet", "rows"]].tolist() == [
        "yes", "TUN", "1, 3", "evidence/evidence.csv", "", "2 3",
    ]  # fmt: skip


def test_every_evidence_row_is_located_once(sample_build: Built) -> None:
    trail = sample_build.aggregates.evidence
    located = [int(r) for rows in trail["rows"] for r in rows.split()]
    assert sorted(located) == sorted(sample_build.checked.evidence.clean["source_row"].astype(int))


def test_not_counted_results_say_why(tmp_path: Path) -> None:
    package = read_package(rich_package(tmp_path))
    checked = validate_package(package)
    aggregates = aggregate(checked.evidence.clean, checked.targets.clean, package.framework, checked.rejected)
    trail = aggregates.evidence.set_index("cpo_code")
    assert trail.loc[NOT_REPORTABLE["cpo_code"], ["counted", "reason", "criteria"]].tolist() == [
        "no", "fewer criteria than required (1 of 2)", "1",
    ]  # fmt: skip
    rejected = trail.loc["GHA102"]
    assert rejected["counted"] == "no" and rejected["reason"].startswith("rows rejected by validation: ")
    assert rejected["region"] == "Atlantis" and rejected["rows"] != ""
    out = write_evidence_csv(aggregates.evidence, tmp_path / EVIDENCE_CSV)
    rebuilt = summary_from_trail(out.read_text(encoding="utf-8"), aggregates.summary.astype(str))
    assert rebuilt["achieved"].tolist() == aggregates.summary["achieved"].tolist()


def test_a_state_with_two_cpos_is_two_counted_rows_and_one_member_state() -> None:
    from reporting.framework import load_framework
    from tests.conftest import evidence_frame

    framework = load_framework(SAMPLE / "framework.yaml")
    evidence = evidence_frame(
        [
            {"criterion": 1},
            {"criterion": 2},
            {"cpo_code": "TUN130", "criterion": 1},
            {"cpo_code": "TUN130", "criterion": 3},
        ]
    )
    aggregates = aggregate(
        evidence, pd.DataFrame(columns=["outcome", "indicator", "region", "target"]), framework
    )
    trail = aggregates.evidence
    assert trail["counted"].tolist() == ["yes", "yes"] and trail["file"].tolist() == ["", ""]
    assert counted_by_region(trail).query("region == 'Total'")["achieved"].tolist() == [1]


@pytest.mark.parametrize("rows", [10_000])
def test_synthetic_trail_counts_give_the_summary_exactly(tmp_path: Path, rows: int) -> None:
    package = read_package(synthetic_package(tmp_path / "synthetic", rows=rows))
    checked = validate_package(package)
    aggregates = aggregate(checked.evidence.clean, checked.targets.clean, package.framework, checked.rejected)
    assert len(aggregates.evidence) >= len(aggregates.results)
    trail_csv = write_evidence_csv(aggregates.evidence, tmp_path / EVIDENCE_CSV).read_text(encoding="utf-8")
    summary_csv = aggregates.summary.to_csv(index=False, na_rep="")
    summary = pd.read_csv(io.StringIO(summary_csv), dtype=str, keep_default_na=False)
    assert summary_from_trail(trail_csv, summary).to_csv(index=False) == summary_csv
    assert (aggregates.evidence["counted"] == "no").sum() > 0
    again = indicator_evidence(
        checked.evidence.clean, aggregates.results, package.framework, checked.rejected
    ).to_csv(index=False)
    assert again == trail_csv  # the same input, byte for byte the same trail
