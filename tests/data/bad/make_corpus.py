"""Write the bad-input corpus: files as country offices really send them, one mistake (or one format)
each. Run `python tests/data/bad/make_corpus.py` after changing a case; tests/test_bad_corpus.py says
what each case must give. The .xls and .ods cases are written by LibreOffice Calc (`soffice`, Debian
package libreoffice-calc), as offices' tools write them.

Single evidence files sit in evidence/ (checked against framework.yaml here, the 2014-15 framework);
cases about targets, outputs, examples, the framework or what a package folder holds (links, files and
sheets that are not read, hostile names) are package folders under packages/."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import struct
import subprocess
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from reporting.vocabulary import EVIDENCE_COLUMNS

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[2] / "examples" / "2014-15"
COLUMNS = list(EVIDENCE_COLUMNS)
TUN_TITLE = "Capacités des mandants renforcées pour la gouvernance de la migration de main d'œuvre"
MEX_TITLE = "Políticas públicas de migración laboral con enfoque de género en México"
VNM_TITLE = "Improved labour migration governance and protection of migrant workers"


def row(
    region: str, country: str, code: str, title: str, criterion: int, **changes: object
) -> dict[str, object]:
    base: dict[str, object] = {
        "biennium": "2014-15",
        "outcome": "7",
        "indicator": "7.1",
        "region": region,
        "country": country,
        "cpo_code": code,
        "cpo_title": title,
        "criterion": criterion,
        "result_achieved": f"Le Gouvernement a adopté une stratégie (critère {criterion}), año {code}.",
        "ilo_contribution": "Le BIT a apporté un appui technique; la OIT brindó asistencia técnica.",
    }
    return {**base, **changes}


# Six valid rows: three CPOs of three regions, each meeting two criteria (reportable), with accents.
BASE = [
    row("Africa", "Tunisia", "TUN129", TUN_TITLE, 1),
    row("Africa", "Tunisia", "TUN129", TUN_TITLE, 3),
    row("Americas", "Mexico", "MEX128", MEX_TITLE, 1),
    row("Americas", "Mexico", "MEX128", MEX_TITLE, 2),
    row("Asia and the Pacific", "Viet Nam", "VNM105", VNM_TITLE, 2),
    row("Asia and the Pacific", "Viet Nam", "VNM105", VNM_TITLE, 4),
]


def asia(*numbers: int) -> list[dict[str, object]]:
    """Rows of Viet Nam CPOs VNM2nn, each meeting criteria 1 and 2 (reportable): rows no other file has."""
    return [row("Asia and the Pacific", "Viet Nam", f"VNM{n}", VNM_TITLE, c) for n in numbers for c in (1, 2)]


def changed(index: int, **changes: object) -> list[dict[str, object]]:
    """The base rows with row `index` (0-based data row; Excel row index + 2) changed."""
    rows = [dict(r) for r in BASE]
    rows[index].update(changes)
    return rows


def csv_text(rows: list[dict[str, object]], delimiter: str = ",", columns: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=columns or list(rows[0]), delimiter=delimiter, lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write(name: str, content: str | bytes, encoding: str = "utf-8") -> None:
    path = HERE / "evidence" / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))


def workbook_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def sheet_with(
    workbook: Workbook, title: str, rows: list[dict[str, object]], above: list[list[object]]
) -> None:
    sheet = workbook.create_sheet(title)
    for line in above:
        sheet.append(line)
    sheet.append(list(rows[0]))
    for r in rows:
        sheet.append(list(r.values()))


def xlsx(rows: list[dict[str, object]], above: list[list[object]] | None = None) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheet_with(workbook, "Evidence", rows, above or [])
    return workbook


def libreoffice(workbooks: dict[str, Workbook], suffix: str) -> dict[str, bytes]:
    """The workbooks saved by LibreOffice Calc in another format (`suffix`: xls, ods), by name."""
    with tempfile.TemporaryDirectory() as work:
        for name, workbook in workbooks.items():
            workbook.save(Path(work) / f"{name}.xlsx")
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{work}/profile",
                "--headless",
                "--convert-to",
                suffix,
                "--outdir",
                work,
                *(str(Path(work) / f"{name}.xlsx") for name in workbooks),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        return {name: (Path(work) / f"{name}.{suffix}").read_bytes() for name in workbooks}


def macro_enabled(workbook: Workbook) -> bytes:
    """The workbook as Excel saves it with macros (.xlsm): its main part has another content type."""
    return patch_part(
        workbook_bytes(workbook),
        "[Content_Types].xml",
        lambda x: x.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        ),
    )


def claims_rows(xls: bytes, rows: int) -> bytes:
    """An .xls whose sheet says (in its DIMENSIONS record: type 0x0200, 14 bytes) that it has `rows`
    rows: one byte changed, and calamine asked for a terabyte and aborted the process reading it."""
    at = xls.index(b"\x00\x02\x0e\x00") + 4  # the record's data: first row, last row + 1, columns
    return xls[: at + 4] + struct.pack("<I", rows) + xls[at + 8 :]


def title_block(lines: int) -> list[list[object]]:
    """What offices put above a table: a title, a date, notes, blank lines — `lines` rows of it."""
    block: list[list[object]] = [
        ["Outcome 7: results by indicator, 2014-15"],
        ["Prepared by the regional office"],
    ]
    block += [[f"Note {i}: see the instructions."] if i % 3 else [] for i in range(lines - len(block))]
    return block


def patch_part(content: bytes, part: str, patch: callable) -> bytes:  # type: ignore[valid-type]
    """Rewrite one XML part of a workbook (what openpyxl cannot write: cached values, a DTD)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, patch(data) if item.filename == part else data)
    return out.getvalue()


