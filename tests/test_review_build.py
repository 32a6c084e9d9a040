"""What `reporting build` counts: approved results only; nothing approved builds nothing (one line);
`--draft` counts every reportable result and marks the report DRAFT, in OUT/draft/<language>/ where it
never replaces the final report of OUT/<language>/; a locked biennium refuses a late file, archived and
recorded as refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from typer.testing import CliRunner

from reporting.cli import app
from reporting.review.results import Decision, decide, lock
from reporting.store.database import upgraded_engine
from reporting.store.review import audit_entries

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()
B = "2014-15"


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def _watermarked(docx: Path) -> bool:
    return any("PowerPlusWaterMarkObject" in s.header._element.xml for s in Document(str(docx)).sections)


def test_nothing_approved_builds_nothing_unless_draft(
    store_url: str, sample_package: Path, tmp_path: Path
) -> None:
    (sample_package / "reviews.csv").unlink()
    out = tmp_path / "out"
    refused = runner.invoke(app, ["build", str(sample_package), "--out", str(out)])
    assert refused.exit_code == 1
    errors = [line for line in refused.output.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: nothing approved in 2014-15 (22 result(s) await review: reporting review list): no report "
        "built; --draft builds a draft counting every result not returned"
    ]
    assert not (out / "en" / f"implementation-report-{B}.docx").exists()

    engine = upgraded_engine(store_url)
    decide(engine, B, [Decision("7.1", "TUN129", "approve", "Ana")])
    drafted = runner.invoke(app, ["build", str(sample_package), "--out", str(out), "--draft"])
    assert drafted.exit_code == 0, drafted.output
    assert "(DRAFT: 21 result(s) not yet approved counted)" in drafted.output
    draft = out / "draft" / "en"
    assert _watermarked(draft / f"implementation-report-{B}.docx")
    assert not (out / "en").exists()
    report = (draft / "report.md").read_text(encoding="utf-8")
    assert report.splitlines()[0] == f"# Programme implementation report {B} (DRAFT)"
    results = (draft / "report-results.md").read_text(encoding="utf-8")  # every CPO result in full
    assert "*\\[not yet approved\\] \\[ACI8\\] Improved" in results  # SHA127, flagged where it is listed
    assert "*Capacités des mandants" in results  # TUN129 is approved
    summary = pd.read_csv(draft / "indicator_summary.csv", dtype=str, keep_default_na=False)
    assert list(summary.columns)[-2:] == ["achieved_approved", "achieved_pending"]
    total = summary[(summary["indicator"] == "7.1") & (summary["region"] == "Total")].iloc[0]
    assert (int(total["achieved_approved"]), int(total["achieved_pending"])) == (
        1,
        int(total["achieved"]) - 1,
    )

    final = runner.invoke(app, ["build", str(sample_package), "--out", str(out)])
    assert final.exit_code == 0, final.output
    assert "warning: 21 result(s) not yet approved: left out" in final.output
    assert not _watermarked(out / "en" / f"implementation-report-{B}.docx")
    assert _watermarked(draft / f"implementation-report-{B}.docx")  # each in its own folder
    summary = pd.read_csv(out / "en" / "indicator_summary.csv", dtype=str, keep_default_na=False)
    assert list(summary.columns) == ["biennium", "outcome", "indicator", "region", "target", "achieved"]
    assert summary[(summary["indicator"] == "7.1") & (summary["region"] == "Total")]["achieved"].tolist() == [
        "1"
    ]


def test_a_locked_biennium_refuses_a_late_file(store_url: str, sample_package: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, ["build", str(sample_package), "--out", str(out)]).exit_code == 0
    lock(upgraded_engine(store_url), B, "Chief", "sent to the Governing Body")
    again = runner.invoke(app, ["build", str(sample_package), "--out", str(out)])
    assert again.exit_code == 0, again.output  # the files already stored build the same report
    final = (out / "en" / f"implementation-report-{B}.docx").read_bytes()
    drafted = runner.invoke(app, ["build", str(sample_package), "--out", str(out), "--draft"])
    assert drafted.exit_code == 0, drafted.output
    assert _watermarked(out / "draft" / "en" / f"implementation-report-{B}.docx")
    assert (out / "en" / f"implementation-report-{B}.docx").read_bytes() == final  # never replaced
    late = sample_package / "evidence" / "late.csv"
    rows = pd.read_csv(sample_package / "evidence" / "evidence.csv", dtype=str, keep_default_na=False)
    rows[rows["cpo_code"] == "TUN129"].assign(cpo_title="Late").to_csv(late, index=False)
    refused = runner.invoke(app, ["build", str(sample_package), "--out", str(out)])
    assert refused.exit_code == 1
    assert "error: biennium 2014-15 is locked (by Chief" in refused.output
    assert "refused: evidence/late.csv (archived, not stored)" in refused.output
    entries = audit_entries(upgraded_engine(store_url), biennium=B)
    assert entries["what"].iloc[-1] == "file refused"
    assert entries["new_value"].iloc[-1].startswith("evidence/late.csv ")
