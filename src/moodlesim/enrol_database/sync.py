"""One enrol_database sync: reads in bulk, decides in memory, writes the differences.

It decides on a snapshot, without writing (`SyncRun.run` fills a `SyncWrites`), and then
writes in one short transaction (`write`): a real Moodle's sync holds no lock on the whole
site for its minutes, so the web service's writes go on meanwhile and wait only for that end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, text

from ..call import Call
from ..db import schema
from ..functions.enrolstate import ENROL_ACTIVE, ENROL_SUSPENDED, course_context_map, unenrol
from .settings import SUSPEND, SUSPEND_NO_ROLES, UNENROL, EnrolDatabaseSettings

COMPONENT = "enrol_database"
_LOG_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Instance:
    """A `database` enrolment instance as the sync writes to it. One the sync adds takes its
    id when it is written: until then `id` is a stand-in (negative) in the rows that name it."""

    id: int
    courseid: int
    sortorder: int
    enrol: str = "database"


@dataclass
class SyncWrites:
    """What a sync decided to write, in plain values (sent back from a process of its own)."""

    now: int
    instances: list[Instance] = field(default_factory=list)
    unassigned: list[dict[str, Any]] = field(default_factory=list)
    unenrolled: list[tuple[int, int, str, int]] = field(default_factory=list)
    enrolments: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Counts:
    enrolled: int = 0
    reactivated: int = 0
    suspended: int = 0
    unenrolled: int = 0
    roles_assigned: int = 0
    roles_unassigned: int = 0
    instances_created: int = 0


class SyncRun:
    """One sync: reads everything in bulk, decides in memory, writes the differences."""

    def __init__(self, settings: EnrolDatabaseSettings, conn: Connection, call: Call) -> None:
        self.s = settings
        self.conn = conn
        self.call = call
        self.counts = Counts()
        self.log: list[str] = []
        self.skipped: list[dict[str, str]] = []
        self.skipped_total = 0
        # Everything it writes, written at the end (`write`).
        self.writes = SyncWrites(call.now)

    def trace(self, line: str) -> None:
        if len(self.log) < _LOG_LIMIT:
            self.log.append(line)

    def skip(self, reason: str, course: str, user: str, line: str) -> None:
        self.skipped_total += 1
        if len(self.skipped) < _LOG_LIMIT:
            self.skipped.append({"reason": reason, "course": course, "user": user})
        self.trace(line)

    # -- reading ---------------------------------------------------------------------------

    def read_external(self, external: Engine) -> list[tuple[str, str, str, str]]:
        s = self.s
        columns = [s.remotecoursefield, s.remoteuserfield]
        columns.append(s.remoterolefield or "NULL")
        columns.append(s.remoteotheruserfield or "NULL")
        query = text(f"SELECT {', '.join(columns)} FROM {s.remoteenroltable}")
        with external.connect() as connection:
            rows = connection.execute(query).all()

        def value(item: Any) -> str:
            return "" if item is None else str(item)

        return [(value(c), value(u), value(r), value(o)) for c, u, r, o in rows]

    def courses_by_mapping(self) -> dict[str, Any]:
        field = self.s.localcoursefield
        mapping: dict[str, Any] = {}
        for row in self.conn.execute(select(schema.course).order_by(schema.course.c.id)):
            key = str(getattr(row, field))
            if key and key != "0":
                mapping[key] = row  # a duplicate idnumber: the last course wins, as in Moodle
        return mapping

    def users_by_mapping(self) -> dict[str, int]:
        field = self.s.localuserfield
        usr = schema.user
        query = select(usr.c.id, getattr(usr.c, field)).where(
            usr.c.deleted == 0, usr.c.mnethostid == 1
        )
        mapping: dict[str, int] = {}
        for user_id, key in self.conn.execute(query.order_by(usr.c.id)):
            if key is not None and str(key) != "":
                mapping.setdefault(str(key), user_id)
        return mapping

    def roles_by_mapping(self) -> dict[str, int]:
        field = self.s.localrolefield
        rows = self.conn.execute(select(schema.role.c.id, getattr(schema.role.c, field)))
        return {str(key): role_id for role_id, key in rows}

    # -- the sync --------------------------------------------------------------------------

    def run(self, rows: list[tuple[str, str, str, str]]) -> None:
        s, conn = self.s, self.conn
        en = schema.enrol
        external_courses = {course for course, _, _, _ in rows if course}
        prevent_full_unenrol = not external_courses and s.unenrolaction == UNENROL
        if prevent_full_unenrol:
            self.trace(
                "Preventing unenrolment of all current users, because it might result in major "
                "data loss, there has to be at least one record in external enrol table, sorry."
            )
        courses = self.courses_by_mapping()
        instances: dict[int, Any] = {
            row.courseid: row
            for row in conn.execute(select(en).where(en.c.enrol == "database").order_by(en.c.id))
        }
        existing: dict[str, Any] = {}
        for mapping, course in courses.items():
            if course.id in instances:
                existing[mapping] = course
        for mapping in sorted(external_courses):
            course = courses.get(mapping)
            if course is not None and mapping not in existing:
                instances[course.id] = self.add_instance(course.id)
                existing[mapping] = course
        missing = sorted(external_courses - set(existing))
        if missing:
            self.trace(f"error: following courses do not exist - {', '.join(missing)}")
        roles = self.roles_by_mapping()
        default_role = s.defaultrole if s.defaultrole in roles.values() else 0
        users = self.users_by_mapping()
        by_course: dict[str, list[tuple[str, str, str]]] = {}
        for course, user, role, other in rows:
            if course in missing:
                self.skip(
                    "unknown course", course, user, f"error: skipping course '{course}' - unknown"
                )
                continue
            by_course.setdefault(course, []).append((user, role, other))
        instance_ids = [instances[c.id].id for c in existing.values()]
        current_roles, statuses = self.current_state(instance_ids)
        contexts = course_context_map(conn, [c.id for c in existing.values()])
        for mapping, course in existing.items():
            if s.ignorehiddencourses and not course.visible:
                continue
            instance = instances[course.id]
            self.sync_course(
                mapping,
                course,
                instance,
                contexts.get(course.id, 0),
                by_course.get(mapping, []),
                users,
                roles,
                default_role,
                current_roles.get(instance.id, {}),
                statuses.get(instance.id, {}),
                prevent_full_unenrol,
            )

    def add_instance(self, course_id: int) -> Instance:
        en = schema.enrol
        highest = self.conn.execute(
            select(en.c.sortorder).where(en.c.courseid == course_id).order_by(en.c.sortorder.desc())
        ).scalar()
        instances = self.writes.instances
        instance = Instance(
            -(len(instances) + 1), course_id, (highest if highest is not None else -1) + 1
        )
        instances.append(instance)
        self.counts.instances_created += 1
        return instance

    def current_state(
        self, instance_ids: list[int]
    ) -> tuple[dict[int, dict[int, set[int]]], dict[int, dict[int, int]]]:
        """Roles given by each instance, per user; and enrolment statuses, per user."""
        ra, ue, usr = schema.role_assignments, schema.user_enrolments, schema.user
        wanted = set(instance_ids)
        roles: dict[int, dict[int, set[int]]] = {}
        query = (
            select(ra.c.itemid, ra.c.userid, ra.c.roleid)
            .join(usr, usr.c.id == ra.c.userid)
            .where(ra.c.component == COMPONENT, usr.c.deleted == 0)
        )
        for item, user, role in self.conn.execute(query):
            if item in wanted:
                roles.setdefault(item, {}).setdefault(user, set()).add(role)
        statuses: dict[int, dict[int, int]] = {}
        en = schema.enrol
        query = (
            select(ue.c.enrolid, ue.c.userid, ue.c.status)
            .join(en, en.c.id == ue.c.enrolid)
            .where(en.c.enrol == "database")
        )
        for item, user, status in self.conn.execute(query):
            if item in wanted:
                statuses.setdefault(item, {})[user] = status
        return roles, statuses

    def sync_course(
        self,
        mapping: str,
        course: Any,
        instance: Any,
        context_id: int,
        rows: list[tuple[str, str, str]],
        users: dict[str, int],
        roles: dict[str, int],
        default_role: int,
        current_roles: dict[int, set[int]],
        statuses: dict[int, int],
        prevent_full_unenrol: bool,
    ) -> None:
        s = self.s
        # Users known to this instance through its role assignments (Moodle's starting point).
        current_enrols = {u for u in current_roles if u in statuses}
        current_status = {u: statuses[u] for u in current_enrols}
        requested_roles: dict[int, dict[int, None]] = {}
        requested_enrols: dict[int, dict[int, None]] = {}
        for user_key, role_key, other in rows:
            if not user_key:
                self.skip(
                    "user field empty",
                    mapping,
                    "",
                    f"error: skipping user without mandatory {s.localuserfield} "
                    f"in course '{mapping}'",
                )
                continue
            user_id = users.get(user_key)
            if user_id is None:
                self.skip(
                    "unknown user",
                    mapping,
                    user_key,
                    f"error: skipping unknown user {s.localuserfield} '{user_key}' "
                    f"in course '{mapping}'",
                )
                continue
            role_id = roles.get(role_key) if role_key else None
            if role_id is None:
                if not default_role:
                    self.skip(
                        "no role",
                        mapping,
                        user_key,
                        f"error: skipping user '{user_id}' in course '{mapping}' - missing course "
                        "and default role",
                    )
                    continue
                role_id = default_role
            requested_roles.setdefault(user_id, {})[role_id] = None
            if not other:
                requested_enrols.setdefault(user_id, {})[role_id] = None
        for user_id, wanted in requested_enrols.items():
            if user_id not in current_enrols:
                first_role = next(iter(wanted))
                self.enrol(instance, context_id, user_id, first_role, statuses.get(user_id))
                current_roles.setdefault(user_id, set()).add(first_role)
                current_enrols.add(user_id)
                current_status[user_id] = ENROL_ACTIVE
                self.trace(f"enrolling: {user_id} ==> {course.shortname}")
            elif current_status.get(user_id) == ENROL_SUSPENDED:
                self.set_status(instance.id, user_id, ENROL_ACTIVE)
                current_status[user_id] = ENROL_ACTIVE
                self.counts.reactivated += 1
                self.trace(f"unsuspending: {user_id} ==> {course.shortname}")
        for user_id, wanted in requested_roles.items():
            held = current_roles.setdefault(user_id, set())
            for role_id in wanted:
                if role_id not in held:
                    self.assign(context_id, user_id, role_id, instance.id)
                    held.add(role_id)
                    self.counts.roles_assigned += 1
                    self.trace(f"assigning roles: {user_id} ==> {course.shortname}")
            for role_id in sorted(held - set(wanted)):
                self.unassign(context_id, user_id, instance.id, role_id)
                held.discard(role_id)
                self.counts.roles_unassigned += 1
                self.trace(f"unsassigning roles: {user_id} ==> {course.shortname}")
        for user_id in current_roles:
            current_status.setdefault(user_id, ENROL_ACTIVE)
        if s.unenrolaction == UNENROL:
            if prevent_full_unenrol:
                return
            for user_id in sorted(current_status):
                if user_id in requested_enrols:
                    continue
                if user_id in statuses:  # enrolled by this instance
                    self.writes.unenrolled.append(
                        (instance.id, instance.courseid, instance.enrol, user_id)
                    )
                    self.counts.unenrolled += 1
                    self.trace(f"unenrolling: {user_id} ==> {course.shortname}")
        elif s.unenrolaction in (SUSPEND, SUSPEND_NO_ROLES):
            for user_id, status in sorted(current_status.items()):
                if user_id in requested_enrols:
                    continue
                if status != ENROL_SUSPENDED and user_id in statuses:
                    self.set_status(instance.id, user_id, ENROL_SUSPENDED)
                    self.counts.suspended += 1
                    self.trace(f"suspending: {user_id} ==> {course.shortname}")
                if s.unenrolaction == SUSPEND_NO_ROLES and user_id not in requested_roles:
                    removed = len(current_roles.get(user_id, ()))
                    if removed:
                        self.unassign(context_id, user_id, instance.id, None)
                    self.counts.roles_unassigned += removed
                    if removed:
                        self.trace(f"unsassigning all roles: {user_id} ==> {course.shortname}")

    # -- writing ---------------------------------------------------------------------------

    def enrol(
        self, instance: Any, context_id: int, user_id: int, role_id: int, status: int | None
    ) -> None:
        now = self.call.now
        if status is None:
            self.writes.enrolments.append(
                {
                    "enrolid": instance.id,
                    "userid": user_id,
                    "status": ENROL_ACTIVE,
                    "timestart": 0,
                    "timeend": 0,
                    "timecreated": now,
                    "timemodified": now,
                }
            )
            self.counts.enrolled += 1
        elif status != ENROL_ACTIVE:
            self.set_status(instance.id, user_id, ENROL_ACTIVE)
            self.counts.reactivated += 1
        self.assign(context_id, user_id, role_id, instance.id)

    def set_status(self, instance_id: int, user_id: int, status: int) -> None:
        self.writes.statuses.append(
            {"b_enrolid": instance_id, "b_userid": user_id, "b_status": status}
        )

    def assign(self, context_id: int, user_id: int, role_id: int, item: int) -> None:
        self.writes.roles.append(
            {
                "roleid": role_id,
                "contextid": context_id,
                "userid": user_id,
                "component": COMPONENT,
                "itemid": item,
                "timemodified": self.call.now,
            }
        )

    def unassign(self, context_id: int, user_id: int, item: int, role_id: int | None) -> None:
        self.writes.unassigned.append(
            {"contextid": context_id, "userid": user_id, "itemid": item, "roleid": role_id}
        )


def write(conn: Connection, call: Call, writes: SyncWrites) -> None:
    """Writes what a sync decided, in the transaction of `conn`; the new instances take their
    ids from `call`'s sequences now."""
    en, ue, ra = schema.enrol, schema.user_enrolments, schema.role_assignments
    ids: dict[int, int] = {}
    for instance in writes.instances:
        ids[instance.id] = call.new_id("enrol")
        conn.execute(
            en.insert().values(
                id=ids[instance.id],
                enrol=instance.enrol,
                status=ENROL_ACTIVE,
                courseid=instance.courseid,
                sortorder=instance.sortorder,
                roleid=0,
                timecreated=writes.now,
                timemodified=writes.now,
            )
        )
    for row in writes.unassigned:
        query = ra.delete().where(
            ra.c.contextid == row["contextid"],
            ra.c.userid == row["userid"],
            ra.c.component == COMPONENT,
            ra.c.itemid == row["itemid"],
        )
        if row["roleid"] is not None:
            query = query.where(ra.c.roleid == row["roleid"])
        conn.execute(query)
    for instance_id, course_id, enrol, user_id in writes.unenrolled:
        unenrol(conn, Instance(instance_id, course_id, 0, enrol), user_id)
    if writes.enrolments:
        for row in writes.enrolments:
            row["enrolid"] = ids.get(row["enrolid"], row["enrolid"])
        conn.execute(ue.insert(), writes.enrolments)
    if writes.roles:
        for row in writes.roles:
            row["itemid"] = ids.get(row["itemid"], row["itemid"])
        conn.execute(ra.insert(), writes.roles)
    if writes.statuses:
        conn.execute(
            ue.update()
            .where(ue.c.enrolid == bindparam("b_enrolid"), ue.c.userid == bindparam("b_userid"))
            .values(status=bindparam("b_status"), timemodified=writes.now),
            writes.statuses,
        )
