"""A build asked again with nothing changed answers at once, in its flow run's first task; any change and
every stage runs."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reporting.cli import app
from reporting.intake.readers import receive_package
from reporting.pipeline import Built, Current, Parameters, Store, publish
from reporting.report.manifest import build_identity
from reporting.report.up_to_date import unchanged_build
from reporting.resources import default_template
from reporting.store.database import upgraded_engine
from reporting.store.review import Entry, approval_state, record
from tests.report_packages import build


def _asked(package: Path, out: Path, **changed: Any) -> dict[str, Any]:
    """The parameters `reporting build PACKAGE --out OUT` passes to the flow."""
    return {
        "package": str(package),
        "outcomes": None,
        "template": None,
        "out": str(out),
        "strict": False,
        "pdf": False,
        "language": "en",
        "draft": False,
        "publication_date": None,
        **changed,
    }


def test_only_todays_build_of_the_same_inputs_with_untouched_outputs_is_current(
    sample_package: Path, tmp_path: Path
) -> None:
    store = Store(upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}"), tmp_path / "archive")
    build(sample_package, tmp_path / "out", where=store)
    out = tmp_path / "out" / "en"  # the edition's folder: its build.json says what was made
    _, intake = receive_package(sample_package)
    engine = store.engine
    identity = build_identity(
        intake.files, default_template(), None, False, approval_state(engine, "2014-15")
    )
    today = date.today()
    asked = _asked(sample_package, out)

    assert unchanged_build(out, identity, asked, engine, today) is not None
    assert unchanged_build(out, identity, asked, engine, today + timedelta(1)) is None
    assert unchanged_build(out, identity, _asked(sample_package, out, strict=True), engine, today) is None
    assert unchanged_build(out, "another-id", asked, engine, today) is None
    elsewhere = upgraded_engine(f"sqlite:///{tmp_path / 'other.db'}")  # never recorded this build
    assert unchanged_build(out, identity, asked, elsewhere, today) is None

    with engine.begin() as conn:  # a reviewer returns a result after the build
        record(conn, Entry(by="reviewer", biennium="2014-15", what="status", new_value="returned"))
    assert unchanged_build(out, identity, asked, engine, today) is None
    build(sample_package, tmp_path / "out", where=store)
    assert unchanged_build(out, identity, asked, engine, today) is not None

    with (out / "report.md").open("a", encoding="utf-8") as report:
        report.write("\nEdited by hand.\n")
    assert unchanged_build(out, identity, asked, engine, today) is None


def test_the_composition_answers_up_to_date_unless_forced(sample_package: Path, tmp_path: Path) -> None:
    store = Store(upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}"), tmp_path / "archive")
    asked = Parameters(package=str(sample_package), out=str(tmp_path / "out"))
    assert isinstance(publish(asked, store), Built)
    again = publish(asked, store)
    assert isinstance(again, Current) and again.line.startswith("Up to date: build ")
    assert again.out_dir == tmp_path / "out" / "en" and "report.md" in again.manifest["outputs"]
    assert isinstance(
        publish(Parameters(package=str(sample_package), out=str(tmp_path / "out"), force=True), store), Built
    )


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_a_second_build_with_nothing_changed_does_not_run_the_flow_again(
    sample_package: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    first = runner.invoke(app, ["build", str(sample_package), "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert "Up to date" not in first.output

    again = runner.invoke(app, ["build", str(sample_package), "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert "Up to date: build " in again.output and str(out / "en" / "report.md") in again.output

    forced = runner.invoke(app, ["build", str(sample_package), "--out", str(out), "--force"])
    assert forced.exit_code == 0 and "Up to date" not in forced.output

    evidence = sample_package / "evidence" / "evidence.csv"  # a corrected result text
    text = evidence.read_text(encoding="utf-8")
    evidence.write_text(text.replace("capacity-building workshop", "capacity-building seminar", 1), "utf-8")
    corrected = runner.invoke(app, ["build", str(sample_package), "--out", str(out)])
    assert corrected.exit_code == 0 and "Up to date" not in corrected.output, corrected.output
    assert "capacity-building seminar" in (out / "en" / "report-results.md").read_text(encoding="utf-8")


@pytest.mark.usefixtures("prefect_harness")
def test_the_up_to_date_answer_is_a_completed_flow_run_that_says_so(
    sample_package: Path, tmp_path: Path
) -> None:
    """The answer is the flow's own: a run of `biennial-report` in the UI, Completed, its message the
    answer, its parameters those asked."""
    from prefect import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["build", str(sample_package), "--out", str(out)]).exit_code == 0
    again = CliRunner().invoke(app, ["build", str(sample_package), "--out", str(out)])
    assert again.exit_code == 0 and "Up to date" in again.output, again.output
    with get_client(sync_client=True) as client:
        (latest,) = client.read_flow_runs(sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=1)
    assert latest.state is not None and latest.state.is_completed()
    assert str(latest.state.message).startswith("Up to date: build ")
    assert latest.parameters["package"] == str(sample_package) and latest.name.startswith("report-2014-15-")
