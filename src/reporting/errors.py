"""Errors that stop a build, each with a one-line reason a user can act on."""


class PackageError(Exception):
    """The package cannot be read at all (no framework, unreadable file): nothing is built."""


class StrictModeError(Exception):
    """`--strict` was asked and some rows were rejected."""
