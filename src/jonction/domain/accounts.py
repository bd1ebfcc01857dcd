"""Accounts from the directory, as pure functions.

`desired_accounts` turns directory entries into the accounts that should exist, reporting by
name the entries that cannot give one; `determine_account_actions` compares them with the
accounts Moodle has and returns the plan: create, update, suspend, reactivate. Accounts are
keyed on the username (the directory's `uid`, lowercased); nothing is ever deleted, and only
accounts whose auth method jonction manages are ever changed.

The idnumber rule: a person's idnumber is the number of the first source of
`idnumber_sources` they have (student number, then employee number by default), with the
source's prefix. Student and employee numbers come from different systems and may collide:
a value claimed by several people goes to the one whose number comes from the earliest
source, or to nobody when several share that rank; every clash is reported. No two people
ever get the same idnumber.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..config.accounts import DEFAULT_AFFILIATIONS, AccountsSection
from ..config.directory import LdapSection
from .plan import Action, Notice, Operation, Plan, fingerprint
from .refer_model import ReferSnapshot

USER = "user"
STEP = "users"
FIELDS = ("firstname", "lastname", "email", "idnumber", "maildisplay")
# The record key of what Moodle was last known to hold (see `wanted_digest`), and its value
# for an account out of the directory that Moodle holds suspended.
SYNCED = "synced"
GONE = "gone"

# Moodle's validate_email: dot-separated atoms, '@', a domain with at least one dot.
_ATOM = "[-!#$%&'*+/0-9=?A-Z^_`a-z{|}~]"
_EMAIL = re.compile(
    "^" + _ATOM + "+(\\." + _ATOM + "+)*@" + _ATOM + "+\\.[-!#$%&'*+/0-9=?A-Z^_`a-z{|}~.]+$"
)
# Moodle's PARAM_USERNAME without extendedusernamechars.
_USERNAME = re.compile(r"^[-.@_a-z0-9]+$")
USERNAME_MAX = 100


class DirectoryEntry(Protocol):
    """What the rules read from a directory entry (sources.ldap.DirectoryEntry is one)."""

    @property
    def dn(self) -> str: ...

    @property
    def problems(self) -> tuple[str, ...]: ...

    def values(self, name: str) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class AttributeMap:
    """Which directory attribute feeds which account field ([ldap] *_attribute)."""

    username: str = "uid"
    firstname: str = "givenName"
    lastname: str = "sn"
    display_name: str = "displayName"
    email: str = "mail"
    other_emails: str = "supannAutreMail"
    student_id: str = "supannEtuId"
    employee_id: str = "supannEmpId"
    affiliation: str = "eduPersonAffiliation"
    red_list: str = "supannListeRouge"

    @classmethod
    def from_section(cls, section: LdapSection) -> AttributeMap:
        return cls(
            username=section.username_attribute,
            firstname=section.firstname_attribute,
            lastname=section.lastname_attribute,
            display_name=section.display_name_attribute,
            email=section.email_attribute,
            other_emails=section.other_email_attribute,
            student_id=section.student_id_attribute,
            employee_id=section.employee_id_attribute,
            affiliation=section.affiliation_attribute,
            red_list=section.red_list_attribute,
        )

    def requested(self) -> tuple[str, ...]:
        names = (
            self.username,
            self.firstname,
            self.lastname,
            self.display_name,
            self.email,
            self.other_emails,
            self.student_id,
            self.employee_id,
            self.affiliation,
            self.red_list,
            "cn",
        )
        return tuple(dict.fromkeys(name for name in names if name))


@dataclass(frozen=True, slots=True)
class AccountRules:
    """The [accounts] policy, as plain values."""

    affiliations: frozenset[str] = frozenset(DEFAULT_AFFILIATIONS)
    idnumber_sources: tuple[str, ...] = ("student", "employee")
    student_prefix: str = ""
    employee_prefix: str = ""
    extended_username_chars: bool = False
    hide_red_list_email: bool = True
    maildisplay_default: int = 2

    @classmethod
    def from_section(cls, section: AccountsSection) -> AccountRules:
        return cls(
            affiliations=frozenset(section.affiliations),
            idnumber_sources=tuple(section.idnumber_sources),
            student_prefix=section.student_idnumber_prefix,
            employee_prefix=section.employee_idnumber_prefix,
            extended_username_chars=section.extended_username_chars,
            hide_red_list_email=section.hide_red_list_email,
            maildisplay_default=section.maildisplay_default,
        )


@dataclass(frozen=True, slots=True)
class Person:
    """One directory entry, read with the attribute map; `idnumber` is set across people."""

    username: str
    dn: str
    name: str  # for messages: display name, else first and last names, else cn, else dn
    firstname: str
    lastname: str
    email: str  # "" when the directory has no usable address
    student_id: str
    employee_id: str
    affiliations: frozenset[str]
    red_list: bool
    idnumber: str = ""
    # Attributes that had several values (the first in sorted order was taken).
    several: tuple[str, ...] = ()
    # Why Moodle would refuse to create the account ("no e-mail"…); empty when it can.
    problems: tuple[str, ...] = ()
    # Other addresses (supannAutreMail): how the timetable may know a teacher, never in Moodle.
    other_emails: tuple[str, ...] = ()

    def label(self) -> str:
        return f"{self.name} ({self.username})"

    def fields(self, rules: AccountRules) -> dict[str, Any]:
        """The account fields jonction keeps equal to the directory."""
        hidden = self.red_list and rules.hide_red_list_email
        values: dict[str, Any] = {
            "firstname": self.firstname,
            "lastname": self.lastname,
            "email": self.email,
            "idnumber": self.idnumber,
            "maildisplay": 0 if hidden else rules.maildisplay_default,
        }
        # Never blank a name or an address Moodle has: the person is reported instead. An
        # idnumber is blanked, though: a clash must not leave the value with two people.
        return {k: v for k, v in values.items() if v != "" or k == "idnumber"}


@dataclass
class DesiredAccounts:
    people: dict[str, Person] = field(default_factory=dict)
    # Usernames claimed by several entries: neither created, changed nor suspended.
    held: frozenset[str] = frozenset()
    # Usernames of entries that get no account, with the reason.
    excluded: dict[str, str] = field(default_factory=dict)
    # Username of each student number of the directory (people without account included).
    students: dict[str, str] = field(default_factory=dict)
    # Student numbers carried by several entries, with their usernames: linked to none.
    shared_students: dict[str, list[str]] = field(default_factory=dict)
    entries: int = 0
    notices: list[Notice] = field(default_factory=list)


def _text(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


def _distinct(values: Iterable[str], lower: bool = False) -> list[str]:
    cleaned = (_text(value) for value in values)
    return sorted({value.lower() if lower else value for value in cleaned if value})


def _rdn_value(dn: str, attribute: str) -> str | None:
    first = re.split(r"(?<!\\),", dn, maxsplit=1)[0]
    name, _, value = first.partition("=")
    return value.strip() if name.strip().lower() == attribute.lower() else None


def valid_email(address: str) -> bool:
    return len(address) <= 254 and _EMAIL.match(address) is not None


def valid_username(username: str, extended: bool) -> bool:
    if not username or len(username) > USERNAME_MAX or username != username.lower():
        return False
    return extended or _USERNAME.match(username) is not None


def _names(first: str, last: str, display: str) -> tuple[str, str]:
    """First and last names, completed from the display name when one is missing."""
    if first and last:
        return first, last
    if last and display:
        rest = display.removesuffix(last).strip() if display.endswith(last) else ""
        rest = rest or (display.removeprefix(last).strip() if display.startswith(last) else "")
        return rest or display, last
    if first and display:
        rest = display.removeprefix(first).strip() if display.startswith(first) else ""
        return first, rest or display
    if display and " " in display:
        given, _, family = display.partition(" ")
        return given, family.strip()
    return first, last


def read_person(entry: DirectoryEntry, attrs: AttributeMap, rules: AccountRules) -> Person | None:
    """The person of one entry; None when it has no username at all."""
    several: list[str] = []

    def one(attribute: str, lower: bool = False) -> str:
        values = _distinct(entry.values(attribute), lower)
        if len(values) > 1:
            several.append(attribute)
        return values[0] if values else ""

    usernames = _distinct(entry.values(attrs.username))
    if not usernames:
        return None
    username = usernames[0]
    if len(usernames) > 1:
        several.append(attrs.username)
        in_dn = _rdn_value(entry.dn, attrs.username)
        if in_dn and in_dn in usernames:
            username = in_dn  # the entry's own naming value
    first, last = _names(one(attrs.firstname), one(attrs.lastname), one(attrs.display_name))
    email = one(attrs.email, lower=True)
    problems: list[str] = []
    if not email:
        problems.append("no e-mail address")
    elif not valid_email(email):
        problems.append(f"e-mail address {email!r} is not valid for Moodle")
        email = ""
    if not (first and last):
        problems.append("no first and last name")
    username = username.lower()
    if not valid_username(username, rules.extended_username_chars):
        problems.append(f"username {username!r} is not valid for Moodle")
    problems.extend(entry.problems)
    display = one(attrs.display_name) or f"{first} {last}".strip() or one("cn") or entry.dn
    return Person(
        username=username,
        dn=entry.dn,
        name=display,
        firstname=first,
        lastname=last,
        email=email,
        student_id=one(attrs.student_id),
        employee_id=one(attrs.employee_id),
        affiliations=frozenset(_distinct(entry.values(attrs.affiliation), lower=True)),
        red_list=any(v.strip().upper() == "TRUE" for v in entry.values(attrs.red_list)),
        several=tuple(several),
        problems=tuple(problems),
        other_emails=tuple(
            a for a in _distinct(entry.values(attrs.other_emails), True) if a != email
        ),
    )


def _exclusion(person: Person, rules: AccountRules) -> str | None:
    if person.affiliations & rules.affiliations:
        return None
    if not person.affiliations:
        return "in the directory without any affiliation"
    statuses = ", ".join(sorted(person.affiliations))
    return f"in the directory as {statuses}, which gives no account"


def assign_idnumbers(
    people: Sequence[Person], rules: AccountRules
) -> tuple[list[Person], list[Notice]]:
    """Gives each person their idnumber by the documented rule; no value is given twice."""
    prefixes = {"student": rules.student_prefix, "employee": rules.employee_prefix}
    claims: dict[str, list[tuple[int, Person]]] = defaultdict(list)
    for person in people:
        numbers = {"student": person.student_id, "employee": person.employee_id}
        for rank, source in enumerate(rules.idnumber_sources):
            if numbers[source]:
                claims[prefixes[source] + numbers[source]].append((rank, person))
                break
    given: dict[str, str] = {}
    notices: list[Notice] = []
    for value, holders in sorted(claims.items()):
        best = min(rank for rank, _ in holders)
        winners = [person for rank, person in holders if rank == best]
        if len(winners) == 1:
            given[winners[0].username] = value
        if len(holders) > 1:
            names = ", ".join(person.label() for _, person in sorted(holders, key=_by_username))
            kept = f"kept by {winners[0].label()}" if len(winners) == 1 else "given to nobody"
            notices.append(
                Notice(
                    "idnumber_clash",
                    value,
                    f"idnumber {value} is claimed by {names}; {kept}",
                    data={"usernames": sorted(person.username for _, person in holders)},
                )
            )
    return [replace(person, idnumber=given.get(person.username, "")) for person in people], notices


def _by_username(item: tuple[int, Person]) -> str:
    return item[1].username


def desired_accounts(
    entries: Iterable[DirectoryEntry], attrs: AttributeMap, rules: AccountRules
) -> DesiredAccounts:
    """The accounts the directory asks for, and the notices about entries that give none."""
    result = DesiredAccounts()
    claimed: dict[str, list[Person]] = defaultdict(list)
    for entry in sorted(entries, key=lambda item: item.dn.lower()):
        result.entries += 1
        person = read_person(entry, attrs, rules)
        if person is None:
            result.notices.append(
                Notice(
                    "directory_missing_username",
                    entry.dn,
                    f"{entry.dn} has no {attrs.username}: no account can be made for it",
                    data={"dn": entry.dn},
                )
            )
            continue
        claimed[person.username].append(person)
    held = set()
    readable: list[Person] = []
    for username, persons in sorted(claimed.items()):
        if len(persons) > 1:
            held.add(username)
            names = "; ".join(f"{p.name} ({p.dn})" for p in persons)
            result.notices.append(
                Notice(
                    "directory_duplicate_username",
                    username,
                    f"username {username} is claimed by several entries: {names}; the "
                    "account is left as it is until the directory is corrected",
                    data={"dns": [p.dn for p in persons]},
                )
            )
            continue
        readable.append(persons[0])
    result.held = frozenset(held)
    result.students, result.shared_students, duplicates = _student_numbers(readable)
    result.notices.extend(duplicates)
    eligible: list[Person] = []
    for person in readable:
        reason = _exclusion(person, rules)
        if reason is None:
            eligible.append(person)
        else:
            result.excluded[person.username] = reason
    people, clashes = assign_idnumbers(eligible, rules)
    result.notices.extend(clashes)
    for person in people:
        result.people[person.username] = person
        result.notices.extend(_person_notices(person))
    result.notices.extend(_shared_emails(people))
    return result


def _student_numbers(
    people: Sequence[Person],
) -> tuple[dict[str, str], dict[str, list[str]], list[Notice]]:
    owners: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        if person.student_id:
            owners[person.student_id].append(person)
    numbers: dict[str, str] = {}
    shared: dict[str, list[str]] = {}
    notices: list[Notice] = []
    for number, persons in sorted(owners.items()):
        if len(persons) == 1:
            numbers[number] = persons[0].username
            continue
        shared[number] = sorted(person.username for person in persons)
        names = ", ".join(person.label() for person in persons)
        notices.append(
            Notice(
                "directory_duplicate_student_id",
                number,
                f"student number {number} is carried by {names}: REFER's registrations of "
                "that number are linked to no account",
                data={"usernames": [person.username for person in persons]},
            )
        )
    return numbers, shared, notices


def _person_notices(person: Person) -> list[Notice]:
    notices: list[Notice] = []
    if person.problems:
        notices.append(
            Notice(
                "directory_incomplete_entry",
                person.username,
                f"{person.label()}: {'; '.join(person.problems)} ({person.dn})",
                data={"dn": person.dn, "problems": list(person.problems)},
            )
        )
    if person.several:
        notices.append(
            Notice(
                "directory_several_values",
                person.username,
                f"{person.label()} has several values of {', '.join(person.several)}; the "
                "first in sorted order is used",
                severity="info",
                data={"dn": person.dn, "attributes": list(person.several)},
            )
        )
    return notices


def _shared_emails(people: Sequence[Person]) -> list[Notice]:
    owners: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        if person.email:
            owners[person.email].append(person)
    return [
        Notice(
            "directory_shared_email",
            email,
            f"e-mail {email} is used by {', '.join(p.label() for p in persons)}; Moodle may "
            "refuse it for all but one",
            data={"usernames": [p.username for p in persons]},
        )
        for email, persons in sorted(owners.items())
        if len(persons) > 1
    ]


# Moodle's side ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoodleAccount:
    """An account as Moodle shows it (core_user_get_users_by_field)."""

    id: int
    username: str
    auth: str
    suspended: bool
    firstname: str
    lastname: str
    email: str
    idnumber: str


@dataclass(frozen=True, slots=True)
class ManagedAccount:
    """What the state database remembers of an account jonction manages."""

    username: str
    moodle_id: int | None
    suspended_by_jonction: bool = False
    maildisplay: int | None = None  # Moodle does not show it back: the last value set
    # `wanted_digest` of the person when Moodle was last known to match them, GONE for an
    # account left suspended once out of the directory, "" when Moodle was not as wanted.
    synced: str = ""


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    auth: str = "cas"
    managed_auths: frozenset[str] = frozenset({"cas", "ldap", "shibboleth"})
    reactivate_all: bool = False


def _affiliations(person: Person) -> str:
    return ", ".join(sorted(person.affiliations)) or "no affiliation"


def _source(person: Person, moodle_id: int | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {
        "dn": person.dn,
        "affiliations": sorted(person.affiliations),
        "student_id": person.student_id,
        "employee_id": person.employee_id,
    }
    if moodle_id is not None:
        source["moodle_id"] = moodle_id
    return source


def wanted_digest(person: Person, rules: AccountRules, policy: AccountPolicy) -> str:
    """A digest of everything the directory and the policy ask of the person's account and
    record: equal digests on two nights mean nothing new to write for them."""
    wanted = (
        person.username,
        person.dn,
        person.student_id,
        person.employee_id,
        sorted(person.fields(rules).items()),
        sorted(policy.managed_auths),
        policy.reactivate_all,
    )
    return hashlib.blake2b(repr(wanted).encode(), digest_size=12).hexdigest()


def _changes(
    person: Person, account: MoodleAccount, managed: ManagedAccount | None, rules: AccountRules
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the fields that differ; Moodle's values are compared normalised."""
    known: dict[str, Any] = {
        "firstname": _text(account.firstname),
        "lastname": _text(account.lastname),
        "email": account.email.strip(),
        "idnumber": account.idnumber.strip(),
        "maildisplay": (
            managed.maildisplay
            if managed is not None and managed.maildisplay is not None
            else rules.maildisplay_default
        ),
    }
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in person.fields(rules).items():
        if known[name] != value:
            before[name] = known[name]
            after[name] = value
    return before, after


