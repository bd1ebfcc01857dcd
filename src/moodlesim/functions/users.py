"""core_user_get_users(_by_field), core_user_create/update/delete_users."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from ..call import GUEST_USER_ID, SITE_ADMINS, Call
from ..db import schema
from ..php.params import AUTH_PLUGINS, LANGUAGES, THEMES, clean_param, validate_email
from ..ws.errors import (
    MoodleError,
    coding_error,
    invalid_parameter,
    missing_record,
    moodle_exception,
)
from .common import check_lengths, chunks, context_row, insert_rows, rows_by_id

usr = schema.user
_CREATABLE_AUTHS = AUTH_PLUGINS - {"mnet", "webservice"}
# Plugins whose accounts keep a password in Moodle (is_internal()).
INTERNAL_AUTHS = frozenset({"manual", "email", "nologin", "none", "webservice"})
_PROFILE = (
    "username",
    "auth",
    "firstname",
    "lastname",
    "email",
    "idnumber",
    "department",
    "institution",
    "city",
    "country",
    "lang",
    "calendartype",
    "theme",
    "timezone",
    "mailformat",
    "maildisplay",
    "description",
    "address",
    "phone1",
    "phone2",
    "middlename",
    "alternatename",
    "firstnamephonetic",
    "lastnamephonetic",
)


def password_errors(password: str) -> str:
    """check_password_policy with Moodle's default policy: '' when the password passes."""
    problems = []
    if len(password) < 8:
        problems.append("Passwords must be at least 8 characters long.")
    if len(re.findall(r"[0-9]", password)) < 1:
        problems.append("Passwords must have at least 1 digit(s).")
    if len(re.findall(r"[a-z]", password)) < 1:
        problems.append("Passwords must have at least 1 lower case letter(s).")
    if len(re.findall(r"[A-Z]", password)) < 1:
        problems.append("Passwords must have at least 1 upper case letter(s).")
    if len(re.findall(r"[^a-zA-Z0-9]", password)) < 1:
        problems.append(
            "The password must have at least 1 special character(s) such as *, -, or #."
        )
    return "".join(f"<div>{problem}</div>" for problem in problems)


def policy_error(errors: str) -> MoodleError:
    # moodle_exception($errmsg): the message becomes the error code, with no lang string.
    return moodle_exception(errors, f"error/{errors}")


def user_details(call: Call, row: Any) -> dict[str, Any]:
    """user_get_user_details as a site administrator sees it (returns keep what they describe)."""
    details: dict[str, Any] = {
        "id": row.id,
        "username": row.username,
        "firstname": row.firstname,
        "lastname": row.lastname,
        "fullname": f"{row.firstname} {row.lastname}",
        "email": row.email,
        "department": row.department,
        "firstaccess": row.firstaccess,
        "lastaccess": row.lastaccess,
        "auth": row.auth,
        "suspended": bool(row.suspended),
        "confirmed": bool(row.confirmed),
        "lang": clean_param(row.lang, "lang"),
        "theme": clean_param(row.theme, "theme"),
        "timezone": row.timezone,
        "mailformat": row.mailformat,
        "profileimageurlsmall": call.picture_url("f2"),
        "profileimageurl": call.picture_url("f1"),
    }
    for optional in ("idnumber", "institution", "address", "phone1", "phone2", "city", "country"):
        value = getattr(row, optional)
        if value:
            details[optional] = value
    if row.description:
        details["description"] = row.description
        details["descriptionformat"] = row.descriptionformat
    return details


def _users_where(conn: Connection, column: Any, values: Sequence[Any]) -> list[Any]:
    found: dict[int, Any] = {}
    for part in chunks(list(dict.fromkeys(values))):
        for row in conn.execute(select(usr).where(column.in_(part), usr.c.deleted == 0)):
            found[row.id] = row
    return [found[key] for key in sorted(found)]


