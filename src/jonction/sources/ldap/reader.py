"""Reads the people of the directory, from the configured server or LDIF file."""

from __future__ import annotations

from collections.abc import Sequence

from ...config.directory import LdapSection
from .entries import Directory
from .errors import DirectoryError
from .ldif_search import search_ldif
from .search import paged_entries, server_connection


def describe_source(section: LdapSection) -> str:
    if section.url:
        return f"{section.url} ({section.base})"
    return str(section.ldif)


def read_directory(section: LdapSection, attributes: Sequence[str]) -> Directory:
    """The entries under `[ldap] base` that match `[ldap] filter`, with `attributes`.

    Blocking (ldap3 is synchronous): call it from a thread in async code. Raises
    DirectoryUnavailable when the server cannot be reached, DirectoryError when the answer
    is incomplete or the file is malformed: a partial directory is never returned.
    """
    origin = describe_source(section)
    if section.url:
        connection = server_connection(section)
    elif section.ldif is not None:
        entries = search_ldif(section.ldif, section.base, section.filter, attributes, origin)
        return Directory(origin, entries)
    else:
        raise DirectoryError("no directory configured: set [ldap] url (a server) or ldif (a file)")
    try:
        entries = paged_entries(
            connection, section.base, section.filter, attributes, section.page_size, origin
        )
    finally:
        connection.unbind()
    return Directory(origin, entries)
