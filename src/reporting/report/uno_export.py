"""Run by a Python that has LibreOffice's UNO bridge (LibreOffice's own, or Debian's python3-uno), not by
the project's: `python uno_export.py PIPE CONNECT_SECONDS`. Connects to the soffice that pdf.py started
listening on PIPE, then converts one report after another as pdf.py asks, on standard input, one JSON
line each ({"docx": …, "pdf": …}): opens the .docx, updates its tables of contents (page numbers
included) and fields, exports a tagged PDF, and answers one JSON line ({"seconds": {…}} or {"error": …}).
One soffice thus lays out every report given to it, started once. The documents are never saved: each
.docx stays as the build wrote it. End of input: soffice is told to quit.

Kept to the standard library and `uno` so that it runs in whatever interpreter LibreOffice ships with.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import uno  # type: ignore[import-not-found]

CONNECTION = "uno:pipe,name={};urp;StarOffice.ComponentContext"
INDEX_PASSES = 2
"""A contents list that grows can push headings to later pages: the second pass lists those pages."""


def _property(name: str, value: Any) -> Any:
    prop = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
    prop.Name, prop.Value = name, value
    return prop


def _properties(**values: Any) -> tuple[Any, ...]:
    return tuple(_property(name, value) for name, value in values.items())


def _connect(pipe: str, deadline: float) -> Any:
    """The soffice desktop, once soffice accepts connections (it takes a few seconds to start)."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    while True:
        try:
            context = resolver.resolve(CONNECTION.format(pipe))
            break
        except Exception:  # NoConnectException until soffice listens; raised as a UNO exception type
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)
    return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)


def export(desktop: Any, docx: Path, pdf: Path) -> dict[str, float]:
    """Write `pdf` from `docx`; the seconds spent opening, updating and exporting it."""
    started = time.monotonic()
    document = desktop.loadComponentFromURL(
        docx.resolve().as_uri(), "_blank", 0, _properties(Hidden=True, ReadOnly=True, UpdateDocMode=0)
    )
    if document is None:
        raise RuntimeError(f"LibreOffice could not open {docx}")
    try:
        opened = time.monotonic()
        indexes = document.getDocumentIndexes()
        for _ in range(INDEX_PASSES):
            for number in range(indexes.getCount()):
                indexes.getByIndex(number).update()
            document.getTextFields().refresh()
            document.refresh()
        updated = time.monotonic()
        filter_data = uno.Any(
            "[]com.sun.star.beans.PropertyValue",
            _properties(UseTaggedPDF=True, PDFUACompliance=True, ExportBookmarks=True, ExportNotes=False),
        )
        uno.invoke(
            document,
            "storeToURL",
            (pdf.resolve().as_uri(), _properties(FilterName="writer_pdf_Export", FilterData=filter_data)),
        )
    finally:
        document.close(True)
    return {"open": opened - started, "update": updated - opened, "export": time.monotonic() - updated}


def _answer(answer: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def main(pipe: str, connect_seconds: str) -> None:
    desktop = _connect(pipe, time.monotonic() + float(connect_seconds))
    try:
        for line in sys.stdin:
            asked = json.loads(line)
            try:
                _answer({"seconds": export(desktop, Path(asked["docx"]), Path(asked["pdf"]))})
            except Exception as error:  # a UNO exception or a refusal: said to pdf.py, which stops
                reason = getattr(error, "Message", "") or str(error) or type(error).__name__
                _answer({"error": " ".join(reason.split())})
    finally:
        # soffice quits as the bridge closes: the call may not get its answer
        with contextlib.suppress(Exception):
            desktop.terminate()


if __name__ == "__main__":
    main(*sys.argv[1:])
