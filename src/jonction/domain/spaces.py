"""Complementary spaces: courses made on demand outside the catalogue (pure).

A space is registered (`jonction spaces add`) with its owner, purpose, the étapes and cohorts
whose students it takes, and an end date. Every night:

- each space has a cohort of its own (`[spaces] cohort_idnumber`, `space:12`), which jonction
  keeps equal to the students of its étapes (valid administrative registrations of the open
  years) and the members of its cohorts, and **empties at the end date**: Moodle's cohort sync
  never stops by itself, so the access ends because the cohort does;
- an expired space's course is hidden (`[spaces] hide_expired`), never deleted; renewed, it is
  shown again if jonction had hidden it;
- conflicts with the catalogue are reported with both sides (`space_conflicts`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..config.obsolescence import SpacesSection
from .cohorts import AccountRef
from .plan import Action, Notice, Operation, Plan, fingerprint
from .refer_model import ReferSnapshot

STEP = "spaces"
SPACE = "space"  # the space's course (hidden at expiry)
SPACE_COHORT = "space_cohort"
SPACE_MEMBER = "space_member"
# Members taken out because their space ended: the end date is an administrator's decision,
# so the mass-change guards (which count `space_member`) do not stop it.
SPACE_ENDED = "space_member_ended"


@dataclass(frozen=True, slots=True)
class Space:
    id: int
    moodle_id: int
    shortname: str
    idnumber: str
    fullname: str
    owner: str
    purpose: str
    composante: str
    etapes: tuple[str, ...]
    cohorts: tuple[str, ...]
    ends_on: date

    def expired(self, today: date) -> bool:
        return today > self.ends_on

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "moodle_id": self.moodle_id,
            "shortname": self.shortname,
            "idnumber": self.idnumber,
            "fullname": self.fullname,
            "owner": self.owner,
            "ends_on": self.ends_on.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class SpaceCourse:
    """The space's course as Moodle shows it tonight."""

    id: int
    shortname: str
    idnumber: str
    fullname: str
    visible: bool


@dataclass(frozen=True, slots=True)
class SpaceCohort:
    id: int
    idnumber: str
    name: str
    description: str = ""
    visible: bool = True


@dataclass
class SpacesKnown:
    courses: Mapping[int, SpaceCourse]  # the spaces' courses that exist, by Moodle id
    cohorts: Mapping[str, SpaceCohort]  # Moodle's cohorts by idnumber (spaces' and others')
    members: Mapping[int, frozenset[int]]  # members by cohort id (the cohorts read)
    managed_cohorts: Mapping[str, int | None]  # space cohorts jonction manages (idnumber → id)
    hidden: Mapping[int, bool]  # spaces whose course jonction hid (space id → True)
    recovered: Mapping[str, int] = field(default_factory=dict)  # cohorts taken back by intent


def cohort_idnumber(rules: SpacesSection, space: Space) -> str:
    return rules.cohort_idnumber.format(id=space.id)


def cohort_name(rules: SpacesSection, space: Space) -> str:
    return rules.cohort_name.format(
        id=space.id, shortname=space.shortname, fullname=space.fullname
    )[:254]


# Desired cohorts and the plan ------------------------------------------------------------------


@dataclass
class DesiredSpaces:
    cohorts: dict[str, tuple[Space, str]] = field(default_factory=dict)  # idnumber → (space, name)
    members: dict[str, dict[int, str]] = field(
        default_factory=dict
    )  # idnumber → {user id: username}
    reasons: dict[str, dict[int, str]] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)


