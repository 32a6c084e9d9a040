"""Bounded work for any input: a workbook that would unpack to far more than it weighs (a zip bomb) is
refused before anything inflates it, whichever reader would have read it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from reporting.errors import PackageError
from reporting.framework import load_framework
from reporting.intake import readers
from reporting.intake.readers import ReceivedFile
from reporting.intake.stages import check, read_all
from tests.data.bad.make_corpus import BASE, workbook_bytes, xlsx

BAD = Path(__file__).parent / "data" / "bad"
FRAMEWORK = load_framework(BAD / "framework.yaml")
SHEET = "xl/worksheets/sheet1.xml"


def with_part(content: bytes, part: str, data: bytes) -> bytes:
    """The archive with `part` replaced (or added) by `data`, deflated."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != part:
                target.writestr(item, source.read(item.filename))
        target.writestr(part, data)
    return out.getvalue()


def padded_sheet(megabytes: int) -> bytes:
    """A valid workbook whose sheet carries `megabytes` MB of blanks: a few KB once deflated."""
    content = workbook_bytes(xlsx(BASE))
    sheet = zipfile.ZipFile(io.BytesIO(content)).read(SHEET)
    return with_part(
        content, SHEET, sheet.replace(b"</worksheet>", b" " * megabytes * 2**20 + b"</worksheet>")
    )


def ods_bomb() -> bytes:
    """An OpenDocument spreadsheet (read by calamine's child) whose content unpacks 1,000 times."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", b"<office:document-content>" + b" " * 8 * 2**20)
    return out.getvalue()


@pytest.fixture
def nothing_inflates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither reader may be asked to open the archive."""

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr("openpyxl.load_workbook", refused)
    monkeypatch.setattr(readers, "read_sheets", refused)


@pytest.mark.parametrize(
    ("name", "content", "part"),
    [
        ("evidence/bomb.xlsx", lambda: padded_sheet(8), SHEET),
        ("evidence/bomb.xlsm", lambda: padded_sheet(8), SHEET),
        ("evidence/bomb.ods", ods_bomb, "content.xml"),
    ],
)
def test_a_part_that_unpacks_a_thousand_times_is_refused_before_it_is_read(
    tmp_path: Path, name: str, content: object, part: str, nothing_inflates: None
) -> None:
    path = tmp_path / Path(name).name
    path.write_bytes(content())  # type: ignore[operator]
    _, checked = check(path, FRAMEWORK)
    findings = checked.findings
    assert findings[["severity", "rule", "file"]].values.tolist() == [
        ["critical", "file_readable", path.name]
    ]
    assert f"'{part}'" in findings["message"].iat[0] and "zip bomb" in findings["message"].iat[0]
    with pytest.raises(PackageError, match=rf"{path.name}: refused: its part '{part}'"):  # as a build reads
        read_all((ReceivedFile(name, "evidence", path.read_bytes()),))


def test_a_part_larger_than_the_setting_is_refused_whatever_its_ratio(
    monkeypatch: pytest.MonkeyPatch, nothing_inflates: None
) -> None:
    monkeypatch.setenv("REPORTING_ZIP_PART_MAX_MB", "1")
    noise = bytes(range(256)) * 6_000  # 1.5 MB that deflate only a few times
    content = with_part(workbook_bytes(xlsx(BASE)), "xl/media/image1.bin", noise)
    with pytest.raises(PackageError, match=r"'xl/media/image1.bin' would unpack to 1.5 MB.*limits: 1 MB"):
        readers.read_workbook(content, "big.xlsx")


def test_parts_within_the_limits_together_over_it_are_refused(
    monkeypatch: pytest.MonkeyPatch, nothing_inflates: None
) -> None:
    monkeypatch.setenv("REPORTING_ZIP_PART_MAX_MB", "1")
    content = workbook_bytes(xlsx(BASE))
    for n in range(3):
        content = with_part(content, f"xl/media/image{n}.bin", bytes(range(256)) * 2_000)  # 0.5 MB each
    with pytest.raises(PackageError, match=r"its parts would unpack to 1.5 MB together"):
        readers.read_workbook(content, "parts.xlsx")


def test_a_workbook_within_the_limits_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTING_ZIP_RATIO_MAX", "1000000")
    assert len(readers.read_workbook(padded_sheet(2), "fine.xlsx").frames[0]) == len(BASE)


def test_a_review_sheet_that_is_a_zip_bomb_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reporting.review import workbook
    from reporting.review.results import ReviewError

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(workbook, "load_workbook", refused)
    sheet = tmp_path / "africa.xlsx"
    sheet.write_bytes(padded_sheet(8))
    with pytest.raises(ReviewError, match=rf"africa.xlsx: refused: its part '{SHEET}'.*zip bomb"):
        workbook.read_decisions(sheet, "Ana")
