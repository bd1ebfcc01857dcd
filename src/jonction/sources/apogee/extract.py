"""From Apogée's rows to a REFER snapshot: the filters, the graph walk, the exclusions.

No I/O here: the reader hands over the rows of each table (the pedagogical registrations as a
stream, there are millions) and gets back the snapshot of the year, what was left out and why,
and the anomalies worth telling the staff.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ...domain.plan import Notice
from ...domain.refer_model import (
    AdminRegistration,
    Composante,
    Diplome,
    DiplomeKey,
    Element,
    Etape,
    EtapeKey,
    Exclusion,
    Group,
    GroupMembership,
    ParentLink,
    PedagogicalRegistration,
    ReferSnapshot,
    Student,
    TeachingCharge,
)
from .filters import (
    OfferRange,
    admin_registration_reason,
    as_date,
    composante_reason,
    element_reason,
    group_valid,
    offered,
)
from .graph import Catalogue, ListLink, walk_catalogue
from .labels import repair_label
from .rows import (
    AdminRow,
    ChargeRow,
    ComposanteRow,
    DiplomeRow,
    ElementLabelRow,
    ElementListRow,
    ElementRow,
    EtapeListRow,
    EtapeRow,
    FractionRow,
    GroupNestingRow,
    GroupObjectRow,
    GroupRow,
    IndividuRow,
    ListElementRow,
    ListRow,
    VersionDiplomeRow,
    VersionEtapeRow,
)

# Reasons that point at a defect in Apogée's data rather than at a normal filter: each becomes
# a notice for the staff. The others (unpaid, acquired earlier, closed…) are counted only.
ANOMALIES: dict[str, str] = {
    "cycle": "the lists loop back on themselves",
    "unknown_element": "rows name an element that ELEMENT_PEDAGOGI does not hold",
    "unknown_list": "rows name a list that LISTE_ELP does not hold",
    "unknown_etape": "VDI_FRACTIONNER_VET names an étape version that VERSION_ETAPE does not hold",
    "without_admin_registration": "pedagogical registrations have no administrative one",
    "unknown_individual": "administrative registrations name an individual INDIVIDU does not hold",
    "no_student_number": "students have no student number (COD_ETU) yet",
    "group_without_label": "groups have no label (LIB_GPE)",
    "extra_attachment": "groups hang from more than one object (GPE_OBJ)",
    "unknown_group": "group memberships name a group GROUPE does not hold",
    "nesting_cycle": "groups are nested in each other (GPE_INCLUS_GPE loops)",
}
EXAMPLES = 10


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    payment_states: frozenset[str] = frozenset({"P"})
    offer_range: OfferRange = "validity"
    excluded_composante_types: frozenset[str] = frozenset({"EXT"})
    repair_encoding: bool = True
    foad_etapes: frozenset[str] = frozenset()
    foad_diplomes: frozenset[str] = frozenset()


@dataclass(slots=True)
class ApogeeTables:
    """The rows read from Apogée for one year; `contracts` and `memberships` may be streams."""

    composantes: list[ComposanteRow]
    diplomes: list[DiplomeRow]
    versions_diplome: list[VersionDiplomeRow]
    etapes: list[EtapeRow]
    versions_etape: list[VersionEtapeRow]
    fractions: list[FractionRow]
    fictitious_natures: Collection[str]
    elements: list[ElementRow]
    element_labels: list[ElementLabelRow]
    lists: list[ListRow]
    etape_lists: list[EtapeListRow]
    list_elements: list[ListElementRow]
    element_lists: list[ElementListRow]
    charges: list[ChargeRow]
    individus: list[IndividuRow]
    admin: list[AdminRow]
    # IND_CONTRAT_ELP: (cod_ind, cod_etp, cod_vrs_vet, cod_elp, tem_prc_ice)
    contracts: Iterable[tuple[int, str, int, str, str]]
    groups: list[GroupRow]
    group_objects: list[GroupObjectRow]
    group_nestings: list[GroupNestingRow]
    # IND_AFFECTE_GPE: (cod_ind, cod_gpe)
    memberships: Iterable[tuple[int, int]]


@dataclass(slots=True)
class Extraction:
    snapshot: ReferSnapshot
    notices: list[Notice] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


def _ignore(amount: int) -> None:
    del amount


def _student_number(value: object) -> str | None:
    """COD_ETU as text ('21100074'), whatever type the column has; None when missing."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return str(int(value))
    return str(value).strip() or None


