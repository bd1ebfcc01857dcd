"""Reads the timetable of a window of days, from ADE's web API or from saved answers."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx

from ...config.directory import AdeSection
from .client import AdeClient
from .files import read_saved
from .model import AdeError, Timetable
from .rules import rules_from
from .timetable import INSTRUCTOR, TimetableRules


async def read_timetable(
    section: AdeSection,
    rules: TimetableRules,
    first_day: date,
    last_day: date,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Timetable:
    if section.path is not None:
        return read_saved(section.path, first_day, last_day, activities=rules.needs_activities)
    if not section.url:
        raise AdeError("[ade] has neither url nor path")
    timetable = Timetable(first_day, last_day, origin=section.url)
    categories = dict.fromkeys(
        (INSTRUCTOR, *rules.course_categories, section.event_filter_category)
    )
    async with AdeClient(section, transport=transport) as ade:
        for category in categories:
            for resource in await ade.resources(category):
                timetable.resources[resource.id] = resource
        # Leaves only: a folder would bring back the events of everything under it again.
        filters = sorted(
            (
                r.id
                for r in timetable.resources.values()
                if r.category == section.event_filter_category and not r.is_group
            ),
            key=lambda identifier: (len(identifier), identifier),
        )
        timetable.events = await ade.events(filters, first_day, last_day)
        if rules.needs_activities:
            for activity in await ade.activities(filters):
                timetable.activities[activity.id] = activity
    return timetable


def read_timetable_now(section: AdeSection, first_day: date, last_day: date) -> Timetable:
    """`read_timetable` with the section's rules, blocking: for a thread or another process."""
    return asyncio.run(read_timetable(section, rules_from(section), first_day, last_day))
