"""The `biennial-report` flow's orchestration under Prefect's test harness: parameters, caching of
rebuilds, the per-biennium write limit and the artifacts an operator reads in the UI."""

from __future__ import annotations

import importlib
import shutil
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from reporting.errors import PackageError
from reporting.escaping import markdown_text
from tests.conftest import ROOT, SAMPLE

pytestmark = pytest.mark.usefixtures("prefect_harness")


EVERY_TASK = (
    "receive",
    "read-",
    "assemble",
    "validate",
    "store",
    "select-outcomes",
    "aggregate",
    "earlier-biennium",
    "context",
    "render",
)


def _task_runs(flow_run_id: UUID, expected: tuple[str, ...] = EVERY_TASK) -> list[Any]:
    """The run's task runs once every task of the flow is there in a final state: task runs and their
    states reach the API through events, a moment after the flow returns, and not in order."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
            arrived = all(any(t.name.startswith(name) for t in runs) for name in expected)
            if arrived and all(t.state and t.state.is_final() for t in runs):
                return runs
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"task runs still missing after 60 s: {[(t.name, t.state) for t in runs]}"
                )
            time.sleep(0.2)


def _wait_for_log(flow_run_ids: list[UUID], text: str) -> list[str]:
    """The runs' log lines holding `text`, once one has reached the API (logs are sent in batches)."""
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    deadline = time.monotonic() + 30
    with get_client(sync_client=True) as client:
        while True:
            logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=flow_run_ids)))
            found = [log.message for log in logs if text in log.message]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.5)


def _states(flow_run_id: UUID, prefix: str) -> dict[str, str]:
    """Task run name → state name ("Cached" when the result came from the cache)."""
    return {t.name: t.state.name for t in _task_runs(flow_run_id) if t.name.startswith(prefix) and t.state}


