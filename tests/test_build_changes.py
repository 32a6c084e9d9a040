"""What changed between builds: `reporting diff OLD_DIR NEW_DIR`, and every build against the previous
build of its biennium in the store (the `report-<biennium>-changes` artifact, a section of report.md, a
line of the terminal summary). A late correction — a criterion that makes a CPO result reportable, an
edited text, a CPO removed — is named exactly, with the figures it moves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from reporting.cli import app
from reporting.escaping import markdown_text
from reporting.report.changes import excerpt

runner = CliRunner()

GHANA = {
    "biennium": "2014-15",
    "outcome": "7",
    "indicator": "7.1",
    "region": "Africa",
    "country": "Ghana",
    "cpo_code": "GHA101",
    "cpo_title": "Labour migration governance",
    "criterion": "1",
    "result_achieved": "A labour migration policy is being drafted.",
    "ilo_contribution": "Technical advice.",
}
EDITED_FROM, EDITED_TO = "nouvelle stratégie migratoire", "nouvelle stratégie nationale migratoire"

EXPECTED = [
    "figure 7.1 Africa: 2 → 3",
    "figure 7.1 Total: 13 → 14",
    "figure 7.2 Europe and Central Asia: 1 → 0",
    "figure 7.2 Total: 7 → 6",
    "added GHA (Ghana/GHA101) to 7.1 Africa",
    "added GHA (Ghana/GHA101) to 7.1 Total",
    "removed TUR (Turkey/TUR159) from 7.2 Europe and Central Asia",
    "removed TUR (Turkey/TUR159) from 7.2 Total",
    "CPO result changed: 7.1 Ghana/GHA101: criteria 1, not counted (fewer criteria than required (1 of 2)) "
    "→ criteria 1, 3, counted",
    "CPO result removed: 7.2 Turkey/TUR159: criteria 1, 2, 3, counted",
]


@pytest.fixture
def own_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")


def _evidence(package: Path) -> tuple[Path, pd.DataFrame]:
    path = package / "evidence" / "evidence.csv"
    return path, pd.read_csv(path, dtype=str, keep_default_na=False)


def _build(package: Path, out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The flow's result and its artifacts by key."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    from reporting.flows.biennial_report import biennial_report

    state = biennial_report(package=str(package), out=str(out), return_state=True)
    assert state.is_completed(), state.message
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )
    return state.result(), {a.key: a.data for a in found if a.key}


def _changes_artifact(artifacts: dict[str, Any]) -> str:
    (markdown,) = [data for key, data in artifacts.items() if key.endswith("-changes")]
    return str(markdown)


@pytest.mark.usefixtures("own_store")
@pytest.mark.usefixtures("prefect_harness")
def test_a_late_correction_is_named_exactly_by_diff_artifact_and_report(
    sample_package: Path, tmp_path: Path
) -> None:
    path, evidence = _evidence(sample_package)
    pd.concat([evidence, pd.DataFrame([GHANA])], ignore_index=True).to_csv(path, index=False)
    with (sample_package / "reviews.csv").open("a", encoding="utf-8") as reviews:  # the package approves it
        reviews.write("2014-15,7,7.1,GHA101,approved,PROGRAM,\n")
    first, artifacts = _build(sample_package, tmp_path / "first")
    assert first["changes"] == "No earlier build of this biennium in the store to compare with."
    assert "nothing to compare with" in _changes_artifact(artifacts)
    assert "## Changes since" not in (tmp_path / "first" / "en" / "report.md").read_text(encoding="utf-8")

    # the correction: Ghana meets a second criterion, Tunisia's text is edited, Turkey's CPO removed
    _, evidence = _evidence(sample_package)
    tunisia = evidence.index[(evidence["cpo_code"] == "TUN129") & (evidence["criterion"] == "1")][0]
    assert EDITED_FROM in evidence.loc[tunisia, "result_achieved"]
    evidence.loc[tunisia, "result_achieved"] = evidence.loc[tunisia, "result_achieved"].replace(
        EDITED_FROM, EDITED_TO
    )
    evidence = evidence[evidence["cpo_code"] != "TUR159"]
    ghana = pd.DataFrame([{**GHANA, "criterion": "3", "result_achieved": "The policy was adopted."}])
    pd.concat([evidence, ghana], ignore_index=True).to_csv(path, index=False)
    second, artifacts = _build(sample_package, tmp_path / "second")

    outcome = runner.invoke(app, ["diff", str(tmp_path / "first"), str(tmp_path / "second")])
    assert outcome.exit_code == 1, outcome.output
    lines = outcome.output.strip().splitlines()
    (text,) = [line for line in lines if line.startswith("text changed: ")]
    assert text.startswith("text changed: 7.1 Tunisia/TUN129: ")
    assert "{+nationale+}" in text and "stratégie" in text
    (replaced,) = [line for line in lines if line.startswith("input file replaced: ")]
    assert replaced.startswith("input file replaced: evidence/evidence.csv (sha256 ")
    assert [line for line in lines if line not in (text, replaced)] == EXPECTED

    markdown = _changes_artifact(artifacts)
    assert markdown.startswith("# Changes since the build of ")
    for line in [*EXPECTED, text, replaced]:
        assert f"- {markdown_text(line)}" in markdown
    assert second["changes"].startswith("Changes since the build of ")
    assert "4 figure(s) changed" in second["changes"]

    report = (tmp_path / "second" / "en" / "report.md").read_text(encoding="utf-8")
    section = report.split("## Changes since the build of ", 1)[1].split("\n## ", 1)[0]
    assert "figure 7.1 Africa: 2 → 3" in section and "TUR159" in section and "TUN129" in section
    assert len([line for line in section.splitlines() if line.startswith("- ")]) == len(EXPECTED) + 2

    # the same inputs again: no change since the previous build, the same report.md, diff says so
    third, artifacts = _build(sample_package, tmp_path / "third")
    assert third["changes"].startswith("No change since the build of ")
    assert "No change" in _changes_artifact(artifacts)
    for name in ("report.md", "indicator_summary.csv", "indicator_evidence.csv"):
        second_file, third_file = (tmp_path / build / "en" / name for build in ("second", "third"))
        assert second_file.read_bytes() == third_file.read_bytes(), name
    same = runner.invoke(app, ["diff", str(tmp_path / "second"), str(tmp_path / "third")])
    assert same.exit_code == 0 and same.output.strip() == "no change"


def test_diff_of_folders_without_a_report_is_refused(tmp_path: Path) -> None:
    outcome = runner.invoke(app, ["diff", str(tmp_path), str(tmp_path)])
    assert outcome.exit_code == 2


def test_excerpt_shows_the_changed_words_in_context() -> None:
    old = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    new = old.replace("seven eight", "SEVEN")
    assert excerpt(old, new, context=2) == "…five six [-seven eight-] {+SEVEN+} nine ten…"
    assert excerpt("a b c", "a b c d", context=3) == "a b c {+d+}"
