"""Properties of the intake: whatever bytes arrive as a CSV, TSV, XLSX, XLS, ODS or JSON file, whatever
text its cells hold and whatever its name, reading and checking it gives rows or findings and a sound
validation report — never a traceback."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from reporting.framework import load_framework
from reporting.intake.feedback import Checked, write_report
from reporting.intake.stages import check, dry_run
from reporting.intake.text_cleaning import printable
from reporting.vocabulary import EVIDENCE_COLUMNS
from tests.conftest import SAMPLE

BAD = Path(__file__).parent / "data" / "bad" / "evidence"
FRAMEWORK = load_framework(SAMPLE / "framework.yaml")
SCALE = int(os.environ.get("REPORTING_PROPERTY_SCALE", "1"))
"""Examples per property, times this: `REPORTING_PROPERTY_SCALE=10 pytest tests/test_intake_properties.py`
searches ten times wider (a few minutes) than `make test` (about 40 s on the 2-core machine)."""
FEW = settings(
    max_examples=15 * SCALE, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
"""A check and its report cost about half a second (pandera, openpyxl)."""
VALID = {
    ".csv": (BAD / "utf8_bom.csv").read_bytes(),
    ".tsv": (BAD / "tab_separated.tsv").read_bytes(),
    ".xlsx": (BAD / "merged_cells.xlsx").read_bytes(),
    ".xls": (BAD / "excel_97.xls").read_bytes(),
    ".ods": (BAD / "libreoffice_calc.ods").read_bytes(),
    ".json": (BAD / "list_of_rows.json").read_bytes(),
}
SUFFIXES = st.sampled_from(sorted(VALID))
NOT_A_TITLE = re.compile(r"[\x00-\x1f\[\]:*?/\\]")
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@contextmanager
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="intake-") as work:
        yield Path(work)


def package_with(work: Path, files: dict[bytes, bytes]) -> Path:
    """A package of the sample framework and these evidence files (names as bytes: any a disk takes)."""
    package = work / "package"
    (package / "evidence").mkdir(parents=True)
    (package / "framework.yaml").write_bytes((SAMPLE / "framework.yaml").read_bytes())
    for name, content in files.items():
        with open(os.path.join(os.fsencode(package / "evidence"), name), "wb") as file:
            file.write(content)
    return package


def assert_rows_or_findings(name: str, content: bytes) -> None:
    """Read one file on its own: rows, or a finding saying why there are none; the rows read are then
    validated and none is lost (clean + set aside = read)."""
    with folder() as work:
        (work / name).write_bytes(content)
        package, checked = check(work / name, FRAMEWORK)
    assert len(package.evidence) or len(checked.files)
    assert checked.files["message"].str.len().gt(20).all()
    if len(package.evidence):
        evidence = checked.evidence
        assert len(evidence.clean) + len(evidence.rejected) == len(package.evidence)


def assert_sound_report(checked: Checked, report: Path) -> list[str]:
    """`reporting validate`'s two files are written and open, the workbook's sheet titles are ones Excel
    accepts; the findings' file names, as written, are returned."""
    xlsx, findings = write_report(checked, report)
    titles = load_workbook(xlsx, read_only=True).sheetnames
    assert len({t.casefold() for t in titles}) == len(titles)
    for title in titles:
        assert 0 < len(title.encode("utf-16-le")) // 2 <= 31 and not NOT_A_TITLE.search(title), title
        assert not title.startswith("'") and not title.endswith("'") and title.casefold() != "history"
    return [row["file"] for row in csv.DictReader(io.StringIO(findings.read_text(encoding="utf-8-sig")))]


@st.composite
def damaged(draw: st.DrawFn, content: bytes) -> bytes:
    """A valid file with a few bytes changed, perhaps cut short."""
    for at, replacement in draw(
        st.lists(st.tuples(st.integers(0, len(content) - 1), st.binary(max_size=4)), max_size=5)
    ):
        content = content[:at] + replacement + content[at + len(replacement) :]
    return content[: draw(st.integers(1, len(content)))] if draw(st.booleans()) else content


@settings(FEW, max_examples=40 * SCALE)  # mostly unreadable: read, seldom validated
@given(suffix=SUFFIXES, content=st.binary(max_size=3000))
def test_arbitrary_bytes_give_rows_or_findings(suffix: str, content: bytes) -> None:
    assert_rows_or_findings(f"evidence{suffix}", content)


@settings(FEW, max_examples=20 * SCALE)
@given(data=st.data(), suffix=SUFFIXES)
def test_damaged_files_give_rows_or_findings(data: st.DataObject, suffix: str) -> None:
    assert_rows_or_findings(f"evidence{suffix}", data.draw(damaged(VALID[suffix])))


COLUMNS = [*EVIDENCE_COLUMNS, "notes"]
Rows = list[dict[str, str]]


@st.composite
def submissions(draw: st.DrawFn) -> Rows:
    """One to five rows of arbitrary text (the biennium set, so that no row is blank)."""
    text = st.text(max_size=60)
    rows = draw(st.lists(st.fixed_dictionaries({c: text for c in COLUMNS}), min_size=1, max_size=5))
    return [{**r, "biennium": "2014-15"} for r in rows]


def as_csv(rows: Rows) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def as_xlsx(rows: Rows) -> bytes:
    """As Excel keeps the text: without the characters a workbook cannot hold."""
    workbook = Workbook()
    workbook.active.append(COLUMNS)
    for r in rows:
        workbook.active.append([ILLEGAL_CHARACTERS_RE.sub("", r[c]) for c in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def as_json(rows: Rows) -> bytes:
    return json.dumps(rows).encode()


@FEW
@given(
    rows=submissions(),
    write=st.sampled_from([(b"x.csv", as_csv), (b"x.xlsx", as_xlsx), (b"x.json", as_json)]),
)
def test_arbitrary_text_in_cells_is_read_row_for_row(
    rows: Rows, write: tuple[bytes, Callable[[Rows], bytes]]
) -> None:
    """Every row is read (a file is refused only when its text is mostly control characters), and the
    report on it is sound."""
    name, writer = write
    with folder() as work:
        checked = dry_run(package_with(work, {name: writer(rows)}))
        assert checked.findings["rule"].eq("file_readable").any() or len(checked.rows) == len(rows)
        assert_sound_report(checked, work / "report")


FILE_NAMES = st.one_of(
    # names a file system gives as text (a lone surrogate is no character: raw bytes are the binary case)
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=40
    ).map(lambda t: t.encode("utf-8")),
    st.binary(min_size=1, max_size=40),
).filter(lambda n: b"/" not in n and b"\x00" not in n)


@FEW
@given(names=st.lists(FILE_NAMES, min_size=1, max_size=4, unique=True))
def test_arbitrary_file_names_are_read_or_named_in_a_sound_report(names: list[bytes]) -> None:
    """Whatever bytes name the files, each is read or named in a finding, every name written out is
    printable, and the report's sheet titles are valid and distinct."""
    with folder() as work:
        checked = dry_run(package_with(work, {name + b".csv": VALID[".csv"] for name in names}))
        written = assert_sound_report(checked, work / "report")
    assert not any(UNPRINTABLE.search(name) for name in written)
    read = {f.name for f in checked.files if f.role == "evidence"}
    named = set(checked.findings["file"])
    for name in names:
        shown = "evidence/" + printable(os.fsdecode(name + b".csv"))
        assert shown in read or shown in named, shown
    assert len(checked.rows) == 6 * len(read)