def determine_account_actions(
    desired: DesiredAccounts,
    known: Mapping[str, MoodleAccount],
    managed: Mapping[str, ManagedAccount],
    policy: AccountPolicy,
    rules: AccountRules,
    *,
    suspend: bool = True,
    trusted: frozenset[str] = frozenset(),
) -> Plan:
    """The plan that makes Moodle's accounts match the directory.

    `known` holds Moodle's accounts by username (those of the directory and those jonction
    manages, except the `trusted` ones: managed accounts not read tonight, known to be as the
    directory still wants them); `managed` the accounts the state database says jonction
    manages. With `suspend` false (a directory that looks truncated), no suspension is planned.
    """
    plan = Plan(STEP)
    plan.notices.extend(desired.notices)
    adopted = 0
    for username, person in sorted(desired.people.items()):
        if username in trusted:
            continue
        account = known.get(username)
        if account is None:
            if person.problems:
                continue  # reported by desired_accounts; Moodle would refuse it
            after = {"username": username, "auth": policy.auth, **person.fields(rules)}
            plan.operations.append(
                Operation(
                    USER,
                    Action.CREATE,
                    username,
                    person.label(),
                    after=after,
                    reason=f"in the directory as {_affiliations(person)}, no Moodle account",
                    source=_source(person),
                )
            )
            continue
        if account.auth not in policy.managed_auths:
            plan.notices.append(
                Notice(
                    "account_not_managed",
                    username,
                    f"{person.label()} has a Moodle account with auth '{account.auth}', which "
                    "jonction does not manage: left as it is",
                    data={"auth": account.auth, "moodle_id": account.id},
                )
            )
            continue
        record = managed.get(username)
        if record is None:
            adopted += 1
        before, after = _changes(person, account, record, rules)
        if account.suspended:
            by_us = record is not None and record.suspended_by_jonction
            if by_us or policy.reactivate_all:
                plan.operations.append(
                    Operation(
                        USER,
                        Action.REACTIVATE,
                        username,
                        person.label(),
                        before={"suspended": True, **before},
                        after={"suspended": False, **after},
                        reason=f"back in the directory as {_affiliations(person)}",
                        source=_source(person, account.id),
                    )
                )
                continue
            plan.notices.append(
                Notice(
                    "account_suspended_by_hand",
                    username,
                    f"{person.label()} is in the directory but its account was suspended "
                    "outside jonction: not reactivated",
                    severity="info",
                    data={"moodle_id": account.id},
                )
            )
        if after:
            plan.operations.append(
                Operation(
                    USER,
                    Action.UPDATE,
                    username,
                    person.label(),
                    before=before,
                    after=after,
                    reason=f"the directory changed: {', '.join(after)}",
                    source=_source(person, account.id),
                )
            )
    held_back = 0
    active = 0
    for username in sorted(managed):
        if username in trusted:
            # As last seen: active when the directory has the person, else left suspended.
            active += username in desired.people
            continue
        account = known.get(username)
        if account is None or account.auth not in policy.managed_auths:
            continue  # gone from Moodle, or taken over by hand: not ours to change any more
        if account.suspended:
            continue
        active += 1
        if username in desired.people or username in desired.held:
            continue
        if not suspend:
            held_back += 1
            continue
        reason = desired.excluded.get(username, "no longer in the directory")
        plan.operations.append(
            Operation(
                USER,
                Action.SUSPEND,
                username,
                f"{account.firstname} {account.lastname} ({username})",
                before={"suspended": False},
                after={"suspended": True},
                reason=f"{reason}: suspended, never deleted",
                source={"moodle_id": account.id},
            )
        )
    plan.existing = {USER: active}
    plan.stats = {
        "directory_entries": desired.entries,
        "accounts_wanted": len(desired.people),
        "entries_without_account": len(desired.excluded),
        "usernames_held": len(desired.held),
        "moodle_accounts_read": len(known),
        "moodle_accounts_trusted": len(trusted),
        "managed_accounts": len(managed),
        "adopted": adopted,
        "suspensions_held_back": held_back,
    }
    plan.basis = fingerprint(
        (a.username, a.id, a.auth, a.suspended, a.firstname, a.lastname, a.email, a.idnumber)
        for a in sorted(known.values(), key=lambda account: account.username)
    )
    return plan


