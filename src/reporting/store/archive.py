"""The archive of received bytes: every received file is kept byte for byte under its sha256."""

from __future__ import annotations

from pathlib import Path

from reporting.intake.readers import ReceivedFile
from reporting.settings import private_folder


def archive(received: ReceivedFile, archive_root: Path) -> Path:
    """Keep the bytes exactly as received, addressed by their sha256, written once and never changed,
    readable by their owner only (as the data folder)."""
    digest = received.sha256
    target = archive_root / digest[:2] / digest
    if not target.exists():
        content = received.content  # read (again, from disk) and checked before anything is made
        private_folder(target.parent)
        partial = target.with_suffix(".partial")
        partial.write_bytes(content)
        partial.chmod(0o600)
        partial.replace(target)
    return target
