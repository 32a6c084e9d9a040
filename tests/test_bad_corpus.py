"""The bad-input corpus (tests/data/bad, written by make_corpus.py): every case gives the expected
findings (severity, rule, Excel row, column) and no traceback, and no valid row of a partly bad file
is lost (clean + set aside = every row read). Every entry of a package folder and every sheet is read
or named in a finding, and nothing outside the package is read, whatever the links."""

from __future__ import annotations

from pathlib import Path

import pytest

from reporting.errors import PackageError
from reporting.framework import load_framework
from reporting.intake.stages import check
from reporting.intake.validate import FINDING_COLUMNS
from reporting.vocabulary import EVIDENCE_COLUMNS

BAD = Path(__file__).parent / "data" / "bad"
FRAMEWORK = load_framework(BAD / "framework.yaml")
NONE: set[tuple[str, str, int | None, str]] = set()
NR = "not_reportable"
UNREADABLE = {("critical", "file_readable", None, "")}
NOTE = ("advice", "note_not_read", None, "")

# case → (expected findings {(severity, rule, row, column)}, clean evidence rows)
EVIDENCE_CASES: dict[str, tuple[set[tuple[str, str, int | None, str]], int]] = {
    "utf8_bom.csv": (NONE, 6),
    "utf16_excel_unicode_text.csv": (NONE, 6),
    "cp1252_semicolon.csv": (NONE, 6),
    "latin1_comma.csv": (NONE, 6),
    "column_names_case_and_spaces.csv": (NONE, 6),
    "header_on_row_3.xlsx": (NONE, 6),
    "merged_cells.xlsx": (NONE, 6),
    "formula_cached_value.xlsx": (NONE, 6),
    "formula_not_computed.xlsx": (
        {("error", "formula_computed", 3, "criterion"), ("advice", NR, 2, "criterion")},
        5,
    ),
    "two_sheets_and_instructions.xlsx": ({NOTE}, 6),  # the Instructions sheet is named, not read
    "title_block_above_header.xlsx": (NONE, 6),
    "title_block_above_header.csv": (NONE, 6),
    "tab_separated.tsv": (NONE, 6),
    "unicode_text_saved_as.txt": (NONE, 6),
    "macro_enabled.xlsm": (NONE, 6),
    "excel_97.xls": (NONE, 6),
    "xls_named_xlsx.xlsx": (NONE, 6),
    "libreoffice_calc.ods": ({NOTE}, 6),
    "sheet_without_header.xlsx": ({("warning", "sheet_not_read", None, ""), NOTE}, 4),
    "results_note.txt": ({("warning", "file_not_read", None, "")}, 0),
    "nul_in_a_cell.csv": ({("warning", "text_cleaned", 2, "result_achieved")}, 6),
    "rows_object.json": (NONE, 6),
    "list_of_rows.json": (NONE, 6),
    "usual_names_and_regional_cpo.csv": (NONE, 14),
    "date_in_biennium.xlsx": (
        {
            ("error", "biennium_is_yyyy_yy", 2, "biennium"),
            ("error", "biennium_matches_package", 2, "biennium"),
            ("advice", NR, 3, "criterion"),
        },
        5,
    ),
    "wrong_region.csv": (
        {("error", "region_is_one_of_five", 2, "region"), ("advice", NR, 3, "criterion")},
        5,
    ),
    "bad_cpo_code.csv": ({("error", "cpo_code_shape", 4, "cpo_code"), ("advice", NR, 5, "criterion")}, 5),
    "country_code_mismatch.csv": (
        {("error", "country_matches_cpo_code", 2, "country"), ("advice", NR, 3, "criterion")},
        5,
    ),
    "country_in_wrong_region.csv": (
        {("error", "region_matches_country", 2, "region"), ("error", "region_matches_country", 3, "region")},
        4,
    ),
    "unknown_country_name.csv": ({("warning", "country_name_known", 2, "country")}, 6),
    "undeclared_criterion.csv": (
        {("error", "criterion_declared_for_indicator", 3, "criterion"), ("advice", NR, 2, "criterion")},
        5,
    ),
    "non_numeric_criterion.csv": (
        {("error", "criterion_is_whole_number", 3, "criterion"), ("advice", NR, 2, "criterion")},
        5,
    ),
    "undeclared_indicator.csv": (
        {
            ("error", "indicator_declared_for_outcome", 6, "indicator"),
            ("error", "criterion_declared_for_indicator", 6, "criterion"),
            ("advice", NR, 7, "criterion"),
        },
        5,
    ),
    "empty_text.csv": (
        {("error", "result_achieved_filled", 5, "result_achieved"), ("advice", NR, 4, "criterion")},
        5,
    ),
    "wrong_biennium.csv": (
        {
            ("error", "biennium_matches_package", 2, "biennium"),
            ("error", "biennium_is_yyyy_yy", 4, "biennium"),
            ("error", "biennium_matches_package", 4, "biennium"),
            ("advice", NR, 3, "criterion"),
            ("advice", NR, 5, "criterion"),
        },
        4,
    ),
    "html_and_control_characters.csv": (
        {
            ("warning", "text_cleaned", 2, "result_achieved"),
            ("warning", "text_cleaned", 2, "ilo_contribution"),
        },
        6,
    ),
    "duplicate_rows.csv": ({("warning", "duplicate_row", 5, "")}, 6),
    "conflicting_cpo_titles.csv": (
        {
            ("warning", "cpo_title_consistent", 2, "cpo_title"),
            ("warning", "cpo_title_consistent", 3, "cpo_title"),
        },
        6,
    ),
    "conflicting_cpo_regions.csv": (
        {("error", "cpo_region_consistent", 8, "region"), ("error", "cpo_region_consistent", 9, "region")},
        6,
    ),
    "below_threshold.csv": ({("advice", NR, 8, "criterion")}, 7),
    "no_title_on_any_row.csv": ({("warning", "cpo_title_given", 8, "cpo_title")}, 8),
    "missing_column.csv": ({("critical", "column_present", None, "ilo_contribution")}, 0),
    "unknown_column.csv": ({("warning", "column_known", None, "notes")}, 6),
    "typology_and_gender.csv": (
        {
            ("warning", "typology_known", 4, "typology"),
            ("warning", "gender_specific_yes_no", 6, "gender_specific"),
        },
        6,
    ),
    "empty.csv": (UNREADABLE, 0),
    "binary_content.csv": (UNREADABLE, 0),
    "png_named_csv.csv": (UNREADABLE, 0),
    "not_a_workbook.xlsx": (UNREADABLE, 0),
    "old_excel_97.xlsx": (UNREADABLE, 0),
    "xml_bomb.xlsx": (UNREADABLE, 0),
    "ods_xml_bomb.ods": (UNREADABLE, 0),
    "zip_bomb.xlsx": (UNREADABLE, 0),  # refused before it is inflated (tests/test_intake_limits.py)
    "ods_zip_bomb.ods": (UNREADABLE, 0),
    "xls_claims_billions_of_rows.xls": (UNREADABLE, 0),  # its reader aborts: the check goes on
    "bad_json_shape.json": (UNREADABLE, 0),
    "invalid_json.json": (UNREADABLE, 0),
    "deeply_nested.json": (UNREADABLE, 0),
}
PACKAGE_CASES: dict[str, tuple[str, set[tuple[str, str, int | None, str]], int]] = {
    "targets_bad": (
        "targets",
        {
            ("error", "indicator_declared_for_outcome", 3, "indicator"),
            ("error", "target_not_negative", 4, "target"),
            ("warning", "target_duplicate", 6, "target"),
            ("error", "target_conflict", 7, "target"),
            ("error", "target_conflict", 8, "target"),
            ("error", "target_is_whole_number", 9, "target"),
        },
        2,
    ),
    "outputs_bad": (
        "outputs",
        {("error", "output_typology_known", 3, "typology"), ("error", "text_filled", 4, "text")},
        1,
    ),
    "examples_bad": (
        "examples",
        {
            ("warning", "gender_specific_yes_no", 3, "gender_specific"),
            ("error", "results_filled", 4, "results"),
            ("error", "outcome_declared", 4, "outcome"),
        },
        2,
    ),
}


