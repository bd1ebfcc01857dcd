"""File mode: ADE's answers saved to a folder (the demo, the tests, a site without web API
access). getResources*.xml (flat, detail 11), getEvents*.xml (detail 8) and, for sites whose
course code is on the activity, getActivities*.xml (detail 9)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .model import AdeError, Timetable
from .parse import parse_activities, parse_events, parse_resources


def _files(folder: Path, prefix: str) -> list[Path]:
    return sorted(folder.glob(f"{prefix}*.xml"))


def read_saved(folder: Path, first_day: date, last_day: date, *, activities: bool) -> Timetable:
    if not folder.is_dir():
        raise AdeError(f"[ade] path {folder} is not a folder of saved ADE answers")
    resource_files = _files(folder, "getResources")
    event_files = _files(folder, "getEvents")
    if not resource_files or not event_files:
        raise AdeError(
            f"[ade] path {folder} needs getResources*.xml and getEvents*.xml "
            f"(found {len(resource_files)} and {len(event_files)})"
        )
    timetable = Timetable(first_day, last_day, origin=str(folder))
    for file in resource_files:
        for resource in parse_resources(file.read_bytes(), str(file)):
            timetable.resources[resource.id] = resource
    for file in event_files:
        timetable.events.extend(parse_events(file.read_bytes(), str(file)))
    if activities:
        activity_files = _files(folder, "getActivities")
        if not activity_files:
            raise AdeError(
                f"[ade] a course key reads activity.code but {folder} has no getActivities*.xml"
            )
        for file in activity_files:
            for activity in parse_activities(file.read_bytes(), str(file)):
                timetable.activities[activity.id] = activity
    return timetable