def zip_bomb(content: bytes, part: str) -> bytes:
    """The workbook with 8 MB of blanks at the end of an XML part: it weighs a few KB more and unpacks
    1,000 times (the same trick makes 2.45 MB unpack to 2.5 GB)."""
    return patch_part(content, part, lambda x: x.rstrip() + b" " * 8 * 2**20)


def evidence_cases() -> None:
    # encodings and delimiters: all valid
    write("utf8_bom.csv", csv_text(BASE), "utf-8-sig")
    write("utf16_excel_unicode_text.csv", csv_text(BASE, "\t"), "utf-16")
    write("cp1252_semicolon.csv", csv_text(BASE, ";").replace("œ", "oe"), "cp1252")
    write("latin1_comma.csv", csv_text(BASE).replace("œ", "oe"), "latin-1")
    write(
        "column_names_case_and_spaces.csv",
        csv_text(BASE).replace("biennium,", " Biennium ,", 1).replace("cpo_code", "CPO_Code", 1),
    )
    # Excel
    write("header_on_row_3.xlsx", workbook_bytes(xlsx(BASE, [["Outcome 7 evidence — Tunisia office"], []])))
    merged = xlsx(BASE)
    sheet = merged["Evidence"]
    for top, bottom in ((2, 3), (4, 5), (6, 7)):
        sheet.merge_cells(start_row=top, end_row=bottom, start_column=7, end_column=7)  # cpo_title
        sheet.merge_cells(start_row=top, end_row=bottom, start_column=4, end_column=4)  # region
    write("merged_cells.xlsx", workbook_bytes(merged))
    formula = xlsx(BASE)
    formula["Evidence"]["H3"] = "=1+2"  # criterion 3 as a formula; Excel keeps its value: 3
    write(
        "formula_cached_value.xlsx",
        patch_part(
            workbook_bytes(formula),
            "xl/worksheets/sheet1.xml",
            lambda x: x.replace(b"<f>1+2</f><v></v>", b"<f>1+2</f><v>3</v>"),
        ),
    )
    write("formula_not_computed.xlsx", workbook_bytes(formula))  # as a script writes it: no value
    sheets = xlsx(BASE[:4])
    sheets.create_sheet("Instructions", 0).append(["Fill in one row per criterion met."])
    sheet_with(sheets, "Asia", BASE[4:], [])
    write("two_sheets_and_instructions.xlsx", workbook_bytes(sheets))
    write("date_in_biennium.xlsx", workbook_bytes(xlsx(changed(0, biennium=datetime(2015, 12, 31)))))
    # row rules
    write("wrong_region.csv", csv_text(changed(0, region="Afrique")))
    write("bad_cpo_code.csv", csv_text(changed(2, cpo_code="MEX12")))
    write("country_code_mismatch.csv", csv_text(changed(0, country="Nigeria")))
    wrong_region = changed(0, region="Arab States")
    wrong_region[1]["region"] = "Arab States"
    write("country_in_wrong_region.csv", csv_text(wrong_region))
    usual = [
        row("Asia and the Pacific", "Lao PDR", "LAO179", VNM_TITLE, 1),
        row("Asia and the Pacific", "Lao PDR", "LAO179", VNM_TITLE, 2),
        row("Asia and the Pacific", "Republic of Korea", "KOR101", VNM_TITLE, 1),
        row("Asia and the Pacific", "Republic of Korea", "KOR101", VNM_TITLE, 3),
        row("Africa", "Côte d'Ivoire", "CIV102", TUN_TITLE, 1),
        row("Africa", "Côte d'Ivoire", "CIV102", TUN_TITLE, 2),
        row("Europe and Central Asia", "Moldova", "MDA103", VNM_TITLE, 1),
        row("Europe and Central Asia", "Moldova", "MDA103", VNM_TITLE, 2),
        row("Europe and Central Asia", "Turkey", "TUR159", VNM_TITLE, 1),
        row("Europe and Central Asia", "Turkey", "TUR159", VNM_TITLE, 2),
        row("Americas", "Bolivia", "BOL104", MEX_TITLE, 1),
        row("Americas", "Bolivia", "BOL104", MEX_TITLE, 2),
        row("Asia and the Pacific", "Asia and the Pacific Region", "RAS151", VNM_TITLE, 1),
        row("Asia and the Pacific", "Asia and the Pacific Region", "RAS151", VNM_TITLE, 3),
    ]
    write("usual_names_and_regional_cpo.csv", csv_text(usual))
    write("unknown_country_name.csv", csv_text(changed(0, country="Tunisland")))
    write("undeclared_criterion.csv", csv_text(changed(1, criterion=7)))
    write("non_numeric_criterion.csv", csv_text(changed(1, criterion="two")))
    write("undeclared_indicator.csv", csv_text(changed(4, indicator="7.9")))
    write("empty_text.csv", csv_text(changed(3, result_achieved="   ")))
    biennia = changed(0, biennium="2012-13")
    biennia[2]["biennium"] = "2014-2015"
    write("wrong_biennium.csv", csv_text(biennia))
    write(
        "html_and_control_characters.csv",
        csv_text(
            changed(
                0,
                result_achieved="<p>Le Gouvernement a <b>adopté</b> une stratégie.</p><p>Suite.</p>",
                ilo_contribution="Le BIT a\x07 apporté un appui\x0b technique.",
            )
        ),
    )
    # table rules
    write("duplicate_rows.csv", csv_text([*BASE[:3], BASE[1], *BASE[3:]]))
    write("conflicting_cpo_titles.csv", csv_text(changed(1, cpo_title="Another title for the same CPO")))
    regional = [
        row("Africa", "Africa Region", "RAF101", TUN_TITLE, 1),
        row("Arab States", "Africa Region", "RAF101", TUN_TITLE, 2),
    ]
    write("conflicting_cpo_regions.csv", csv_text([*BASE, *regional]))
    write("below_threshold.csv", csv_text([*BASE, row("Africa", "Nigeria", "NGA904", TUN_TITLE, 1)]))
    write(
        "no_title_on_any_row.csv",
        csv_text(
            [*BASE, row("Africa", "Nigeria", "NGA904", "", 1), row("Africa", "Nigeria", "NGA904", "", 2)]
        ),
    )
    # columns
    write(
        "missing_column.csv",
        csv_text([{k: v for k, v in r.items() if k != "ilo_contribution"} for r in BASE]),
    )
    write("unknown_column.csv", csv_text([{**r, "notes": "checked by RO"} for r in BASE]))
    optional = [dict(r) for r in BASE]
    for r in optional:
        r.update(
            typology="Programmes; policies and strategies", gender_specific="Yes", submitted_by="CO Tunis"
        )
    optional[2].update(typology="Programmes; Advocacy")
    optional[4].update(gender_specific="maybe")
    write("typology_and_gender.csv", csv_text(optional))
    # unreadable files and JSON shapes
    write("empty.csv", b"")
    write("binary_content.csv", bytes(range(256)) * 8)
    write("not_a_workbook.xlsx", b"PK\x03\x04 this is not really a zip archive")
    write("old_excel_97.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    write(
        "xml_bomb.xlsx",
        patch_part(
            workbook_bytes(xlsx(BASE)), "xl/worksheets/sheet1.xml", lambda x: bomb + x.split(b"?>", 1)[-1]
        ),
    )
    write(
        "rows_object.json", json.dumps({"rows": [{**r, "criterion": int(str(r["criterion"]))} for r in BASE]})
    )
    write("list_of_rows.json", json.dumps(BASE, ensure_ascii=False))
    write("bad_json_shape.json", json.dumps({"data": BASE}))
    write("invalid_json.json", json.dumps(BASE)[:-40])
    write("deeply_nested.json", "[" * 100_000 + "]" * 100_000)
    # formats read since issue 9: TSV, .txt tables, .xlsm, .xls, .ods; a header below a long title block
    write("tab_separated.tsv", csv_text(BASE, "\t"))
    write("unicode_text_saved_as.txt", csv_text(BASE, "\t"), "utf-16")
    write("results_note.txt", "Results for Viet Nam to follow next week.\r\n")
    write(
        "title_block_above_header.csv",
        "".join(f"{' '.join(map(str, r))}\r\n" for r in title_block(30)) + csv_text(BASE),
    )
    write("title_block_above_header.xlsx", workbook_bytes(xlsx(BASE, title_block(24))))
    write("macro_enabled.xlsm", macro_enabled(xlsx(BASE)))
    notes = xlsx(BASE, title_block(3))
    notes.create_sheet("Notes").append(["Rows checked by the regional office."])
    xls = libreoffice({"excel_97": merged, "xls_named_xlsx": xlsx(BASE)}, "xls")
    write("excel_97.xls", xls["excel_97"])
    write("xls_claims_billions_of_rows.xls", claims_rows(xls["excel_97"], 0xA500_0007))
    write("xls_named_xlsx.xlsx", xls["xls_named_xlsx"])
    ods = libreoffice({"libreoffice_calc": notes}, "ods")["libreoffice_calc"]
    write("libreoffice_calc.ods", ods)
    write("zip_bomb.xlsx", zip_bomb(workbook_bytes(xlsx(BASE)), "xl/worksheets/sheet1.xml"))
    write("ods_zip_bomb.ods", zip_bomb(ods, "content.xml"))
    write(
        "ods_xml_bomb.ods",
        patch_part(
            ods,
            "content.xml",
            lambda x: bomb + x.split(b"?>", 1)[-1].replace(b"<text:p>biennium<", b"<text:p>&lol2;<"),
        ),
    )
    unread = xlsx(BASE[:4])
    sheet_with(unread, "Asia", [{f"{k} no.": v for k, v in r.items()} for r in BASE[4:]], [])
    unread.create_sheet("lists").sheet_state = "hidden"
    unread["lists"].append(["Africa", "Americas"])
    write("sheet_without_header.xlsx", workbook_bytes(unread))
    # a few control characters are text (cleaned, with a warning); a known binary signature is not
    write(
        "nul_in_a_cell.csv",
        csv_text(
            changed(0, result_achieved="Le Gouvernement a adopté\x00 une stratégie\x0b (critère 1)\x1f.")
        ),
    )
    write("png_named_csv.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))


def package_cases() -> None:
    def package(name: str, **files: str) -> Path:
        folder = HERE / "packages" / name
        (folder / "evidence").mkdir(parents=True)
        shutil.copy(SAMPLE / "framework.yaml", folder / "framework.yaml")
        (folder / "evidence" / "evidence.csv").write_text(csv_text(BASE), "utf-8")
        for file, text in files.items():
            (folder / file.replace("_", ".", 1)).write_text(text, "utf-8")
        return folder

    targets = "biennium,outcome,indicator,region,target\r\n" + "".join(
        line + "\r\n"
        for line in (
            "2014-15,7,7.1,Africa,3",
            "2014-15,7,7.9,Africa,2",  # unknown indicator
            "2014-15,7,7.1,Americas,-1",  # negative
            "2014-15,7,7.2,Africa,1",
            "2014-15,7,7.2,Africa,1",  # the same target twice
            "2014-15,7,7.2,Americas,2",
            "2014-15,7,7.2,Americas,4",  # two different targets
            "2014-15,7,7.1,Arab States,three",  # not a number
        )
    )
    package("targets_bad", targets_csv=targets)
    package(
        "outputs_bad",
        outputs_csv="biennium,outcome,typology,text\r\n"
        "2014-15,7,Capacity building,Training of labour inspectors in five countries.\r\n"
        "2014-15,7,Research,A study on recruitment fees.\r\n"
        "2014-15,7,Policy dialogue and advocacy,\r\n",
    )
    package(
        "examples_bad",
        examples_csv="biennium,outcome,country,ilo_contribution,results,gender_specific\r\n"
        "2014-15,7,Tunisia,Technical advice.,A national strategy adopted.,yes\r\n"
        "2014-15,7,Mexico,Training.,Better protection of migrant women.,maybe\r\n"
        "2014-15,9,Nepal,Support.,,no\r\n",
    )
    links = package("links")
    os.symlink("/etc/passwd", links / "evidence" / "passwd.csv")  # outside the package
    os.symlink("evidence.csv", links / "evidence" / "copy.csv")  # inside: a link all the same
    os.symlink("../..", links / "evidence" / "up")  # a folder above the package
    os.symlink("/etc/passwd", links / "targets.csv")

    unread = package("files_not_read")
    (unread / "README.md").write_text("# Viet Nam, 2014-15\n\nSent by the country office.\n", "utf-8")
    (unread / "notes.txt").write_text("Two CPOs are reported late.\n", "utf-8")
    (unread / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (unread / ".backup").mkdir()
    (unread / ".backup" / "evidence.csv").write_text(csv_text(BASE), "utf-8")
    (unread / "extra.csv").write_text(csv_text(asia(290)), "utf-8")
    evidence = unread / "evidence"
    (evidence / "late-VNM.xls").write_bytes(libreoffice({"late": xlsx(asia(201))}, "xls")["late"])
    (evidence / "more.tsv").write_text(csv_text(asia(202), "\t"), "utf-8")
    (evidence / "results.txt").write_text("Results for Lao PDR to follow.\n", "utf-8")
    (evidence / "macro.xlsm").write_bytes(macro_enabled(xlsx(asia(203))))
    (evidence / "IMPORTANT.CSV.bak").write_text(csv_text(asia(291)), "utf-8")
    (evidence / "~$late-VNM.xlsx").write_bytes(b"\x0cExcel lock")
    cover = xlsx(asia(*range(210, 223)), title_block(22))  # 26 rows under a header on row 23
    cover.create_sheet("Cover", 0).append(["Outcome 7", "Viet Nam"])
    (evidence / "title_block.xlsx").write_bytes(workbook_bytes(cover))
    (evidence / "sub").mkdir()
    (evidence / "sub" / "older.csv").write_text(csv_text(asia(204)), "utf-8")

    hostile = package("hostile_names")
    (hostile / "evidence" / "x\x1b[31mred.csv").write_text(csv_text(asia(205)), "utf-8")
    (hostile / "evidence" / "deep.json").write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    package("framework_bad")
    (HERE / "packages" / "framework_bad" / "framework.yaml").write_text(
        'biennium: "2014-15"\noutcomes:\n  - id: "7"\n    title: Labour migration\n    indicators: []\n',
        "utf-8",
    )


def main() -> None:
    for folder in ("evidence", "packages"):
        shutil.rmtree(HERE / folder, ignore_errors=True)
    (HERE / "evidence").mkdir()
    shutil.copy(SAMPLE / "framework.yaml", HERE / "framework.yaml")
    evidence_cases()
    package_cases()


if __name__ == "__main__":
    main()
