"""Tables of the simulated Moodle, named and shaped after Moodle's own (a subset of columns).

Ids that a client sees (categories, courses, users, groups, groupings, cohorts, enrolment
instances, contexts) come from the simulator's own sequences so that, as on PostgreSQL, a
rolled-back creation still consumes its ids.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=False)


def _serial() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _int(name: str, default: int = 0) -> Column[int]:
    return Column(name, Integer, nullable=False, default=default, server_default=str(default))


def _str(name: str, length: int, default: str = "") -> Column[str]:
    return Column(name, String(length), nullable=False, default=default, server_default=default)


meta = Table(
    "sim_meta",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

context = Table(
    "mdl_context",
    metadata,
    _id(),
    _int("contextlevel"),
    _int("instanceid"),
    _str("path", 255),
    _int("depth"),
    UniqueConstraint("contextlevel", "instanceid", name="mdl_context_level_instance"),
)

course_categories = Table(
    "mdl_course_categories",
    metadata,
    _id(),
    _str("name", 255),
    Column("idnumber", String(100), nullable=True),
    Column("description", Text, nullable=True),
    _int("descriptionformat", 1),
    _int("parent"),
    _int("sortorder"),
    _int("visible", 1),
    _int("visibleold", 1),
    _int("timemodified"),
    _int("depth", 1),
    _str("path", 255),
    Column("theme", String(50), nullable=True),
    Index("mdl_coursecat_idnumber", "idnumber"),
    Index("mdl_coursecat_parent", "parent"),
)

course = Table(
    "mdl_course",
    metadata,
    _id(),
    _int("category"),
    # Order of the course inside its category; Moodle's sortorder is derived from it.
    _int("sortkey"),
    _str("fullname", 254),
    _str("shortname", 255),
    _str("idnumber", 100),
    Column("summary", Text, nullable=True),
    _int("summaryformat", 1),
    _str("format", 21, "topics"),
    _int("showgrades", 1),
    _int("newsitems", 5),
    _int("startdate"),
    _int("enddate"),
    _int("marker"),
    _int("maxbytes"),
    _int("legacyfiles"),
    _int("showreports"),
    _int("visible", 1),
    _int("visibleold", 1),
    _int("groupmode"),
    _int("groupmodeforce"),
    _int("defaultgroupingid"),
    _str("lang", 30),
    _str("calendartype", 30),
    _str("theme", 50),
    _int("timecreated"),
    _int("timemodified"),
    _int("requested"),
    _int("enablecompletion"),
    _int("completionnotify"),
    _int("cacherev"),
    _int("numsections"),
    _int("hiddensections", 1),
    _int("coursedisplay"),
    Index("mdl_course_category", "category", "sortkey"),
    Index("mdl_course_shortname", "shortname"),
    Index("mdl_course_idnumber", "idnumber"),
)

enrol = Table(
    "mdl_enrol",
    metadata,
    _id(),
    _str("enrol", 20),
    _int("status"),
    _int("courseid"),
    _int("sortorder"),
    _int("roleid"),
    _int("timecreated"),
    _int("timemodified"),
    Index("mdl_enrol_course", "courseid", "enrol"),
)

user_enrolments = Table(
    "mdl_user_enrolments",
    metadata,
    _serial(),
    _int("enrolid"),
    _int("userid"),
    _int("status"),
    _int("timestart"),
    _int("timeend"),
    _int("timecreated"),
    _int("timemodified"),
    UniqueConstraint("enrolid", "userid", name="mdl_userenro_enruse_uix"),
    Index("mdl_userenro_user", "userid"),
)

role = Table(
    "mdl_role",
    metadata,
    _id(),
    _str("name", 255),
    _str("shortname", 100),
    _str("archetype", 30),
    _int("sortorder"),
)

role_assignments = Table(
    "mdl_role_assignments",
    metadata,
    _serial(),
    _int("roleid"),
    _int("contextid"),
    _int("userid"),
    _str("component", 100),
    _int("itemid"),
    _int("timemodified"),
    Index("mdl_roleassi_context_user", "contextid", "userid"),
    Index("mdl_roleassi_user", "userid"),
    Index("mdl_roleassi_component", "component", "itemid"),
)

user = Table(
    "mdl_user",
    metadata,
    _id(),
    _str("auth", 20, "manual"),
    _int("confirmed", 1),
    _int("deleted"),
    _int("suspended"),
    _int("mnethostid", 1),
    _str("username", 100),
    _str("password", 255),
    _str("idnumber", 255),
    _str("firstname", 100),
    _str("lastname", 100),
    _str("email", 100),
    _str("email_lower", 100),
    _str("department", 255),
    _str("institution", 255),
    _str("city", 120),
    _str("country", 2),
    _str("lang", 30, "en"),
    _str("calendartype", 30, "gregorian"),
    _str("theme", 50),
    _str("timezone", 100, "99"),
    _int("firstaccess"),
    _int("lastaccess"),
    Column("description", Text, nullable=True),
    _int("descriptionformat", 1),
    _int("mailformat", 1),
    _int("maildisplay", 2),
    _str("address", 255),
    _str("phone1", 20),
    _str("phone2", 20),
    _str("middlename", 255),
    _str("alternatename", 255),
    _str("firstnamephonetic", 255),
    _str("lastnamephonetic", 255),
    _int("timecreated"),
    _int("timemodified"),
    UniqueConstraint("mnethostid", "username", name="mdl_user_mneuse_uix"),
    Index("mdl_user_idnumber", "idnumber"),
    Index("mdl_user_email_lower", "email_lower"),
)

groups = Table(
    "mdl_groups",
    metadata,
    _id(),
    _int("courseid"),
    _str("idnumber", 100),
    _str("name", 254),
    Column("description", Text, nullable=True),
    _int("descriptionformat", 1),
    Column("enrolmentkey", String(50), nullable=True),
    _int("timecreated"),
    _int("timemodified"),
    Index("mdl_groups_course_name", "courseid", "name"),
    Index("mdl_groups_course_idnumber", "courseid", "idnumber"),
)

groups_members = Table(
    "mdl_groups_members",
    metadata,
    _serial(),
    _int("groupid"),
    _int("userid"),
    _int("timeadded"),
    _str("component", 100),
    _int("itemid"),
    UniqueConstraint("userid", "groupid", name="mdl_groumemb_usegro_uix"),
    Index("mdl_groumemb_group", "groupid"),
)

groupings = Table(
    "mdl_groupings",
    metadata,
    _id(),
    _int("courseid"),
    _str("name", 255),
    _str("idnumber", 100),
    Column("description", Text, nullable=True),
    _int("descriptionformat", 1),
    _int("timecreated"),
    _int("timemodified"),
    Index("mdl_grou_course", "courseid"),
)

groupings_groups = Table(
    "mdl_groupings_groups",
    metadata,
    _serial(),
    _int("groupingid"),
    _int("groupid"),
    _int("timeadded"),
    UniqueConstraint("groupingid", "groupid", name="mdl_grougrou_gro_uix"),
)

cohort = Table(
    "mdl_cohort",
    metadata,
    _id(),
    _int("contextid"),
    _str("name", 254),
    Column("idnumber", String(100), nullable=True),
    Column("description", Text, nullable=True),
    _int("descriptionformat", 1),
    _int("visible", 1),
    _str("component", 100),
    Column("theme", String(50), nullable=True),
    _int("timecreated"),
    _int("timemodified"),
    Index("mdl_coho_idnumber", "idnumber"),
)

cohort_members = Table(
    "mdl_cohort_members",
    metadata,
    _serial(),
    _int("cohortid"),
    _int("userid"),
    _int("timeadded"),
    UniqueConstraint("cohortid", "userid", name="mdl_cohomemb_cohuse_uix"),
    Index("mdl_cohomemb_user", "userid"),
)

# Moodle's record of each person's last visit of each course (written on every course view;
# the simulator has no course pages: the admin endpoint /admin/course_access writes it).
user_lastaccess = Table(
    "mdl_user_lastaccess",
    metadata,
    _serial(),
    _int("userid"),
    _int("courseid"),
    _int("timeaccess"),
    UniqueConstraint("userid", "courseid", name="mdl_userlast_usecou_uix"),
    Index("mdl_userlast_cou", "courseid"),
)

CONTEXT_SYSTEM, CONTEXT_USER, CONTEXT_COURSECAT, CONTEXT_COURSE = 10, 30, 40, 50

# Column widths that Moodle's schema enforces: a longer value fails the insert.
LIMITS: dict[str, dict[str, int]] = {
    "course": {"fullname": 254, "shortname": 255, "idnumber": 100},
    "course_categories": {"name": 255, "idnumber": 100},
    "user": {
        "username": 100,
        "firstname": 100,
        "lastname": 100,
        "email": 100,
        "idnumber": 255,
        "department": 255,
        "institution": 255,
        "city": 120,
        "address": 255,
        "phone1": 20,
        "phone2": 20,
    },
    "groups": {"name": 254, "idnumber": 100},
    "groupings": {"name": 255, "idnumber": 100},
    "cohort": {"name": 254, "idnumber": 100},
}
