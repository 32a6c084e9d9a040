"""Folders shipped inside the package (the templates, the sample packages), found through
`importlib.resources`: an installed wheel finds them exactly as a checkout does."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped_folder(package: str) -> Path:
    """The folder of `package` on disk (templates are read as files: zip imports are not supported)."""
    folder = resources.files(package)
    if not isinstance(folder, Path):
        raise RuntimeError(f"{package} is not installed as a folder on disk ({folder!r})")
    return folder


def templates_dir() -> Path:
    """`templates/` of the checkout: the Word template and the text templates an editor changes."""
    return shipped_folder("reporting.templates")


def default_template() -> Path:
    """The Word template shipped in `templates/` (editable in Word)."""
    return templates_dir() / "implementation-report.docx"


def examples_dir() -> Path:
    """`examples/` of the checkout: the sample packages transcribed from published reports."""
    return shipped_folder("reporting.examples")
