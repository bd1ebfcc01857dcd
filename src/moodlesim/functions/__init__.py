"""The web service functions of the simulated Moodle, by name.

Each takes the call context and its validated parameters and returns the raw result, which the
REST layer cleans against the function's return description. A function that raises leaves
nothing written: every call runs in one database transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..call import Call
from . import (
    categories,
    cohorts,
    course_reads,
    courses,
    enrol,
    enrolled_users,
    groups,
    roles,
    site,
    users,
)

Handler = Callable[[Call, dict[str, Any]], Any]

HANDLERS: dict[str, Handler] = {
    "core_webservice_get_site_info": site.get_site_info,
    "core_course_get_categories": categories.get_categories,
    "core_course_create_categories": categories.create_categories,
    "core_course_update_categories": categories.update_categories,
    "core_course_delete_categories": categories.delete_categories,
    "core_course_get_courses": course_reads.get_courses,
    "core_course_get_courses_by_field": course_reads.get_courses_by_field,
    "core_course_create_courses": courses.create_courses,
    "core_course_update_courses": courses.update_courses,
    "core_course_delete_courses": courses.delete_courses,
    "core_course_search_courses": course_reads.search_courses,
    "core_user_get_users": users.get_users,
    "core_user_get_users_by_field": users.get_users_by_field,
    "core_user_create_users": users.create_users,
    "core_user_update_users": users.update_users,
    "core_user_delete_users": users.delete_users,
    "enrol_manual_enrol_users": enrol.enrol_users,
    "enrol_manual_unenrol_users": enrol.unenrol_users,
    "core_enrol_get_enrolled_users": enrolled_users.get_enrolled_users,
    "core_enrol_get_course_enrolment_methods": enrolled_users.get_course_enrolment_methods,
    "core_enrol_get_users_courses": enrolled_users.get_users_courses,
    "core_group_get_course_groups": groups.get_course_groups,
    "core_group_create_groups": groups.create_groups,
    "core_group_update_groups": groups.update_groups,
    "core_group_delete_groups": groups.delete_groups,
    "core_group_add_group_members": groups.add_group_members,
    "core_group_delete_group_members": groups.delete_group_members,
    "core_group_get_group_members": groups.get_group_members,
    "core_group_get_course_groupings": groups.get_course_groupings,
    "core_group_create_groupings": groups.create_groupings,
    "core_group_assign_grouping": groups.assign_grouping,
    "core_cohort_create_cohorts": cohorts.create_cohorts,
    "core_cohort_update_cohorts": cohorts.update_cohorts,
    "core_cohort_delete_cohorts": cohorts.delete_cohorts,
    "core_cohort_search_cohorts": cohorts.search_cohorts,
    "core_cohort_get_cohorts": cohorts.get_cohorts,
    "core_cohort_add_cohort_members": cohorts.add_cohort_members,
    "core_cohort_delete_cohort_members": cohorts.delete_cohort_members,
    "core_cohort_get_cohort_members": cohorts.get_cohort_members,
    "core_role_assign_roles": roles.assign_roles,
    "core_role_unassign_roles": roles.unassign_roles,
}
