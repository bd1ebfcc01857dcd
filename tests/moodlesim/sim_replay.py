"""Replays recorded exchanges with a real Moodle against the simulator and compares answers.

Ids that creations return are mapped from the recording to the simulator, both in later
requests and when comparing. A mismatch names the exchange (seq, label) and the path.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CREATED_KIND = {
    "core_course_create_categories": "category",
    "core_course_create_courses": "course",
    "core_user_create_users": "user",
    "core_group_create_groups": "group",
    "core_group_create_groupings": "grouping",
    "core_cohort_create_cohorts": "cohort",
}
# Kind of the `id` of the records a function returns.
RESULT_KIND = {
    "core_course_get_categories": "category",
    "core_course_get_courses": "course",
    "core_course_get_courses_by_field": "course",
    "core_course_search_courses": "course",
    "core_user_get_users_by_field": "user",
    "core_user_get_users": "user",
    "core_enrol_get_enrolled_users": "user",
    "core_group_get_course_groups": "group",
    "core_group_get_course_groupings": "grouping",
    "core_cohort_search_cohorts": "cohort",
    "core_cohort_get_cohorts": "cohort",
    **CREATED_KIND,
}
FIELD_KIND = {
    "courseid": "course",
    "categoryid": "category",
    "parent": "category",
    "newparent": "category",
    "userid": "user",
    "groupid": "group",
    "groupingid": "grouping",
    "cohortid": "cohort",
    "courseids": "course",
    "userids": "user",
    "groupids": "group",
    "cohortids": "cohort",
}
NESTED_KIND = {
    "contacts": "user",
    "enrolledcourses": "course",
    "groups": "group",
    "courses": "course",
    "users": "user",
    "cohorts": "cohort",
}
LIST_BASE_KIND = {
    "courses": "course",
    "categories": "category",
    "users": "user",
    "groups": "group",
    "cohorts": "cohort",
    "groupings": "grouping",
}
COMPARED_TEXT = {
    "name",
    "shortname",
    "fullname",
    "displayname",
    "idnumber",
    "username",
    "email",
    "summary",
    "description",
    "warningcode",
    "message",
    "categoryname",
    "item",
    "firstname",
    "lastname",
    "format",
    "enrollmentmethods",
    "sortorder",
    "categorysortorder",
    "coursecount",
    "depth",
    "path",
    "visible",
    "startdate",
    "suspended",
    "roleid",
    "enrolmentkey",
    "total",
}
# Functions whose order is not defined (no ORDER BY in Moodle): compared after sorting by id.
UNORDERED = {"core_course_get_courses"}


@dataclass
class Exchange:
    seq: int
    label: str
    note: str
    function: str
    params: list[tuple[str, str]]
    status: int
    content_type: str
    body: str

    @property
    def name(self) -> str:
        return f"seq {self.seq} ({self.label})"

    @property
    def debug(self) -> bool:
        return "debug" in self.label.lower()


def load(path: Path) -> list[Exchange]:
    exchanges = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        exchanges.append(
            Exchange(
                seq=raw["seq"],
                label=raw["label"],
                note=raw.get("note", ""),
                function=raw["wsfunction"],
                params=[(k, v) for k, v in raw["request"]["params"]],
                status=raw["response"]["http_status"],
                content_type=raw["response"]["content_type"],
                body=raw["response"]["body"],
            )
        )
    return exchanges


def _path(name: str) -> list[str]:
    return re.findall(r"[^\[\]]+", name)


@dataclass
class IdMap:
    maps: dict[str, dict[int, int]] = field(default_factory=dict)

    def sim(self, kind: str | None, recorded: Any) -> Any:
        if kind is None or not isinstance(recorded, int) or isinstance(recorded, bool):
            return recorded
        return self.maps.get(kind, {}).get(recorded, recorded)

    def learn(self, kind: str, recorded: int, simulated: int) -> None:
        self.maps.setdefault(kind, {})[recorded] = simulated

    def _value(self, kind: str | None, value: str) -> str:
        if kind is None:
            return value
        return ",".join(str(self.sim(kind, int(p))) if p.isdigit() else p for p in value.split(","))

    def translate(self, exchange: Exchange) -> list[tuple[str, str]]:
        fields = dict(exchange.params)
        out = []
        for name, value in exchange.params:
            out.append((name, self._value(_param_kind(exchange.function, name, fields), value)))
        return out


def _param_kind(function: str, name: str, fields: dict[str, str]) -> str | None:
    parts = _path(name)
    last = parts[-1]
    if parts[0] in FIELD_KIND and len(parts) <= 2:
        return FIELD_KIND[parts[0]]
    if last in FIELD_KIND:
        return FIELD_KIND[last]
    if last == "id" and parts[0] in LIST_BASE_KIND:
        return LIST_BASE_KIND[parts[0]]
    if parts[:2] == ["options", "ids"]:
        return "course"
    sibling = "[".join(parts[:-1])
    prefix = name[: name.rfind("[")]
    if function == "core_user_get_users_by_field" and parts[0] == "values":
        return "user" if fields.get("field") == "id" else None
    if function == "core_course_get_courses_by_field" and name == "value":
        return {"id": "course", "ids": "course", "category": "category"}.get(
            fields.get("field", "")
        )
    if last == "value" and parts[0] == "criteria":
        key = fields.get(f"{prefix}[key]")
        return "category" if key in ("id", "ids", "parent") else None
    if last == "value" and parts[-2] in ("cohorttype", "usertype", "categorytype"):
        kinds = {"cohorttype": "cohort", "usertype": "user", "categorytype": "category"}
        return kinds[parts[-2]] if fields.get(f"{prefix}[type]") == "id" else None
    if name == "context[instanceid]":
        return {"coursecat": "category", "course": "course"}.get(
            fields.get("context[contextlevel]", "")
        )
    if last == "value" and parts[0] == "options" and fields.get(f"{prefix}[name]") == "groupid":
        return "group"
    del sibling
    return None


class Mismatch(AssertionError):
    pass


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    return "object"


class Comparer:
    def __init__(self, exchange: Exchange, ids: IdMap) -> None:
        self.exchange = exchange
        self.ids = ids

    def fail(self, path: str, detail: str) -> None:
        raise Mismatch(
            f"{self.exchange.name}: {self.exchange.function} at {path or '<root>'}: {detail}"
        )

    def compare(self, expected: Any, actual: Any, path: str, kind: str | None, key: str) -> None:
        if _type(expected) != _type(actual):
            self.fail(
                path,
                f"type {_type(actual)} {actual!r:.80} "
                f"instead of {_type(expected)} {expected!r:.80}",
            )
        if isinstance(expected, dict):
            if list(expected) != list(actual):
                self.fail(path, f"keys {list(actual)} instead of {list(expected)}")
            site_record = (
                expected.get("format") == "site"
                or self.exchange.function == "core_webservice_get_site_info"
            )
            for sub, value in expected.items():
                sub_kind = NESTED_KIND.get(sub, kind)
                if site_record and sub not in ("id",):
                    self.compare_shape(value, actual[sub], f"{path}.{sub}")
                else:
                    self.compare(value, actual[sub], f"{path}.{sub}", sub_kind, sub)
            return
        if isinstance(expected, list):
            if len(expected) != len(actual):
                self.fail(path, f"{len(actual)} items instead of {len(expected)}")
            if path == "" and self.exchange.function in UNORDERED:
                expected = sorted(expected, key=lambda r: self.ids.sim(kind, r.get("id")))
                actual = sorted(actual, key=lambda r: r.get("id"))
            for index, (exp, act) in enumerate(zip(expected, actual, strict=True)):
                item_kind = FIELD_KIND.get(key, kind)
                self.compare(exp, act, f"{path}[{index}]", item_kind, key)
            return
        if key == "id" or key in FIELD_KIND or key == "itemid" or key == "userids":
            wanted = self.ids.sim(FIELD_KIND.get(key, kind), expected)
            if wanted != actual:
                self.fail(path, f"id {actual!r} instead of {wanted!r} (recorded {expected!r})")
        elif key in COMPARED_TEXT and expected != actual:
            self.fail(path, f"{actual!r} instead of {expected!r}")

    def compare_shape(self, expected: Any, actual: Any, path: str) -> None:
        if _type(expected) != _type(actual):
            self.fail(path, f"type {_type(actual)} instead of {_type(expected)}")
        if isinstance(expected, dict):
            if list(expected) != list(actual):
                self.fail(path, f"keys {list(actual)} instead of {list(expected)}")
            for sub in expected:
                self.compare_shape(expected[sub], actual[sub], f"{path}.{sub}")


def _xml_shape(element: ElementTree.Element) -> Any:
    if element.tag == "VALUE":
        return "null" if element.get("null") else "value"
    if element.tag == "MULTIPLE":
        return [_xml_shape(child) for child in element]
    if element.tag == "SINGLE":
        return {child.get("name"): [_xml_shape(v) for v in child] for child in element}
    return {element.tag: [_xml_shape(child) for child in element], **element.attrib}


def check(exchange: Exchange, ids: IdMap, status: int, content_type: str, body: str) -> None:
    """Compares the simulator's answer with the recorded one; learns ids from creations."""
    comparer = Comparer(exchange, ids)
    if status != exchange.status:
        comparer.fail("", f"HTTP {status} instead of {exchange.status}")
    if content_type.split(";")[0] != exchange.content_type.split(";")[0]:
        comparer.fail("", f"content type {content_type} instead of {exchange.content_type}")
    if "xml" in exchange.content_type:
        expected_xml = _xml_shape(ElementTree.fromstring(exchange.body))
        actual_xml = _xml_shape(ElementTree.fromstring(body))
        if expected_xml != actual_xml:
            comparer.fail("", "XML structure differs")
        return
    expected = json.loads(exchange.body)
    actual = json.loads(body)
    if isinstance(expected, dict) and "exception" in expected:
        if not isinstance(actual, dict) or "exception" not in actual:
            comparer.fail("", f"a result instead of the exception {expected}: {body:.300}")
        for key in ("exception", "errorcode", "message", "debuginfo"):
            if expected.get(key) != actual.get(key):
                comparer.fail(key, f"{actual.get(key)!r} instead of {expected.get(key)!r}")
        if list(expected) != list(actual):
            comparer.fail("", f"keys {list(actual)} instead of {list(expected)}")
        return
    comparer.compare(expected, actual, "", RESULT_KIND.get(exchange.function), "")
    kind = CREATED_KIND.get(exchange.function)
    if kind:
        for recorded, simulated in zip(expected, actual, strict=True):
            ids.learn(kind, recorded["id"], simulated["id"])
