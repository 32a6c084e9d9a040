"""The reports as tagged PDF, laid out by LibreOffice headless, with their tables of contents and page
numbers updated first, several at once.

`soffice --convert-to pdf` exports the contents list as the .docx holds it ("Update this table (F9 in
Word)"): nothing updates the fields. So soffice is started listening on a private pipe, with a private
profile, and `uno_export.py`, run by a Python that has LibreOffice's UNO bridge, opens each report given
to it, updates every index and field, and stores the PDF through `writer_pdf_Export` (tagged, PDF/UA).
Laying out a report keeps one core busy (minutes for the whole programme) and one soffice lays out one
document at a time: the editions (and any other documents) are shared among as many soffice processes as
there are cores, each started once and given the next document as it finishes one. Every soffice runs
in its own process group, stopped whatever happens (at once when a document fails), under one deadline
for all.

LibreOffice 7.4 (Debian 12) leaves three PDF/UA-1 requirements undone, completed here on the PDF it
wrote (`complete_tagging`): the tab order of pages with links (`/Tabs /S`); paragraph borders (the line
under the cover's title), which it paints outside any marked content: they are marked as artifacts; and
now and then a table row without cells in the structure, after the rows of a table: it is left out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import pikepdf

from reporting.errors import OutputError
from reporting.outputs import written_in_place

TIMEOUT_SECONDS = 1800.0
"""LibreOffice lays out the sample in seconds; 10,000 results in short tables take a few minutes."""
CONNECT_SECONDS = 120.0
"""soffice listens within seconds; one that does not by then has failed to start."""
QUIT_SECONDS = 30.0
logger = logging.getLogger(__name__)
EXPORT_SCRIPT = Path(__file__).with_name("uno_export.py")
INSTALL_HINT = (
    "install LibreOffice Writer and its Python bridge (Debian/Ubuntu: apt-get install libreoffice-writer "
    "python3-uno; make system-deps does it)"
)


class PdfError(OutputError):
    """The PDF could not be written: LibreOffice missing, failing or too slow. One line, said at once."""


def pdf_of(docx: Path) -> Path:
    """The PDF of a Word report: beside it, same name."""
    return docx.with_suffix(".pdf")


def libreoffice() -> tuple[Path, Path]:
    """soffice, and a Python that can `import uno` (LibreOffice's own, else the system's)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise PdfError(f"LibreOffice is not installed, so no PDF can be written: {INSTALL_HINT}")
    soffice = Path(found)
    program = soffice.resolve().parent
    candidates = [program / "python", program / "python.exe", Path("/usr/bin/python3"), Path(sys.executable)]
    for python in candidates:
        if python.is_file() and _imports_uno(python):
            return soffice, python
    raise PdfError(
        f"LibreOffice's Python bridge (uno) is not installed, so no PDF can be written: {INSTALL_HINT}"
    )