class _Builder:
    def __init__(self, year: str, options: ExtractOptions, today: date) -> None:
        self.year = year
        self.options = options
        self.today = today
        self.snap = ReferSnapshot(year=year)
        self.exclusions: dict[tuple[str, str], Exclusion] = {}
        self.repaired = 0
        self.etape_keys: dict[tuple[str, int], EtapeKey] = {}
        self.etape_reason: dict[EtapeKey, str] = {}
        self.cycles: list[tuple[str, str, str]] = []
        # Why an element is not in REFER, for the registrations and groups that name it.
        self.element_missing: dict[str, str] = {}
        self.vdis: dict[DiplomeKey, VersionDiplomeRow] = {}
        self.dip_labels: dict[str, str] = {}

    # Helpers -----------------------------------------------------------------------------

    def label(self, text: str | None) -> str:
        text = (text or "").strip()
        if not self.options.repair_encoding:
            return text
        repaired = repair_label(text)
        if repaired != text:
            self.repaired += 1
        return repaired

    def etape(self, code: str, version: int) -> EtapeKey:
        key = self.etape_keys.get((code, version))
        if key is None:
            key = self.etape_keys[(code, version)] = EtapeKey(sys.intern(code), int(version))
        return key

    def exclude(self, exclusion: Exclusion) -> None:
        self.exclusions.setdefault((exclusion.kind, exclusion.key), exclusion)

    # Catalogue ---------------------------------------------------------------------------

    def composantes(self, rows: list[ComposanteRow]) -> dict[str, ComposanteRow]:
        by_code = {row.cod_cmp: row for row in rows}
        for row in rows:
            if (
                composante_reason(
                    row.tem_en_sve_cmp, row.cod_tpc, self.options.excluded_composante_types
                )
                is None
            ):
                self.snap.composantes[row.cod_cmp] = Composante(
                    row.cod_cmp, self.label(row.lib_cmp), row.cod_tpc or ""
                )
        return by_code

    def etapes(self, t: ApogeeTables, composantes: dict[str, ComposanteRow]) -> None:
        year, options = self.year, self.options
        labels = {row.cod_etp: row.lib_etp for row in t.etapes}
        versions = {self.etape(row.cod_etp, row.cod_vrs_vet): row for row in t.versions_etape}
        diplomes: dict[EtapeKey, set[DiplomeKey]] = defaultdict(set)
        for f in t.fractions:
            if not offered(
                year,
                (f.daa_deb_rct_vet, f.daa_fin_rct_vet),
                (f.daa_deb_val_vet, f.daa_fin_val_vet),
                options.offer_range,
            ):
                continue
            key = self.etape(f.cod_etp, f.cod_vrs_vet)
            if key not in versions:
                self.exclude(
                    Exclusion(
                        "etape",
                        str(key),
                        "unknown_etape",
                        f"VDI_FRACTIONNER_VET offers {key} in {f.cod_dip}-{f.cod_vrs_vdi}, "
                        "an étape version VERSION_ETAPE does not hold",
                        etape=key,
                    )
                )
                continue
            diplomes[key].add(DiplomeKey(f.cod_dip, int(f.cod_vrs_vdi)))
        self.vdis = {DiplomeKey(r.cod_dip, int(r.cod_vrs_vdi)): r for r in t.versions_diplome}
        self.dip_labels = {row.cod_dip: row.lib_dip for row in t.diplomes}
        for key in sorted(diplomes):
            vet = versions[key]
            cmp = composantes.get(vet.cod_cmp)
            reason = (
                composante_reason(
                    cmp.tem_en_sve_cmp, cmp.cod_tpc, options.excluded_composante_types
                )
                if cmp is not None
                else "composante_closed"
            )
            if reason is not None:
                self.etape_reason[key] = reason
                self.exclude(
                    Exclusion(
                        "etape",
                        str(key),
                        reason,
                        f"the étape's composante {vet.cod_cmp} is "
                        + ("out of service" if reason == "composante_closed" else "excluded"),
                        etape=key,
                    )
                )
                continue
            keys = tuple(sorted(diplomes[key]))
            foad = (
                vet.tem_tls_vet == "O"
                or key.code in options.foad_etapes
                or any(d.code in options.foad_diplomes for d in keys)
            )
            label = self.label(vet.lib_web_vet) or self.label(labels.get(key.code)) or key.code
            self.snap.etapes[key] = Etape(key, label, vet.cod_cmp, foad, keys)
            for dip in keys:
                self.diplome(dip)

    def diplome(self, key: DiplomeKey) -> None:
        """Adds the diplôme version `key` to the snapshot, labelled from VDI, else DIPLOME."""
        if key in self.snap.diplomes:
            return
        vdi = self.vdis.get(key)
        text = self.label(vdi.lib_web_vdi if vdi else None) or self.label(
            self.dip_labels.get(key.code)
        )
        self.snap.diplomes[key] = Diplome(
            key, text or key.code, (vdi.cod_cmp if vdi else None) or ""
        )

    def catalogue(self, t: ApogeeTables) -> None:
        rows = {row.cod_elp: row for row in t.elements}
        blocked: dict[str, str] = {}
        for row in t.elements:
            reason = element_reason(row.eta_elp, row.tem_sus_elp)
            if reason is not None:
                blocked[row.cod_elp] = reason
        list_elements: dict[str, list[str]] = defaultdict(list)
        for le in t.list_elements:
            list_elements[le.cod_lse].append(le.cod_elp)
            if le.cod_elp not in rows:
                blocked[le.cod_elp] = "unknown_element"
        etape_lists: dict[EtapeKey, list[ListLink]] = defaultdict(list)
        for el in t.etape_lists:
            key = self.etape(el.cod_etp, el.cod_vrs_vet)
            etape_lists[key].append((el.cod_lse, as_date(el.dat_frm_rel_lse_vet)))
        element_lists: dict[str, list[ListLink]] = defaultdict(list)
        for ell in t.element_lists:
            element_lists[ell.cod_elp].append((ell.cod_lse, as_date(ell.dat_frm_rel_lse_elp)))
        fictitious = frozenset(
            row.cod_elp for row in t.elements if row.cod_nel in t.fictitious_natures
        )
        catalogue = Catalogue(
            etape_lists=etape_lists,
            list_elements=list_elements,
            element_lists=element_lists,
            list_open={row.cod_lse: row.eta_lse == "O" for row in t.lists},
            element_blocked=blocked,
            fictitious=fictitious,
        )
        walk = walk_catalogue(list(self.snap.etapes), catalogue, self.today)
        self.cycles = walk.cycles
        for exclusion in walk.exclusions.values():
            self.exclude(exclusion)
        long_labels = {row.cod_elp: row.lib_elp_lng for row in t.element_labels}
        intern = sys.intern
        for code in sorted(walk.elements):
            row = rows[code]
            credits = row.nbr_crd_elp
            code = intern(code)
            self.snap.elements[code] = Element(
                code,
                self.label(row.lib_elp),
                self.label(row.lic_elp),
                self.label(long_labels.get(code)),
                row.cod_nel,
                row.cod_cmp,
                row.cod_pel or "",
                float(credits) if credits is not None else None,
            )
        elements = self.snap.elements
        self.snap.links = [
            ParentLink(
                link.etape,
                elements[link.element].code,
                elements[link.parent].code if link.parent is not None else None,
                link.list_code,
            )
            for link in walk.links
        ]
        for code in rows:
            if code not in elements:
                self.element_missing[code] = blocked.get(code) or (
                    "fictitious" if code in walk.pruned else "element_not_offered"
                )
        for c in t.charges:
            if c.cod_elp not in elements or c.cod_etp_porteuse is None:
                continue
            key = self.etape(c.cod_etp_porteuse, int(c.cod_vrs_vet_porteuse or 0))
            if key in self.snap.etapes:
                self.snap.charges.append(TeachingCharge(elements[c.cod_elp].code, key))
            else:
                self.exclude(
                    Exclusion(
                        "charge",
                        c.cod_elp,
                        "etape_not_offered",
                        f"ELP_CHARGE_ENS names {key} as carrying the element, "
                        f"an étape not offered in {self.year}",
                        element=c.cod_elp,
                        etape=key,
                    )
                )

    # Students and registrations ------------------------------------------------------------

    def registrations(self, t: ApogeeTables, advance: Callable[[int], None]) -> None:
        individus = {row.cod_ind: row for row in t.individus}
        valid: dict[tuple[int, str, int], AdminRow] = {}
        invalid: dict[tuple[int, str, int], str] = {}
        for row in sorted(
            t.admin, key=lambda r: (r.cod_ind, r.cod_etp, r.cod_vrs_vet, r.num_occ_iae)
        ):
            key3 = (row.cod_ind, row.cod_etp, int(row.cod_vrs_vet))
            if key3 in valid:
                continue
            etape = self.etape(row.cod_etp, row.cod_vrs_vet)
            reason = admin_registration_reason(
                row.eta_iae, row.eta_pmt_iae, self.options.payment_states
            )
            if reason is None and etape not in self.snap.etapes:
                reason = self.etape_reason.get(etape, "etape_not_offered")
            if reason is None and row.cod_ind not in individus:
                reason = "unknown_individual"
            if reason is None:
                valid[key3] = row
                invalid.pop(key3, None)
            else:
                invalid.setdefault(key3, reason)
        for (cod_ind, etp, vrs), reason in sorted(invalid.items()):
            etape = self.etape(etp, vrs)
            self.exclude(
                Exclusion(
                    "admin_registration",
                    f"{cod_ind}/{etape}",
                    reason,
                    _ADMIN_DETAIL.get(reason, reason).format(etape=etape, year=self.year),
                    cod_ind=cod_ind,
                    etape=etape,
                )
            )
        students = self.snap.students
        registered = {key3[0] for key3 in valid}
        for cod_ind in sorted(individus):
            person = individus[cod_ind]
            number = _student_number(person.cod_etu)
            student = Student(
                cod_ind,
                number,
                self.label(person.lib_nom_usu_ind) or self.label(person.lib_nom_pat_ind),
                self.label(person.lib_pr1_ind),
            )
            if cod_ind not in registered:
                self.snap.people_left_out[cod_ind] = student
                continue
            students[cod_ind] = student
            if number is None:
                self.exclude(
                    Exclusion(
                        "student",
                        str(cod_ind),
                        "no_student_number",
                        "no student number (COD_ETU) yet: the student cannot be matched to a "
                        "directory account",
                        cod_ind=cod_ind,
                    )
                )
        # One int object per student, shared by the student's registrations.
        individuals = {cod_ind: cod_ind for cod_ind in students}
        for key3, row in sorted(valid.items()):
            diplome = DiplomeKey(row.cod_dip, int(row.cod_vrs_vdi))
            self.diplome(diplome)  # the diplôme a student registered for is always known
            self.snap.admin_registrations.append(
                AdminRegistration(
                    individuals[key3[0]],
                    self.etape(key3[1], key3[2]),
                    diplome,
                    row.cod_cmp,
                    row.tem_iae_prm != "N",
                )
            )
        # (cod_ind, étape, version) → the shared student number and étape key of the IP rows.
        backed = {key3: (individuals[key3[0]], self.etape(key3[1], key3[2])) for key3 in valid}
        self.contracts(t.contracts, backed, invalid, advance)

    def contracts(
        self,
        rows: Iterable[tuple[int, str, int, str, str]],
        backed: dict[tuple[int, str, int], tuple[int, EtapeKey]],
        invalid: dict[tuple[int, str, int], str],
        advance: Callable[[int], None],
    ) -> None:
        # The hot loop of the refresh (millions of rows): local names, one lookup per test.
        codes = {code: element.code for code, element in self.snap.elements.items()}
        missing = self.element_missing
        append = self.snap.pedagogical_registrations.append
        registration = PedagogicalRegistration
        get_backed = backed.get
        get_code = codes.get
        etape = self.etape
        exclude = self.exclude
        seen = 0
        for cod_ind, etp, vrs, elp, prc in rows:
            seen += 1
            if not seen % 50_000:
                advance(50_000)
            found = get_backed((cod_ind, etp, vrs))
            code = get_code(elp)
            if found is not None and code is not None and prc == "N":
                append(registration(found[0], found[1], code))
                continue
            if found is None:
                admin = invalid.get((cod_ind, etp, vrs))
                if admin is None:
                    reason = "without_admin_registration"
                    detail = "no administrative registration to the étape this year"
                else:
                    reason = "admin_registration_excluded"
                    detail = f"the administrative registration is left out ({admin})"
            elif prc != "N":
                reason, detail = "acquired_earlier", "acquired in an earlier year (TEM_PRC_ICE)"
            else:
                reason = missing.get(elp, "unknown_element")
                detail = _ELEMENT_DETAIL[reason]
            key = etape(etp, vrs)
            exclude(
                Exclusion(
                    "pedagogical_registration",
                    f"{cod_ind}/{key}/{elp}",
                    reason,
                    detail,
                    cod_ind=cod_ind,
                    element=elp,
                    etape=key,
                )
            )
        advance(seen % 50_000)

    # Groups ----------------------------------------------------------------------------------

    def groups(self, t: ApogeeTables) -> None:
        year, snap = self.year, self.snap
        attachments: dict[int, list[GroupObjectRow]] = defaultdict(list)
        for obj in sorted(t.group_objects, key=lambda o: o.cod_gpo):
            attachments[obj.cod_gpe].append(obj)
        for row in sorted(t.groups, key=lambda g: g.cod_gpe):
            if not group_valid(year, row.daa_deb_val_gpe, row.daa_fin_val_gpe):
                continue
            code = int(row.cod_gpe)
            objects = attachments.get(code, [])
            reason, element, etape = self._attachment(objects)
            label = self.label(row.lib_gpe)
            if reason is None and not label:
                reason = "group_without_label"
            for extra in objects[1:]:
                self.exclude(
                    Exclusion(
                        "group_attachment",
                        f"{code}/{extra.cod_gpo}",
                        "extra_attachment",
                        f"group {row.cod_ext_gpe} also hangs from "
                        f"{extra.typ_obj_gpo} {extra.cod_elp or extra.cod_etp}; only its first "
                        "attachment is kept",
                    )
                )
            if reason is not None:
                self.exclude(
                    Exclusion(
                        "group",
                        str(code),
                        reason,
                        _GROUP_DETAIL[reason].format(group=row.cod_ext_gpe),
                        element=element,
                        etape=etape,
                    )
                )
                continue
            snap.groups[code] = Group(
                code,
                row.cod_ext_gpe,
                label,
                row.cod_tgr or "",
                element,
                etape,
            )
        self._nest(t.group_nestings)

    def _attachment(
        self, objects: list[GroupObjectRow]
    ) -> tuple[str | None, str | None, EtapeKey | None]:
        if not objects:
            return "no_attachment", None, None
        obj = objects[0]
        if obj.typ_obj_gpo == "ELP" and obj.cod_elp:
            element = self.snap.elements.get(obj.cod_elp)
            if element is None:
                return self.element_missing.get(obj.cod_elp, "unknown_element"), obj.cod_elp, None
            return None, element.code, None
        if obj.typ_obj_gpo == "VET" and obj.cod_etp and obj.cod_vrs_vet is not None:
            etape = self.etape(obj.cod_etp, obj.cod_vrs_vet)
            if etape not in self.snap.etapes:
                return self.etape_reason.get(etape, "etape_not_offered"), None, etape
            return None, None, etape
        return "no_attachment", None, None

    def _nest(self, nestings: list[GroupNestingRow]) -> None:
        groups = self.snap.groups
        parents: dict[int, int] = {}
        for n in sorted(nestings):
            outer, inner = int(n.cod_gpe_1), int(n.cod_gpe_2)
            if outer in groups and inner in groups and inner not in parents and outer != inner:
                parents[inner] = outer
        for inner in sorted(parents):
            # Follow the chain up; a loop back to `inner` is cut at this edge.
            seen = {inner}
            current = parents[inner]
            while current in parents and current not in seen:
                seen.add(current)
                current = parents[current]
            if current in seen:
                self.exclude(
                    Exclusion(
                        "group_nesting",
                        f"{parents[inner]}>{inner}",
                        "nesting_cycle",
                        f"groups {parents[inner]} and {inner} are nested in each other; "
                        f"group {inner} is kept at the top",
                    )
                )
                del parents[inner]
        for inner, outer in parents.items():
            group = groups[inner]
            groups[inner] = Group(
                group.code,
                group.ext_code,
                group.label,
                group.kind,
                group.element,
                group.etape,
                outer,
            )

    def memberships(self, rows: Iterable[tuple[int, int]], all_groups: set[int]) -> None:
        groups, students = self.snap.groups, self.snap.students
        excluded = {key for kind, key in self.exclusions if kind == "group"}
        # Hundreds of thousands of rows: one int object per student and per group, shared.
        individuals = {cod_ind: cod_ind for cod_ind in students}
        group_codes = {code: code for code in groups}
        seen: set[tuple[int, int]] = set()
        for cod_ind, cod_gpe in rows:
            pair = (cod_ind, int(cod_gpe))
            if pair in seen:
                continue
            seen.add(pair)
            if pair[1] in groups and cod_ind in students:
                membership = GroupMembership(individuals[cod_ind], group_codes[pair[1]])
                self.snap.memberships.append(membership)
                continue
            if pair[1] in groups:
                reason = "student_not_registered"
            elif str(pair[1]) in excluded:
                reason = "group_excluded"
            else:
                reason = "group_not_valid" if pair[1] in all_groups else "unknown_group"
            self.exclude(
                Exclusion(
                    "group_membership",
                    f"{cod_ind}/{pair[1]}",
                    reason,
                    _MEMBERSHIP_DETAIL[reason],
                    cod_ind=cod_ind,
                )
            )

    # Summary ---------------------------------------------------------------------------------

    def finish(self) -> Extraction:
        snap = self.snap
        snap.exclusions = sorted(self.exclusions.values(), key=lambda x: (x.kind, x.key))
        by_reason = Counter(x.reason for x in snap.exclusions)
        stats = {f"excluded.{reason}": n for reason, n in sorted(by_reason.items())}
        stats["labels_repaired"] = self.repaired
        notices: list[Notice] = []
        for parent, list_code, element in sorted(set(self.cycles)):
            notices.append(
                Notice(
                    "apogee_cycle",
                    f"{parent}>{list_code}>{element}",
                    f"Apogée's lists loop: list {list_code} under element {parent} leads back "
                    f"to element {element}, which is above it; this link was cut.",
                    data={"parent": parent, "list": list_code, "element": element},
                )
            )
        examples: dict[str, list[str]] = defaultdict(list)
        for x in snap.exclusions:
            if x.reason in ANOMALIES and x.reason != "cycle" and len(examples[x.reason]) < EXAMPLES:
                examples[x.reason].append(x.key)
        for reason, keys in sorted(examples.items()):
            count = by_reason[reason]
            notices.append(
                Notice(
                    "apogee_anomaly",
                    f"{self.year}/{reason}",
                    f"{self.year}: {count} {ANOMALIES[reason]} (e.g. {', '.join(keys[:3])})",
                    severity="info" if reason == "no_student_number" else "warning",
                    data={"year": self.year, "reason": reason, "count": count, "examples": keys},
                )
            )
        return Extraction(snap, notices, stats)