def directory_blockers(entries: int, previous: int | None, shrink_ratio: float) -> list[str]:
    """Reasons to believe the directory read is not the whole directory."""
    if entries == 0:
        return [
            "the directory returned no entry at all: an outage or a wrong [ldap] base or "
            "filter; no account is suspended"
        ]
    if previous and entries < shrink_ratio * previous:
        return [
            f"the directory returned {entries} entries, fewer than {shrink_ratio:.0%} of the "
            f"{previous} read last time: it looks truncated; no account is suspended "
            "(if the change is real, run again with --force users)"
        ]
    return []


# REFER's students ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegisteredStudent:
    """A student with a valid administrative registration in REFER."""

    cod_etu: str | None
    name: str
    etapes: tuple[str, ...]
    years: tuple[str, ...]


def registered_students(snapshots: Iterable[ReferSnapshot]) -> list[RegisteredStudent]:
    """The students of the snapshots' valid administrative registrations, once each."""
    found: dict[tuple[str, int | str], tuple[str, str | None, set[str], set[str]]] = {}
    for snapshot in snapshots:
        for registration in snapshot.admin_registrations:
            student = snapshot.students.get(registration.cod_ind)
            if student is None:
                continue
            key = ("etu", student.cod_etu) if student.cod_etu else ("ind", student.cod_ind)
            name = f"{student.first_name} {student.last_name}".strip()
            entry = found.setdefault(key, (name, student.cod_etu, set(), set()))
            entry[2].add(str(registration.etape))
            entry[3].add(snapshot.year)
    return [
        RegisteredStudent(cod_etu, name, tuple(sorted(etapes)), tuple(sorted(years)))
        for (name, cod_etu, etapes, years) in (found[key] for key in sorted(found, key=str))
    ]


