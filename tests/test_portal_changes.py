"""What changed since the last decision (review.since), on the reviewer's page."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from reporting import settings
from reporting.review.results import Decision, decide, sync
from reporting.review.since import RowChange, changes_since_decisions
from reporting.store.database import engine_for
from tests.test_portal import AFRICA_REVIEWER, ASIA_REVIEWER, B, Portal
from tests.test_portal import hashed as hashed  # the fixtures of the portal's HTTP tests
from tests.test_portal import portal as portal
from tests.test_storage import EVIDENCE, ingest

CHANGED_TEXT = "Adopted in 2015: the law on <minimum wages & hours>."
"""Prose with markup characters (no HTML tag: intake would remove a tag): escaped on every page."""


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
    client = portal.client(AFRICA_REVIEWER)
    engine = engine_for(settings.database_url())
    comment = "Say which <law> & when."
    assert not decide(engine, B, [Decision("7.2", "ETH155", "return", AFRICA_REVIEWER, comment)]).refused
    assert not decide(engine, B, [Decision("7.1", "NGA904", "approve", AFRICA_REVIEWER)]).refused
    assert "Changed since it was decided on" not in client.get("/review").text
    before, _contribution = _texts_of(tmp_path / B, "ETH155", "2")
    _send_again(tmp_path / B, {("ETH155", "2"): CHANGED_TEXT})

    page = client.get("/review").text
    returned = _row_of(page, "ETH155")
    assert "Changed since it was decided on" in returned
    shown = html.unescape(re.sub(r"\s+", " ", returned))
    before = re.sub(r"\s+", " ", before)
    assert f"Last decision</dt><dd>returned</dd> <dt>Decided by</dt><dd>{AFRICA_REVIEWER}</dd>" in shown
    assert f"<dt>Comment</dt><dd>{comment}</dd>" in shown
    assert "Criterion 2: changed" in shown
    assert f"Result achieved</th><td><pre>{before}</pre></td><td><pre>{CHANGED_TEXT}</pre>" in shown
    assert "the law on &lt;minimum wages &amp; hours&gt;." in returned  # escaped, never markup
    assert "<minimum" not in page and "<law>" not in page
    assert "Changed since" not in _row_of(page, "NGA904")  # approved, its rows unchanged
    assert "Changed since" not in _row_of(page, "SHA127")  # never decided
    assert page.count("Changed since it was decided on") == 1
    assert "ETH155" not in portal.client(ASIA_REVIEWER).get("/review").text