LINK = "file_is_not_a_link"
# package → (expected findings {(severity, rule, file, sheet)}, clean evidence rows)
INTAKE_CASES: dict[str, tuple[set[tuple[str, str, str, str]], int]] = {
    "links": (
        {
            ("critical", LINK, "evidence/passwd.csv", ""),  # → /etc/passwd
            ("critical", LINK, "evidence/copy.csv", ""),  # → evidence.csv, inside the package
            ("critical", LINK, "evidence/up", ""),  # → the folder above the package
            ("critical", LINK, "targets.csv", ""),  # → /etc/passwd
        },
        6,
    ),
    "files_not_read": (
        {
            ("advice", "note_not_read", "README.md", ""),
            ("advice", "note_not_read", "notes.txt", ""),
            ("advice", "note_not_read", ".DS_Store", ""),
            ("advice", "note_not_read", ".backup", ""),
            ("warning", "file_not_read", "extra.csv", ""),
            ("warning", "file_not_read", "evidence/results.txt", ""),
            ("warning", "file_not_read", "evidence/IMPORTANT.CSV.bak", ""),
            ("advice", "note_not_read", "evidence/~$late-VNM.xlsx", ""),
            ("advice", "note_not_read", "evidence/title_block.xlsx", "Cover"),
        },
        # evidence.csv 6, late-VNM.xls, more.tsv, macro.xlsm and sub/older.csv 2 each, title_block.xlsx 26
        6 + 4 * 2 + 26,
    ),
    "hostile_names": (
        {
            ("critical", "file_name_printable", "evidence/x\N{REPLACEMENT CHARACTER}[31mred.csv", ""),
            ("critical", "file_readable", "evidence/deep.json", ""),
        },
        6,
    ),
}