def students_without_account(
    students: Iterable[RegisteredStudent], desired: DesiredAccounts
) -> list[Notice]:
    """Registered students the directory gives no account to, each reported by name."""
    notices: list[Notice] = []
    for student in students:
        where = ", ".join(student.etapes)
        data = {"etapes": list(student.etapes), "years": list(student.years)}
        if not student.cod_etu:
            notices.append(
                Notice(
                    "student_without_number",
                    student.name,
                    f"{student.name}, registered in {where}, has no student number yet: no "
                    "account can be linked",
                    severity="info",
                    data=data,
                )
            )
            continue
        username = desired.students.get(student.cod_etu)
        shared = desired.shared_students.get(student.cod_etu)
        if shared is not None:
            notices.append(
                Notice(
                    "student_without_account",
                    student.cod_etu,
                    f"{student.name} ({student.cod_etu}), registered in {where}: the student "
                    f"number is carried by several directory entries ({', '.join(shared)}); "
                    "no account is linked until the directory is corrected",
                    data={**data, "usernames": shared},
                )
            )
        elif username is None:
            notices.append(
                Notice(
                    "student_without_directory_entry",
                    student.cod_etu,
                    f"{student.name} ({student.cod_etu}), registered in {where}, has no "
                    "directory entry: no Moodle account",
                    data=data,
                )
            )
        elif username not in desired.people:
            reason = desired.excluded.get(username, "")
            notices.append(
                Notice(
                    "student_without_account",
                    student.cod_etu,
                    f"{student.name} ({student.cod_etu}, {username}), registered in {where}, "
                    f"gets no account: {reason}",
                    data={**data, "username": username},
                )
            )
    return notices


