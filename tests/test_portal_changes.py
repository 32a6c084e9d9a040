"""What changed since the last decision on the reviewer's page (review.since), and each biennium at a
glance on the overview: the files received, the latest draft's figures and the link to its sign-off run
in the Prefect UI."""

from __future__ import annotations

import html
import re
from pathlib import Path
from uuid import uuid4

import pandas as pd
import pytest

from reporting import settings
from reporting.portal import runs
from reporting.review.results import Decision, decide, sync
from reporting.review.since import RowChange, changes_since_decisions
from reporting.store.builds import record_build
from reporting.store.database import engine_for
from tests.test_portal import AFRICA_REVIEWER, ASIA_REVIEWER, SIGNER, SUBMITTER, B, Portal, _decide, csrf
from tests.test_portal import hashed as hashed  # the fixtures of the portal's HTTP tests
from tests.test_portal import portal as portal
from tests.test_storage import EVIDENCE, ingest

CHANGED_TEXT = "Adopted in 2015: the law on <minimum wages & hours>."
"""Prose with markup characters (no HTML tag: intake would remove a tag): escaped on every page."""
LATER_TEXT = "Adopted in 2016: the <wages & hours> law."


def _send_again(
    package: Path, change: dict[tuple[str, str], str], drop: tuple[str, str] | None = None
) -> None:
    """A new version of the package's evidence file stored (it supersedes the one stored): the
    `result_achieved` of each (CPO, criterion) in `change` replaced, the row `drop` left out."""
    rows = pd.read_csv(package / EVIDENCE, dtype=str, keep_default_na=False)
    for (cpo, criterion), text in change.items():
        rows.loc[(rows["cpo_code"] == cpo) & (rows["criterion"] == criterion), "result_achieved"] = text
    if drop is not None:
        rows = rows[~((rows["cpo_code"] == drop[0]) & (rows["criterion"] == drop[1]))]
    rows.to_csv(package / EVIDENCE, index=False)
    engine = engine_for(settings.database_url())
    ingest(engine, package, settings.archive_dir())
    sync(engine, B)


def _texts_of(package: Path, cpo: str, criterion: str) -> tuple[str, str]:
    rows = pd.read_csv(package / EVIDENCE, dtype=str, keep_default_na=False)
    row = rows[(rows["cpo_code"] == cpo) & (rows["criterion"] == criterion)].iloc[0]
    return str(row["result_achieved"]), str(row["ilo_contribution"])


def test_what_changed_since_each_results_last_decision(portal: Portal, tmp_path: Path) -> None:
    """The decision (status, who, the comment) and the rows it was made on compared with the rows now:
    a changed text before and now, a criterion removed with its texts; a result decided on the rows it
    has, or never decided, is not listed."""
    engine = engine_for(settings.database_url())
    package = tmp_path / B
    decisions = [
        Decision("7.2", "ETH155", "return", AFRICA_REVIEWER, "Name the law, please.", None),
        Decision("7.1", "SHA127", "approve", AFRICA_REVIEWER),
        Decision("7.1", "NGA904", "approve", AFRICA_REVIEWER),
    ]
    assert not decide(engine, B, decisions).refused
    assert changes_since_decisions(engine, B) == {}  # decided on the rows they have
    before, _contribution = _texts_of(package, "ETH155", "2")
    removed, removed_contribution = _texts_of(package, "SHA127", "4")
    _send_again(package, {("ETH155", "2"): CHANGED_TEXT}, drop=("SHA127", "4"))

    since = changes_since_decisions(engine, B)
    assert set(since) == {("7.2", "ETH155"), ("7.1", "SHA127")}  # not NGA904 (same rows), not BGD303
    returned = since[("7.2", "ETH155")]
    assert (returned.status, returned.by, returned.comment) == (
        "returned",
        AFRICA_REVIEWER,
        "Name the law, please.",
    )
    assert returned.found and returned.decided_version != returned.version
    assert returned.rows == (RowChange(2, "changed", (("result_achieved", before, CHANGED_TEXT),)),)
    approved = since[("7.1", "SHA127")]
    assert (approved.status, approved.comment) == ("approved", "")  # "on rows …" is not a comment
    assert approved.rows == (
        RowChange(
            4, "removed", (("result_achieved", removed, ""), ("ilo_contribution", removed_contribution, ""))
        ),
    )

    # decided again on the new rows: nothing since; the office changes it again: against the new rows
    assert not decide(engine, B, [Decision("7.1", "SHA127", "approve", AFRICA_REVIEWER)]).refused
    assert set(changes_since_decisions(engine, B)) == {("7.2", "ETH155")}
    _send_again(package, {("ETH155", "2"): "Adopted in 2016."})
    (row,) = changes_since_decisions(engine, B)[("7.2", "ETH155")].rows
    assert row.texts == (("result_achieved", before, "Adopted in 2016."),)  # the rows returned, not the last
    _send_again(package, {("ETH155", "2"): before})  # back to the rows it was returned on: nothing changed
    assert set(changes_since_decisions(engine, B)) == set()