def located(findings) -> set[tuple[str, str, int | None, str]]:  # type: ignore[no-untyped-def]
    return {
        (f.severity, f.rule, None if f.row is None or str(f.row) == "<NA>" else int(f.row), f.column)
        for f in findings.itertuples()
    }


def test_the_corpus_has_at_least_30_cases() -> None:
    assert len(EVIDENCE_CASES) + len(PACKAGE_CASES) + 1 >= 30
    assert {p.name for p in (BAD / "evidence").iterdir()} == set(EVIDENCE_CASES)


@pytest.mark.parametrize("case", sorted(EVIDENCE_CASES))
def test_evidence_case(case: str) -> None:
    expected, clean_rows = EVIDENCE_CASES[case]
    package, checked = check(BAD / "evidence" / case, FRAMEWORK)
    findings = checked.findings
    assert list(findings.columns) == FINDING_COLUMNS
    assert located(findings) == expected
    assert findings["message"].str.len().gt(20).all() and (findings["file"] == case).all()
    clean = checked.evidence.clean
    assert len(clean) == clean_rows
    # nothing lost: every row read is either clean or set aside with its reason
    assert len(clean) + len(checked.evidence.rejected) == len(package.evidence)
    assert all(len(reason) > 10 for reason in checked.evidence.rejected["reason"])
    if clean_rows:
        assert clean["criterion"].dtype == "int64"
        assert set(clean["source_file"]) == {case}


@pytest.mark.parametrize("case", sorted(PACKAGE_CASES))
def test_package_case(case: str) -> None:
    table, expected, clean_rows = PACKAGE_CASES[case]
    package, checked = check(BAD / "packages" / case)
    assert located(checked.findings) == expected
    validated = getattr(checked, table)
    assert len(validated.clean) == clean_rows
    assert len(validated.clean) + len(validated.rejected) == len(getattr(package, table))
    assert len(checked.evidence.clean) == 6


@pytest.mark.parametrize("case", sorted(INTAKE_CASES))
def test_every_entry_of_a_package_is_read_or_named(case: str) -> None:
    expected, clean_rows = INTAKE_CASES[case]
    package, checked = check(BAD / "packages" / case)
    findings = checked.findings
    assert (
        set(zip(findings["severity"], findings["rule"], findings["file"], findings["sheet"], strict=True))
        == expected
    )
    assert len(findings) == len(expected) and findings["message"].str.len().gt(40).all()
    assert len(checked.evidence.clean) == clean_rows == len(package.evidence)
    assert not any(name in f.name for f in package.files for name in ("passwd", "copy", "up/", ".backup"))
    assert "root:" not in package.evidence.to_csv()  # no line of /etc/passwd, whatever the column


