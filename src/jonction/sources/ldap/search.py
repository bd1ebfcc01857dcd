"""The paged search of a directory server (an LDIF file is searched by `ldif_search`)."""

from __future__ import annotations

import math
import ssl
from collections.abc import Sequence
from typing import Any

from ldap3 import NONE, SUBTREE, Connection, Server, Tls
from ldap3.core import exceptions as ldap_errors
from ldap3.core.results import RESULT_SUCCESS

from ...config.directory import LdapSection
from .entries import DirectoryEntry
from .errors import DirectoryError, DirectoryUnavailable

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


PAGED_RESULTS = "1.2.840.113556.1.4.319"


def paged_entries(
    connection: Connection,
    base: str,
    search_filter: str,
    attributes: Sequence[str],
    page_size: int,
    origin: str,
) -> list[DirectoryEntry]:
    """Every entry under `base` matching `search_filter`, page by page.

    Any answer other than success raises instead of returning a part: a size or time limit
    (which ldap3 itself lets pass silently), a referral, a dropped connection.
    """
    entries: list[DirectoryEntry] = []
    cookie: bytes | None = None
    try:
        while True:
            connection.search(
                search_base=base,
                search_filter=search_filter,
                search_scope=SUBTREE,
                attributes=list(attributes),
                paged_size=page_size,
                paged_cookie=cookie,
            )
            result: dict[str, Any] = connection.result
            if result["result"] != RESULT_SUCCESS:
                raise DirectoryError(
                    f"{origin}: the directory stopped answering after {len(entries)} entries "
                    f"({result['description']}: {result.get('message') or 'no detail'}); a "
                    "partial directory is never used"
                )
            for item in connection.response or []:
                # Search references point elsewhere; people live in this tree.
                if item.get("type") == "searchResEntry":
                    entries.append(DirectoryEntry.from_raw(item["dn"], item["raw_attributes"]))
            control = (result.get("controls") or {}).get(PAGED_RESULTS, {})
            cookie = control.get("value", {}).get("cookie")
            if not cookie:
                return entries
    except ldap_errors.LDAPNoSuchObjectResult:
        raise DirectoryError(f"{origin}: the search base {base!r} does not exist") from None
    except ldap_errors.LDAPInvalidFilterError as exc:
        raise DirectoryError(f"{origin}: invalid filter {search_filter!r} ({exc})") from None
    except _PARTIAL as exc:
        raise DirectoryError(
            f"{origin}: the directory stopped answering after {len(entries)} entries ({exc}); "
            "a partial directory is never used"
        ) from None
    except _UNREACHABLE as exc:
        raise DirectoryUnavailable(
            f"{origin}: the connection failed after {len(entries)} entries ({exc})"
        ) from None
    except ldap_errors.LDAPException as exc:
        raise DirectoryError(f"{origin}: the search failed ({type(exc).__name__}: {exc})") from None


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
        # ldap3 packs it into a socket option that takes whole seconds.
        receive_timeout=max(1, math.ceil(section.timeout_s)),
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
