"""The groups step: which Apogée groups become Moodle groups, how they are named, and what
jonction does with members it did not put there and with groups that left Apogée."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ._base import Section
from .policy import _check_template

# What the name of a group made from an Apogée group may use.
GROUP_PLACEHOLDERS = frozenset(
    {
        "label",  # LIB_GPE, else COD_EXT_GPE when the group has no label
        "ext_code",  # COD_EXT_GPE
        "code",  # COD_GPE
        "kind",  # COD_TGR (TD, TP…), or empty
        "object",  # COD_ELP or COD_ETP-COD_VRS_VET the group is attached to
        "year",  # COD_ANU
        "next_year",
    }
)
# What the name of a per-étape group or grouping may use.
ETAPE_PLACEHOLDERS = frozenset({"code", "version", "label", "year", "next_year"})


class GroupsSection(Section):
    """Moodle groups from Apogée's groups (GROUPE, GPE_OBJ, IND_AFFECTE_GPE). A group attached to
    an element goes into that element's course; a group attached to an étape into the courses
    of that étape. jonction only ever changes the groups it created or recognises by their
    idnumber, and never deletes a group."""

    name: str = Field(
        "{label}",
        description="Name of a Moodle group made from an Apogée group. Placeholders: {label} "
        "(LIB_GPE, else COD_EXT_GPE), {ext_code} (COD_EXT_GPE), {code} (COD_GPE), {kind} "
        "(COD_TGR), {object} (the element or étape it is attached to), {year}, {next_year}. "
        "Names are made unique within a course by adding the étape or element, then "
        "COD_EXT_GPE, then COD_GPE in brackets.",
    )
    etape_groups: Literal["courses_with_members", "all_courses", "none"] = Field(
        "courses_with_members",
        description="A group attached to an étape goes into every course of that étape whose "
        "students it contains (courses_with_members), into every course of the étape "
        "(all_courses), or nowhere (none).",
    )
    skip_kinds: list[str] = Field(
        default_factory=list,
        description='COD_TGR of the Apogée groups left out of Moodle (e.g. ["CM"]).',
    )
    parent_etape_groups: bool = Field(
        True,
        description="In a course shared by several étapes, one group per étape holding that "
        "étape's students, so that a teacher can tell them apart.",
    )
    parent_etape_group_name: str = Field(
        "{label} ({code})",
        description="Name of a per-étape group: {code} (COD_ETP), {version} (COD_VRS_VET), "
        "{label} (LIB_WEB_VET or LIB_ETP), {year}, {next_year}.",
    )
    groupings: bool = Field(
        False,
        description="In each course, one grouping per étape holding the groups of that étape "
        "(its Apogée groups and its per-étape group). Groupings are created and filled, never "
        "renamed nor emptied.",
    )
    grouping_name: str = Field(
        "{label} ({code})",
        description="Name of a per-étape grouping: {code} (COD_ETP), {version} (COD_VRS_VET), "
        "{label}, {year}, {next_year}.",
    )
    hand_members: Literal["keep", "remove"] = Field(
        "keep",
        description="Members that someone added by hand to a group jonction manages: kept "
        "(keep), or removed and journaled (remove).",
    )
    vanished_groups: Literal["keep", "empty"] = Field(
        "keep",
        description="A group whose Apogée group is gone (or no longer reaches the course): kept "
        "as it is with its members (keep), or emptied of the members jonction put there (empty). "
        "It is never deleted: activities, submissions and grades may depend on it.",
    )
    verify_names: bool = Field(
        False,
        description="Read the groups of every course that holds jonction's groups at each run "
        "(one call a course) to put back names changed by hand in Moodle. Off: only the courses "
        "where groups are created or renamed are read.",
    )
    full_check_days: int = Field(
        7,
        ge=0,
        description="Days between two full checks, when the groups step reads the members of "
        "every group it manages back from Moodle: a member removed by hand is put back, a "
        "member added by hand is seen (hand_members), a group deleted by hand is created "
        "again, at the latest then. Other nights it reads only the groups whose members may "
        "have changed: where the plan changes members, and those holding students whose "
        "enrolment was removed since the last run. 0: a full check every night; `--full` "
        "forces one.",
    )
    listed_in_notices: int = Field(
        20,
        ge=0,
        description="How many items a summary notice lists (students without an account, "
        "members waiting for their enrolment…) before '…and N more'.",
    )

    @field_validator("name")
    @classmethod
    def _group_name(cls, template: str) -> str:
        return _check_template(template, GROUP_PLACEHOLDERS)

    @field_validator("parent_etape_group_name", "grouping_name")
    @classmethod
    def _etape_name(cls, template: str) -> str:
        return _check_template(template, ETAPE_PLACEHOLDERS)