def _row_of(page: str, cpo: str) -> str:
    """What the reviewer's page shows of a result: from its checkbox to the next result's."""
    start = page.index(f'aria-label="{cpo} ')
    end = page.find('name="result"', start)
    return page[start : end if end > 0 else page.index("<fieldset>")]


def test_the_reviewer_sees_the_decision_and_the_old_and_new_text(portal: Portal, tmp_path: Path) -> None:
    """Decided on the page (the rows' version in the form, "on rows …" in the audit entry: not part of
    the comment), changed twice by the office: the decision and the texts before and now, escaped."""
    client = portal.client(AFRICA_REVIEWER)
    assert _decide(client, "approve", "NGA904") == 303
    assert _decide(client, "return", "ETH155", comment="Which law?") == 303
    assert "Changed since it was decided on" not in client.get("/review").text
    before, _contribution = _texts_of(tmp_path / B, "ETH155", "2")
    _send_again(tmp_path / B, {("ETH155", "2"): CHANGED_TEXT})
    page = client.get("/review").text
    shown = html.unescape(re.sub(r"\s+", " ", _row_of(page, "ETH155")))
    before = re.sub(r"\s+", " ", before)
    assert f"Result achieved</th><td><pre>{before}</pre></td><td><pre>{CHANGED_TEXT}</pre>" in shown
    assert "<dt>Comment</dt><dd>Which law?</dd>" in shown

    comment = "Say which <law> & when."
    assert _decide(client, "return", "ETH155", comment=comment) == 303  # on the new rows
    assert "Changed since it was decided on" not in client.get("/review").text
    _send_again(tmp_path / B, {("ETH155", "2"): LATER_TEXT})
    page = client.get("/review").text
    returned = _row_of(page, "ETH155")
    shown = html.unescape(re.sub(r"\s+", " ", returned))
    assert f"Last decision</dt><dd>returned</dd> <dt>Decided by</dt><dd>{AFRICA_REVIEWER}</dd>" in shown
    assert f"<dt>Comment</dt><dd>{comment}</dd>" in shown
    assert "Criterion 2: changed" in shown
    assert f"Result achieved</th><td><pre>{CHANGED_TEXT}</pre></td><td><pre>{LATER_TEXT}</pre>" in shown
    assert "the law on &lt;minimum wages &amp; hours&gt;." in returned  # escaped, never markup
    assert "the &lt;wages &amp; hours&gt; law" in returned
    assert "<minimum" not in page and "<wages" not in page and "<law>" not in page
    assert "Changed since" not in _row_of(page, "NGA904")  # approved, its rows unchanged
    assert "Changed since" not in _row_of(page, "SHA127")  # never decided
    assert page.count("Changed since it was decided on") == 1
    assert "ETH155" not in portal.client(ASIA_REVIEWER).get("/review").text

    french = portal.client(AFRICA_REVIEWER)
    french.post("/language", data={"csrf": csrf(french, "/"), "language": "fr", "back": "/review"})
    assert "Modifié depuis la décision" in french.get("/review").text


SUMMARY = ["biennium", "outcome", "indicator", "region", "target", "achieved"]


def _build(built: str, figures: list[tuple[str, str, int, int]], draft: bool = True) -> None:
    """A build recorded as the pipeline records one (`store.builds`): its indicator summary of
    (indicator, region, achieved, of them approved) — a draft's with the approved and pending columns."""
    rows = [
        (B, "7", i, region, "", achieved, approved, achieved - approved)
        for i, region, achieved, approved in figures
    ]
    summary = pd.DataFrame(rows, columns=[*SUMMARY, "achieved_approved", "achieved_pending"])
    build = {
        "biennium": B,
        "build_id": uuid4().hex,
        "built_at": pd.Timestamp(built, tz="UTC").to_pydatetime(),
        "flow_run_id": None,
        "out_dir": "out",
        "outcomes_json": "null",
        "inputs_json": "[]",
        "summary_csv": (summary if draft else summary[SUMMARY]).to_csv(index=False),
        "evidence_csv": "",
    }
    record_build(engine_for(settings.database_url()), build)


def test_the_overview_lists_the_files_received_and_the_latest_drafts_figures(
    portal: Portal, tmp_path: Path
) -> None:
    client = portal.client(SIGNER)
    page = client.get("/overview").text
    assert "No draft has been built for this biennium yet." in page
    assert "<td>evidence/evidence.csv</td>" in page and "superseded by no." not in page

    _send_again(tmp_path / B, {("ETH155", "2"): CHANGED_TEXT})
    _build("2026-01-10 09:00", [("7.1", "Africa", 9, 9), ("7.1", "Total", 90, 90)])
    _build("2026-01-12 09:00", [("7.1", "Africa", 3, 2), ("7.2", "Africa", 1, 0), ("7.1", "Total", 21, 5)])
    _build("2026-02-01 09:00", [("7.1", "Africa", 77, 77)], draft=False)  # a final build: not shown
    page = re.sub(r"\s+", " ", client.get("/overview").text)
    assert "Built on 2026-01-12 09:00 UTC" in page and ">77<" not in page
    assert '<th scope="col">Africa</th><th scope="col">Total</th>' in page
    assert '<th scope="row">7.1</th><td>3 (2)</td><td>21 (5)</td>' in page
    assert '<th scope="row">7.2</th><td>1 (0)</td><td></td>' in page
    files = page[page.index("Files received") :]
    assert files.count("evidence/evidence.csv") == 2
    assert re.search(r"superseded by no\. (\d+) on \d{4}-\d\d-\d\d \d\d:\d\d", files)
    assert "0, 0, 1" in files  # the new version: no row added or removed, one changed

    spanish = portal.client(SIGNER)
    spanish.post("/language", data={"csrf": csrf(spanish, "/"), "language": "es", "back": "/overview"})
    page = spanish.get("/overview").text
    assert "Último borrador" in page and "Archivos recibidos" in page and "sustituido por el n.º" in page


