"""`reporting build` asked again with nothing changed answers at once; any change and the flow runs.
How quickly it answers is a figure of `make bench-cli` (benchmarks/bench_cli.py)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reporting.cli import app
from reporting.intake.readers import receive_package
from reporting.orchestration import local_server, run_record
from reporting.pipeline import Store, build_report
from reporting.report.manifest import build_identity
from reporting.report.up_to_date import unchanged_build
from reporting.resources import default_template
from reporting.store.database import upgraded_engine
from reporting.store.review import Entry, approval_state, record


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
    out = tmp_path / "out"
    build_report(sample_package, out, where=store)
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
    build_report(sample_package, out, where=store)
    assert unchanged_build(out, identity, asked, engine, today) is not None

    with (out / "report.md").open("a", encoding="utf-8") as report:
        report.write("\nEdited by hand.\n")
    assert unchanged_build(out, identity, asked, engine, today) is None


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
    assert "capacity-building seminar" in (out / "en" / "report.md").read_text(encoding="utf-8")


@pytest.mark.usefixtures("prefect_harness")
def test_the_up_to_date_answer_is_shown_in_the_ui_as_a_run_of_its_biennium(
    sample_package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Completed run the answer records carries the flow's parameters, the biennium named."""
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["build", str(sample_package), "--out", str(out)]).exit_code == 0
    recorded: list[tuple[Any, ...]] = []
    server = local_server.LocalServer(pid=os.getpid(), api_url="http://127.0.0.1:9/api")
    monkeypatch.setattr(local_server, "recorded", lambda: server)
    monkeypatch.setattr(local_server, "healthy", lambda api_url: True)
    monkeypatch.setattr(run_record, "record_completed_run", lambda *args: recorded.append(args) or True)
    again = CliRunner().invoke(app, ["build", str(sample_package), "--out", str(out)])
    assert again.exit_code == 0 and "Up to date" in again.output, again.output
    ((api_url, flow_name, run_name, parameters, message),) = recorded
    assert (api_url, flow_name) == (server.api_url, "biennial-report") and run_name.endswith("-up-to-date")
    assert parameters["biennium"] == "2014-15" and parameters["package"] == str(sample_package)
    assert message.startswith("Up to date: build ")
