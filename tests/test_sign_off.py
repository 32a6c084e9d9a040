"""The sign-off of the report, driven through the Prefect API as the UI drives it: the end-of-biennium
run builds the draft and pauses with its form; the input sent resumes it (approve: the final report,
without watermark, publishing exactly the draft's figures, and the biennium locked; return: the comment
recorded, the run ends Returned); no answer leaves the draft and the run ends Expired."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pandas as pd
import pytest
from docx import Document
from prefect.client.schemas.objects import State

from reporting.escaping import markdown_cell
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


def _paused_run(after: dict[str, Any] | None = None) -> dict[str, Any]:
    """The paused end-of-biennium run, as the UI lists it, once its form can be shown: the run saves the
    form's schema just after it pauses, and an answer sent before is refused (waits, with a deadline).
    `after`: a pause of the run answered already, the run paused again since."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        runs = httpx.post(
            f"{_api()}/flow_runs/filter",
            json={"flow_runs": {"state": {"type": {"any_": ["PAUSED"]}}}, "limit": 5},
            timeout=30,
        ).json()
        again = not after or (runs and runs[0]["state"]["id"] != after["state"]["id"])
        if runs and again and _form(runs[0], "schema").status_code == 200:
            run: dict[str, Any] = runs[0]
            return run
        time.sleep(0.5)
    raise AssertionError("the end-of-biennium run never paused for sign-off")


def _form(run: dict[str, Any], part: str) -> httpx.Response:
    """A part of the paused run's form as the UI reads it: its `schema` or the `description` above it."""
    keyset = run["state"]["state_details"]["run_input_keyset"]
    return httpx.get(f"{_api()}/flow_runs/{run['id']}/input/{keyset[part]}", timeout=30)