_ADMIN_DETAIL = {
    "cancelled": "the administrative registration to {etape} is cancelled (ETA_IAE='A')",
    "resigned": "the administrative registration to {etape} was resigned (ETA_IAE='R')",
    "being_created": "the administrative registration to {etape} is still being created",
    "not_valid": "the administrative registration to {etape} is not in force (ETA_IAE)",
    "unpaid": "the administrative registration to {etape} is not paid (ETA_PMT_IAE)",
    "etape_not_offered": "the étape {etape} is not offered in {year} (VDI_FRACTIONNER_VET)",
    "composante_closed": "the composante of {etape} is out of service",
    "composante_excluded": "the composante of {etape} is of an excluded type",
    "unknown_individual": "INDIVIDU holds no row for this individual",
}
_ELEMENT_DETAIL = {
    "element_closed": "the element is closed in Apogée (ETA_ELP)",
    "element_suspended": "the element is suspended in Apogée (TEM_SUS_ELP)",
    "fictitious": "a technical element (fictitious nature)",
    "element_not_offered": "the element is under no open list of an offered étape",
    "unknown_element": "ELEMENT_PEDAGOGI holds no such element",
}
_GROUP_DETAIL = {
    "no_attachment": "group {group} hangs from no element or étape (GPE_OBJ)",
    "group_without_label": "group {group} has no label (LIB_GPE)",
    "unknown_element": "group {group} hangs from an element ELEMENT_PEDAGOGI does not hold",
    "etape_not_offered": "group {group} hangs from an étape not offered this year",
    "composante_closed": "group {group} hangs from an étape of a composante out of service",
    "composante_excluded": "group {group} hangs from an étape of an excluded composante",
    **{
        reason: f"group {{group}} hangs from an element left out: {text}"
        for reason, text in _ELEMENT_DETAIL.items()
        if reason != "unknown_element"
    },
}
_MEMBERSHIP_DETAIL = {
    "student_not_registered": "the student has no valid administrative registration this year",
    "group_excluded": "the group is left out (see its exclusion)",
    "group_not_valid": "the group is not valid this year (DAA_DEB/FIN_VAL_GPE)",
    "unknown_group": "GROUPE holds no such group",
}