def get_users_by_field(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    field = params["field"]
    if field not in ("id", "idnumber", "username", "email"):
        raise coding_error(
            "invalid field parameter",
            f"The search field '{field}' is not supported, look at the web service documentation",
        )
    cleaned: list[Any] = []
    for value in params["values"]:
        if field == "id":
            ok = re.fullmatch(r"\s*[+-]?\d+\s*", value) is not None
            good: Any = int(value) if ok else 0
        elif field == "email":
            good = clean_param(value, "email")
            ok = good == value
        else:
            good, ok = value, True
        if not ok:
            raise invalid_parameter(
                f"The field '{field}' value is invalid: {value}(cleaned value: {good})"
            )
        cleaned.append(good)
    rows = _users_where(call.conn, getattr(usr.c, field), cleaned)
    details = [user_details(call, row) for row in rows]
    details = [d for d in details if d.get(field)]
    call.cost.charge(len(details))
    return details


def get_users(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    query = select(usr).where(usr.c.deleted == 0)
    warnings: list[dict[str, Any]] = []
    used: list[str] = []
    for criterion in params["criteria"]:
        key, value = criterion["key"], criterion["value"]
        if key in used:
            raise moodle_exception(
                "keyalreadyset", "error/keyalreadyset", f"The key {key} can only be sent once"
            )
        used.append(key)
        if key in ("id", "idnumber", "username", "auth"):
            cleaned: Any = value
            if key == "id":
                cleaned = int(value) if re.fullmatch(r"-?\d+", value) else 0
            elif key == "auth":
                cleaned = clean_param(value, "auth")
            query = query.where(getattr(usr.c, key) == cleaned)
        elif key in ("email", "lastname", "firstname"):
            text = value if key == "email" else clean_param(value, "text")
            query = query.where(func.lower(getattr(usr.c, key)).like(str(text).lower()))
        else:
            warnings.append(
                {
                    "item": key,
                    "warningcode": "invalidfieldparameter",
                    "message": f"The search key '{key}' is not supported, look at the web "
                    "service documentation",
                }
            )
            used.pop()
    rows = list(call.conn.execute(query.order_by(usr.c.id)))
    users = [user_details(call, row) for row in rows]
    users = [u for u in users if all(u.get(key) for key in used)]
    call.cost.charge(len(users))
    return {"users": users, "warnings": warnings}


def _emails_taken(conn: Connection, emails: set[str]) -> set[str]:
    found: set[str] = set()
    for part in chunks(sorted(emails)):
        query = select(usr.c.email_lower).where(usr.c.email_lower.in_(part), usr.c.mnethostid == 1)
        found.update(value for (value,) in conn.execute(query))
    return found


def create_users(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    conn = call.conn
    items = params["users"]
    usernames: set[str] = set()
    for part in chunks(sorted({item["username"] for item in items})):
        query = select(usr.c.username).where(usr.c.username.in_(part), usr.c.mnethostid == 1)
        usernames.update(name for (name,) in conn.execute(query))
    emails = _emails_taken(conn, {item["email"].lower() for item in items})
    created: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    contexts: list[dict[str, Any]] = []
    for item in items:
        call.cost.charge()
        for name in ("username", "firstname", "lastname"):
            if item[name].strip(" \t\n\r\0\x0b") == "":
                raise invalid_parameter(f"The field {name} cannot be blank")
        username, auth = item["username"], item["auth"]
        if username in usernames:
            raise invalid_parameter(f"Username already exists: {username}")
        if auth not in _CREATABLE_AUTHS:
            raise invalid_parameter(f"Invalid authentication type: {auth}")
        if item["lang"] not in LANGUAGES:
            raise invalid_parameter(f"Invalid language code: {item['lang']}")
        if item.get("theme") and item["theme"] not in THEMES:
            raise invalid_parameter(f"Invalid theme: {item['theme']}")
        password = item.get("password") or ""
        if auth in INTERNAL_AUTHS and not password and not item.get("createpassword"):
            raise invalid_parameter(
                "Invalid password: you must provide a password, or set createpassword."
            )
        email = item["email"]
        if not validate_email(email):
            raise invalid_parameter(f"Email address is invalid: {email}")
        if email.lower() in emails:
            raise invalid_parameter(f"Email address already exists: {email}")
        if "password" in item and not item.get("createpassword"):
            errors = password_errors(item["password"])
            if errors:
                raise policy_error(errors)
        values = {key: item[key] for key in _PROFILE if key in item}
        check_lengths("user", values)
        if password and auth in INTERNAL_AUTHS:
            call.cost.charge_ms(call.cost.model.password_hash())
        user_id = call.new_id("user")
        rows.append(
            {
                "id": user_id,
                "password": "hashed" if password and auth in INTERNAL_AUTHS else "not cached",
                "email_lower": email.lower(),
                "confirmed": 1,
                "timecreated": call.now,
                "timemodified": call.now,
                **values,
            }
        )
        contexts.append(context_row(call, schema.CONTEXT_USER, user_id))
        usernames.add(username)
        emails.add(email.lower())
        created.append({"id": user_id, "username": username})
    insert_rows(conn, usr, rows)
    insert_rows(conn, schema.context, contexts)
    return created


def _update_one(call: Call, item: dict[str, Any]) -> None:
    conn = call.conn
    row = conn.execute(select(usr).where(usr.c.id == item["id"])).first()
    if row is None:
        raise moodle_exception("invaliduserid", "Invalid user ID")
    if row.deleted:
        raise moodle_exception("usernotupdateddeleted", "error/usernotupdateddeleted")
    if row.id == GUEST_USER_ID:
        raise moodle_exception("usernotupdatedguest", "error/usernotupdatedguest")
    email = item.get("email")
    if email is not None and email != row.email:
        if not validate_email(email):
            raise moodle_exception("useremailinvalid", "error/useremailinvalid")
        clash = select(usr.c.id).where(
            usr.c.email_lower == email.lower(), usr.c.mnethostid == 1, usr.c.id != row.id
        )
        if conn.execute(clash.limit(1)).first() is not None:
            raise moodle_exception("useremailduplicate", "Duplicate address")
    changes = {key: item[key] for key in _PROFILE if key in item}
    if "password" in item:
        errors = password_errors(item["password"])
        if errors:
            raise policy_error(errors)
        auth = changes.get("auth", row.auth)
        if auth in INTERNAL_AUTHS:
            call.cost.charge_ms(call.cost.model.password_hash())
            changes["password"] = "hashed"
    if "username" in changes and changes["username"] != row.username:
        clash = select(usr.c.id).where(usr.c.username == changes["username"], usr.c.id != row.id)
        if conn.execute(clash.limit(1)).first() is not None:
            raise MoodleError(
                "dml_write_exception",
                "dmlwriteexception",
                "Error writing to database",
                "duplicate key value violates unique constraint mdl_user_mneuse_uix",
            )
    check_lengths("user", changes)
    if "email" in changes:
        changes["email_lower"] = changes["email"].lower()
    if "suspended" in item:
        changes["suspended"] = int(item["suspended"])
    changes["timemodified"] = call.now
    conn.execute(usr.update().where(usr.c.id == row.id).values(**changes))


def update_users(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    warnings: list[dict[str, Any]] = []
    for item in params["users"]:
        call.cost.charge()
        try:
            _update_one(call, item)
        except MoodleError as error:
            warnings.append(
                {
                    "item": "user",
                    "itemid": item["id"],
                    "warningcode": error.errorcode or "",
                    "message": error.message,
                }
            )
    return {"warnings": warnings}


def delete_users(call: Call, params: dict[str, Any]) -> None:
    conn = call.conn
    for user_id in params["userids"]:
        call.cost.charge()
        row = rows_by_id(conn, usr, [user_id]).get(user_id)
        if row is None or row.deleted:
            raise missing_record("user")
        if user_id in SITE_ADMINS:
            raise moodle_exception("useradminodelete", "Admin users cannot be deleted")
        _delete_user_data(conn, row, call.now)


def _delete_user_data(conn: Connection, row: Any, now: int) -> None:
    """user_delete_user: the account stays, marked deleted and renamed; memberships go."""
    conn.execute(schema.user_enrolments.delete().where(schema.user_enrolments.c.userid == row.id))
    conn.execute(schema.role_assignments.delete().where(schema.role_assignments.c.userid == row.id))
    conn.execute(schema.groups_members.delete().where(schema.groups_members.c.userid == row.id))
    conn.execute(schema.cohort_members.delete().where(schema.cohort_members.c.userid == row.id))
    conn.execute(
        usr.update()
        .where(usr.c.id == row.id)
        .values(
            deleted=1,
            username=f"{row.email}.{now}",
            email=f"{row.id}{now}",
            email_lower=f"{row.id}{now}",
            idnumber="",
            timemodified=now,
        )
    )
