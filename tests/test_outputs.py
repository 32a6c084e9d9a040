"""Outputs appear complete or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from reporting.outputs import written_in_place


def test_a_write_that_fails_leaves_neither_the_final_name_nor_a_partial_file(tmp_path: Path) -> None:
    final = tmp_path / "report.docx"
    with pytest.raises(OSError), written_in_place(final) as partial:
        partial.write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device", str(partial))
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rewrite_keeps_the_previous_file_whole(tmp_path: Path) -> None:
    final = tmp_path / "indicator_summary.csv"
    final.write_text("previous")
    with pytest.raises(KeyboardInterrupt), written_in_place(final) as partial:
        partial.write_text("half")
        raise KeyboardInterrupt
    assert final.read_text() == "previous" and list(tmp_path.iterdir()) == [final]


def test_a_complete_write_appears_under_its_final_name_only(tmp_path: Path) -> None:
    final = tmp_path / "charts" / "outcome-7.png"
    with written_in_place(final) as partial:
        assert partial.parent == final.parent and partial.suffix == ".png" and partial != final
        partial.write_bytes(b"png")
    assert final.read_bytes() == b"png" and list(final.parent.iterdir()) == [final]


def test_a_report_is_set_aside_only_when_someone_else_changed_it(tmp_path: Path) -> None:
    import hashlib

    from reporting.report.render import set_aside_edited_report

    report = tmp_path / "implementation-report-2014-15.docx"
    written = tmp_path / ".implementation-report-2014-15.docx.sha256"
    digest = {name: hashlib.sha256(name.encode()).hexdigest() for name in ("old", "new", "edited")}
    report.write_text("old")
    written.write_text(digest["old"])
    assert set_aside_edited_report(report) is None and report.read_text() == "old"

    written.write_text(f"{digest['old']}\n{digest['new']}")  # killed while the new file replaced the old
    assert set_aside_edited_report(report) is None
    report.write_text("new")
    assert set_aside_edited_report(report) is None

    report.write_text("edited")
    kept = set_aside_edited_report(report)
    assert kept is not None and kept.read_text() == "edited" and not report.exists()


def test_leftovers_of_a_killed_write_are_removed_final_names_kept(tmp_path: Path) -> None:
    from reporting.outputs import remove_partial_files

    (tmp_path / "charts").mkdir()
    for name in (
        ".partial-report-x.docx",
        "charts/.partial-outcome-7-y.png",
        "report.md",
        "charts/outcome-7.png",
    ):
        (tmp_path / name).write_text("x")
    remove_partial_files(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "charts/outcome-7.png",
        "report.md",
    ]
