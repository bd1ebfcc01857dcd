"""The LDIF and ADE files beside the database: real shapes, parseable, consistent."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from xml.etree import ElementTree

from ldif import LDIFParser

from .conftest import Generated


def _entries(small: Generated) -> list[tuple[str, dict[str, list[str]]]]:
    with small.ldif.open("rb") as handle:
        return [(str(dn), dict(entry)) for dn, entry in LDIFParser(handle, strict=True).parse()]


def test_ldif_parses_strictly_and_has_the_sample_shapes(small: Generated) -> None:
    raw = small.ldif.read_bytes()
    assert not raw.startswith(b"version:") and b"\nversion:" not in raw
    entries = _entries(small)
    assert entries[0][0] == "dc=univ-exemple,dc=fr"
    assert entries[1][0] == "ou=people,dc=univ-exemple,dc=fr"
    people = entries[2:]
    assert all(dn.endswith(",ou=people,dc=univ-exemple,dc=fr") for dn, _ in people)
    assert len(entries) == small.summary.ldap_entries
    students = [e for _dn, e in people if "student" in e.get("eduPersonAffiliation", [])]
    assert students
    composite = re.compile(r"^(\[[a-z]+=[^\]]*\])+$")
    for entry in students:
        assert "supannPerson" in entry["objectClass"] and "eduPerson" in entry["objectClass"]
        for value in entry.get("supannEtuInscription", []):
            assert composite.match(value), value
            assert "[etab={UAI}0999999F]" in value
    registered = [e for e in students if e.get("supannEtuInscription")]
    assert len(registered) >= 0.9 * len(students)
    assert b"::" in raw  # non-ASCII values are base64
    assert b"\n " in raw  # folded lines
    assert any(e.get("supannListeRouge") == ["TRUE"] for _dn, e in people)
    assert any("alum" in e.get("eduPersonAffiliation", []) for _dn, e in people)
    assert any({"staff", "student"} <= set(e.get("eduPersonAffiliation", [])) for _dn, e in people)
    assert any(uid != uid.lower() for _dn, e in people for uid in e.get("uid", []))


def test_directory_matches_the_database(small: Generated) -> None:
    import sqlite3

    etu_ids = [v for _dn, e in _entries(small) for v in e.get("supannEtuId", [])]
    duplicated = {v for v in etu_ids if etu_ids.count(v) > 1}
    assert duplicated
    connection = sqlite3.connect(small.db)
    try:
        known = {str(v) for (v,) in connection.execute("SELECT cod_etu FROM individu")}
    finally:
        connection.close()
    current = {
        v
        for _dn, e in _entries(small)
        if "student" in e.get("eduPersonAffiliation", [])
        for v in e.get("supannEtuId", [])
    }
    assert current <= known
    assert len(known - current) >= 1  # students without a directory entry


def test_ade_parses_and_every_resource_id_is_defined(small: Generated) -> None:
    resources = ElementTree.parse(small.ade / "getResources.xml").getroot()
    events = ElementTree.parse(small.ade / "getEvents.xml").getroot()
    project = json.loads((small.ade / "project.json").read_text())
    defined = {node.get("id") for node in resources}
    assert len(defined) == len(list(resources))
    by_id = {node.get("id"): node for node in resources}
    for node in resources:
        father = node.get("fatherId")
        assert father == "-1" or father in defined
    week0 = date.fromisoformat(project["week0"])
    assert week0.weekday() == 0
    slots, days = project["slots_per_day"], project["days_per_week"]
    assert len(list(events)) == small.summary.ade_events
    for event in events:
        for participant in event.iter("resource"):
            assert participant.get("id") in defined
            assert by_id[participant.get("id")].get("category") == participant.get("category")
        day = datetime.strptime(event.get("date", ""), "%d/%m/%Y").date()
        week, weekday, slot = (int(event.get(name, "")) for name in ("week", "day", "slot"))
        assert day == week0 + timedelta(days=week * 7 + weekday)
        assert int(event.get("absoluteSlot", "")) == (week * days + weekday) * slots + slot
        start = datetime.strptime(event.get("startHour", ""), "%H:%M")
        assert start.hour * 60 + start.minute == 7 * 60 + slot * 15
        if event.get("lastUpdate"):
            datetime.strptime(event.get("lastUpdate", ""), "%m/%d/%Y %H:%M")


def test_ade_carries_the_real_world_cases(small: Generated) -> None:
    resources = list(ElementTree.parse(small.ade / "getResources.xml").getroot())
    instructors = [r for r in resources if r.get("category") == "instructor"]
    courses = [r for r in resources if r.get("category") == "category5"]
    assert any(r.get("name") == "ENSEIGNANT À AFFECTER" for r in instructors)
    assert any(";" in (r.get("email") or "") for r in instructors)
    assert any(not r.get("code") and r.get("email") for r in instructors)
    assert any(re.match(r"^[A-Z0-9]{6,8} : ", r.get("name") or "") for r in courses)
    assert any(r.get("code") for r in courses)