# What the state database remembers ---------------------------------------------------------------


def managed_from_data(
    username: str, moodle_id: int | None, data: Mapping[str, Any]
) -> ManagedAccount:
    maildisplay = data.get("maildisplay")
    return ManagedAccount(
        username,
        moodle_id,
        suspended_by_jonction=bool(data.get("suspended_by_jonction", False)),
        maildisplay=int(maildisplay) if maildisplay is not None else None,
        synced=str(data.get(SYNCED) or ""),
    )


_ACCOUNT_FIELDS = frozenset(MoodleAccount.__dataclass_fields__) - {"id", "username", "auth"}


def _account_after(
    username: str, account: MoodleAccount | None, op: Operation | None, created: int | None
) -> MoodleAccount | None:
    """The account as Moodle holds it once `op` (applied) is done."""
    values = dict(op.after or {}) if op is not None else {}
    if op is not None and op.action == Action.CREATE:
        return MoodleAccount(
            created or 0,
            username,
            str(values.get("auth", "")),
            False,
            str(values.get("firstname", "")),
            str(values.get("lastname", "")),
            str(values.get("email", "")),
            str(values.get("idnumber", "")),
        )
    if account is None:
        return None
    return replace(account, **{k: v for k, v in values.items() if k in _ACCOUNT_FIELDS})


