"""Errors of the directory reader. Both stop the users step before it plans anything."""

from __future__ import annotations


class DirectoryError(Exception):
    """The directory could not be read completely (bad file, refused search, partial answer)."""


class DirectoryUnavailable(DirectoryError):
    """The directory server could not be reached or refused the bind."""
