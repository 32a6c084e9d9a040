"""Readers: encodings, delimiters, header position, workbook features, JSON shapes, one file alone."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from reporting.errors import PackageError
from reporting.framework import load_framework
from reporting.intake.readers import (
    ReceivedFile,
    _read_bytes,
    column_name,
    decode_text,
    file_intake,
    package_intake,
    read_csv_table,
    read_json_table,
    read_package,
    read_received,
    read_tables,
    read_workbook,
    receive_package,
)
from reporting.intake.stages import check
from reporting.store.archive import archive
from reporting.vocabulary import EVIDENCE_COLUMNS

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "2014-15"
TEXT = "biennium;country;cpo_title\n2014-15;Côte d'Ivoire;Année de la migration: niñez, œuvre – “quotes”\n"


def test_openpyxl_parses_workbooks_through_defusedxml() -> None:
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_text_is_decoded_whatever_the_tool_wrote(encoding: str) -> None:
    assert decode_text(TEXT.encode(encoding), "f.csv") == TEXT


def test_latin1_spanish_and_french_accents_are_kept() -> None:
    text = "country,text\nPerú,Año de la niñez; élaboration à Genève\n"
    assert decode_text(text.encode("latin-1"), "f.csv") == text


def test_binary_content_is_refused_with_the_file_name() -> None:
    with pytest.raises(PackageError, match=r"^f\.csv: "):
        decode_text(bytes(range(256)) * 4, "f.csv")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_found_from_the_header(delimiter: str) -> None:
    text = delimiter.join(["biennium", "outcome", "indicator", "region", "target"]) + "\n"
    text += delimiter.join(["2014-15", "7", "7.1", "Africa", "3"]) + "\n"
    frame = read_csv_table(text.encode(), "targets.csv", "targets")
    assert frame[["region", "target", "source_row"]].values.tolist() == [["Africa", "3", 2]]


def test_csv_title_lines_above_the_header_are_skipped_and_rows_numbered_as_in_excel() -> None:
    text = (
        "Targets 2014-15\n\nbiennium,outcome,indicator,region,target\n"
        '2014-15,7,7.1,"Asia and\nthe Pacific",3\n\n2014-15,7,7.2,Africa,1\n'
    )
    frame = read_csv_table(text.encode(), "t.csv", "targets")
    assert frame["source_row"].tolist() == [4, 6]
    assert frame["region"].iloc[0] == "Asia and\nthe Pacific"


def test_column_names_are_trimmed_lower_case_with_underscores() -> None:
    assert column_name("  CPO Code ") == "cpo_code"
    assert column_name("Result_Achieved") == "result_achieved"


def test_blank_and_repeated_headers_keep_their_data_under_an_excel_column_name() -> None:
    text = "biennium,outcome,indicator,region,target,,region\n2014-15,7,7.1,Africa,3,note,Americas\n"
    frame = read_csv_table(text.encode(), "t.csv", "targets")
    assert frame["column_f"].tolist() == ["note"]
    assert frame["region_column_g"].tolist() == ["Americas"]


def test_workbook_cells_read_as_the_user_sees_them() -> None:
    from datetime import datetime

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["biennium", "outcome", "indicator", "region", "target"])
    sheet.append(["2014-15", 7, 7.1, "Africa", 3.0])
    sheet.append([datetime(2015, 1, 31), 7, "7.2", None, True])
    sheet.merge_cells("D2:D3")
    out = io.BytesIO()
    workbook.save(out)
    (frame,) = read_workbook(out.getvalue(), "t.xlsx", "targets").frames
    assert frame[["biennium", "outcome", "indicator", "region", "target"]].values.tolist() == [
        ["2014-15", "7", "7.1", "Africa", "3"],
        ["2015-01-31", "7", "7.2", "Africa", "yes"],
    ]
    assert frame["source_sheet"].tolist() == ["Sheet", "Sheet"]


def test_a_workbook_without_the_columns_is_unreadable() -> None:
    workbook = Workbook()
    workbook.active.append(["name", "notes"])
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(PackageError, match=r"^t\.xlsx: no sheet has a header row"):
        read_workbook(out.getvalue(), "t.xlsx")


@pytest.mark.parametrize("shape", ["list", "rows"])
def test_json_rows_keep_their_position_and_text(shape: str) -> None:
    rows = [{"Criterion": 2, "cpo_code": "TUN129", "gender_specific": False}, {"cpo_code": "MEX128"}]
    import json

    data = json.dumps(rows if shape == "list" else {"rows": rows}).encode()
    frame = read_json_table(data, "e.json")
    assert frame[["criterion", "cpo_code", "gender_specific", "source_row"]].values.tolist() == [
        ["2", "TUN129", "no", 1],
        ["", "MEX128", "", 2],
    ]


def test_read_received_still_raises_one_line_for_an_unreadable_file() -> None:
    with pytest.raises(PackageError) as error:
        read_received(ReceivedFile("evidence/bad.xlsx", "evidence", b"not a zip"))
    assert str(error.value).startswith("evidence/bad.xlsx: ") and "\n" not in str(error.value)


def test_a_single_evidence_file_makes_a_package(tmp_path: Path) -> None:
    package, checked = check(SAMPLE / "evidence" / "evidence.csv", load_framework(SAMPLE / "framework.yaml"))
    assert [(f.name, f.role) for f in package.files] == [("evidence.csv", "evidence")]
    assert len(package.evidence) == 65 and package.targets.empty and checked.files.empty
    with pytest.raises(PackageError, match="no such file"):
        file_intake(tmp_path / "missing.csv")


def test_a_received_file_is_read_again_when_needed_and_refused_once_changed(
    sample_package: Path, tmp_path: Path
) -> None:
    """A package file's bytes are not held between reading its tables and archiving it (a 1.4 GB CSV
    would be, while its rows are checked); what is read again must be what was received."""
    _, intake = receive_package(sample_package)
    evidence = next(f for f in intake.files if f.role == "evidence")
    sent = (sample_package / "evidence" / "evidence.csv").read_bytes()
    assert not isinstance(evidence.source, bytes)
    assert (evidence.sha256, evidence.size) == (hashlib.sha256(sent).hexdigest(), len(sent))
    assert evidence.content == sent and archive(evidence, tmp_path / "archive").read_bytes() == sent
    (sample_package / "evidence" / "evidence.csv").write_bytes(sent.replace(b"TUN", b"TUR", 1))
    with pytest.raises(PackageError, match=r"^evidence/evidence\.csv: changed since it was received"):
        read_tables(evidence)
    with pytest.raises(PackageError, match="changed since it was received"):
        archive(evidence, tmp_path / "again")
    assert not (tmp_path / "again").exists()


def test_excel_lock_files_are_not_evidence(sample_package: Path) -> None:
    (sample_package / "evidence" / "~$evidence.xlsx").write_bytes(b"lock")
    assert [f.name for f in read_package(sample_package).files if f.role == "evidence"] == [
        "evidence/evidence.csv"
    ]


def test_a_stray_cell_far_from_the_table_is_refused_not_read(tmp_path: Path) -> None:
    """One cell at XFD100000 makes a 5 KB workbook of 1.6 billion cells: refused with its reason."""
    workbook = Workbook()
    workbook.active.append(list(EVIDENCE_COLUMNS))
    workbook.active["XFD100000"] = "x"
    workbook.save(tmp_path / "stray.xlsx")
    with pytest.raises(PackageError, match=r"stray.xlsx: sheet 'Sheet' spans 100,000 rows × 16,384 columns"):
        read_workbook((tmp_path / "stray.xlsx").read_bytes(), "stray.xlsx")


def test_a_workbook_that_kills_its_reader_is_refused_and_the_check_goes_on() -> None:
    """calamine aborts the process on this .xls (one byte changed: a terabyte asked for); it reads in a
    child process, so the file is refused and the reading process lives on."""
    corpus = Path(__file__).parent / "data" / "bad" / "evidence"
    with pytest.raises(
        PackageError, match=r"^x\.xls: not a readable workbook \(the reader stopped on damaged"
    ):
        read_workbook((corpus / "xls_claims_billions_of_rows.xls").read_bytes(), "x.xls")
    assert len(read_workbook((corpus / "excel_97.xls").read_bytes(), "x.xls").frames[0]) == 6


def test_a_row_wider_than_a_spreadsheet_is_refused_not_a_traceback() -> None:
    text = "biennium,outcome,indicator,region,target\n2014-15,7,7.1,Africa,3" + "," * 20_000 + "\n"
    with pytest.raises(
        PackageError, match=r"^t\.csv: has a row of 20,005 cells, more than the 16,384 columns"
    ):
        read_csv_table(text.encode(), "t.csv", "targets")


def test_a_csv_of_empty_cells_has_no_header_row() -> None:
    with pytest.raises(PackageError, match=r"^e.csv: no header row"):
        read_csv_table(b",,,\r\n,,,\r\n", "e.csv")


def test_a_few_control_characters_are_text_binary_content_is_not() -> None:
    text = "biennium,result_achieved\n2014-15,adopté\x00 une\x0b stratégie\x1f\n"
    assert decode_text(text.encode(), "f.csv") == text
    frame = read_csv_table(text.encode(), "f.csv")
    assert frame["result_achieved"].tolist() == ["adopté\x00 une\x0b stratégie\x1f"]  # validation cleans it
    for content, kind in (
        (b"\x89PNG\r\n\x1a\n" + b"a,b\n" * 10, "a PNG image"),
        (b"%PDF-1.7\n" + b"a,b\n" * 10, "a PDF document"),
        (b"PK\x03\x04" + b"a,b\n" * 10, "a ZIP archive"),
    ):
        with pytest.raises(PackageError, match=rf"^f\.csv: binary content \({kind}"):
            decode_text(content, "f.csv")
    with pytest.raises(PackageError, match=r"^f\.csv: binary content, not a text file \(200 control"):
        decode_text(b"biennium,outcome\n" + b"\x00\x01" * 100, "f.csv")


def test_a_header_is_found_below_a_title_block_of_any_length() -> None:
    title = "".join(f"Outcome 7 report; line {i}\n" for i in range(40))
    text = title + "biennium;outcome;indicator;region;target\n2014-15;7;7.1;Africa;3\n"
    frame = read_csv_table(text.encode(), "t.csv", "targets")
    assert frame[["region", "target", "source_row"]].values.tolist() == [["Africa", "3", 42]]


def workbook_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_every_sheet_is_read_or_named() -> None:
    workbook = Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["Prepared by", "the regional office"])
    table = workbook.create_sheet("Targets")
    for _ in range(30):
        table.append(["Targets for the biennium"])
    table.append(["biennium", "outcome", "indicator", "region", "target"])
    table.append(["2014-15", "7", "7.1", "Africa", 3])
    misnamed = workbook.create_sheet("Old")
    misnamed.append(["Year", "Outcome no.", "Indicator no.", "Region name", "Goal"])
    misnamed.append(["2014-15", "7", "7.1", "Africa", 3])
    workbook.create_sheet("Blank")
    hidden = workbook.create_sheet("lists")
    hidden.append(["biennium", "outcome", "indicator", "region", "target"])
    hidden.append(["2014-15", "7", "7.2", "Africa", 1])
    hidden.sheet_state = "hidden"
    read = read_workbook(workbook_bytes(workbook), "t.xlsx", "targets")
    assert [(f["source_sheet"].iloc[0], f["source_row"].iloc[0]) for f in read.frames] == [
        ("Targets", 32),
        ("lists", 2),  # a hidden sheet naming the columns is read all the same
    ]
    assert [(n.sheet, n.rule) for n in read.notices] == [
        ("Notes", "note_not_read"),
        ("Old", "sheet_not_read"),
        ("Blank", "note_not_read"),
    ]
    assert all(n.name == "t.xlsx" and n.detail for n in read.notices)


def test_a_txt_is_a_table_only_when_a_row_names_the_columns() -> None:
    rows = "biennium\toutcome\tindicator\tregion\ttarget\r\n2014-15\t7\t7.1\tAfrica\t3\r\n"
    read = read_tables(ReceivedFile("evidence/unicode.txt", "targets", rows.encode("utf-16")))
    assert [f["region"].tolist() for f in read.frames] == [["Africa"]] and not read.notices
    note = read_tables(ReceivedFile("evidence/results.txt", "evidence", b"To follow next week.\n"))
    assert note.frames == [] and [(n.name, n.rule) for n in note.notices] == [
        ("evidence/results.txt", "file_not_read")
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("[{" + '"a":' * 1 + "1" * 5000 + "}]", "Exceeds the limit"),
    ],
)
def test_json_that_python_cannot_take_in_is_unreadable_not_a_traceback(content: str, reason: str) -> None:
    with pytest.raises(PackageError, match=rf"^e\.json: not readable JSON \(.*{reason}"):
        read_json_table(content.encode(), "e.json")


def test_a_lone_surrogate_in_json_becomes_a_replacement_character() -> None:
    frame = read_json_table(b'[{"country": "Viet \\ud800Nam", "\\udfff": "x"}]', "e.json")
    assert frame["country"].tolist() == ["Viet \N{REPLACEMENT CHARACTER}Nam"]
    assert "\N{REPLACEMENT CHARACTER}" in frame.columns


def test_the_package_intake_reads_or_names_every_entry(sample_package: Path, tmp_path: Path) -> None:
    """Links (to a file, inside or out, or to a folder) are named and never followed; notes, hidden and
    system files, tables in the wrong place, pipes and names with control characters are named, not
    read; targets may be any table format."""
    import os

    evidence = sample_package / "evidence"
    outside = tmp_path / "outside.csv"
    outside.write_bytes((evidence / "evidence.csv").read_bytes())
    (evidence / "outside.csv").symlink_to(outside)
    (evidence / "again.csv").symlink_to("evidence.csv")
    (evidence / "folder").symlink_to(tmp_path, target_is_directory=True)
    (evidence / "__MACOSX").mkdir()
    (evidence / "__MACOSX" / "._evidence.csv").write_bytes(b"\x00\x05\x16\x07")
    (evidence / ".~lock.evidence.csv#").write_text("lock", encoding="utf-8")
    os.mkfifo(evidence / "pipe.csv")
    (evidence / "tab\tname.csv").write_bytes((evidence / "evidence.csv").read_bytes())
    workbook = Workbook()
    workbook.active.append(["biennium", "outcome", "indicator", "region", "target"])
    workbook.active.append(["2014-15", "7", "7.1", "Africa", 2])
    (sample_package / "targets.xlsx").write_bytes(workbook_bytes(workbook))
    (sample_package / "lessons").mkdir()
    (sample_package / "lessons" / "7.md").write_text("Lessons.", encoding="utf-8")
    (sample_package / "lessons" / "draft.docx").write_bytes(b"PK\x03\x04")
    (sample_package / "summary.xlsx").write_bytes(workbook_bytes(workbook))

    framework, intake = package_intake(sample_package)
    assert [(f.name, f.role) for f in intake.files] == [
        ("framework.yaml", "framework"),
        ("evidence/evidence.csv", "evidence"),
        ("targets.xlsx", "targets"),
        ("lessons/7.md", "lessons"),
        ("reviews.csv", "reviews"),
    ]
    assert [(n.name, n.rule) for n in intake.notices] == [
        ("README.md", "note_not_read"),
        ("evidence/.~lock.evidence.csv#", "note_not_read"),
        ("evidence/__MACOSX", "note_not_read"),
        ("evidence/again.csv", "file_is_not_a_link"),
        ("evidence/folder", "file_is_not_a_link"),
        ("evidence/outside.csv", "file_is_not_a_link"),
        ("evidence/pipe.csv", "file_not_read"),
        ("evidence/tab\N{REPLACEMENT CHARACTER}name.csv", "file_name_printable"),  # not read
        ("lessons/draft.docx", "file_not_read"),
        ("summary.xlsx", "file_not_read"),
    ]
    package = read_package(sample_package)
    assert package.targets["target"].tolist() == ["2"] and package.lessons == {"7": "Lessons."}
    assert receive_package(sample_package) == (framework, intake)


def test_a_link_given_on_its_own_is_named_not_followed(tmp_path: Path) -> None:
    (tmp_path / "real.csv").write_text("biennium\n2014-15\n", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(tmp_path / "real.csv")
    intake = file_intake(tmp_path / "link.csv")
    assert intake.files == () and [(n.name, n.rule) for n in intake.notices] == [
        ("link.csv", "file_is_not_a_link")
    ]
    with pytest.raises(
        PackageError, match=r"^link\.csv: cannot be read \(Too many levels of symbolic links\)"
    ):
        _read_bytes(tmp_path / "link.csv", "link.csv")  # a file swapped for a link after the listing


def test_names_that_differ_only_in_unicode_normalisation_are_a_finding(sample_package: Path) -> None:
    """`Côte.csv` written with a composed ô (NFC, as Windows does) and with o + a combining accent (NFD,
    as macOS does) look the same everywhere: a reviewer could not tell their rows apart."""
    import unicodedata

    evidence = sample_package / "evidence"
    composed, combining = (unicodedata.normalize(form, "Côte d'Ivoire.csv") for form in ("NFC", "NFD"))
    assert composed != combining
    for name in (composed, combining):
        (evidence / name).write_bytes((evidence / "evidence.csv").read_bytes())
    _, checked = check(sample_package)
    findings = checked.findings[checked.findings["rule"] == "file_name_distinct"]
    assert sorted(findings["file"]) == sorted(f"evidence/{name}" for name in (composed, combining))
    assert set(findings["severity"]) == {"warning"}
    assert findings["message"].str.contains("NFC").all() and findings["message"].str.contains("Rename").all()
    assert len(checked.evidence.clean) + len(checked.evidence.rejected) == 3 * 65  # both are read


def test_a_formula_no_program_computed_is_a_finding_that_says_so(tmp_path: Path) -> None:
    """A workbook written by a program that never computed its formulas (openpyxl, a script) has no
    value for them: the finding says so, instead of "the criterion must be a whole number"."""
    from tests.data.bad.make_corpus import BASE, xlsx

    workbook = xlsx(BASE)
    workbook["Evidence"]["H3"] = "=1+2"  # criterion 3 as a formula, saved with no value
    path = tmp_path / "formula.xlsx"
    path.write_bytes(workbook_bytes(workbook))
    _, checked = check(path, load_framework(SAMPLE / "framework.yaml"))
    at_cell = checked.findings[(checked.findings["row"] == 3) & (checked.findings["column"] == "criterion")]
    assert at_cell[["severity", "rule", "sheet"]].values.tolist() == [
        ["error", "formula_computed", "Evidence"]
    ]
    assert "=1+2" in at_cell["message"].iat[0] and "H3" in at_cell["message"].iat[0]
    assert len(checked.evidence.rejected) == 1


def test_a_row_of_spaces_of_any_kind_is_blank_as_python_sees_it() -> None:
    """Blank rows are found without copying long columns (a regular expression Arrow runs): the same
    rows as Python's `str.isspace` says are blank, every Unicode space included."""
    import re

    from reporting.intake.readers import _FILLED

    spaces = "".join(chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) not in "\r\n")
    header = "biennium,outcome,indicator,region,target\n"
    text = f"{header}2014-15,7,7.1,Africa,3\n{spaces},{spaces}\n2014-15,7,7.2,Africa,1\n"
    frame = read_csv_table(text.encode(), "t.csv", "targets")
    assert frame["source_row"].tolist() == [2, 4]
    assert not re.search(_FILLED, spaces) and all(re.search(_FILLED, c) for c in "a\u200b\ufeff")
