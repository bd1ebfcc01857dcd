"""Small builders of directory entries and Moodle accounts for the accounts tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from jonction.domain.accounts import MoodleAccount
from jonction.domain.plan import Action, Plan
from jonction.sources.ldap import DirectoryEntry
from tests.conftest import shared_dir

BASE = "ou=people,dc=univ-exemple,dc=fr"


def sample_ldif() -> Path:
    """The synthetic SupAnn sample of the shared references (ten people)."""
    return shared_dir() / "ldap" / "sample.ldif"


def person(
    uid: str | list[str],
    *,
    given: str | list[str] | None = "Prénom",
    sn: str | list[str] | None = "Nom",
    mail: str | list[str] | None = "auto",
    affiliations: Iterable[str] = ("student", "member"),
    etu: str | list[str] | None = None,
    emp: str | list[str] | None = None,
    display: str | None = None,
    red_list: bool = False,
    dn: str | None = None,
    other_mail: str | list[str] | None = None,
) -> DirectoryEntry:
    """A directory entry with the SupAnn attributes jonction reads (lists: several values)."""
    uids = [uid] if isinstance(uid, str) else uid
    values: dict[str, list[str]] = {"uid": uids}

    def put(name: str, value: str | list[str] | None) -> None:
        if value is not None:
            values[name] = [value] if isinstance(value, str) else list(value)

    put("givenName", given)
    put("sn", sn)
    put("mail", f"{uids[0].lower()}@univ-exemple.fr" if mail == "auto" else mail)
    put("eduPersonAffiliation", list(affiliations) or None)
    put("supannEtuId", etu)
    put("supannEmpId", emp)
    put("displayName", display)
    put("supannAutreMail", other_mail)
    if red_list:
        values["supannListeRouge"] = ["TRUE"]
    return DirectoryEntry.from_raw(dn or f"uid={uids[0]},{BASE}", values)


def account(
    id: int,
    username: str,
    *,
    auth: str = "cas",
    suspended: bool = False,
    firstname: str = "Prénom",
    lastname: str = "Nom",
    email: str | None = None,
    idnumber: str = "",
) -> MoodleAccount:
    return MoodleAccount(
        id=id,
        username=username,
        auth=auth,
        suspended=suspended,
        firstname=firstname,
        lastname=lastname,
        email=email if email is not None else f"{username}@univ-exemple.fr",
        idnumber=idnumber,
    )


def apply_to_known(
    plan: Plan, known: Mapping[str, MoodleAccount], first_id: int = 1000
) -> dict[str, MoodleAccount]:
    """What Moodle holds after `plan` is applied (an in-memory stand-in for the tests)."""
    result = dict(known)
    next_id = first_id
    for op in plan.operations:
        after: dict[str, Any] = dict(op.after or {})
        fields = {k: v for k, v in after.items() if k in MoodleAccount.__dataclass_fields__}
        if op.action == Action.CREATE:
            result[op.key] = MoodleAccount(
                id=next_id,
                username=op.key,
                auth=after["auth"],
                suspended=False,
                firstname=after["firstname"],
                lastname=after["lastname"],
                email=after["email"],
                idnumber=after["idnumber"],
            )
            next_id += 1
        else:
            result[op.key] = replace(result[op.key], **fields)
    return result
