"""The report as a tagged PDF, laid out by LibreOffice headless, with its table of contents and page
numbers updated first.

`soffice --convert-to pdf` exports the contents list as the .docx holds it ("Update this table (F9 in
Word)"): nothing updates the fields. So soffice is started listening on a private pipe, with a private
profile, and `uno_export.py`, run by a Python that has LibreOffice's UNO bridge, opens the report,
updates every index and field, and stores the PDF through `writer_pdf_Export` (tagged, PDF/UA). Both
run in their own process group, stopped whatever happens, under one deadline.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reporting.errors import OutputError
from reporting.outputs import written_in_place

TIMEOUT_SECONDS = 1800.0
"""LibreOffice lays out the sample in seconds; 10,000 results in short tables take a few minutes."""
CONNECT_SECONDS = 120.0
"""soffice listens within seconds; one that does not by then has failed to start."""
QUIT_SECONDS = 30.0
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


def write_pdf(docx: Path, pdf: Path, timeout: float = TIMEOUT_SECONDS) -> Path:
    """`pdf` from `docx`, complete or not at all (written under a temporary name, then renamed)."""
    soffice, python = libreoffice()
    deadline = time.monotonic() + timeout
    with (
        tempfile.TemporaryDirectory(prefix="reporting-soffice-") as scratch,
        written_in_place(pdf) as partial,
    ):
        pipe = f"reporting-{os.getpid()}-{secrets.token_hex(4)}"
        log = Path(scratch) / "soffice.log"
        with open(log, "wb") as output:
            office = subprocess.Popen(
                [
                    soffice,
                    "--headless",
                    "--invisible",
                    "--nologo",
                    "--norestore",
                    "--nodefault",
                    "--nolockcheck",
                    f"-env:UserInstallation={(Path(scratch) / 'profile').as_uri()}",
                    f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
                ],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: soffice.bin and helpers stop with it
            )
        try:
            exported = subprocess.run(
                [python, EXPORT_SCRIPT, pipe, docx, partial, str(min(timeout, CONNECT_SECONDS))],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            _wait(office, min(QUIT_SECONDS, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise PdfError(f"LibreOffice took more than {timeout:g} s to write {pdf}: stopped") from None
        finally:
            _stop(office)
        if exported.returncode != 0 or partial.stat().st_size == 0:
            reason = _last_line(exported.stderr) or _last_line(log.read_text(errors="replace"))
            raise PdfError(f"LibreOffice could not write {pdf}: {reason or 'no reason given'}")
    return pdf


def _wait(office: subprocess.Popen[bytes], seconds: float) -> None:
    """Give soffice a moment to quit by itself once the export is done (it is killed after)."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        office.wait(timeout=max(seconds, 0.0))


def _stop(office: subprocess.Popen[bytes]) -> None:
    """Kill what is left of soffice's process group (nothing after a clean exit) and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(office.pid, signal.SIGKILL)
    office.wait()


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