def build_snapshot(
    year: str,
    tables: ApogeeTables,
    options: ExtractOptions,
    today: date,
    advance: Callable[[int], None] = _ignore,
) -> Extraction:
    """The REFER snapshot of `year` from Apogée's rows, with exclusions, notices and figures.

    `advance` is told how many pedagogical registrations were read, for a progress bar.
    """
    builder = _Builder(year, options, today)
    composantes = builder.composantes(tables.composantes)
    builder.etapes(tables, composantes)
    builder.catalogue(tables)
    builder.registrations(tables, advance)
    builder.groups(tables)
    builder.memberships(tables.memberships, {int(row.cod_gpe) for row in tables.groups})
    _add_referenced_composantes(builder.snap, composantes, builder.label)
    return builder.finish()


def _add_referenced_composantes(
    snap: ReferSnapshot, rows: dict[str, ComposanteRow], label: Callable[[str | None], str]
) -> None:
    """Composantes named by what REFER keeps, even out of service: their labels are needed."""
    codes = {e.composante for e in snap.etapes.values()}
    codes |= {e.composante for e in snap.elements.values()}
    codes |= {d.composante for d in snap.diplomes.values()}
    codes |= {a.composante for a in snap.admin_registrations}
    for code in sorted(codes - set(snap.composantes)):
        row = rows.get(code)
        if row is not None:
            snap.composantes[code] = Composante(code, label(row.lib_cmp), row.cod_tpc or "")
