"""The directory reader, against a private slapd and on LDIF files."""

from __future__ import annotations

import asyncio
from contextlib import closing
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from jonction.config.directory import LdapSection
from jonction.domain.accounts import AttributeMap
from jonction.sources.ldap import (
    Directory,
    DirectoryEntry,
    DirectoryError,
    DirectoryUnavailable,
    read_directory,
)
from jonction.steps.read_ahead import ReadAhead, SourceRead

from .factories import BASE, sample_ldif
from .slapd import READER_DN, READER_PASSWORD, TRUNCATED_DN, PrivateSlapd, free_port

ATTRIBUTES = (*AttributeMap().requested(), "supannEtuInscription")


def _people(base: str, count: int) -> list[tuple[str, dict[str, object]]]:
    return [
        (
            f"uid=p{i:03},{base}",
            {
                "objectClass": ["inetOrgPerson", "eduPerson", "supannPerson"],
                "uid": f"p{i:03}",
                "cn": f"Person {i}",
                "sn": "Person",
                "givenName": "Élise",
                "mail": f"p{i:03}@univ-exemple.fr",
                "eduPersonAffiliation": ["student", "member"],
                "supannEtuId": f"226{i:05}",
            },
        )
        for i in range(count)
    ]


def _by_dn(entries: list[DirectoryEntry]) -> dict[str, dict[str, tuple[str, ...]]]:
    # A server also returns subtypes of a requested attribute (supannAutreMail for mail).
    asked = {name.lower() for name in ATTRIBUTES}
    return {e.dn.lower(): {k: v for k, v in e.attributes.items() if k in asked} for e in entries}


@pytest.mark.slapd
def test_reads_the_sample_people_from_the_server(slapd: PrivateSlapd) -> None:
    section = LdapSection(url=slapd.url, base=BASE)
    directory = read_directory(section, ATTRIBUTES)
    assert len(directory.entries) == 10
    assert slapd.url in directory.origin
    hoconnor = next(e for e in directory.entries if e.dn.startswith("uid=HOConnor"))
    assert hoconnor.values("givenName") == ("Hélène",)
    assert set(hoconnor.values("eduPersonAffiliation")) == {"affiliate", "teacher"}
    # The folded registration of ngarcia arrives whole.
    ngarcia = next(e for e in directory.entries if e.dn.startswith("uid=ngarcia"))
    assert any(
        "[cursusann={SUPANN}L1][affect=UFRSCI]" in v for v in ngarcia.values("supannEtuInscription")
    )


@pytest.mark.slapd
def test_the_ldif_file_reads_like_the_server(slapd: PrivateSlapd) -> None:
    from_server = read_directory(LdapSection(url=slapd.url, base=BASE), ATTRIBUTES)
    from_file = read_directory(LdapSection(ldif=sample_ldif(), base=BASE), ATTRIBUTES)
    assert _by_dn(from_file.entries) == _by_dn(from_server.entries)


@pytest.mark.slapd
def test_a_server_read_ahead_in_another_process_reads_what_the_run_would(
    slapd: PrivateSlapd,
) -> None:
    section = LdapSection(url=slapd.url, base=BASE, bind_dn=READER_DN, password=READER_PASSWORD)
    read = SourceRead("directory", read_directory, (section, ATTRIBUTES))

    async def ahead() -> tuple[Directory, bool]:
        with closing(ReadAhead([read])) as reads:
            return await reads.take(read)

    directory, was_ahead = asyncio.run(ahead())
    assert was_ahead
    assert directory == read_directory(section, ATTRIBUTES)


@pytest.mark.slapd
def test_paged_search_reads_more_entries_than_the_server_gives_at_once(
    slapd: PrivateSlapd, ldap_tree: str
) -> None:
    slapd.add(_people(ldap_tree, 12))
    # This reader gets at most 5 entries per search (a plain search stops at 5).
    section = LdapSection(
        url=slapd.url,
        base=ldap_tree,
        bind_dn=READER_DN,
        password=SecretStr(READER_PASSWORD),
        page_size=4,
    )
    entries = read_directory(section, ATTRIBUTES).entries
    assert sorted(e.values("uid")[0] for e in entries) == [f"p{i:03}" for i in range(12)]


@pytest.mark.slapd
def test_a_directory_cut_by_a_server_limit_is_an_error_not_a_part(
    slapd: PrivateSlapd, ldap_tree: str
) -> None:
    slapd.add(_people(ldap_tree, 12))
    section = LdapSection(
        url=slapd.url,
        base=ldap_tree,
        bind_dn=TRUNCATED_DN,
        password=SecretStr(READER_PASSWORD),
        page_size=4,
    )
    with pytest.raises(DirectoryError, match="stopped answering after 4 entries"):
        read_directory(section, ATTRIBUTES)


