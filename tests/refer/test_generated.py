"""generate → refer → evolve → refer on the synthetic university: REFER follows every change
evolve reports, and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jonction.config import Settings
from jonction.domain.refer_model import EtapeKey, ReferSnapshot
from jonction.sources.generator import generate
from jonction.sources.generator.evolve import evolve
from jonction.sources.refer.rows import SPECS, table_rows
from jonction.sources.refer.store import load_snapshot, open_refer

from .test_refer_step import _run, refer_writes

YEAR = "2026"


def _keys(snapshot: ReferSnapshot) -> dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]:
    # table_rows sorts the snapshot's lists in place: harmless here.
    return {spec.name: table_rows(snapshot, spec.name) for spec in SPECS}


def _assert_whole(snap: ReferSnapshot) -> None:
    """Every code a row names is in the snapshot: the steps that read REFER can trust it."""
    for link in snap.links:
        assert link.etape in snap.etapes and link.element in snap.elements
        assert link.parent is None or link.parent in snap.elements
    for etape in snap.etapes.values():
        assert etape.composante in snap.composantes
        assert etape.diplomes and all(d in snap.diplomes for d in etape.diplomes)
    for element in snap.elements.values():
        assert element.composante in snap.composantes
    for a in snap.admin_registrations:
        assert a.cod_ind in snap.students and a.etape in snap.etapes
        assert a.diplome in snap.diplomes
    for p in snap.pedagogical_registrations:
        assert p.cod_ind in snap.students and p.element in snap.elements
        assert p.etape in snap.etapes
    for charge in snap.charges:
        assert charge.element in snap.elements and charge.etape in snap.etapes
    for group in snap.groups.values():
        assert (group.element in snap.elements) != (group.etape in snap.etapes)
        assert group.parent is None or group.parent in snap.groups
        assert group.label
    for m in snap.memberships:
        assert m.cod_ind in snap.students and m.group in snap.groups
    assert not snap.students.keys() & snap.people_left_out.keys()
    # A parent is itself linked within the same étape: the branches hang from the étape.
    placed = {(link.etape, link.element) for link in snap.links}
    for link in snap.links:
        assert link.parent is None or (link.etape, link.parent) in placed


def _scenario(apogee_url: str, refer_url: str, tmp_path: Path) -> None:
    ldif, ade = tmp_path / "apogee.ldif", tmp_path / "ade"
    generate(apogee_url, 300, 5, YEAR, ldif, ade)
    settings = Settings(
        apogee={"url": apogee_url, "years": [YEAR]},
        refer={"url": refer_url},
        state={"url": f"sqlite:///{tmp_path / 'state.db'}"},
        pipeline={"lock_file": tmp_path / "jonction.lock"},
    )
    first = _run(settings).steps[0]
    assert first.status == "succeeded", first.error
    assert first.plan is not None
    kinds = {notice.kind for notice in first.plan.notices}
    assert "apogee_cycle" in kinds  # the generator's loop in the lists, cut and reported
    engine = open_refer(settings)
    before = load_snapshot(engine, YEAR)
    _assert_whole(before)
    with refer_writes() as writes:
        again = _run(settings).steps[0]
    assert again.status == "succeeded" and again.plan is not None
    assert again.plan.operations == [] and writes == []

    night = evolve(apogee_url, 11, ldif=ldif, ade=ade)
    second = _run(settings).steps[0]
    assert second.status == "succeeded", second.error
    assert second.plan is not None
    after = load_snapshot(engine, YEAR)
    _assert_whole(after)
    old, new = _keys(before), _keys(after)

    # The plan's figures are exactly the differences between the two snapshots.
    stats = second.plan.stats
    for spec in SPECS:
        a, b = old[spec.name], new[spec.name]
        assert stats[f"{spec.name}.inserted"] == len(b.keys() - a.keys()), spec.name
        assert stats[f"{spec.name}.deleted"] == len(a.keys() - b.keys()), spec.name
        changed = sum(1 for key in a.keys() & b.keys() if a[key] != b[key])
        assert stats[f"{spec.name}.updated"] == changed, spec.name

    details = night.details
    # The night changed a little of everything (so that what follows checks something).
    for kind in ("new_students", "iae_cancelled", "iae_resigned", "ip_added", "ip_removed"):
        assert details.get(kind), kind
    for kind in ("group_moves", "renamed_elements", "renamed_etapes", "etape_changes"):
        assert details.get(kind), kind
    assert stats["element.updated"] >= 1 and stats["student.inserted"] >= 1
    assert stats["pedagogical_registration.deleted"] >= 1
    excluded = {(x.kind, x.key): x.reason for x in after.exclusions}

    def gone_for_a_reason(cod_ind: int, etape: EtapeKey) -> bool:
        return ("admin_registration", f"{cod_ind}/{etape}") in excluded

    # New students are in REFER, or their registration is left out with a reason.
    new_students = set(details["new_students"])
    for cod_ind in new_students:
        etapes = [a.etape for a in after.admin_registrations if a.cod_ind == cod_ind]
        assert etapes or any(
            kind == "admin_registration" and key.startswith(f"{cod_ind}/") for kind, key in excluded
        )
    added_students = {key[0] for key in new["student"].keys() - old["student"].keys()}
    assert added_students <= new_students
    assert {c for c in new_students if c in after.students} == added_students
    for cod_ind in details.get("new_students_without_cod_etu", []):
        if cod_ind in after.students:
            assert after.students[cod_ind].cod_etu is None
            assert excluded[("student", str(cod_ind))] == "no_student_number"

    # Cancelled and resigned registrations leave REFER, with their reason.
    for state in ("cancelled", "resigned"):
        for cod_ind, etp, vrs in details.get(f"iae_{state}", []):
            assert (cod_ind, etp, vrs) not in new["admin_registration"]
            if (cod_ind, etp, vrs) in old["admin_registration"]:
                assert excluded[("admin_registration", f"{cod_ind}/{etp}-{vrs}")] == state
            assert not any(
                p.cod_ind == cod_ind and p.etape == EtapeKey(etp, vrs)
                for p in after.pedagogical_registrations
            )

    # Students changing étape: out of the old one, into the new one (when it is kept).
    for cod_ind, src, src_v, dst, dst_v in details.get("etape_changes", []):
        assert (cod_ind, src, src_v) not in new["admin_registration"]
        target = EtapeKey(dst, dst_v)
        if target in after.etapes:
            assert (cod_ind, dst, dst_v) in new["admin_registration"]
        else:
            assert gone_for_a_reason(cod_ind, target)

    # Contracts: elements added and dropped.
    for cod_ind, etp, vrs, elp in details.get("ip_removed", []):
        assert (cod_ind, etp, vrs, elp) not in new["pedagogical_registration"]
    for cod_ind, etp, vrs, elp in details.get("ip_added", []):
        key = (cod_ind, etp, vrs, elp)
        reason = excluded.get(("pedagogical_registration", f"{cod_ind}/{etp}-{vrs}/{elp}"))
        assert (key in new["pedagogical_registration"]) != (reason is not None)

    # Every registration that disappeared belongs to someone evolve touched.
    touched = (
        new_students
        | {item[0] for item in details.get("iae_cancelled", [])}
        | {item[0] for item in details.get("iae_resigned", [])}
        | {item[0] for item in details.get("etape_changes", [])}
        | {item[0] for item in details.get("ip_removed", [])}
        | {item[0] for item in details.get("ip_added", [])}
    )
    moved_etapes = {
        EtapeKey(item[0], item[1]) for item in details.get("etape_moved_to_other_composante", [])
    }
    gone = old["pedagogical_registration"].keys() - new["pedagogical_registration"].keys()
    for cod_ind, etp, vrs, elp in gone:
        assert cod_ind in touched or EtapeKey(etp, vrs) in moved_etapes or elp not in after.elements

    # Groups.
    for code, _old, new_label in details.get("renamed_groups", []):
        if code in after.groups:
            assert after.groups[code].label == new_label
    for code in details.get("new_groups", []):
        assert code in after.groups or ("group", str(code)) in excluded
    for code in details.get("vanished_groups", []):
        assert code not in after.groups
    for cod_ind, source, target in details.get("group_moves", []):
        assert (cod_ind, source) not in new["group_membership"]
        if target in after.groups and cod_ind in after.students:
            assert (cod_ind, target) in new["group_membership"]

    # Catalogue: renames are updates, never deletions.
    for code, _old, _new in details.get("renamed_elements", []):
        if (code,) in old["element"]:
            assert (code,) in new["element"]
            assert new["element"][(code,)] != old["element"][(code,)]
    for code, version, _old, label in details.get("renamed_etapes", []):
        if (code, version) in old["etape"] and (code, version) in new["etape"]:
            assert after.etapes[EtapeKey(code, version)].label == label
    for etp, vrs, dip, vdi, new_dip, new_vdi in details.get("etape_moved_to_other_diplome", []):
        if EtapeKey(etp, vrs) in after.etapes:
            assert (etp, vrs, dip, vdi) not in new["etape_diplome"]
            assert (etp, vrs, new_dip, new_vdi) in new["etape_diplome"]
    for etp, vrs, _old_cmp, cmp in details.get("etape_moved_to_other_composante", []):
        moved = EtapeKey(etp, vrs)
        assert moved not in after.etapes or after.etapes[moved].composante == cmp
    for code, list_code in details.get("element_gained_parent", []):
        if code in after.elements:
            assert any(
                link.element == code and link.list_code == list_code for link in after.links
            ) or any(x.key.endswith(f">{list_code}") for x in after.exclusions)
    engine.dispose()


def test_generate_refer_evolve_refer_on_sqlite(tmp_path: Path) -> None:
    _scenario(f"sqlite:///{tmp_path / 'apogee.db'}", f"sqlite:///{tmp_path / 'refer.db'}", tmp_path)


@pytest.mark.postgres
def test_generate_refer_evolve_refer_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    _scenario(postgres_url, postgres_url, tmp_path)
