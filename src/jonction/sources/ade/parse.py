"""Parsers of ADE's XML answers, from bytes (ADE speaks UTF-8; decoding text as Latin-1 is
what fills other clients' captures with mojibake).

Dates are parsed with explicit formats, never guessed: an event's `date` is day first
(DD/MM/YYYY), `lastUpdate` is month first (MM/DD/YYYY HH:MM) and may be empty. Attributes
are read by name with defaults, because their set varies with ADE's version and detail.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime

from .model import Activity, AdeFormatError, Event, Participant, Resource

EVENT_DATE = "%d/%m/%Y"
STAMP = "%m/%d/%Y %H:%M"
REQUEST_DATE = "%m/%d/%Y"
_HOUR = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")

# Element names of resources in the three shapes of getResources (flat, by category, tree).
_RESOURCE_TAGS = frozenset(
    {"resource", "instructor", "room", "classroom", "trainee", "equipment"}
    | {f"category{n}" for n in range(5, 9)}
)


# The category of a filtered answer's elements, when they do not carry it.
_TAG_CATEGORY = {"room": "classroom"}


class AdeErrorAnswer(AdeFormatError):
    """ADE answered with an `error` root (HTTP 200): a Java exception name and a trace."""

    def __init__(self, what: str, name: str, trace: str) -> None:
        self.name = name
        self.trace = trace
        detail = trace or name or "no detail"
        super().__init__(f"{what}: ADE answered an error: {detail}")


def read_xml(body: bytes, what: str) -> ET.Element:
    """The root of an answer; an empty body, non-XML or an `error` root raise."""
    if not body.strip():
        raise AdeFormatError(f"{what}: empty answer")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise AdeFormatError(f"{what}: not XML ({exc})") from None
    if root.tag == "error":
        raise AdeErrorAnswer(what, root.get("name", ""), root.get("trace", ""))
    return root


def expect_root(root: ET.Element, tags: set[str], what: str) -> ET.Element:
    if root.tag not in tags:
        wanted = " or ".join(sorted(tags))
        raise AdeFormatError(f"{what}: expected a <{wanted}> answer, got <{root.tag}>")
    return root


def format_request_date(day: date) -> str:
    """Dates sent to ADE are month first: 09/07/2026 is 7 September 2026."""
    return day.strftime(REQUEST_DATE)


def parse_event_date(value: str, what: str) -> date:
    try:
        return datetime.strptime(value.strip(), EVENT_DATE).date()
    except ValueError:
        raise AdeFormatError(f"{what}: date {value!r} is not DD/MM/YYYY") from None


def parse_stamp(value: str, what: str) -> datetime | None:
    """`lastUpdate` / `creation`: MM/DD/YYYY HH:MM, or empty (seen with ADE 2025.1)."""
    if not value.strip():
        return None
    try:
        return datetime.strptime(value.strip(), STAMP)
    except ValueError:
        raise AdeFormatError(f"{what}: {value!r} is not MM/DD/YYYY HH:MM") from None


def _hour(value: str, what: str) -> str:
    if not _HOUR.match(value.strip()):
        raise AdeFormatError(f"{what}: hour {value!r} is not HH:MM")
    hours, minutes = value.strip().split(":")
    return f"{int(hours):02d}:{minutes}"


def _required(element: ET.Element, name: str, what: str) -> str:
    value = element.get(name)
    if value is None or not value.strip():
        raise AdeFormatError(f"{what}: attribute {name} is missing")
    return value.strip()


# Sessions and projects ----------------------------------------------------------------------


def parse_session(body: bytes) -> str:
    """The session id of a `connect` answer: <session id="…"/>."""
    root = expect_root(read_xml(body, "connect"), {"session"}, "connect")
    return _required(root, "id", "connect")


def check_project(body: bytes, project_id: int) -> None:
    """`setProject` echoes projectId and sessionId on a root whose name no source shows."""
    root = read_xml(body, "setProject")
    echoed = root.get("projectId")
    if echoed is None or echoed.strip() != str(project_id):
        raise AdeFormatError(
            f"setProject: the answer does not confirm project {project_id} (got <{root.tag}>)"
        )


def check_disconnected(body: bytes) -> None:
    expect_root(read_xml(body, "disconnect"), {"disconnected"}, "disconnect")


# Resources ----------------------------------------------------------------------------------


def _resource(element: ET.Element, category: str, father: str, group: bool | None) -> Resource:
    what = f"resource {element.get('id', '?')}"
    is_group = element.get("isGroup", "").strip().lower() == "true" if group is None else group
    return Resource(
        id=_required(element, "id", what),
        name=element.get("name", ""),
        category=element.get("category", "").strip() or category,
        is_group=is_group,
        code=element.get("code", "").strip(),
        email=element.get("email", "").strip(),
        father_id=element.get("fatherId", "").strip() or father,
        path=element.get("path", ""),
    )


def _walk_resources(node: ET.Element, category: str, father: str) -> Iterator[Resource]:
    for child in node:
        if child.tag in _RESOURCE_TAGS:
            # A flat list: `category` names the tag of filtered answers (<instructor>…).
            yield _resource(
                child, category or _TAG_CATEGORY.get(child.tag, child.tag), father, None
            )
        elif child.tag == "category":
            yield from _walk_resources(child, child.get("category", category), father)
        elif child.tag == "branch":
            branch = _resource(child, category, father, True)
            yield branch
            yield from _walk_resources(child, category, branch.id)
        elif child.tag == "leaf":
            yield _resource(child, category, father, False)
        # Anything else (rights, members, constraints…) is not a resource of this list.


def parse_resources(body: bytes, what: str = "getResources", category: str = "") -> list[Resource]:
    """Resources of any of the three shapes (flat, by category, tree), in document order."""
    root = read_xml(body, what)
    if root.tag in _RESOURCE_TAGS:  # one resource asked by id
        return [_resource(root, category, "", None)]
    found = list(_walk_resources(root, category, ""))
    if not found and len(root):
        raise AdeFormatError(f"{what}: <{root.tag}> holds no resource")
    return found


# Events -------------------------------------------------------------------------------------


def _participants(event: ET.Element) -> tuple[Participant, ...]:
    found: list[Participant] = []
    # getEvents: resources/resource; events inside getActivities: eventParticipants/…
    for holder in ("resources", "eventParticipants"):
        for container in event.findall(holder):
            for item in container:
                identifier = item.get("id", "").strip()
                if identifier:
                    found.append(
                        Participant(
                            identifier, item.get("category", "").strip(), item.get("name", "")
                        )
                    )
    return tuple(found)


def _event(element: ET.Element, what: str) -> Event:
    where = f"{what}: event {element.get('id', '?')}"
    return Event(
        id=_required(element, "id", where),
        activity_id=_required(element, "activityId", where),
        name=element.get("name", ""),
        day=parse_event_date(_required(element, "date", where), where),
        start=_hour(_required(element, "startHour", where), where),
        end=_hour(_required(element, "endHour", where), where),
        repetition=element.get("repetition", "").strip(),
        last_update=parse_stamp(element.get("lastUpdate", ""), where),
        participants=_participants(element),
    )


def parse_events(body: bytes, what: str = "getEvents") -> list[Event]:
    """Every `event` element of the answer, wherever it is (root <events>, one <event>…)."""
    root = read_xml(body, what)
    elements = [root] if root.tag == "event" else list(root.iter("event"))
    if not elements and root.tag not in {"events", "activities", "treeActivities"}:
        raise AdeFormatError(f"{what}: expected <events>, got <{root.tag}>")
    return [_event(element, what) for element in elements]


# Activities ---------------------------------------------------------------------------------


def parse_activities(body: bytes, what: str = "getActivities") -> list[Activity]:
    root = read_xml(body, what)
    elements = [root] if root.tag == "activity" else list(root.iter("activity"))
    if not elements and root.tag not in {"activities", "treeActivities"}:
        raise AdeFormatError(f"{what}: expected <activities>, got <{root.tag}>")
    return [
        Activity(
            id=_required(element, "id", f"{what}: activity"),
            name=element.get("name", ""),
            code=element.get("code", "").strip(),
            type=element.get("type", "").strip(),
        )
        for element in elements
    ]
