"""Readers: encodings, delimiters, header position, workbook features, JSON shapes, one file alone."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from reporting.errors import PackageError
from reporting.framework import load_framework
from reporting.ingest import (
    EVIDENCE_COLUMNS,
    ReceivedFile,
    column_name,
    decode_text,
    read_csv_table,
    read_json_table,
    read_package,
    read_received,
    read_xlsx_tables,
    receive_file,
)
from reporting.validate import read_for_checking

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
    (frame,) = read_xlsx_tables(out.getvalue(), "t.xlsx", "targets")
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
        read_xlsx_tables(out.getvalue(), "t.xlsx")


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
    package, unreadable = read_for_checking(
        SAMPLE / "evidence" / "evidence.csv", load_framework(SAMPLE / "framework.yaml")
    )
    assert [(f.name, f.role) for f in package.files] == [("evidence.csv", "evidence")]
    assert len(package.evidence) == 65 and package.targets.empty and unreadable.empty
    with pytest.raises(PackageError, match="no such file"):
        receive_file(tmp_path / "missing.csv")


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
        read_xlsx_tables((tmp_path / "stray.xlsx").read_bytes(), "stray.xlsx")


def test_a_csv_of_empty_cells_has_no_header_row() -> None:
    with pytest.raises(PackageError, match=r"^e.csv: no header row"):
        read_csv_table(b",,,\r\n,,,\r\n", "e.csv")
