"""The sign-off shows what will be published: a result returned to its office is not counted in a draft
(listed, with the reviewer's comment, in report.md and the .docx's draft annex); approving the draft
approves exactly the results it counted, so the final report publishes the draft's figures — a result
submitted after the draft was built is not approved by it. The library, without Prefect."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from docx import Document

from reporting.escaping import markdown_cell
from reporting.pipeline import Built, Store
from reporting.report.draft import RETURNED_ANNEX
from reporting.review.results import Decision, ReviewError, decide, sign_off
from reporting.store.database import upgraded_engine
from reporting.store.review import review_frame
from tests.report_packages import build

B = "2014-15"
COMMENT = "Criterion 3: which ministry | adopted it?"
FIGURES = ["biennium", "outcome", "indicator", "region", "target", "achieved"]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(upgraded_engine(f"sqlite:///{tmp_path / 'store.db'}"), tmp_path / "archive")


def _figures(built: Built) -> pd.DataFrame:
    return pd.read_csv(built.files.summary_csv, dtype=str, keep_default_na=False)[FIGURES]


def _total(built: Built, indicator: str) -> int:
    figures = _figures(built)
    return int(
        figures[(figures["indicator"] == indicator) & (figures["region"] == "Total")]["achieved"].iloc[0]
    )


def test_approving_a_draft_publishes_its_figures_without_the_returned_result(
    sample_package: Path, store: Store, tmp_path: Path
) -> None:
    (sample_package / "reviews.csv").unlink()  # every result submitted
    before = build(sample_package, tmp_path / "first", where=store, draft=True)
    assert before.review is not None and ("7.1", "TUN129") in before.review.counted_rows
    decide(store.engine, B, [Decision("7.1", "TUN129", "return", "Ana", COMMENT)])

    draft = build(sample_package, tmp_path / "draft", where=store, draft=True)
    assert draft.review is not None and ("7.1", "TUN129") not in draft.review.counted_rows
    assert _total(draft, "7.1") == _total(before, "7.1") - 1  # Tunisia counted by TUN129 alone
    report = draft.files.markdown.read_text(encoding="utf-8")
    annex = report[report.index(f"## {RETURNED_ANNEX}") :]
    cells = ["7.1", "Tunisia/TUN129", "Ana", COMMENT]
    assert "| " + " | ".join(markdown_cell(c) for c in cells) + " |" in annex  # the comment as typed
    document = Document(str(draft.files.docx))
    assert RETURNED_ANNEX in [p.text for p in document.paragraphs]
    assert [c.text for c in document.tables[-1].rows[1].cells] == cells

    decide(store.engine, B, [Decision("7.1", "TUN129", "reopen", "Ana", "answered")])  # after the draft
    sign_off(store.engine, B, "Chief", approve=True, counted=draft.review.counted_rows)
    final = build(sample_package, tmp_path / "final", where=store)
    pd.testing.assert_frame_equal(_figures(final), _figures(draft))
    reviews = review_frame(store.engine, B).set_index(["indicator", "cpo_code"])["status"]
    assert reviews[("7.1", "TUN129")] == "submitted"  # submitted after the draft: not approved by it
    assert (reviews.drop(("7.1", "TUN129")) == "approved").all()
    assert RETURNED_ANNEX not in final.files.markdown.read_text(encoding="utf-8")


def test_a_draft_is_not_signed_off_once_its_results_changed(
    sample_package: Path, store: Store, tmp_path: Path
) -> None:
    (sample_package / "reviews.csv").unlink()
    draft = build(sample_package, tmp_path / "draft", where=store, draft=True)
    assert draft.review is not None
    decide(store.engine, B, [Decision("7.1", "TUN129", "return", "Ana", COMMENT)])  # counted by the draft
    with pytest.raises(ReviewError, match=r"TUN129 7\.1: it is returned, not submitted"):
        sign_off(store.engine, B, "Chief", approve=True, counted=draft.review.counted_rows)
    assert (review_frame(store.engine, B)["status"] != "approved").all()  # all or nothing


def test_a_result_approved_since_the_draft_without_being_counted_refuses_the_sign_off(
    sample_package: Path, store: Store, tmp_path: Path
) -> None:
    (sample_package / "reviews.csv").unlink()
    build(sample_package, tmp_path / "first", where=store, draft=True)  # the rows stored
    decide(store.engine, B, [Decision("7.1", "TUN129", "return", "Ana", COMMENT)])
    draft = build(sample_package, tmp_path / "draft", where=store, draft=True)
    assert draft.review is not None
    decide(store.engine, B, [Decision("7.1", "TUN129", "reopen", "Ana", "answered")])
    decide(store.engine, B, [Decision("7.1", "TUN129", "approve", "Ana")])  # the final report would count it
    with pytest.raises(
        ReviewError, match=r"approved since the draft was built, not counted in it: TUN129 7\.1"
    ):
        sign_off(store.engine, B, "Chief", approve=True, counted=draft.review.counted_rows)
