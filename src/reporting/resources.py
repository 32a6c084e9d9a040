"""Folders shipped inside the package (the templates, the sample packages), found through
`importlib.resources`: an installed wheel finds them exactly as a checkout does."""

from __future__ import annotations

from importlib import util
from pathlib import Path


def shipped_folder(package: str) -> Path:
    """The folder of `package` on disk (templates are read as files: zip imports are not supported),
    found without running the package (reporting.schemas would load pandera: a build that is up to date
    only hashes its sources)."""
    spec = util.find_spec(package)
    folders = [Path(f) for f in (spec.submodule_search_locations or [])] if spec else []
    if len(folders) != 1 or not folders[0].is_dir():
        raise RuntimeError(f"{package} is not installed as a folder on disk ({folders!r})")
    return folders[0]


def templates_dir() -> Path:
    """`templates/` of the checkout: the Word template and the text templates an editor changes."""
    return shipped_folder("reporting.templates")


def default_template() -> Path:
    """The Word template shipped in `templates/` (editable in Word)."""
    return templates_dir() / "implementation-report.docx"


def examples_dir() -> Path:
    """`examples/` of the checkout: the sample packages transcribed from published reports."""
    return shipped_folder("reporting.examples")
