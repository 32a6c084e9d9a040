"""Every file a command writes appears complete or not at all.

A build killed while it renders, or a disk that fills up, must never leave a truncated
`implementation-report-….docx` under its final name: the file is written under a temporary name in the
same folder and renamed into place (an atomic step on one file system) only once it is complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

TEMPORARY_PREFIX = ".partial-"
"""Temporary files start with this: a killed write leaves at most such a file, never a final name."""


@contextlib.contextmanager
def written_in_place(final: Path) -> Iterator[Path]:
    """A temporary path beside `final` to write to; renamed to `final` when the block ends without an
    error, removed otherwise. The suffix is kept (a writer may choose its format from it)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=f"{TEMPORARY_PREFIX}{final.stem}-", suffix=final.suffix, dir=final.parent
    )
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as written:  # on disk before the name points to it
            os.fsync(written.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def scratch_file(folder: Path, name: str) -> Iterator[Path]:
    """A temporary file in `folder` for the block's work, removed when the block ends (a killed build
    leaves at most a temporary name, which its next build clears: remove_partial_files)."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, path = tempfile.mkstemp(prefix=f"{TEMPORARY_PREFIX}{name}-", dir=folder)
    os.close(handle)
    try:
        yield Path(path)
    finally:
        Path(path).unlink(missing_ok=True)


def write_bytes(final: Path, data: bytes) -> Path:
    with written_in_place(final) as temporary:
        temporary.write_bytes(data)
    return final


def write_text(final: Path, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes(final, text.encode(encoding))


def remove_partial_files(folder: Path) -> None:
    """What a killed write left in an output folder (temporary names only, never a final one). Called
    by a build holding its biennium's write slot, so no other writer is using them."""
    if folder.is_dir():
        for leftover in [*folder.glob(f"{TEMPORARY_PREFIX}*"), *folder.glob(f"*/{TEMPORARY_PREFIX}*")]:
            leftover.unlink(missing_ok=True)


DRAFT_FOLDER = "draft"


def edition_folder(out_dir: Path, language: str, draft: bool) -> Path:
    """Where an edition of a build goes, whatever the number of editions built: OUT/<language>/, and a
    draft's OUT/draft/<language>/, so that a draft never replaces a final report (nor a final report a
    draft)."""
    return out_dir / DRAFT_FOLDER / language if draft else out_dir / language