def desired_spaces(
    spaces: Sequence[Space],
    snapshots: Sequence[ReferSnapshot],
    accounts: Mapping[str, AccountRef],
    cohort_members: Mapping[str, Mapping[int, str]],
    rules: SpacesSection,
    today: date,
) -> DesiredSpaces:
    """Each space's cohort and its members: none once the space has expired."""
    result = DesiredSpaces()
    students: dict[str, dict[int, str]] = {}
    known_etapes: set[str] = set()
    for snapshot in snapshots:
        known_etapes |= {str(key) for key in snapshot.etapes}
        for registration in snapshot.admin_registrations:
            student = snapshot.students.get(registration.cod_ind)
            account = accounts.get(student.cod_etu) if student and student.cod_etu else None
            if account is not None:
                students.setdefault(str(registration.etape), {})[account.moodle_id] = (
                    account.username
                )
    for space in spaces:
        idnumber = cohort_idnumber(rules, space)
        result.cohorts[idnumber] = (space, cohort_name(rules, space))
        members: dict[int, str] = {}
        reasons: dict[int, str] = {}
        composante = {"composante": space.composante} if space.composante else {}
        if not space.expired(today):
            for etape in space.etapes:
                if etape not in known_etapes:
                    result.notices.append(
                        Notice(
                            "space_unknown_etape",
                            f"space:{space.id}",
                            f"space {space.id} ({space.shortname}) takes the students of étape "
                            f"{etape}, which no open year offers",
                            data={"etape": etape, **composante},
                        )
                    )
                for user_id, username in students.get(etape, {}).items():
                    members[user_id] = username
                    reasons.setdefault(user_id, f"registered to étape {etape}")
            for cohort in space.cohorts:
                if cohort not in cohort_members:
                    result.notices.append(
                        Notice(
                            "space_unknown_cohort",
                            f"space:{space.id}",
                            f"space {space.id} ({space.shortname}) takes the members of cohort "
                            f"{cohort}, which Moodle does not have",
                            data={"cohort": cohort, **composante},
                        )
                    )
                for user_id, username in cohort_members.get(cohort, {}).items():
                    members[user_id] = username
                    reasons.setdefault(user_id, f"member of cohort {cohort}")
        result.members[idnumber] = members
        result.reasons[idnumber] = reasons
    return result


def determine_space_actions(
    desired: DesiredSpaces,
    known: SpacesKnown,
    rules: SpacesSection,
    today: date,
    usernames: Mapping[int, str],
) -> Plan:
    """Cohorts created or renamed, members added and removed, expired spaces hidden (and
    renewed ones shown again). Pure."""
    plan = Plan(STEP)
    plan.notices.extend(desired.notices)
    sizes: dict[str, int] = {}
    for idnumber, (space, name) in sorted(desired.cohorts.items()):
        composante = {"composante": space.composante} if space.composante else {}
        expired = space.expired(today)
        until = f"until {space.ends_on.isoformat()}"
        cohort = known.cohorts.get(idnumber)
        wanted = desired.members.get(idnumber, {})
        scope = f"space:{space.id}"
        if idnumber in known.recovered:
            plan.operations.append(
                Operation(
                    SPACE_COHORT,
                    Action.UPDATE,
                    idnumber,
                    name,
                    before={"managed": False},
                    after={"managed": True, "moodle_id": known.recovered[idnumber]},
                    reason=f"cohort #{known.recovered[idnumber]} was created by a run that "
                    "stopped before recording it: it is jonction's own",
                    source={
                        "moodle_id": known.recovered[idnumber],
                        "recovered": True,
                        "space": space.id,
                    },
                )
            )
        if cohort is None:
            if expired:
                continue
            plan.operations.append(
                Operation(
                    SPACE_COHORT,
                    Action.CREATE,
                    idnumber,
                    name,
                    after={
                        "idnumber": idnumber,
                        "name": name,
                        "description": f"Students of complementary space {space.shortname} "
                        f"({space.owner}), kept by jonction {until}.",
                        "visible": True,
                        "context": "system",
                    },
                    reason=f"complementary space {space.id} ({space.shortname}, "
                    f"{space.purpose or 'no purpose given'}) takes students {until}",
                    source={"space": space.id, "moodle_id": space.moodle_id},
                    scope=scope,
                )
            )
            current: frozenset[int] = frozenset()
        elif idnumber not in known.managed_cohorts and idnumber not in known.recovered:
            plan.notices.append(
                Notice(
                    "space_cohort_collision",
                    idnumber,
                    f"Moodle cohort #{cohort.id} ({cohort.name}) has the idnumber {idnumber} of "
                    f"space {space.id}'s cohort and was not created by jonction: left alone; "
                    "the space's students are not managed until it is renamed",
                    severity="error",
                    data={
                        "space": space.describe(),
                        "moodle": {"id": cohort.id, "name": cohort.name},
                        **composante,
                    },
                )
            )
            continue
        else:
            current = known.members.get(cohort.id, frozenset())
            if cohort.name != name:
                plan.operations.append(
                    Operation(
                        SPACE_COHORT,
                        Action.RENAME,
                        idnumber,
                        name,
                        before={"name": cohort.name},
                        after={"name": name},
                        reason=f"the course of space {space.id} was renamed",
                        # Moodle's update needs every value, changed or not.
                        source={
                            "space": space.id,
                            "moodle_id": cohort.id,
                            "values": {
                                "name": name,
                                "description": cohort.description,
                                "visible": cohort.visible,
                                "context": "system",
                            },
                        },
                        scope=scope,
                    )
                )
        sizes[idnumber] = len(current)
        reasons = desired.reasons.get(idnumber, {})
        for user_id in sorted(set(wanted) - current, key=lambda u: wanted[u]):
            plan.operations.append(
                _member(
                    Action.ADD,
                    idnumber,
                    space,
                    user_id,
                    wanted[user_id],
                    f"{reasons.get(user_id, 'taken by the space')}: in space {space.id} "
                    f"({space.shortname}) {until}",
                )
            )
        for user_id in sorted(current - set(wanted)):
            why = (
                f"space {space.id} ({space.shortname}) ended on {space.ends_on.isoformat()}: its "
                "cohort is emptied, which ends the access Moodle's cohort sync gave"
                if expired
                else f"no longer a student of the étapes or cohorts of space {space.id}"
            )
            plan.operations.append(
                _member(
                    Action.REMOVE,
                    idnumber,
                    space,
                    user_id,
                    usernames.get(user_id, f"user {user_id}"),
                    why,
                    SPACE_ENDED if expired else SPACE_MEMBER,
                )
            )
        _visibility(plan, space, known, rules, today)
    # Hiding an ended space follows its end date, like emptying its cohort: not guarded.
    plan.existing = {SPACE_MEMBER: sum(sizes.values())}
    plan.existing_by_scope = {
        SPACE_MEMBER: {f"space:{desired.cohorts[k][0].id}": v for k, v in sizes.items()}
    }
    plan.stats = {
        "spaces": len(desired.cohorts),
        "spaces_expired": sum(1 for space, _ in desired.cohorts.values() if space.expired(today)),
        "members_wanted": sum(len(m) for m in desired.members.values()),
    }
    plan.basis = fingerprint(
        [
            sorted((k, c.id, c.name) for k, c in known.cohorts.items() if k in desired.cohorts),
            sorted((k, sorted(v)) for k, v in known.members.items()),
            sorted((c.id, c.visible) for c in known.courses.values()),
        ]
    )
    return plan


