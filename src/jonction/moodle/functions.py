"""The web service functions jonction calls, and how each one behaves.

`style` says what Moodle does with a batch holding a bad item (measured on Moodle 4.1):

- atomic: the whole call is one transaction; one bad item and nothing is applied, with one
  exception for the batch. The client splits the batch in halves until the bad items are
  alone, reports them with Moodle's message and applies the rest.
- warnings: good items are applied and bad ones come back in `warnings` with their `itemid`.
- anonymous-warnings: like warnings, but a warning does not say which item it concerns
  (core_cohort_add_cohort_members); the client reads the members back to tell.
- read: a read.

`after_fault` says what the client does when a write gets no answer (timeout, dropped
connection, 5xx): it may or may not have been applied.

- retry: repeating the call leaves Moodle as one call would (updates set values; adds of
  group members are silent no-ops when repeated; re-enrolling with the same values rewrites
  the same enrolment; deletes of what is gone are silent).
- readback: creating twice would duplicate or fail, so the client first looks the items up
  by their key (given in `key`) and sends again only those not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Style = Literal["atomic", "warnings", "anonymous-warnings", "read"]
AfterFault = Literal["retry", "readback"]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    style: Style
    batch_size: int
    after_fault: AfterFault = "retry"
    key: str = ""

    @property
    def is_write(self) -> bool:
        return self.style != "read"


# Batch sizes: a call costs ~22 ms plus a per-item cost (README of the measurements); past a
# few dozen items the fixed part is amortised, and bigger batches only make bisection and
# long transactions costlier. The max_input_vars bound applies on top of these.
SPECS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        FunctionSpec("core_webservice_get_site_info", "read", 1),
        FunctionSpec("core_course_get_categories", "read", 1),
        FunctionSpec("core_course_get_courses", "read", 500),
        FunctionSpec("core_course_get_courses_by_field", "read", 1),
        FunctionSpec("core_user_get_users_by_field", "read", 2000),
        FunctionSpec("core_enrol_get_enrolled_users", "read", 1),
        FunctionSpec("core_enrol_get_users_courses", "read", 1),
        FunctionSpec("core_group_get_course_groups", "read", 1),
        FunctionSpec("core_group_get_group_members", "read", 500),
        FunctionSpec("core_group_get_course_groupings", "read", 1),
        FunctionSpec("core_cohort_get_cohorts", "read", 500),
        FunctionSpec("core_cohort_get_cohort_members", "read", 100),
        FunctionSpec("core_course_create_categories", "atomic", 50, "readback", "idnumber"),
        FunctionSpec("core_course_update_categories", "atomic", 50),
        FunctionSpec("core_course_create_courses", "atomic", 50, "readback", "shortname"),
        FunctionSpec("core_course_update_courses", "warnings", 100),
        # Deleting a course purges its content: slow, so small batches.
        FunctionSpec("core_course_delete_courses", "warnings", 10),
        FunctionSpec("core_user_create_users", "atomic", 200, "readback", "username"),
        FunctionSpec("core_user_update_users", "warnings", 200),
        FunctionSpec("enrol_manual_enrol_users", "atomic", 200),
        FunctionSpec("enrol_manual_unenrol_users", "atomic", 200),
        FunctionSpec("core_group_create_groups", "atomic", 100, "readback", "course + name"),
        FunctionSpec("core_group_update_groups", "atomic", 100),
        FunctionSpec("core_group_delete_groups", "atomic", 200),
        FunctionSpec("core_group_add_group_members", "atomic", 200),
        FunctionSpec("core_group_delete_group_members", "atomic", 200),
        FunctionSpec("core_group_create_groupings", "atomic", 50, "readback", "course + idnumber"),
        # Assigning a group already in the grouping is a silent no-op.
        FunctionSpec("core_group_assign_grouping", "atomic", 50),
        FunctionSpec("core_cohort_create_cohorts", "atomic", 50, "readback", "idnumber"),
        FunctionSpec("core_cohort_update_cohorts", "atomic", 50),
        FunctionSpec("core_cohort_add_cohort_members", "anonymous-warnings", 200),
        FunctionSpec("core_cohort_delete_cohort_members", "atomic", 200),
    )
}

# Functions needed only when a setting asks for them: deleting unused archived courses
# ([obsolescence] delete = "unused"), groupings ([groups] groupings = true); and one whose
# absence is worked around (the groups step reads whole courses without
# core_enrol_get_users_courses).
OPTIONAL_FUNCTIONS: frozenset[str] = frozenset(
    {
        "core_course_delete_courses",
        "core_enrol_get_users_courses",
        "core_group_get_course_groupings",
        "core_group_create_groupings",
        "core_group_assign_grouping",
    }
)

# What the external service given to jonction must contain (checked at start).
REQUIRED_FUNCTIONS: tuple[str, ...] = tuple(sorted(set(SPECS) - OPTIONAL_FUNCTIONS))

DEFAULT_BATCH_SIZES: dict[str, int] = {name: spec.batch_size for name, spec in SPECS.items()}


def unknown_functions(names: list[str]) -> list[str]:
    """The names that are not functions jonction calls (to reject configuration typos)."""
    return sorted(name for name in names if name not in SPECS)
