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
