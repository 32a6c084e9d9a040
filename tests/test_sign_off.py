"""The sign-off of the report, driven through the Prefect API as the UI drives it: the end-of-biennium
run builds the draft and pauses with its form; the input sent resumes it (approve: the final report,
without watermark, and the biennium locked; return: the comment recorded); no answer leaves the draft."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from docx import Document
from prefect.client.schemas.objects import State

from reporting.review.results import Decision, decide, is_locked
from reporting.store.database import upgraded_engine
from reporting.store.review import audit_entries

if TYPE_CHECKING:  # the flow modules are imported inside the tests
    from reporting.flows.biennial_report import Language

pytestmark = [pytest.mark.usefixtures("prefect_harness"), pytest.mark.slow]
B = "2014-15"
DEADLINE_SECONDS = 240


@pytest.fixture
def own_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    from reporting.flows import end_of_biennium

    monkeypatch.setattr(end_of_biennium, "POLL_SECONDS", 1)
    yield url


def _api() -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value()).rstrip("/")


def _start(
    package: Path, out: Path, timeout_days: float = 1.0, language: list[Language] | None = None
) -> tuple[threading.Thread, dict[str, Any]]:
    """The end-of-biennium flow in a thread (as a worker would run it); its final state lands in `ended`."""
    from reporting.flows.end_of_biennium import end_of_biennium

    ended: dict[str, Any] = {}

    def run() -> None:
        ended["state"] = end_of_biennium(
            package=str(package),
            out=str(out),
            language=language or "en",
            timeout_days=timeout_days,
            return_state=True,
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, ended


def _paused_run() -> dict[str, Any]:
    """The paused end-of-biennium run, as the UI lists it, once its form can be shown: the run saves the
    form's schema just after it pauses, and an answer sent before is refused (waits, with a deadline)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        runs = httpx.post(
            f"{_api()}/flow_runs/filter",
            json={"flow_runs": {"state": {"type": {"any_": ["PAUSED"]}}}, "limit": 5},
            timeout=30,
        ).json()
        if runs and _form(runs[0], "schema").status_code == 200:
            run: dict[str, Any] = runs[0]
            return run
        time.sleep(0.5)
    raise AssertionError("the end-of-biennium run never paused for sign-off")


def _form(run: dict[str, Any], part: str) -> httpx.Response:
    """A part of the paused run's form as the UI reads it: its `schema` or the `description` above it."""
    keyset = run["state"]["state_details"]["run_input_keyset"]
    return httpx.get(f"{_api()}/flow_runs/{run['id']}/input/{keyset[part]}", timeout=30)


def _answer(run: dict[str, Any], **given: str) -> None:
    """What the UI sends when the operator fills in the form and resumes the run."""
    response = httpx.post(f"{_api()}/flow_runs/{run['id']}/resume", json={"run_input": given}, timeout=30)
    assert response.status_code == 201 and response.json()["status"] == "ACCEPT", response.text


def _ended(thread: threading.Thread, ended: dict[str, Any]) -> State[Any]:
    thread.join(DEADLINE_SECONDS)
    assert not thread.is_alive(), "the run did not end after the sign-off"
    state: State[Any] = ended["state"]
    return state


def _watermarked(docx: Path) -> bool:
    return any('string="DRAFT"' in s.header._element.xml for s in Document(str(docx)).sections)


def test_approving_the_draft_builds_the_final_report_and_locks(
    own_store: str, sample_package: Path, tmp_path: Path
) -> None:
    engine = upgraded_engine(own_store)
    (sample_package / "reviews.csv").unlink()  # nothing approved yet: the draft counts pending results
    editions: list[Language] = ["en", "fr", "es"]  # as the scheduled deployment asks
    thread, ended = _start(sample_package, tmp_path / "out", language=editions)
    run = _paused_run()
    folders = [tmp_path / "out" / language for language in editions]
    docx = [folder / f"implementation-report-{B}.docx" for folder in folders]
    assert all(_watermarked(d) for d in docx)
    assert "title" in _form(run, "schema").json()  # SignOff's JSON schema
    above = _form(run, "description").text
    assert f"Sign-off of the implementation report {B} (DRAFT)" in above
    assert all(str(d) in above for d in docx)
    _answer(run, decision="approve", by="Chief", comment="")
    state = _ended(thread, ended)
    assert state.is_completed(), state
    assert "signed off by Chief" in str(state.message) and "2014-15 is locked" in str(state.message)
    assert not any(_watermarked(d) for d in docx)
    for folder in folders:
        assert "(DRAFT)" not in (folder / "report.md").read_text(encoding="utf-8").splitlines()[0]
    assert is_locked(engine, B)
    entries = audit_entries(engine, biennium=B)
    approvals = entries[(entries["by"] == "Chief") & (entries["what"] == "status")]
    assert len(approvals) == 22 and set(approvals["reason"]) == {"report signed off"}
    assert list(entries["what"].iloc[-2:]) == ["sign-off", "lock"]
    assert list(entries["new_value"].iloc[-2:]) == ["approved", "locked"]


def test_returning_the_draft_records_the_comment(
    own_store: str, sample_package: Path, tmp_path: Path
) -> None:
    engine = upgraded_engine(own_store)
    thread, ended = _start(sample_package, tmp_path / "out")
    _answer(_paused_run(), decision="return", by="Chief", comment="Table 2 needs the 2012-13 figures.")
    state = _ended(thread, ended)
    assert state.is_completed() and "returned by Chief: Table 2 needs the 2012-13 figures." in str(
        state.message
    )
    assert not is_locked(engine, B)
    last = audit_entries(engine, biennium=B).iloc[-1]
    assert (last["by"], last["what"], last["new_value"], last["reason"]) == (
        "Chief", "sign-off", "returned", "Table 2 needs the 2012-13 figures.",
    )  # fmt: skip
    outcome = decide(engine, B, [Decision("7.1", "TUN129", "reopen", "Ana", "still open")])
    assert outcome.applied  # returned, not locked: the review goes on


def test_no_answer_leaves_the_draft(own_store: str, sample_package: Path, tmp_path: Path) -> None:
    (sample_package / "reviews.csv").unlink()
    thread, ended = _start(sample_package, tmp_path / "out", timeout_days=3 / 86400)
    state = _ended(thread, ended)
    assert state.is_completed() and "no sign-off within" in str(state.message), state
    assert _watermarked(tmp_path / "out" / f"implementation-report-{B}.docx")
    assert not is_locked(upgraded_engine(own_store), B)
