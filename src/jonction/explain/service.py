"""Explaining a person from the settings: open REFER and the state database, find, explain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from ..config import Settings
from .model import Explanation, Policy, explain, only_course
from .reading import (
    Person,
    find_people,
    instructors_without_account,
    latest_year,
    read_facts,
    visible_to,
)


@dataclass(frozen=True, slots=True)
class Answer:
    """Who matched the query (beyond the visible ones, only a count), and the explanation
    when exactly one person matched."""

    people: list[Person]
    hidden: int
    explanation: Explanation | None
    year: str | None
    # Nobody matched: what the last enrolments run said of ADE instructors matching the
    # query, who have no account (so no course), for the staff who may see everyone.
    without_account: tuple[str, ...] = ()


def answer(
    settings: Settings,
    refer_engine: Engine,
    state: Engine,
    query: str,
    composantes: Sequence[str] | None = None,
    year: str | None = None,
    course: str | None = None,
) -> Answer:
    """Who matches `query`; with one match, their explanation (only `course`, an element
    code or a course idnumber, when given)."""
    year = year or latest_year(refer_engine)
    if year is None:
        return Answer([], 0, None, None)
    found = find_people(refer_engine, state, year, query)
    people = [person for person in found if visible_to(person, composantes)]
    explanation = None
    if len(people) == 1:
        facts = read_facts(refer_engine, state, people[0], course)
        explanation = explain(facts, Policy.of(settings.policy))
        if course:
            explanation = only_course(explanation, course)
    without_account: tuple[str, ...] = ()
    if not found and composantes is None:
        without_account = instructors_without_account(state, query)
    return Answer(people, len(found) - len(people), explanation, year, without_account)