@pytest.mark.slapd
def test_wrong_password_is_a_clear_error(slapd: PrivateSlapd) -> None:
    section = LdapSection(
        url=slapd.url, base=BASE, bind_dn=READER_DN, password=SecretStr("not-the-password")
    )
    with pytest.raises(DirectoryUnavailable, match="refused the bind as cn=reader"):
        read_directory(section, ATTRIBUTES)


@pytest.mark.slapd
def test_missing_base_is_a_clear_error(slapd: PrivateSlapd) -> None:
    section = LdapSection(url=slapd.url, base="ou=nowhere,dc=univ-exemple,dc=fr")
    with pytest.raises(DirectoryError, match=r"ou=nowhere.*does not exist"):
        read_directory(section, ATTRIBUTES)


def test_a_server_that_is_down_is_a_clear_error() -> None:
    section = LdapSection(url=f"ldap://127.0.0.1:{free_port()}", base=BASE, timeout_s=2)
    with pytest.raises(
        DirectoryUnavailable, match=r"cannot reach the directory ldap://127\.0\.0\.1"
    ):
        read_directory(section, ATTRIBUTES)


def test_the_filter_applies_to_the_ldif_file(tmp_path: Path) -> None:
    section = LdapSection(
        ldif=sample_ldif(), base=BASE, filter="(&(eduPersonAffiliation=*)(supannEmpId=*))"
    )
    uids = sorted(e.values("uid")[0] for e in read_directory(section, ATTRIBUTES).entries)
    assert uids == ["adubois", "fbenali", "jnguyen", "mdurand", "sroux"]


def test_the_ldif_filter_may_test_attributes_that_are_not_read() -> None:
    # Only the attributes read and those the filter tests are loaded from the file.
    section = LdapSection(
        ldif=sample_ldif(), base=BASE, filter="(&(objectClass=supannPerson)(supannEmpId=*))"
    )
    entries = read_directory(section, ATTRIBUTES).entries
    assert sorted(e.values("uid")[0] for e in entries) == [
        "adubois",
        "fbenali",
        "jnguyen",
        "mdurand",
        "sroux",
    ]
    assert all(not e.values("objectClass") for e in entries)
    nobody = LdapSection(ldif=sample_ldif(), base=BASE, filter="(objectClass=groupOfNames)")
    assert read_directory(nobody, ATTRIBUTES).entries == []


def test_an_invalid_filter_on_the_ldif_file_is_a_clear_error() -> None:
    section = LdapSection(ldif=sample_ldif(), base=BASE, filter="(uid=a")
    with pytest.raises(DirectoryError, match=r"invalid filter"):
        read_directory(section, ATTRIBUTES)


def test_a_malformed_ldif_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.ldif"
    path.write_text(
        "dn: uid=a,ou=people,dc=univ-exemple,dc=fr\nuid: a\n\n"
        "dn: uid=b,ou=people,dc=univ-exemple,dc=fr\nthis line has no colon\n"
    )
    with pytest.raises(DirectoryError, match=r"broken\.ldif, near line \d+: not valid LDIF"):
        read_directory(LdapSection(ldif=path, base=BASE), ATTRIBUTES)


def test_a_change_record_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "changes.ldif"
    path.write_text("dn: uid=a,ou=people,dc=univ-exemple,dc=fr\nchangetype: delete\n")
    with pytest.raises(DirectoryError, match="change record"):
        read_directory(LdapSection(ldif=path, base=BASE), ATTRIBUTES)


def test_a_missing_file_or_no_source_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="cannot read the LDIF file"):
        read_directory(LdapSection(ldif=tmp_path / "absent.ldif"), ATTRIBUTES)
    with pytest.raises(DirectoryError, match="no directory configured"):
        read_directory(LdapSection(), ATTRIBUTES)


def test_invalid_ldap_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="either url"):
        LdapSection(url="ldap://x", ldif=Path("x.ldif"))
    with pytest.raises(ValidationError, match="ldap:// or ldaps://"):
        LdapSection(url="http://x")
    with pytest.raises(ValidationError, match=r"StartTLS|start_tls"):
        LdapSection(url="ldaps://x", start_tls=True)


def test_values_that_are_not_utf8_are_reported(tmp_path: Path) -> None:
    import base64

    bad = base64.b64encode("Hélène".encode("latin-1")).decode()
    path = tmp_path / "latin1.ldif"
    path.write_text(
        "dn: uid=h,ou=people,dc=univ-exemple,dc=fr\nobjectClass: inetOrgPerson\nuid: h\n"
        f"givenName:: {bad}\nsn: X\neduPersonAffiliation: staff\n"
    )
    (entry,) = read_directory(LdapSection(ldif=path, base=BASE), ATTRIBUTES).entries
    assert entry.values("givenName") == ()
    assert entry.problems == ("givenName: a value is not UTF-8 text and was ignored",)