def _resume(run: dict[str, Any], **given: str) -> dict[str, Any]:
    """What the UI sends when the operator fills in the form and resumes the run, and the answer."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:  # a busy server says 503 ("database is locked"): sent again, as Prefect's own client does
        response = httpx.post(f"{_api()}/flow_runs/{run['id']}/resume", json={"run_input": given}, timeout=30)
        if response.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert response.status_code in (200, 201), response.text  # 200: refused
    answer: dict[str, Any] = response.json()
    return answer


def _answer(run: dict[str, Any], **given: str) -> None:
    answer = _resume(run, **given)
    assert answer["status"] == "ACCEPT", answer


def _ended(thread: threading.Thread, ended: dict[str, Any]) -> State[Any]:
    thread.join(DEADLINE_SECONDS)
    assert not thread.is_alive(), "the run did not end after the sign-off"
    state: State[Any] = ended["state"]
    return state


def _watermarked(docx: Path) -> bool:
    return any("PowerPlusWaterMarkObject" in s.header._element.xml for s in Document(str(docx)).sections)


def _figures(folder: Path) -> pd.DataFrame:
    """Every figure of a build's indicator_summary.csv (a draft's two columns more left out)."""
    summary = pd.read_csv(folder / "indicator_summary.csv", dtype=str, keep_default_na=False)
    return summary[["biennium", "outcome", "indicator", "region", "target", "achieved"]]


def _with_decisions(package: Path, approved: int, returned: str, comment: str) -> None:
    """The package's reviews.csv with its first `approved` approvals kept, `returned` (a CPO of 7.1)
    returned with `comment`, and the other results left pending."""
    reviews = pd.read_csv(package / "reviews.csv", dtype=str, keep_default_na=False)
    reviews.loc[reviews["cpo_code"] == returned, ["decision", "comment"]] = ["returned", comment]
    kept = (reviews.index < approved) | (reviews["cpo_code"] == returned)
    reviews[kept].to_csv(package / "reviews.csv", index=False)


def test_approving_the_draft_publishes_its_figures_and_locks(
    own_store: str, sample_package: Path, tmp_path: Path
) -> None:
    engine = upgraded_engine(own_store)
    comment = "Which | ministry adopted it?"
    _with_decisions(sample_package, approved=10, returned="TUN129", comment=comment)
    editions: list[Language] = ["en", "fr", "es"]  # as the scheduled deployment asks
    thread, ended = _start(sample_package, tmp_path / "out", language=editions)
    run = _paused_run()
    assert run["name"].startswith(f"sign-off-{B}-")
    drafts = [tmp_path / "out" / "draft" / language for language in editions]
    assert all(_watermarked(d / f"implementation-report-{B}.docx") for d in drafts)
    assert "title" in _form(run, "schema").json()  # SignOff's JSON schema
    above = _form(run, "description").text
    assert f"Sign-off of the implementation report {B} (DRAFT)" in above
    assert all(str(d / f"implementation-report-{B}.docx") in above for d in drafts)
    returned = (
        "| " + " | ".join(markdown_cell(c) for c in ("7.1", "Tunisia/TUN129", "PROGRAM", comment)) + " |"
    )
    assert json.dumps(returned)[1:-1] in above  # the form's description, as the API gives it (JSON)
    for draft in drafts:
        assert returned in (draft / "report.md").read_text(encoding="utf-8")
    refused = _resume(run, decision="return", by="Chief", comment=" ")
    assert refused["status"] == "REJECT" and "comment" in refused["details"]["reason"], refused
    decide(engine, B, [Decision("7.1", "TUN129", "reopen", "Ana", "answered")])  # after the draft
    _answer(run, decision="approve", by="Chief", comment="")
    state = _ended(thread, ended)
    assert state.is_completed(), state
    assert "signed off by Chief" in str(state.message) and "2014-15 is locked" in str(state.message)
    for language, draft in zip(editions, drafts, strict=True):
        final = tmp_path / "out" / language
        assert not _watermarked(final / f"implementation-report-{B}.docx")
        assert _watermarked(draft / f"implementation-report-{B}.docx")  # the draft is kept beside it
        assert "(DRAFT)" not in (final / "report.md").read_text(encoding="utf-8").splitlines()[0]
        pd.testing.assert_frame_equal(_figures(final), _figures(draft))
    assert is_locked(engine, B)
    entries = audit_entries(engine, biennium=B)
    approvals = entries[(entries["by"] == "Chief") & (entries["what"] == "status")]
    assert len(approvals) == 22 - 10  # the pending ones, each on the rows the draft counted
    assert approvals["reason"].str.fullmatch("report signed off; on rows [0-9a-f]{16}").all()
    assert "TUN129" not in set(approvals["cpo_code"])  # submitted again after the draft: not approved
    assert list(entries["what"].iloc[-2:]) == ["sign-off", "lock"]
    assert list(entries["new_value"].iloc[-2:]) == ["approved", "locked"]


def test_returning_the_draft_records_the_comment(
    own_store: str, sample_package: Path, tmp_path: Path
) -> None:
    """Returned by a signer, after an answer from someone who may not sign off: that one is not taken,
    the run says why and shows the form again (it failed the run, the draft built for nothing)."""
    engine = upgraded_engine(own_store)
    thread, ended = _start(sample_package, tmp_path / "out")
    first = _paused_run()
    _answer(first, decision="return", by="Ana", comment="Ana is a reviewer, not a signer.")
    again = _paused_run(after=first)
    above = _form(again, "description").text
    assert "Not taken: the answer of Ana" in above and "signer" in above, above
    assert f"Sign-off of the implementation report {B} (DRAFT)" in above
    _answer(again, decision="return", by="Chief", comment="Table 2 needs the 2012-13 figures.")
    state = _ended(thread, ended)
    assert state.is_failed() and state.name == "Returned", state
    assert "returned by Chief: Table 2 needs the 2012-13 figures." in str(state.message)
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
    assert state.is_failed() and state.name == "Expired" and "no sign-off within" in str(state.message), state
    assert _watermarked(tmp_path / "out" / "draft" / "en" / f"implementation-report-{B}.docx")
    assert not (tmp_path / "out" / "en").exists()
    assert not is_locked(upgraded_engine(own_store), B)
