"""Cohorts of the open years, as pure functions.

One cohort per étape (and, as configured, per diplôme and per composante) of each open year,
identified by an idnumber that holds the year (`2026:VET:SLMAT1-101`), so that a new year
never reuses last year's cohort. Members are the students with a valid administrative
registration (REFER), linked to their Moodle account through their student number. Cohorts
of an open year are kept exact (members added and removed); cohorts of a closed year are
left as they are, members included, for the spaces that still use them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from ..config.accounts import CohortsSection
from .plan import Action, Notice, Operation, Plan, fingerprint
from .refer_model import ReferSnapshot

COHORT = "cohort"
MEMBER = "cohort_member"
STEP = "cohorts"
NAME_MAX = 254
IDNUMBER_MAX = 100
LEVEL_NAMES = {"etape": "étape", "diplome": "diplôme", "composante": "composante"}


@dataclass(frozen=True, slots=True)
class CohortRules:
    levels: tuple[str, ...] = ("etape", "composante")
    idnumber_templates: Mapping[str, str] = field(
        default_factory=lambda: {
            "etape": "{year}:VET:{code}",
            "diplome": "{year}:VDI:{code}",
            "composante": "{year}:CMP:{code}",
        }
    )
    name_templates: Mapping[str, str] = field(
        default_factory=lambda: {
            "etape": "{label} ({code}) {years}",
            "diplome": "{label} ({code}) {years}",
            "composante": "{label} {years}",
        }
    )
    description: str = "Students with a valid administrative registration, kept by jonction."
    visible: bool = True
    # "system", or "category:<idnumber>"
    context: str = "system"

    @classmethod
    def from_section(cls, section: CohortsSection) -> CohortRules:
        context = (
            "system" if section.context == "system" else f"category:{section.category_idnumber}"
        )
        return cls(
            levels=tuple(section.levels),
            idnumber_templates=dict(section.idnumber_templates),
            name_templates=dict(section.name_templates),
            description=section.description,
            visible=section.visible,
            context=context,
        )


@dataclass(frozen=True, slots=True)
class CohortSpec:
    idnumber: str
    name: str
    level: str
    code: str
    year: str
    description: str
    visible: bool
    context: str

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "visible": self.visible,
            "context": self.context,
        }


@dataclass(frozen=True, slots=True)
class AccountRef:
    username: str
    moodle_id: int


@dataclass
class DesiredCohorts:
    cohorts: dict[str, CohortSpec] = field(default_factory=dict)
    # Members of each cohort: Moodle user id → username.
    members: dict[str, dict[int, str]] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    registrations: int = 0


def years_label(year: str) -> str:
    return f"{year}-{int(year) + 1}"


def _spec(
    rules: CohortRules, level: str, year: str, code: str, label: str, composante: str
) -> CohortSpec:
    values = {
        "year": year,
        "years": years_label(year),
        "code": code,
        "label": label or code,
        "composante": composante,
    }
    return CohortSpec(
        idnumber=rules.idnumber_templates[level].format(**values),
        name=rules.name_templates[level].format(**values)[:NAME_MAX],
        level=level,
        code=code,
        year=year,
        description=rules.description,
        visible=rules.visible,
        context=rules.context,
    )


def cohort_specs(snapshot: ReferSnapshot, rules: CohortRules) -> list[CohortSpec]:
    """The cohorts of one year: every offered étape and diplôme, every composante that has
    one, at the configured levels."""
    year = snapshot.year
    specs: list[CohortSpec] = []
    if "etape" in rules.levels:
        for key, etape in sorted(snapshot.etapes.items()):
            specs.append(_spec(rules, "etape", year, str(key), etape.label, etape.composante))
    if "diplome" in rules.levels:
        for dkey, diplome in sorted(snapshot.diplomes.items()):
            specs.append(
                _spec(rules, "diplome", year, str(dkey), diplome.label, diplome.composante)
            )
    if "composante" in rules.levels:
        codes = {etape.composante for etape in snapshot.etapes.values()}
        codes |= {registration.composante for registration in snapshot.admin_registrations}
        for code in sorted(codes):
            found = snapshot.composantes.get(code)
            specs.append(_spec(rules, "composante", year, code, found.label if found else "", code))
    return specs


def accounts_by_student_number(
    records: Iterable[tuple[str, int | None, Mapping[str, Any]]],
) -> tuple[dict[str, AccountRef], list[Notice]]:
    """Moodle accounts by student number, from the users step's records (username, Moodle
    id, data with `student_id`); a number held by several accounts links to none."""
    holders: dict[str, list[AccountRef]] = defaultdict(list)
    for username, moodle_id, data in records:
        number = str(data.get("student_id") or "")
        if number and moodle_id is not None:
            holders[number].append(AccountRef(username, moodle_id))
    accounts: dict[str, AccountRef] = {}
    notices: list[Notice] = []
    for number, refs in sorted(holders.items()):
        if len(refs) == 1:
            accounts[number] = refs[0]
            continue
        names = ", ".join(sorted(ref.username for ref in refs))
        notices.append(
            Notice(
                "student_number_on_several_accounts",
                number,
                f"student number {number} belongs to several accounts ({names}): the "
                "student is put in no cohort",
                data={"usernames": sorted(ref.username for ref in refs)},
            )
        )
    return accounts, notices


def desired_cohorts(
    snapshots: Sequence[ReferSnapshot],
    accounts: Mapping[str, AccountRef],
    rules: CohortRules,
) -> DesiredCohorts:
    """The cohorts of the open years (one snapshot each) and their members."""
    result = DesiredCohorts()
    without_account: dict[str, tuple[str, set[str]]] = {}
    for snapshot in snapshots:
        specs = cohort_specs(snapshot, rules)
        by_target: dict[tuple[str, str], str] = {}
        for spec in specs:
            if len(spec.idnumber) > IDNUMBER_MAX:
                result.notices.append(
                    Notice(
                        "cohort_idnumber_too_long",
                        spec.idnumber,
                        f"cohort idnumber {spec.idnumber} is longer than {IDNUMBER_MAX} "
                        "characters: shorten [cohorts] idnumber_templates",
                    )
                )
                continue
            result.cohorts[spec.idnumber] = spec
            result.members.setdefault(spec.idnumber, {})
            by_target[(spec.level, spec.code)] = spec.idnumber
        for registration in snapshot.admin_registrations:
            result.registrations += 1
            targets = [
                by_target.get(("etape", str(registration.etape))),
                by_target.get(("diplome", str(registration.diplome))),
                by_target.get(("composante", registration.composante)),
            ]
            cohorts = [idnumber for idnumber in targets if idnumber]
            if not cohorts:
                continue
            student = snapshot.students.get(registration.cod_ind)
            account = accounts.get(student.cod_etu) if student and student.cod_etu else None
            if account is None:
                name = f"{student.first_name} {student.last_name}" if student else ""
                key = (student.cod_etu if student else None) or f"COD_IND {registration.cod_ind}"
                without_account.setdefault(key, (name, set()))[1].update(cohorts)
                continue
            for idnumber in cohorts:
                result.members[idnumber][account.moodle_id] = account.username
    for key, (name, missed) in sorted(without_account.items()):
        result.notices.append(
            Notice(
                "cohort_member_without_account",
                key,
                f"{name} ({key}) has no Moodle account: not put in {', '.join(sorted(missed))}",
                data={"cohorts": sorted(missed)},
            )
        )
    return result


@dataclass(frozen=True, slots=True)
class MoodleCohort:
    id: int
    idnumber: str
    name: str
    description: str
    visible: bool


@dataclass(frozen=True, slots=True)
class ManagedCohort:
    """A cohort jonction keeps, as its record says jonction last left it."""

    idnumber: str
    moodle_id: int | None
    year: str
    context: str = "system"
    # Its members in Moodle after jonction's last run (None: not recorded yet).
    members: frozenset[int] | None = None
    level: str = ""
    code: str = ""

    @classmethod
    def from_data(
        cls, idnumber: str, moodle_id: int | None, data: Mapping[str, Any]
    ) -> ManagedCohort:
        members = data.get("members")
        return cls(
            idnumber,
            moodle_id,
            str(data.get("year", "")),
            str(data.get("context", "system")),
            None if members is None else frozenset(int(m) for m in members),
            str(data.get("level", "")),
            str(data.get("code", "")),
        )


def _member_op(
    action: Action, spec_or_id: str, user_id: int, username: str, reason: str
) -> Operation:
    return Operation(
        MEMBER,
        action,
        f"{spec_or_id}|{username}",
        username,
        before=None if action == Action.ADD else {"member": True},
        after={"member": True} if action == Action.ADD else None,
        reason=reason,
        source={"cohort": spec_or_id, "user_id": user_id},
        scope=spec_or_id,
    )


def _describe(spec: CohortSpec) -> str:
    return f"{LEVEL_NAMES.get(spec.level, spec.level)} {spec.code} in {years_label(spec.year)}"


def determine_cohort_actions(
    desired: DesiredCohorts,
    known: Mapping[str, MoodleCohort],
    members: Mapping[int, Set[int]],
    managed: Mapping[str, ManagedCohort],
    open_years: Iterable[str],
    usernames: Mapping[int, str] | None = None,
) -> Plan:
    """The plan that makes Moodle's cohorts match: create, rename or move cohorts, add and
    remove members of the open years' cohorts; never delete a cohort, never touch a closed
    year's. `known` holds Moodle's cohorts by idnumber, `members` their members by cohort id,
    `usernames` names of Moodle user ids (for the labels of removals)."""
    names = dict(usernames or {})
    for wanted in desired.members.values():
        names.update(wanted)
    open_set = set(open_years)
    plan = Plan(STEP)
    plan.notices.extend(desired.notices)
    scope_sizes: dict[str, int] = {}
    adopted = 0
    for idnumber, spec in sorted(desired.cohorts.items()):
        wanted = desired.members.get(idnumber, {})
        cohort = known.get(idnumber)
        reason_in = f"valid administrative registration, {_describe(spec)}"
        if cohort is None:
            plan.operations.append(
                Operation(
                    COHORT,
                    Action.CREATE,
                    idnumber,
                    spec.name,
                    after={"idnumber": idnumber, **spec.values()},
                    reason=f"cohort of the {_describe(spec)}",
                    source={"level": spec.level, "code": spec.code, "year": spec.year},
                )
            )
            for user_id, username in sorted(wanted.items(), key=lambda item: item[1]):
                plan.operations.append(
                    _member_op(Action.ADD, idnumber, user_id, username, reason_in)
                )
            continue
        record = managed.get(idnumber)
        if record is None:
            adopted += 1
        plan.operations.extend(_cohort_changes(spec, cohort, record))
        current = members.get(cohort.id, frozenset())
        scope_sizes[idnumber] = len(current)
        for user_id in sorted(set(wanted) - current, key=lambda uid: wanted[uid]):
            plan.operations.append(
                _member_op(Action.ADD, idnumber, user_id, wanted[user_id], reason_in)
            )
        for user_id in sorted(current - set(wanted)):
            username = names.get(user_id, f"user {user_id}")
            plan.operations.append(
                _member_op(
                    Action.REMOVE,
                    idnumber,
                    user_id,
                    username,
                    f"no valid administrative registration, {_describe(spec)}",
                )
            )
    closed = 0
    for idnumber, record in sorted(managed.items()):
        if idnumber in desired.cohorts:
            continue
        cohort = known.get(idnumber)
        if cohort is None:
            continue
        if record.year not in open_set:
            closed += 1  # a closed year's cohort keeps its members
            continue
        current = members.get(cohort.id, frozenset())
        scope_sizes[idnumber] = len(current)
        for user_id in sorted(current):
            plan.operations.append(
                _member_op(
                    Action.REMOVE,
                    idnumber,
                    user_id,
                    names.get(user_id, f"user {user_id}"),
                    f"{idnumber} is no longer offered in {years_label(record.year)}",
                )
            )
    plan.existing = {COHORT: len(managed), MEMBER: sum(scope_sizes.values())}
    plan.existing_by_scope = {MEMBER: scope_sizes}
    plan.stats = {
        "cohorts_wanted": len(desired.cohorts),
        "members_wanted": sum(len(m) for m in desired.members.values()),
        "registrations": desired.registrations,
        "cohorts_read": len(known),
        "cohorts_adopted": adopted,
        "closed_year_cohorts_kept": closed,
    }
    plan.basis = fingerprint(
        (c.idnumber, c.id, c.name, c.description, c.visible, sorted(members.get(c.id, ())))
        for c in sorted(known.values(), key=lambda cohort: cohort.idnumber)
    )
    return plan


def _cohort_changes(
    spec: CohortSpec, cohort: MoodleCohort, record: ManagedCohort | None
) -> list[Operation]:
    known = {
        "name": cohort.name,
        "description": cohort.description,
        "visible": cohort.visible,
        # Moodle does not say where a cohort lives: the context jonction last gave it.
        "context": record.context if record is not None else spec.context,
    }
    wanted = spec.values()
    changed = [name for name in wanted if wanted[name] != known[name]]
    if not changed:
        return []
    action = (
        Action.RENAME
        if changed == ["name"]
        else (Action.MOVE if changed == ["context"] else Action.UPDATE)
    )
    return [
        Operation(
            COHORT,
            action,
            spec.idnumber,
            spec.name,
            before={name: known[name] for name in changed},
            after={name: wanted[name] for name in changed},
            reason=f"cohort of the {_describe(spec)}: {', '.join(changed)} changed",
            # Moodle's update needs every value, changed or not.
            source={
                "moodle_id": cohort.id,
                "level": spec.level,
                "code": spec.code,
                "values": spec.values(),
            },
        )
    ]


def cohort_records(
    desired: DesiredCohorts,
    known: Mapping[str, MoodleCohort],
    managed: Mapping[str, ManagedCohort],
    applied: Iterable[tuple[Operation, int | None]],
    members: Mapping[int, Set[int]],
    open_years: Iterable[str],
) -> list[tuple[str, int | None, dict[str, Any]]]:
    """Records of the cohorts jonction manages, to write after applying (changed ones only).

    A record keeps the cohort's members after the run: those known tonight (`members`, read
    or trusted, by cohort id) with the additions and removals Moodle accepted; what it
    refused stays a difference from the wanted members, so the cohort is read again."""
    done: dict[str, tuple[Operation | None, int | None]] = {}
    added: dict[str, set[int]] = defaultdict(set)
    removed: dict[str, set[int]] = defaultdict(set)
    for operation, moodle_id in applied:
        if operation.kind == COHORT:
            done[operation.key] = (operation, moodle_id)
        elif operation.kind == MEMBER:
            change = added if operation.action == Action.ADD else removed
            change[str(operation.source["cohort"])].add(int(operation.source["user_id"]))

    def after(idnumber: str, cohort_id: int) -> frozenset[int]:
        return (frozenset(members.get(cohort_id, ())) | added[idnumber]) - removed[idnumber]

    records: list[tuple[str, int | None, dict[str, Any]]] = []
    for idnumber, spec in sorted(desired.cohorts.items()):
        cohort = known.get(idnumber)
        op, created = done.get(idnumber, (None, None))
        moodle_id = cohort.id if cohort is not None else created
        if moodle_id is None:
            continue  # not created (refused): nothing to remember
        record = managed.get(idnumber)
        context = record.context if record is not None else spec.context
        if op is not None and "context" in (op.after or {}):
            context = spec.context
        held = after(idnumber, moodle_id)
        if (
            record is None
            or record.moodle_id != moodle_id
            or record.context != context
            or record.members != held
        ):
            records.append(
                (idnumber, moodle_id, _data(spec.year, spec.level, spec.code, context, held))
            )
    # An open year's cohort no longer offered was emptied of its members.
    years = set(open_years)
    for idnumber, record in sorted(managed.items()):
        cohort = known.get(idnumber)
        if idnumber in desired.cohorts or cohort is None or record.year not in years:
            continue
        held = after(idnumber, cohort.id)
        if record.members != held:
            data = _data(record.year, record.level, record.code, record.context, held)
            records.append((idnumber, cohort.id, data))
    return records


def _data(year: str, level: str, code: str, context: str, members: Set[int]) -> dict[str, Any]:
    return {
        "year": year,
        "level": level,
        "code": code,
        "context": context,
        "members": sorted(members),
    }