def _run(**parameters: Any) -> Any:
    from reporting.flows.biennial_report import biennial_report

    state = biennial_report(**parameters, return_state=True)
    assert state.is_completed(), state.message
    return state


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A packages folder holding a small synthetic 2014-15 package (3 outcomes, one file each)."""
    from reporting.synth import synthetic_package

    root = tmp_path / "packages"
    synthetic_package(root / "2014-15", rows=90, outcomes=3, seed=7)
    monkeypatch.setenv("REPORTING_PACKAGES_DIR", str(root))
    return root


def test_a_rebuild_reads_again_only_the_file_that_changed(packages: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    first = _run(biennium="2014-15", out=out)
    assert first.state_details.flow_run_id is not None
    reads = _states(first.state_details.flow_run_id, "read-")
    assert len(reads) == 6 and "read-evidence/outcome-02.csv" in reads  # framework, 3 evidence, targets,
    # reviews

    again = _run(biennium="2014-15", out=out, force=True)  # not the up-to-date answer: the task cache
    unchanged = _states(again.state_details.flow_run_id, "")
    for name in ("read-", "validate", "aggregate", "context", "render"):
        states = [s for t, s in unchanged.items() if t.startswith(name)]
        assert states and set(states) == {"Cached"}, (name, unchanged)
    assert again.result()["summary"].equals(first.result()["summary"])

    corrected = packages / "2014-15" / "evidence" / "outcome-02.csv"
    corrected.write_text(corrected.read_text("utf-8") + "\n", "utf-8")
    third = _run(biennium="2014-15", out=out)
    states = _states(third.state_details.flow_run_id, "")
    read_again = sorted(t for t, s in states.items() if t.startswith("read-") and s != "Cached")
    assert read_again == ["read-evidence/outcome-02.csv"]
    assert [s for t, s in states.items() if t.startswith("validate")] == ["Completed"]


def test_a_removed_report_is_rendered_again(packages: Path, tmp_path: Path) -> None:
    first = _run(biennium="2014-15", out=str(tmp_path / "out")).result()
    Path(first["docx"]).unlink()
    second = _run(biennium="2014-15", out=str(tmp_path / "out")).result()
    assert Path(second["docx"]).stat().st_size > 20_000


def test_only_the_outcomes_asked_are_counted(packages: Path, tmp_path: Path) -> None:
    from reporting.framework import load_framework

    framework = load_framework(packages / "2014-15" / "framework.yaml")
    (second,) = (o for o in framework.outcomes if o.id == "2")
    result = _run(biennium="2014-15", outcomes=["2"], out=str(tmp_path / "out")).result()
    assert set(result["summary"]["outcome"]) == {"2"}
    assert set(result["summary"]["indicator"]) == {i.id for i in second.indicators}
    assert result["rows_ingested"] == 30


def test_a_build_of_some_outcomes_still_stores_the_whole_package(
    packages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reporting.store.database import upgraded_engine
    from reporting.store.in_force import current_evidence, stored_framework

    url = f"sqlite:///{tmp_path / 'own.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    _run(biennium="2014-15", outcomes=["2"], out=str(tmp_path / "out"))
    engine = upgraded_engine(url)
    assert sorted(current_evidence(engine, "2014-15")["outcome"].unique()) == ["1", "2", "3"]
    assert len(current_evidence(engine, "2014-15")) == 90
    framework = stored_framework(engine, "2014-15")
    assert framework is not None and [o.id for o in framework.outcomes] == ["1", "2", "3"]


def test_an_outcome_not_in_the_framework_is_refused(packages: Path, tmp_path: Path) -> None:
    from reporting.flows.biennial_report import biennial_report

    with pytest.raises(PackageError, match=r"outcome\(s\) 9 not in the 2014-15 framework"):
        biennial_report(biennium="2014-15", outcomes=["9"], out=str(tmp_path / "out"))


def test_a_mistyped_biennium_is_refused_before_anything_runs(tmp_path: Path) -> None:
    from prefect.exceptions import ParameterTypeError

    from reporting.flows.biennial_report import biennial_report

    with pytest.raises(ParameterTypeError, match="biennium"):
        biennial_report(biennium="2014-2015", out=str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_a_package_of_another_biennium_is_refused(sample_package: Path, tmp_path: Path) -> None:
    from reporting.flows.biennial_report import biennial_report

    with pytest.raises(PackageError, match="for biennium 2014-15, not 2016-17"):
        biennial_report(package=str(sample_package), biennium="2016-17", out=str(tmp_path / "o"))


def _artifacts(flow_run_id: UUID) -> dict[str, Any]:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key: a for a in found if a.key}  # the keyless one is the flow's persisted result


def test_every_run_leaves_its_artifacts(tmp_path: Path) -> None:
    state = _run(biennium="2014-15", out=str(tmp_path / "out"))
    result = state.result()
    artifacts = _artifacts(state.state_details.flow_run_id)
    assert set(artifacts) == {
        "report-2014-15-summary",
        "report-2014-15-by-region",
        "report-2014-15-findings",
        "report-2014-15-docx",
        "report-2014-15-changes",
    }
    summary = artifacts["report-2014-15-summary"].data
    assert "| 7 | 7\\.1 | – | 13 |" in summary and "| 7 | 7\\.2 | – | 7 |" in summary  # escaped Markdown
    assert "rejected by validation: **0**" in summary
    by_region = {row["indicator"]: row for row in _table(artifacts["report-2014-15-by-region"].data)}
    assert by_region["7\\.1"]["Total"] == 13 and by_region["7\\.1"]["Asia and the Pacific"] == 8
    assert by_region["7\\.2"]["Total"] == 7
    assert markdown_text(result["docx"]) in artifacts["report-2014-15-docx"].data  # the path, as text
    for companion in ("results", "audit"):  # and the paths of its companion documents
        path = result["docx"].replace(".docx", f"-{companion}.docx")
        assert markdown_text(path) in artifacts["report-2014-15-docx"].data
    flow_run = _flow_run(state.state_details.flow_run_id)
    assert flow_run.name.startswith("report-2014-15-")


def _table(data: Any) -> list[dict[str, Any]]:
    import json

    return json.loads(data) if isinstance(data, str) else list(data)


def _flow_run(flow_run_id: UUID) -> Any:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id)


def test_findings_are_an_artifact(sample_package: Path, tmp_path: Path) -> None:
    evidence = sample_package / "evidence" / "evidence.csv"
    evidence.write_text(evidence.read_text("utf-8").replace(",Americas,", ",America,", 1), "utf-8")
    state = _run(package=str(sample_package), out=str(tmp_path / "out"))
    artifacts = _artifacts(state.state_details.flow_run_id)
    assert (
        "report-2014-15-findings" not in artifacts
    )  # a package from elsewhere keeps the latest report's keys
    findings = artifacts["report-2014-15-from-2014-15-findings"]
    assert "America" in str(findings.data) and "region" in str(findings.data)
    # two: the region not one of the five, and the advice that README.md is not read
    assert str(findings.description).endswith("(file, sheet, row, column, rule): 2"), findings.description


def test_two_rebuilds_of_a_biennium_never_write_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two concurrent runs of one biennium: the first to hold the write slot stores only once the other
    says it waits for the slot, and each one's store → render span does not overlap the other's
    (without the write limit they do: both reach the store at about the same time)."""
    import reporting.pipeline as module
    from reporting.flows import write_slot

    store_package, wait_for_slot = module.store_package, write_slot._wait
    second_waits = threading.Event()

    def waiting(*args: Any) -> None:
        second_waits.set()
        wait_for_slot(*args)

    def store_once_the_other_waits(*args: Any, **kwargs: Any) -> Any:
        assert second_waits.wait(timeout=120), "the second run never waited for the write slot"
        return store_package(*args, **kwargs)

    monkeypatch.setattr(write_slot, "_wait", waiting)
    monkeypatch.setattr(module, "store_package", store_once_the_other_waits)
    monkeypatch.setattr(write_slot, "FIRST_TRY_SECONDS", 0.5)  # the second run says soon that it waits
    package = tmp_path / "2014-15"
    shutil.copytree(SAMPLE, package)
    states: list[Any] = []

    def rebuild(out: str) -> None:
        states.append(_run(package=str(package), out=out))

    threads = [threading.Thread(target=rebuild, args=(str(tmp_path / f"out-{i}"),)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(states) == 2
    spans = []
    for state in states:
        runs = {t.name.rsplit("-", 1)[0]: t for t in _task_runs(state.state_details.flow_run_id)}
        spans.append((runs["store"].start_time, runs["render"].end_time))
    first, second = sorted(spans)
    assert first[1] <= second[0], spans
    waited = _wait_for_log([s.state_details.flow_run_id for s in states], "waiting for the write slot")
    assert waited and "report-2014-15" in waited[0]  # the second run said what it waits for
    assert len({state.state_details.flow_run_id for state in states}) == 2


def test_a_database_hiccup_is_retried_a_wrong_package_is_not(
    sample_package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    import reporting.flows.biennial_report as module
    import reporting.pipeline

    store_package = reporting.pipeline.store_package
    calls: list[int] = []

    def locked_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return store_package(*args, **kwargs)

    monkeypatch.setattr(reporting.pipeline, "store_package", locked_once)
    state = _run(package=str(sample_package), out=str(tmp_path / "out"))
    (stored,) = [t for t in _task_runs(state.state_details.flow_run_id) if t.name.startswith("store")]
    assert stored.run_count == 2 and len(calls) == 2

    (sample_package / "evidence" / "broken.json").write_text("{not json", "utf-8")
    failed = module.biennial_report(package=str(sample_package), out=str(tmp_path / "o"), return_state=True)
    assert failed.is_failed() and "broken.json" in str(failed.message)
    reads_tried = ("receive", "read-evidence/broken.json", "read-evidence/evidence.csv")
    (read,) = [
        t
        for t in _task_runs(failed.state_details.flow_run_id, reads_tried)
        if t.name == "read-evidence/broken.json"
    ]
    assert read.run_count == 1
    reads = {t.name: t.state.name for t in _task_runs(failed.state_details.flow_run_id, reads_tried)}
    assert reads["read-evidence/evidence.csv"] in ("Completed", "Cached")  # the other files were read


def test_the_report_compares_with_an_earlier_biennium_once_it_is_stored(tmp_path: Path) -> None:
    """The context is rebuilt (not served from the cache) when the store gains the earlier biennium."""
    current = tmp_path / "2014-15"
    shutil.copytree(SAMPLE, current)
    earlier = tmp_path / "2012-13"
    shutil.copytree(SAMPLE, earlier)
    for path in (earlier / "framework.yaml", earlier / "evidence" / "evidence.csv", earlier / "reviews.csv"):
        path.write_text(path.read_text("utf-8").replace("2014-15", "2012-13"), "utf-8")
    out = str(tmp_path / "out")

    _run(package=str(current), out=out, outcomes=["7"])
    assert "2012-13" not in (tmp_path / "out" / "en" / "report.md").read_text("utf-8")
    before = _run(package=str(current), out=out, outcomes=["7"], force=True)  # past the up-to-date answer
    assert set(_states(before.state_details.flow_run_id, "context").values()) == {"Cached"}  # store as it was
    _run(package=str(earlier), out=str(tmp_path / "earlier"))
    after = _run(package=str(current), out=out, outcomes=["7"])
    assert set(_states(after.state_details.flow_run_id, "context").values()) == {"Completed"}
    assert "2012-13" in (tmp_path / "out" / "en" / "report.md").read_text("utf-8")


def test_on_a_server_without_the_deployments_the_alert_says_so_and_saves_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`deployments/automations.py` on the harness's server, which has none of the deployments (not on
    the stack of tests/test_notifications.py, which has them)."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    monkeypatch.setenv("REPORTING_ALERT_WEBHOOK_URL", "https://hooks.example.org/T0/B0/token")
    monkeypatch.syspath_prepend(str(ROOT / "deployments"))
    automations = importlib.import_module("automations")
    assert automations.main() == 1
    said = capsys.readouterr().out.strip()
    assert said.startswith("no deployments on http") and said.endswith("no alert saved.")
    assert len(said.splitlines()) == 1
    with pytest.raises(ValueError, match="Unable to find block document"):
        CustomWebhookNotificationBlock.load(automations.BLOCK)
