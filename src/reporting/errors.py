"""Errors that stop a build, each with a one-line reason a user can act on."""

import errno

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