def test_a_header_below_a_title_block_is_found_in_every_format() -> None:
    for case, first_row in (("title_block_above_header.xlsx", 26), ("title_block_above_header.csv", 32)):
        package, _ = check(BAD / "evidence" / case, FRAMEWORK)
        assert package.evidence["source_row"].tolist() == list(range(first_row, first_row + 6)), case
    package, _ = check(BAD / "packages" / "files_not_read")
    title_block = package.evidence[package.evidence["source_file"] == "evidence/title_block.xlsx"]
    assert title_block["source_row"].tolist() == list(range(24, 50))  # 26 rows under a header on row 23


def test_xls_and_ods_read_as_the_user_sees_them() -> None:
    """Merged cells of an .xls take the range's value; numbers are read as typed (1, not 1.0)."""
    xlsx, _ = check(BAD / "evidence" / "merged_cells.xlsx", FRAMEWORK)
    for case in ("excel_97.xls", "libreoffice_calc.ods", "xls_named_xlsx.xlsx"):
        package, checked = check(BAD / "evidence" / case, FRAMEWORK)
        columns = [*EVIDENCE_COLUMNS]
        assert package.evidence[columns].values.tolist() == xlsx.evidence[columns].values.tolist(), case
        assert checked.evidence.clean["criterion"].tolist() == [1, 3, 1, 2, 2, 4], case


def test_a_malformed_framework_is_refused_with_one_line() -> None:
    with pytest.raises(PackageError, match=r"framework.yaml: outcomes.0.indicators"):
        check(BAD / "packages" / "framework_bad")


def test_cleaned_and_accented_text_reaches_the_clean_rows() -> None:
    _, checked = check(BAD / "evidence" / "html_and_control_characters.csv", FRAMEWORK)
    first = checked.evidence.clean.iloc[0]
    assert first["result_achieved"] == "Le Gouvernement a adopté une stratégie.\n\nSuite."
    assert first["ilo_contribution"] == "Le BIT a apporté un appui technique."
    for case in ("cp1252_semicolon.csv", "utf16_excel_unicode_text.csv", "latin1_comma.csv"):
        _, checked = check(BAD / "evidence" / case, FRAMEWORK)
        assert checked.evidence.clean["cpo_title"].str.contains("Políticas públicas").any(), case


def test_excel_rows_are_numbered_as_the_user_sees_them() -> None:
    package, _ = check(BAD / "evidence" / "header_on_row_3.xlsx", FRAMEWORK)
    assert package.evidence["source_row"].tolist() == [4, 5, 6, 7, 8, 9]
    package, checked = check(BAD / "evidence" / "merged_cells.xlsx", FRAMEWORK)
    assert checked.evidence.clean["cpo_title"].str.len().gt(10).all()
    package, checked = check(BAD / "evidence" / "formula_cached_value.xlsx", FRAMEWORK)
    assert checked.evidence.clean["criterion"].tolist() == [1, 3, 1, 2, 2, 4]
    package, _ = check(BAD / "evidence" / "two_sheets_and_instructions.xlsx", FRAMEWORK)
    assert package.evidence[["source_sheet", "source_row"]].values.tolist() == [
        ["Evidence", 2],
        ["Evidence", 3],
        ["Evidence", 4],
        ["Evidence", 5],
        ["Asia", 2],
        ["Asia", 3],
    ]
    package, _ = check(BAD / "evidence" / "rows_object.json", FRAMEWORK)
    assert package.evidence["source_row"].tolist() == [1, 2, 3, 4, 5, 6]


def test_optional_columns_are_kept_canonically_spelled() -> None:
    _, checked = check(BAD / "evidence" / "typology_and_gender.csv", FRAMEWORK)
    clean = checked.evidence.clean
    assert clean["typology"].iloc[0] == "Programmes; Policies and strategies"
    assert clean["typology"].iloc[2] == "Programmes"
    assert clean["gender_specific"].tolist() == ["yes", "yes", "yes", "yes", "", "yes"]
    assert clean["submitted_by"].iloc[0] == "CO Tunis"