def synced_marker(
    person: Person | None,
    account: MoodleAccount | None,
    maildisplay: int | None,
    policy: AccountPolicy,
    rules: AccountRules,
) -> str:
    """What a record says of Moodle after the run: the person's `wanted_digest` when the
    account is exactly as wanted, GONE when the person left the directory and the account is
    suspended, "" otherwise (read again next night)."""
    if account is None or account.auth not in policy.managed_auths:
        return ""
    if person is None:
        return GONE if account.suspended else ""
    if account.suspended:
        return ""
    record = ManagedAccount(person.username, account.id, maildisplay=maildisplay)
    _, changes = _changes(person, account, record, rules)
    return "" if changes else wanted_digest(person, rules, policy)


def managed_records(
    desired: DesiredAccounts,
    known: Mapping[str, MoodleAccount],
    managed: Mapping[str, Mapping[str, Any]],
    applied: Iterable[tuple[Operation, int | None]],
    policy: AccountPolicy,
    rules: AccountRules,
    trusted: frozenset[str] = frozenset(),
) -> tuple[list[tuple[str, int | None, dict[str, Any]]], list[str]]:
    """The records of managed accounts to write after applying (only those that changed),
    and the usernames to forget (accounts gone from Moodle that the directory no longer has).

    `managed` is the stored data by username; `applied` the operations Moodle accepted, with
    the id a creation returned. A record holds the directory's keys of the person (student and
    employee numbers, for the cohorts and enrolments), whether jonction suspended the
    account, its idnumber, the last maildisplay set (Moodle does not show it back), and
    `synced` (see `synced_marker`). `trusted` accounts were not read: their records stay.
    """
    done = {op.key: (op, moodle_id) for op, moodle_id in applied}
    records: list[tuple[str, int | None, dict[str, Any]]] = []
    usernames = set(managed) | set(desired.people) | set(done)
    for username in sorted(usernames):
        account = known.get(username)
        op, created_id = done.get(username, (None, None))
        if account is not None and account.auth not in policy.managed_auths:
            continue
        if account is None and (op is None or op.action != Action.CREATE):
            continue
        previous = managed.get(username, {})
        data = dict(previous)
        person = desired.people.get(username)
        if person is not None:
            data.update(
                dn=person.dn,
                student_id=person.student_id,
                employee_id=person.employee_id,
                idnumber=person.idnumber,
                # How the enrolments step recognises a teacher by address ([ade] teacher_key).
                emails=[a for a in (person.email, *person.other_emails) if a],
                # How explain finds a teacher by name (students are found in REFER).
                firstname=person.firstname,
                lastname=person.lastname,
            )
        if op is not None:
            after = op.after or {}
            if "maildisplay" in after:
                data["maildisplay"] = after["maildisplay"]
            if op.action == Action.SUSPEND:
                data["suspended_by_jonction"] = True
            elif op.action in (Action.REACTIVATE, Action.CREATE):
                data["suspended_by_jonction"] = False
        # Unknown until jonction sets it: Moodle's default, as determine_account_actions assumes.
        data.setdefault("maildisplay", rules.maildisplay_default)
        data.setdefault("suspended_by_jonction", False)
        data[SYNCED] = synced_marker(
            person,
            _account_after(username, account, op, created_id),
            data["maildisplay"],
            policy,
            rules,
        )
        moodle_id = account.id if account is not None else created_id
        if data != previous or username not in managed:
            records.append((username, moodle_id, data))
    forget = sorted(
        u for u in managed if u not in known and u not in desired.people and u not in trusted
    )
    return records, forget