def _member(
    action: Action,
    idnumber: str,
    space: Space,
    user_id: int,
    username: str,
    reason: str,
    kind: str = SPACE_MEMBER,
) -> Operation:
    return Operation(
        kind,
        action,
        f"{idnumber}|{username}",
        username,
        before=None if action == Action.ADD else {"member": True},
        after={"member": True} if action == Action.ADD else None,
        reason=reason,
        source={"cohort": idnumber, "user_id": user_id, "space": space.id},
        scope=f"space:{space.id}",
    )


def _visibility(
    plan: Plan, space: Space, known: SpacesKnown, rules: SpacesSection, today: date
) -> None:
    course = known.courses.get(space.moodle_id)
    composante = {"composante": space.composante} if space.composante else {}
    if course is None:
        plan.notices.append(
            Notice(
                "space_course_gone",
                f"space:{space.id}",
                f"the course of space {space.id} ({space.shortname}, Moodle #{space.moodle_id}) "
                "is no longer in Moodle",
                data={"space": space.describe(), **composante},
            )
        )
        return
    hidden_by_us = known.hidden.get(space.id, False)
    key = f"space:{space.id}"
    source = {"space": space.id, "moodle_id": course.id}
    if space.expired(today) and rules.hide_expired and course.visible and not hidden_by_us:
        plan.operations.append(
            Operation(
                SPACE,
                Action.HIDE,
                key,
                course.fullname,
                before={"visible": True},
                after={"visible": False, "hidden_by_jonction": True},
                reason=f"space {space.id} ({space.shortname}, {space.owner}) ended on "
                f"{space.ends_on.isoformat()}: its course is hidden, never deleted",
                source=source,
                scope=key,
            )
        )
    elif not space.expired(today) and hidden_by_us and not course.visible:
        plan.operations.append(
            Operation(
                SPACE,
                Action.SHOW,
                key,
                course.fullname,
                before={"visible": False},
                after={"visible": True, "hidden_by_jonction": False},
                reason=f"space {space.id} was renewed until {space.ends_on.isoformat()}: "
                "jonction had hidden its course",
                source=source,
                scope=key,
            )
        )
