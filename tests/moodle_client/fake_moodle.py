"""A small in-memory Moodle for the client's unit tests, behind httpx.MockTransport.

It answers the way the recordings of a real Moodle 4.1 show (atomic creates, warnings on
updates, `null` bodies, invalidrecord on unknown group or cohort ids) for the few functions
the tests use, and lets a test script faults per call. It decodes requests with the tests'
own PHP-style decoder, never with the client's code.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .php_form import as_lists, php_decode_fields, php_fields

TOKEN = "feedfacecafebeef0000000000000000"

Fault = str  # "503", "timeout", "applied-timeout", "reset", "html"


class _MoodleError(Exception):
    def __init__(self, exception: str, errorcode: str | None, message: str) -> None:
        super().__init__(message)
        self.body: dict[str, Any] = {"exception": exception, "message": message}
        if errorcode is not None:
            self.body["errorcode"] = errorcode


def _invalid() -> _MoodleError:
    return _MoodleError(
        "invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected"
    )


@dataclass
class Call:
    function: str
    fields: int
    params: dict[str, Any]


@dataclass
class FakeMoodle:
    functions: set[str] | None = None  # None: every function is in the service
    max_input_vars: int = 5000
    delay_s: float = 0.0
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0
    courses: dict[int, dict[str, Any]] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    categories: dict[int, dict[str, Any]] = field(default_factory=dict)
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    group_members: dict[int, set[int]] = field(default_factory=dict)
    cohorts: dict[int, dict[str, Any]] = field(default_factory=dict)
    cohort_members: dict[int, set[int]] = field(default_factory=dict)
    enrolments: set[tuple[int, int, int]] = field(default_factory=set)
    next_id: int = 100

    def __post_init__(self) -> None:
        self.courses[1] = {"id": 1, "shortname": "site", "fullname": "Site", "categoryid": 0}
        self.categories[1] = {"id": 1, "name": "Category 1", "idnumber": None, "parent": 0}

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def calls_to(self, function: str) -> list[Call]:
        return [call for call in self.calls if call.function == function]

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            return self._handle(request)
        finally:
            self.in_flight -= 1

    def _handle(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        self.bodies.append(body)
        self.urls.append(str(request.url))
        kept = php_fields(body)[: self.max_input_vars]  # PHP drops the excess silently
        params = as_lists(php_decode_fields(kept))
        function = str(params.pop("wsfunction", ""))
        token = params.pop("wstoken", None)
        params.pop("moodlewsrestformat", None)
        self.calls.append(Call(function, len(php_fields(body)), params))
        fault = self.faults.get(function, [])
        fault_now = fault.pop(0) if fault else None
        if fault_now == "503":
            return httpx.Response(503, text="Service Unavailable")
        if fault_now == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if fault_now == "reset":
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        if fault_now == "html":
            return httpx.Response(200, text="<html>Fatal error</html>")
        if token != TOKEN:
            answer: Any = {
                "exception": "moodle_exception",
                "errorcode": "invalidtoken",
                "message": "Invalid token - token not found",
            }
        elif self.functions is not None and function not in self.functions:
            answer = {
                "exception": "webservice_access_exception",
                "errorcode": "accessexception",
                "message": "Access control exception",
            }
        else:
            handler: Callable[[dict[str, Any]], Any] | None = getattr(self, "f_" + function, None)
            if handler is None:
                answer = {
                    "exception": "dml_missing_record_exception",
                    "errorcode": "invalidrecord",
                    "message": "Can't find data record in database table external_functions.",
                }
            else:
                try:
                    answer = handler(params)
                except _MoodleError as error:
                    answer = error.body
        if fault_now == "applied-timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(
            200, content=json.dumps(answer), headers={"content-type": "application/json"}
        )

    # --- functions -------------------------------------------------------------------------

    def f_core_webservice_get_site_info(self, params: dict[str, Any]) -> Any:
        names = sorted(self.functions) if self.functions is not None else []
        return {
            "sitename": "Fake",
            "username": "wsuser",
            "userid": 3,
            "siteurl": "http://fake",
            "release": "4.1.10",
            "version": "2022112810",
            "functions": [{"name": n, "version": "2022112810"} for n in names],
        }

    def f_core_course_get_categories(self, params: dict[str, Any]) -> Any:
        return list(self.categories.values())

    def f_core_course_create_categories(self, params: dict[str, Any]) -> Any:
        created = []
        taken = {c["idnumber"] for c in self.categories.values() if c.get("idnumber")}
        for item in params["categories"]:
            if item.get("idnumber") and item["idnumber"] in taken:
                raise _MoodleError(
                    "moodle_exception",
                    "categoryidnumbertaken",
                    "ID number is already used for another category",
                )
            taken.add(item.get("idnumber"))
            created.append(item)
        out = []
        for item in created:
            new_id = self._id()
            self.categories[new_id] = {
                "id": new_id,
                "name": item["name"].replace("&", "&amp;"),
                "idnumber": item.get("idnumber"),
                "parent": int(item.get("parent", 0)),
                "coursecount": 0,
            }
            out.append({"id": new_id, "name": item["name"].replace("&", "&amp;")})
        return out

    def f_core_course_create_courses(self, params: dict[str, Any]) -> Any:
        shortnames = {c["shortname"] for c in self.courses.values()}
        batch = []
        for item in params["courses"]:
            if item["shortname"] in shortnames:
                raise _MoodleError(
                    "moodle_exception",
                    "shortnametaken",
                    f"Short name is already used for another course ({item['shortname']})",
                )
            if "categoryid" not in item or int(item["categoryid"]) not in self.categories:
                raise _invalid()
            shortnames.add(item["shortname"])
            batch.append(item)
        out = []
        for item in batch:
            new_id = self._id()
            self.courses[new_id] = {
                "id": new_id,
                "shortname": item["shortname"],
                "fullname": item["fullname"],
                "idnumber": item.get("idnumber", ""),
                "categoryid": int(item["categoryid"]),
            }
            out.append({"id": new_id, "shortname": item["shortname"]})
        return out

    def _escaped(self, course: dict[str, Any]) -> dict[str, Any]:
        return {
            **course,
            "shortname": course["shortname"].replace("&", "&amp;"),
            "fullname": course["fullname"].replace("&", "&amp;"),
        }

    def f_core_course_get_courses(self, params: dict[str, Any]) -> Any:
        ids = params.get("options", {}).get("ids")
        chosen = [c for i, c in self.courses.items() if ids is None or str(i) in ids]
        return [self._escaped(c) for c in reversed(chosen)]

    def f_core_course_get_courses_by_field(self, params: dict[str, Any]) -> Any:
        field_name, value = params["field"], params["value"]
        key = {"category": "categoryid"}.get(field_name, field_name)
        found = [
            self._escaped(c) for i, c in self.courses.items() if i != 1 and str(c.get(key)) == value
        ]
        return {"courses": found, "warnings": []}

    def f_core_course_update_courses(self, params: dict[str, Any]) -> Any:
        warnings = []
        for item in params["courses"]:
            course_id = int(item["id"])
            if course_id not in self.courses:
                warnings.append(
                    {
                        "item": "course",
                        "itemid": course_id,
                        "warningcode": "invalidrecord",
                        "message": "Can't find data record in database table course.",
                    }
                )
                continue
            self.courses[course_id].update({k: v for k, v in item.items() if k != "id"})
        return {"warnings": warnings}

    def f_core_user_create_users(self, params: dict[str, Any]) -> Any:
        taken = {u["username"] for u in self.users.values()}
        for item in params["users"]:
            if item["username"] in taken or item["username"] != item["username"].lower():
                raise _invalid()
            taken.add(item["username"])
        out = []
        for item in params["users"]:
            new_id = self._id()
            self.users[new_id] = {"id": new_id, **item}
            out.append({"id": new_id, "username": item["username"]})
        return out

    def f_core_user_get_users_by_field(self, params: dict[str, Any]) -> Any:
        values = set(params.get("values", []))
        key = params["field"]
        return [u for u in self.users.values() if str(u.get(key)) in values]

    def f_enrol_manual_enrol_users(self, params: dict[str, Any]) -> Any:
        for item in params["enrolments"]:
            if int(item["userid"]) not in self.users or int(item["courseid"]) not in self.courses:
                raise _invalid()
        for item in params["enrolments"]:
            self.enrolments.add((int(item["courseid"]), int(item["userid"]), int(item["roleid"])))
        return None

    def f_core_group_get_course_groups(self, params: dict[str, Any]) -> Any:
        course = int(params["courseid"])
        return [g for g in self.groups.values() if g["courseid"] == course]

    def f_core_group_create_groups(self, params: dict[str, Any]) -> Any:
        out = []
        for item in params["groups"]:
            new_id = self._id()
            group = {
                "id": new_id,
                "courseid": int(item["courseid"]),
                "name": item["name"],
                "idnumber": item.get("idnumber", ""),
                "description": "",
            }
            self.groups[new_id] = group
            out.append(group)
        return out

    def f_core_group_get_group_members(self, params: dict[str, Any]) -> Any:
        out = []
        for group_id in params["groupids"]:
            if int(group_id) not in self.groups:
                raise _MoodleError(
                    "dml_missing_record_exception",
                    "invalidrecord",
                    "Can't find data record in database table groups.",
                )
            out.append(
                {"groupid": int(group_id), "userids": sorted(self.group_members[int(group_id)])}
            )
        return out

    def f_core_group_add_group_members(self, params: dict[str, Any]) -> Any:
        for item in params["members"]:
            group = self.groups.get(int(item["groupid"]))
            if group is None or not any(
                e[0] == group["courseid"] and e[1] == int(item["userid"]) for e in self.enrolments
            ):
                raise _invalid()
        for item in params["members"]:
            self.group_members.setdefault(int(item["groupid"]), set()).add(int(item["userid"]))
        return None

    def f_core_cohort_get_cohorts(self, params: dict[str, Any]) -> Any:
        return list(self.cohorts.values())

    def f_core_cohort_add_cohort_members(self, params: dict[str, Any]) -> Any:
        warnings = []
        for item in params["members"]:
            cohort, user = item["cohorttype"]["value"], item["usertype"]["value"]
            if int(cohort) not in self.cohorts:
                warnings.append({"warningcode": "2", "message": f"cohort id={cohort} not exists"})
            elif int(user) not in self.users:
                warnings.append({"warningcode": "2", "message": f"user id={user} not exists"})
            elif int(user) in self.cohort_members[int(cohort)]:
                warnings.append(
                    {
                        "warningcode": "3",
                        "message": f"record already exists: cohort(id={cohort} id={user})",
                    }
                )
            else:
                self.cohort_members[int(cohort)].add(int(user))
        return {"warnings": warnings}

    def f_core_cohort_get_cohort_members(self, params: dict[str, Any]) -> Any:
        out = []
        for cohort_id in params["cohortids"]:
            if int(cohort_id) not in self.cohorts:
                raise _MoodleError(
                    "dml_missing_record_exception",
                    "invalidrecord",
                    "Can't find data record in database table cohort.",
                )
            out.append(
                {"cohortid": int(cohort_id), "userids": sorted(self.cohort_members[int(cohort_id)])}
            )
        return out
