"""The paged search shared by both forms of the directory: a server, or an LDIF file loaded
into ldap3's in-memory server (so that base, scope and filter mean the same in both)."""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Sequence
from typing import Any

from ldap3 import MOCK_SYNC, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core import exceptions as ldap_errors

from ...config.directory import LdapSection
from .entries import DirectoryEntry
from .errors import DirectoryError, DirectoryUnavailable
from .ldif_file import Record

# Answers that mean the server stopped before the end: what was read is not the directory.
_PARTIAL = (
    ldap_errors.LDAPSizeLimitExceededResult,
    ldap_errors.LDAPTimeLimitExceededResult,
    ldap_errors.LDAPAdminLimitExceededResult,
    ldap_errors.LDAPUnavailableResult,
    ldap_errors.LDAPBusyResult,
)
_UNREACHABLE = (
    ldap_errors.LDAPCommunicationError,
    ldap_errors.LDAPStartTLSError,
    ldap_errors.LDAPResponseTimeoutError,
    ldap_errors.LDAPSocketOpenError,
)


def paged_entries(
    connection: Connection,
    base: str,
    search_filter: str,
    attributes: Sequence[str],
    page_size: int,
    origin: str,
) -> list[DirectoryEntry]:
    """Every entry under `base` matching `search_filter`, page by page; any answer other than
    success (a size or time limit, a dropped connection) raises instead of returning a part."""
    entries: list[DirectoryEntry] = []
    try:
        results: Iterable[dict[str, Any]] = connection.extend.standard.paged_search(
            search_base=base,
            search_filter=search_filter,
            search_scope=SUBTREE,
            attributes=list(attributes),
            paged_size=page_size,
            generator=True,
        )
        for result in results:
            if result.get("type") != "searchResEntry":
                continue  # search references point elsewhere; people live in this tree
            entries.append(DirectoryEntry.from_raw(result["dn"], result["raw_attributes"]))
    except ldap_errors.LDAPNoSuchObjectResult:
        raise DirectoryError(f"{origin}: the search base {base!r} does not exist") from None
    except ldap_errors.LDAPInvalidFilterError as exc:
        raise DirectoryError(f"{origin}: invalid filter {search_filter!r} ({exc})") from None
    except _PARTIAL as exc:
        raise DirectoryError(
            f"{origin}: the directory stopped answering after {len(entries)} entries "
            f"({exc.description if hasattr(exc, 'description') else exc}); a partial "
            "directory is never used"
        ) from None
    except _UNREACHABLE as exc:
        raise DirectoryUnavailable(
            f"{origin}: the connection failed after {len(entries)} entries ({exc})"
        ) from None
    except ldap_errors.LDAPException as exc:
        raise DirectoryError(f"{origin}: the search failed ({type(exc).__name__}: {exc})") from None
    return entries


def server_connection(section: LdapSection) -> Connection:
    """An open, bound connection to the configured server (StartTLS or LDAPS as configured)."""
    tls = Tls(
        validate=ssl.CERT_REQUIRED if section.verify_tls else ssl.CERT_NONE,
        ca_certs_file=str(section.ca_file) if section.ca_file else None,
    )
    try:
        server = Server(section.url, get_info=NONE, tls=tls, connect_timeout=section.timeout_s)
    except ldap_errors.LDAPException as exc:
        raise DirectoryError(f"[ldap] url {section.url!r} is not usable: {exc}") from None
    password = section.password.get_secret_value() if section.password else None
    connection = Connection(
        server,
        user=section.bind_dn or None,
        password=password if section.bind_dn else None,
        receive_timeout=section.timeout_s,
        raise_exceptions=True,
        read_only=True,
    )
    who = section.bind_dn or "anonymous"
    try:
        connection.open()
        if section.start_tls:
            connection.start_tls()
        connection.bind()
    except ldap_errors.LDAPInvalidCredentialsResult:
        raise DirectoryUnavailable(
            f"the directory {section.url} refused the bind as {who}: wrong DN or password"
        ) from None
    except ldap_errors.LDAPException as exc:
        raise DirectoryUnavailable(
            f"cannot reach the directory {section.url} (bind as {who}): {exc}"
        ) from None
    return connection


def memory_connection(records: Iterable[Record], origin: str) -> Connection:
    """ldap3's in-memory server holding `records`, searched like a real one."""
    connection = Connection(Server("ldif"), client_strategy=MOCK_SYNC, raise_exceptions=True)
    connection.bind()
    for dn, values in records:
        try:
            added = connection.strategy.add_entry(dn, values)
        except ldap_errors.LDAPException as exc:
            raise DirectoryError(f"{origin}: entry {dn!r} cannot be loaded ({exc})") from None
        if not added:
            raise DirectoryError(f"{origin}: entry {dn!r} appears twice")
    return connection
