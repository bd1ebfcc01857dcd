"""A fresh Moodle 4.1 site: what an installation leaves in the database.

The site course (id 1), the default category (id 1, no idnumber), the guest, admin and web
service accounts (ids 1-3, so the next user gets id 4), and Moodle's standard roles.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, inspect, select

from . import schema

ROLES = [
    (1, "manager", "manager"),
    (2, "coursecreator", "coursecreator"),
    (3, "editingteacher", "editingteacher"),
    (4, "teacher", "teacher"),
    (5, "student", "student"),
    (6, "guest", "guest"),
    (7, "user", "user"),
    (8, "frontpage", "frontpage"),
]
SCHEMA_VERSION = "1"
SITE_NAME = "Moodle simulator"


def _fresh_site(connection: Connection, now: int) -> None:
    contexts = [
        (1, schema.CONTEXT_SYSTEM, 0, "/1", 1),
        (2, schema.CONTEXT_COURSE, 1, "/1/2", 2),
        (3, schema.CONTEXT_COURSECAT, 1, "/1/3", 2),
        (4, schema.CONTEXT_USER, 1, "/1/4", 2),
        (5, schema.CONTEXT_USER, 2, "/1/5", 2),
        (6, schema.CONTEXT_USER, 3, "/1/6", 2),
    ]
    connection.execute(
        schema.context.insert(),
        [
            {"id": i, "contextlevel": level, "instanceid": inst, "path": path, "depth": depth}
            for i, level, inst, path, depth in contexts
        ],
    )
    connection.execute(
        schema.course_categories.insert().values(
            id=1,
            name="Category 1",
            idnumber=None,
            description=None,
            parent=0,
            sortorder=10000,
            depth=1,
            path="/1",
            timemodified=now,
        )
    )
    connection.execute(
        schema.course.insert().values(
            id=1,
            category=0,
            sortkey=0,
            fullname=SITE_NAME,
            shortname="moodlesim",
            summary="",
            format="site",
            newsitems=3,
            numsections=1,
            hiddensections=0,
            enablecompletion=0,
            timecreated=now,
            timemodified=now,
            cacherev=now,
        )
    )
    users = [
        (1, "guest", "Guest user", " ", "root@localhost", "manual"),
        (2, "admin", "Admin", "User", "admin@example.invalid", "manual"),
        (3, "wsuser", "Web service", "Sync", "wsuser@example.invalid", "manual"),
    ]
    connection.execute(
        schema.user.insert(),
        [
            {
                "id": uid,
                "username": username,
                "firstname": first,
                "lastname": last,
                "email": email,
                "email_lower": email.lower(),
                "auth": auth,
                "timecreated": now,
                "timemodified": now,
            }
            for uid, username, first, last, email, auth in users
        ],
    )
    connection.execute(
        schema.role.insert(),
        [
            {"id": rid, "shortname": short, "archetype": arch, "name": "", "sortorder": rid}
            for rid, short, arch in ROLES
        ],
    )
    connection.execute(
        schema.meta.insert(),
        [
            {"name": "schema_version", "value": SCHEMA_VERSION},
            {"name": "installed", "value": str(now)},
        ],
    )


def ensure_installed(engine: Engine, now: int) -> None:
    """Creates the tables and the fresh site, unless this database already holds one."""
    schema.metadata.create_all(engine)
    with engine.begin() as connection:
        installed = connection.execute(
            select(schema.meta.c.value).where(schema.meta.c.name == "schema_version")
        ).scalar()
        if installed is None:
            _fresh_site(connection, now)


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()
