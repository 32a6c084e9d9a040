"""Errors that stop a build, each with a one-line reason a user can act on."""

import contextlib
import errno
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

PERMANENT_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOENT,
        errno.ENAMETOOLONG,
        errno.ELOOP,
        errno.EEXIST,
        errno.EFBIG,
        errno.EINVAL,
    }
)
"""Errors that the same call gives again: a full disk, a path that is a file, no permission."""


def named_few(names: Sequence[str], shown: int = 10) -> str:
    """Names for a one-line message: the first `shown`, then how many more (a thousand results refused
    for one reason are one reason, not a thousand names)."""
    listed = ", ".join(names[:shown])
    return listed if len(names) <= shown else f"{listed} and {len(names) - shown} more"


class PackageError(Exception):
    """The package cannot be read at all (no framework, unreadable file): nothing is built."""


class StrictModeError(Exception):
    """`--strict` was asked and some rows were rejected."""


class OutputError(Exception):
    """The report cannot be written (a full disk, `--out` naming a file, no permission): retrying
    gives the same answer, so it is said at once, in one line."""


def is_permanent(error: BaseException) -> bool:
    """True for a failure that trying again cannot cure (retrying it only delays the message)."""
    if isinstance(error, OSError):
        return error.errno in PERMANENT_ERRNOS
    return "disk is full" in str(error) or "readonly database" in str(error)


def output_error(error: OSError, where: object = None) -> OutputError:
    """`no space left on device: out/2014-15/report.md`: what is wrong, where (the file the system
    names, else the folder being written)."""
    reason = (error.strerror or str(error)).lower()
    place = error.filename or where
    return OutputError(f"{reason}: {place}" if place else reason)


FULL_STORE = ("database or disk is full", "no space left on device", "could not extend file")
"""How SQLite, the system and PostgreSQL say that a database cannot grow."""
LOW_DISK_BYTES = 1024 * 1024
"""Less free space than this: the disk is full (a failed write took what was left)."""


def store_full(error: BaseException, store: str) -> OutputError | None:
    """`the store is full (no space left on device): data/reporting.db` when `error` says the database
    cannot grow (instead of the driver's raw OperationalError); None for any other error."""
    if not any(words in str(error).lower() for words in FULL_STORE):
        return None
    from sqlalchemy.engine import make_url  # only once a build failed: the CLI starts without it

    url = make_url(store)
    where = url.database if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=True)
    return OutputError(f"the store is full (no space left on device): {where}")


def full_disk(places: Iterable[Path]) -> Path | None:
    """The first of `places` whose disk is (all but) full, if any: what a server's error cannot say."""
    for place in places:
        with contextlib.suppress(OSError):
            if shutil.disk_usage(place).free < LOW_DISK_BYTES:
                return place
    return None