def test_the_overview_links_the_latest_sign_off_run_or_says_why_not(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = portal.client(SIGNER)
    assert "No Prefect server answered" in client.get("/overview").text  # none configured, none running

    asked: list[str] = []

    def found(biennium: str) -> runs.SignOffRun | None:
        asked.append(biennium)
        url = "http://prefect.example/runs/flow-run/0b7e"
        return runs.SignOffRun(f"sign-off-{biennium}-20260115-060000-0b7e1a", "Paused", url)

    monkeypatch.setattr(runs, "latest_sign_off_run", found)
    page = client.get("/overview").text
    assert asked == [B]
    assert (
        '<a href="http://prefect.example/runs/flow-run/0b7e">The latest sign-off run in the Prefect UI: '
        f"sign-off-{B}-20260115-060000-0b7e1a</a> (Paused)"
    ) in page
    monkeypatch.setattr(runs, "latest_sign_off_run", lambda biennium: None)
    assert "No sign-off run of this biennium on the Prefect server." in client.get("/overview").text
    assert portal.client(SUBMITTER).get("/overview").status_code == 403


def test_an_unanswering_prefect_server_is_said_at_once(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that takes the connection and never answers: the page says so within the timeout (no
    retry), instead of hanging."""
    import socket
    import time

    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(8)  # accepted by the kernel, never read
    try:
        monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{listening.getsockname()[1]}/api")
        client = portal.client(SIGNER)
        started = time.monotonic()
        page = client.get("/overview").text
        assert "No Prefect server answered" in page
        assert time.monotonic() - started < 30  # no retry: Prefect's five, with backoff, take minutes
    finally:
        listening.close()


def test_the_ui_address_of_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_UI_URL", raising=False)
    assert runs.ui_address("http://127.0.0.1:4200/api") == "http://127.0.0.1:4200"
    assert runs.ui_address("https://prefect.internal/api/") == "https://prefect.internal"
    monkeypatch.setenv("PREFECT_UI_URL", "https://ui.example.org/")
    assert runs.ui_address("http://127.0.0.1:4200/api") == "https://ui.example.org"


def test_the_reviewer_sees_the_rows_of_a_result_that_validation_set_aside(
    portal: Portal, tmp_path: Path
) -> None:
    """A row of ETH155 naming a criterion its indicator does not declare is set aside when stored: the
    reviewer reads where it is and why beside the result, and a result without one shows none."""
    package = tmp_path / B
    rows = pd.read_csv(package / EVIDENCE, dtype=str, keep_default_na=False)
    stray = rows[rows["cpo_code"] == "ETH155"].iloc[[0]].assign(criterion="9")
    pd.concat([rows, stray], ignore_index=True).to_csv(package / EVIDENCE, index=False)
    engine = engine_for(settings.database_url())
    ingest(engine, package, settings.archive_dir())
    sync(engine, B)
    page = portal.client(AFRICA_REVIEWER).get("/review").text
    shown = html.unescape(_row_of(page, "ETH155"))
    (line,) = re.findall(r"<li>([^<]*)</li>", _row_of(page, "ETH155"))
    assert html.unescape(line) == (
        f"{EVIDENCE.as_posix()}, row {len(rows) + 2}: "
        "This criterion number is not one of the measurement criteria declared for the indicator."
    )
    assert 'class="set-aside"' in shown
    assert 'class="set-aside"' not in _row_of(page, "NGA904")


@pytest.mark.parametrize(
    ("reason", "comment"),
    [
        ("Which law?; on rows 0123456789abcdef", "Which law?"),
        (
            "Published in 2016; imported from reviews.csv 0a1b2c3d4e5f; on rows 0123456789abcdef",
            "Published in 2016",
        ),
        ("imported from reviews.csv 0a1b2c3d4e5f; on rows 0123456789abcdef", ""),
        ("figures imported from the census; on rows 0123456789abcdef", "figures imported from the census"),
    ],
)
def test_a_decisions_comment_is_the_persons_words_alone(reason: str, comment: str) -> None:
    """What the page shows as a decision's comment: its audit reason without the rows decided on and the
    package file it was imported from (never a person's words that merely mention an import)."""
    from reporting.review.since import _comment

    assert _comment(reason, "0123456789abcdef") == comment
