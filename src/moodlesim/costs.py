"""What a call costs on the real Moodle 4.1 that was measured (shared/moodle/README.md).

Every call costs a fixed latency plus a per-item cost that depends on the function. Figures
marked "measured" come from the recorded site; the others are estimates from the recorded
exchanges' durations. Creating a course costs more as its category fills up, because Moodle
renumbers the category's sort order after every creation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# milliseconds per item (written item for writes, returned record for reads)
PER_ITEM_MS: Mapping[str, float] = MappingProxyType(
    {
        "core_webservice_get_site_info": 0.0,
        "core_course_get_categories": 0.15,  # measured: 61 categories in 0.03 s
        "core_course_create_categories": 9.0,
        "core_course_update_categories": 9.0,
        "core_course_delete_categories": 20.0,
        "core_course_get_courses": 3.3,  # measured: 1,201 courses in 3.9 s
        "core_course_get_courses_by_field": 3.0,  # measured: 200 courses by id in 0.63 s
        "core_course_create_courses": 20.0,  # measured, plus the category-size growth
        "core_course_update_courses": 15.0,
        "core_course_delete_courses": 80.0,
        "core_course_search_courses": 3.0,
        "core_user_get_users": 5.0,
        "core_user_get_users_by_field": 5.0,
        "core_user_create_users": 2.8,  # measured, auth cas without password
        "core_user_update_users": 10.0,
        "core_user_delete_users": 40.0,
        "enrol_manual_enrol_users": 5.1,  # measured
        "enrol_manual_unenrol_users": 5.1,
        "core_enrol_get_enrolled_users": 5.0,
        "core_enrol_get_course_enrolment_methods": 0.0,
        "core_enrol_get_users_courses": 3.0,
        "core_group_get_course_groups": 0.5,  # measured: one course in 25 ms
        "core_group_create_groups": 3.0,  # measured
        "core_group_update_groups": 3.0,
        "core_group_delete_groups": 5.0,
        "core_group_add_group_members": 5.4,  # measured
        "core_group_delete_group_members": 5.4,
        "core_group_get_group_members": 0.05,
        "core_group_get_course_groupings": 0.5,
        "core_group_create_groupings": 3.0,
        "core_group_assign_grouping": 3.0,
        "core_cohort_create_cohorts": 5.0,
        "core_cohort_update_cohorts": 5.0,
        "core_cohort_delete_cohorts": 10.0,
        "core_cohort_search_cohorts": 0.2,
        "core_cohort_get_cohorts": 0.2,
        "core_cohort_add_cohort_members": 3.2,  # measured: 2,000 in 10 calls, 6.3 s
        "core_cohort_delete_cohort_members": 3.2,
        "core_cohort_get_cohort_members": 0.05,
        "core_role_assign_roles": 5.0,
        "core_role_unassign_roles": 5.0,
    }
)


@dataclass(frozen=True)
class CostModel:
    """Simulated server time; every figure is multiplied by `scale`."""

    latency_ms: float = 20.0
    per_item_ms: Mapping[str, float] = field(default_factory=lambda: PER_ITEM_MS)
    # When set, replaces every per-item figure (password hashing included).
    per_item_override_ms: float | None = None
    password_hash_ms: float = 57.0  # measured: auth manual with a password
    # Extra ms for a course created in a category already holding n courses:
    # linear * n + quadratic * n^2 (about 20 ms at n=20, 750 ms at n=1,000: measured).
    category_linear_ms: float = 0.2
    category_quadratic_ms: float = 0.0005
    # enrol_database sync: a fixed part, reading the table, then each change.
    sync_base_ms: float = 156.0
    sync_row_ms: float = 0.037
    sync_enrol_ms: float = 5.3  # measured: first sync, 2,000 and 20,000 rows
    sync_change_ms: float = 2.0  # measured: 200 rows removed, 100 removed + 100 added
    scale: float = 1.0

    def per_item(self, function: str) -> float:
        if self.per_item_override_ms is not None:
            return self.per_item_override_ms
        return self.per_item_ms.get(function, 0.0)

    def password_hash(self) -> float:
        if self.per_item_override_ms is not None:
            return self.per_item_override_ms
        return self.password_hash_ms

    def course_in_category(self, courses_already_there: int) -> float:
        n = courses_already_there
        return self.category_linear_ms * n + self.category_quadratic_ms * n * n

    def sync(self, rows: int, enrolled: int, other_changes: int) -> float:
        return self.scale * (
            self.sync_base_ms
            + self.sync_row_ms * rows
            + self.sync_enrol_ms * enrolled
            + self.sync_change_ms * other_changes
        )


@dataclass
class CostMeter:
    """The simulated cost of one call, accumulated while the call is processed."""

    model: CostModel
    function: str
    items: int = 0
    extra_ms: float = 0.0

    def charge(self, items: int = 1) -> None:
        """Counts processed items at the function's per-item rate."""
        self.items += items

    def charge_ms(self, ms: float) -> None:
        self.extra_ms += ms

    def total_ms(self) -> float:
        model = self.model
        raw = model.latency_ms + model.per_item(self.function) * self.items + self.extra_ms
        return raw * model.scale