def _imports_uno(python: Path) -> bool:
    try:
        return subprocess.run([python, "-c", "import uno"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def cores() -> int:
    """The cores this process may run on: how many soffice processes lay out reports at once."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def export_pdfs(
    reports: Sequence[Path], timeout: float = TIMEOUT_SECONDS, processes: int | None = None
) -> list[Path]:
    """The PDF of each Word report, beside it (`pdf_of`), in the order given: what a build calls once
    with all its documents (every edition's report and companions) so that they are laid out together."""
    return write_pdfs([(docx, pdf_of(docx)) for docx in reports], timeout, processes)


def write_pdf(docx: Path, pdf: Path, timeout: float = TIMEOUT_SECONDS) -> Path:
    """`pdf` from `docx`, complete or not at all (written under a temporary name, then renamed)."""
    return write_pdfs([(docx, pdf)], timeout)[0]


def write_pdfs(
    conversions: Sequence[tuple[Path, Path]], timeout: float = TIMEOUT_SECONDS, processes: int | None = None
) -> list[Path]:
    """Each (docx, pdf) converted, by `processes` soffice at once (default: one per core, no more than
    there are documents), within `timeout` seconds for each document a soffice is given (the most
    documents one is given: all of them within 2 × `timeout` for 3 on 2 cores); each PDF complete or not
    at all. The first failure stops every soffice at once and is raised; PDFs finished by then stay."""
    if not conversions:
        return []
    soffice, python = libreoffice()
    waiting: queue.SimpleQueue[tuple[Path, Path]] = queue.SimpleQueue()
    for conversion in conversions:
        waiting.put(conversion)
    count = max(1, min(len(conversions), processes or cores()))
    allowed = timeout * -(-len(conversions) // count)  # `timeout` for each document a soffice is given
    deadline = time.monotonic() + allowed
    ended: queue.SimpleQueue[Exception | None] = queue.SimpleQueue()  # per soffice: None, or its failure
    offices: list[_Office] = []
    workers: list[threading.Thread] = []
    with tempfile.TemporaryDirectory(prefix="reporting-soffice-") as scratch:
        try:
            for number in range(count):
                offices.append(
                    _Office(soffice, python, Path(scratch) / str(number), min(timeout, CONNECT_SECONDS))
                )
                workers.append(
                    threading.Thread(target=_convert_each, args=(offices[-1], waiting, ended), daemon=True)
                )
                workers[-1].start()
            for _ in workers:
                try:
                    failure = ended.get(timeout=max(deadline - time.monotonic(), 0.0))
                except queue.Empty:
                    raise PdfError(
                        f"LibreOffice took more than {allowed:g} s to write "
                        f"{', '.join(str(pdf) for _, pdf in conversions)}: stopped"
                    ) from None
                if failure is not None:
                    raise failure
        finally:
            for office in offices:
                office.stop()
            for worker in workers:
                worker.join()
    return [pdf for _, pdf in conversions]


def _convert_each(
    office: _Office, waiting: queue.SimpleQueue[tuple[Path, Path]], ended: queue.SimpleQueue[Exception | None]
) -> None:
    """One soffice's share: the next waiting document until none is left; then (or on a failure) said on
    `ended`."""
    try:
        while True:
            try:
                docx, pdf = waiting.get_nowait()
            except queue.Empty:
                break
            exported = office.scratch / pdf.name
            seconds = office.convert(docx, exported, pdf)
            started = time.monotonic()
            complete_tagging(exported)
            with written_in_place(pdf) as partial:
                shutil.copyfile(exported, partial)
            exported.unlink()
            logger.info(
                "%s: opened in %.1f s, contents and fields updated in %.1f s, exported in %.1f s, "
                "tagging completed in %.1f s",
                pdf,
                seconds["open"],
                seconds["update"],
                seconds["export"],
                time.monotonic() - started,
            )
        office.quit()
    except Exception as error:  # raised by write_pdfs, which stops every soffice
        ended.put(error)
    else:
        ended.put(None)


class _Office:
    """One soffice listening on a private pipe and the UNO script that drives it, started at once.
    soffice writes only into its own `scratch` folder (the PDF, LibreOffice's `lu*.tmp` and lock files
    beside it), from which a finished PDF is copied into place: a build killed while soffice lays out a
    report leaves soffice to finish that document (`make soak` saw the PDF appear in the output folder
    after the next build had cleared it), and it must finish it where no build looks."""

    def __init__(self, soffice: Path, python: Path, scratch: Path, connect_seconds: float) -> None:
        scratch.mkdir()
        self.scratch = scratch
        pipe = f"reporting-{os.getpid()}-{secrets.token_hex(4)}"
        self.log = scratch / "soffice.log"
        self.errors = scratch / "uno_export.log"
        with open(self.log, "wb") as output:
            self.office = subprocess.Popen(
                [
                    soffice,
                    "--headless",
                    "--invisible",
                    "--nologo",
                    "--norestore",
                    "--nodefault",
                    "--nolockcheck",
                    f"-env:UserInstallation={(scratch / 'profile').as_uri()}",
                    f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
                ],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: soffice.bin and helpers stop with it
            )
        with open(self.errors, "wb") as errors:
            self.script: subprocess.Popen[str] = subprocess.Popen(
                [python, EXPORT_SCRIPT, pipe, str(connect_seconds)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                encoding="utf-8",
            )

    def convert(self, docx: Path, exported: Path, pdf: Path) -> dict[str, float]:
        """`exported` (in this soffice's folder) written from `docx`, for `pdf` (named in an error);
        seconds per step."""
        asked, answers = self._pipes()
        try:
            asked.write(json.dumps({"docx": str(docx), "pdf": str(exported)}) + "\n")
            asked.flush()
            line = answers.readline()
        except OSError:  # the script has died: its reason is in its log
            line = ""
        answer: dict[str, Any] = json.loads(line) if line.strip() else {"error": self._reason()}
        if "error" in answer or not exported.is_file() or exported.stat().st_size == 0:
            raise PdfError(f"LibreOffice could not write {pdf}: {answer.get('error') or 'no reason given'}")
        seconds: dict[str, float] = answer["seconds"]
        return seconds

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self.script.stdin is not None and self.script.stdout is not None  # both are pipes
        return self.script.stdin, self.script.stdout

    def _reason(self) -> str:
        """The last line the script or soffice wrote before stopping."""
        for log in (self.errors, self.log):
            lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
            if lines:
                return lines[-1]
        return "no reason given"

    def quit(self) -> None:
        """No more documents: the script tells soffice to quit; both are given a moment to."""
        with contextlib.suppress(OSError):
            self._pipes()[0].close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.script.wait(timeout=QUIT_SECONDS)
            self.office.wait(timeout=QUIT_SECONDS)

    def stop(self) -> None:
        """Kill what is left of the script and soffice's process group (nothing after a clean quit)."""
        self.script.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.office.pid, signal.SIGKILL)
        self.office.wait()
        self.script.wait()
        for stream in (self.script.stdin, self.script.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


_MARKS = re.compile(
    rb"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>"  # strings, passed over
    rb"|(?<![^\s\]\)>])(BDC|BMC|EMC|S|s|f\*?|F|B\*?|b\*?)(?=[\s\[(</%]|$)"  # marked content, painting
)
PAINTING = {"S", "s", "f", "f*", "F", "B", "B*", "b", "b*"}
PATH = {"m", "l", "c", "v", "y", "h", "re", "W", "W*"}
"""Operators that build (or clip to) the path that the painting operator after them paints."""


def complete_tagging(pdf: Path) -> None:
    """What LibreOffice 7.4 leaves out of PDF/UA-1, added in place: pages with links or other
    annotations are read in structure order (`/Tabs /S`), and paths painted outside any marked content
    (paragraph borders) are marked as artifacts, as table borders already are."""
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        for page in document.pages:
            if "/Annots" in page.obj and page.obj.get("/Tabs") != pikepdf.Name.S:
                page.obj.Tabs = pikepdf.Name.S
            if _paints_unmarked(page):
                instructions = pikepdf.parse_content_stream(page)
                page.obj.Contents = document.make_stream(
                    pikepdf.unparse_content_stream(_paths_as_artifacts(instructions))
                )
        _drop_empty_rows(document.Root.get("/StructTreeRoot"))
        document.save(pdf)


def _paints_unmarked(page: pikepdf.Page) -> bool:
    """Whether the page's content paints a path outside marked content (a quick scan of the bytes: a
    page it finds is then parsed in full)."""
    contents = page.obj.get("/Contents")
    if contents is None:
        return False
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    depth = 0
    for operator in _MARKS.findall(b"\n".join(stream.read_bytes() for stream in streams)):
        if operator in (b"BDC", b"BMC"):
            depth += 1
        elif operator == b"EMC":
            depth -= 1
        elif operator and depth == 0:
            return True
    return False


def _paths_as_artifacts(instructions: list[Any]) -> list[Any]:
    """The content with each path painted outside marked content wrapped in `/Artifact BMC … EMC`."""
    done: list[Any] = []
    depth = 0
    for instruction in instructions:
        operator = str(getattr(instruction, "operator", ""))
        if operator in ("BDC", "BMC"):
            depth += 1
        elif operator == "EMC":
            depth -= 1
        elif operator in PAINTING and depth == 0:
            start = len(done)
            while start > 0 and str(getattr(done[start - 1], "operator", "")) in PATH:
                start -= 1
            artifact = pikepdf.ContentStreamInstruction([pikepdf.Name.Artifact], pikepdf.Operator("BMC"))
            done.insert(start, artifact)
            done += [instruction, pikepdf.ContentStreamInstruction([], pikepdf.Operator("EMC"))]
            continue
        done.append(instruction)
    return done


GROUPS = {"/Document", "/Part", "/Sect", "/Div", "/Art", "/NonStruct", "/Table", "/THead", "/TBody", "/TFoot"}
"""Structure elements that hold blocks: where tables and their rows are (paragraphs are not entered)."""


def _drop_empty_rows(element: Any) -> None:
    """Table rows with no cell removed from the structure (a table's rows must have the same number of
    columns: a row of none has a different number)."""
    if element is None:
        return
    kids = element.get("/K")
    if not isinstance(kids, pikepdf.Array):
        kids = pikepdf.Array([kids]) if isinstance(kids, pikepdf.Dictionary) else pikepdf.Array()
    kept = [kid for kid in kids if not _empty_row(kid)]
    if len(kept) < len(kids):
        element.K = pikepdf.Array(kept)
    for kid in kept:
        if isinstance(kid, pikepdf.Dictionary) and str(kid.get("/S")) in GROUPS:
            _drop_empty_rows(kid)


def _empty_row(kid: Any) -> bool:
    if not isinstance(kid, pikepdf.Dictionary) or kid.get("/S") != pikepdf.Name.TR:
        return False
    cells = kid.get("/K")
    return cells is None or (isinstance(cells, pikepdf.Array) and len(cells) == 0)
