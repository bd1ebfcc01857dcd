"""The LDIF reader: the quick reading of a usual file and the careful one give the same
records; unusual files are read carefully, and what is wrong in them is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from jonction.sources.ldap import DirectoryError
from jonction.sources.ldap.ldif_file import _plain_records, _records, read_ldif

USUAL = (
    b"# a comment\r\n"
    b"version: 1\n\n"
    b"dn: dc=univ-exemple,dc=fr\nobjectClass: top\ndc: univ-exemple\n\n\n"
    b"# folded comment\n  goes on\n"
    b"dn: uid=a,ou=people,dc=univ-exemple,dc=fr\n"
    b"uid: a\nsn:: RnJhbsOnb2lz\ncn: Jean\n  Dupont\nmail: a@u.fr\n"
    b"MAIL: b@u.fr\nmailForwarding: no@u.fr\nmail;lang-fr: no@u.fr\ngivenName:< file:///x\n"
    b"description:: /w==\n\n"
)
KEEP = frozenset({"uid", "sn", "cn", "mail", "givenname", "description"})


def test_both_readings_agree_on_a_usual_file() -> None:
    careful = list(_records(USUAL, KEEP))
    assert _plain_records(USUAL, KEEP) is None  # "version: 1" alone in its block
    usual = USUAL.replace(b"version: 1\n\n", b"")
    assert _plain_records(usual, KEEP) == careful
    dn, values = careful[1]
    assert dn == "uid=a,ou=people,dc=univ-exemple,dc=fr"
    assert values == {
        "uid": ["a"],
        "sn": ["François"],
        "cn": ["Jean Dupont"],
        "mail": ["a@u.fr"],
        "MAIL": ["b@u.fr"],
        "givenName": [""],
        "description": [b"\xff"],
    }


@pytest.mark.parametrize(
    "text",
    [
        b"dn: uid=a,dc=fr\nuid: a\nchangetype: delete\n",
        b"dn: uid=a,dc=fr\nthis line has no colon\n",
        b"uid: a\ndn: uid=a,dc=fr\n",
        b"dn: uid=a,dc=fr\ndn: uid=b,dc=fr\n",
        b"dn: not a dn\n",
    ],
)
def test_unusual_files_are_left_to_the_careful_reading(text: bytes, tmp_path: Path) -> None:
    assert _plain_records(text, KEEP) is None
    path = tmp_path / "odd.ldif"
    path.write_bytes(text)
    with pytest.raises(DirectoryError, match=r"odd\.ldif"):
        list(read_ldif(path, KEEP))
