"""Moodle's rules beyond the recorded exchanges: deletions, moves, options, roles, XML."""

from __future__ import annotations

from typing import Any

import pytest

from .sim_support import TOKEN, SimClient


def user(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "username": name,
        "firstname": name.title(),
        "lastname": "Test",
        "email": f"{name}@example.com",
        "auth": "cas",
        **extra,
    }


@pytest.fixture
def site(sim: SimClient) -> SimClient:
    """Category 2 (FAC) > 3 (DEP); courses 2, 3 in 3; users 4 (ann), 5 (bob), 6 (cyd)."""
    sim.call("core_course_create_categories", categories=[{"name": "Faculty", "idnumber": "FAC"}])
    sim.call(
        "core_course_create_categories",
        categories=[{"name": "Dept", "parent": 2, "idnumber": "DEP"}],
    )
    sim.call(
        "core_course_create_courses",
        courses=[
            {"fullname": "Course A", "shortname": "CA", "categoryid": 3, "idnumber": "CA"},
            {"fullname": "Course B", "shortname": "CB", "categoryid": 3, "idnumber": "CB"},
        ],
    )
    sim.call("core_user_create_users", users=[user("ann"), user("bob"), user("cyd")])
    return sim


def enrolled(sim: SimClient, course: int, **options: str) -> list[int]:
    opts = [{"name": k, "value": v} for k, v in options.items()]
    return [
        u["id"] for u in sim.call("core_enrol_get_enrolled_users", courseid=course, options=opts)
    ]


def test_enrolment_cycle(site: SimClient) -> None:
    site.call(
        "enrol_manual_enrol_users",
        enrolments=[
            {"roleid": 5, "userid": 4, "courseid": 2},
            {"roleid": 5, "userid": 5, "courseid": 2, "suspend": 1},
        ],
    )
    assert enrolled(site, 2) == [4, 5]
    assert enrolled(site, 2, onlyactive="1") == [4]
    # Re-enrolling without suspend reactivates; the role is added to the old one.
    assert (
        site.call(
            "enrol_manual_enrol_users", enrolments=[{"roleid": 3, "userid": 5, "courseid": 2}]
        )
        is None
    )
    assert enrolled(site, 2, onlyactive="1") == [4, 5]
    bob = site.call("core_enrol_get_enrolled_users", courseid=2)[1]
    assert [r["shortname"] for r in bob["roles"]] == ["editingteacher", "student"]
    site.call("core_group_create_groups", groups=[{"courseid": 2, "name": "G1", "description": ""}])
    site.call(
        "core_group_add_group_members",
        members=[{"groupid": 1, "userid": 4}, {"groupid": 1, "userid": 5}],
    )
    assert enrolled(site, 2, groupid="1") == [4, 5]
    site.call("enrol_manual_unenrol_users", enrolments=[{"userid": 4, "courseid": 2}])
    assert site.call("core_group_get_group_members", groupids=[1]) == [
        {"groupid": 1, "userids": [5]}
    ]
    assert enrolled(site, 2) == [5]


def test_enrol_refusals_roll_back_the_whole_call(site: SimClient) -> None:
    answer = site.call(
        "enrol_manual_enrol_users",
        enrolments=[
            {"roleid": 5, "userid": 4, "courseid": 2},
            {"roleid": 5, "userid": 999, "courseid": 2},
        ],
    )
    assert answer["errorcode"] == "codingerror"
    assert enrolled(site, 2) == []
    answer = site.call(
        "enrol_manual_enrol_users", enrolments=[{"roleid": 2, "userid": 4, "courseid": 2}]
    )
    assert answer["errorcode"] == "wsusercannotassign"
    assert "(2) to this user (4) in this course(2)" in answer["message"]
    answer = site.call("enrol_manual_unenrol_users", enrolments=[{"userid": 999, "courseid": 2}])
    assert answer["errorcode"] == "invalidparameter"
    answer = site.call("enrol_manual_unenrol_users", enrolments=[{"userid": 4, "courseid": 999}])
    assert answer["errorcode"] == "invalidrecord"


def test_enrolled_users_options(site: SimClient) -> None:
    site.call(
        "enrol_manual_enrol_users",
        enrolments=[{"roleid": 5, "userid": u, "courseid": 2} for u in (4, 5, 6)],
    )
    assert enrolled(site, 2, sortby="firstname", sortdirection="DESC") == [6, 5, 4]
    assert enrolled(site, 2, limitfrom="1", limitnumber="1") == [5]
    slim = site.call(
        "core_enrol_get_enrolled_users",
        courseid=2,
        options=[{"name": "userfields", "value": "id,username"}],
    )
    assert slim[0] == {"id": 4, "username": "ann", "fullname": "Ann Test"}
    bad = site.call(
        "core_enrol_get_enrolled_users", courseid=2, options=[{"name": "sortby", "value": "email"}]
    )
    assert bad["errorcode"] == "invalidparameter"
    assert site.call("core_enrol_get_enrolled_users", courseid=999)["errorcode"] == "invalidrecord"
    courses = site.call("core_enrol_get_users_courses", userid=4)
    assert [(c["id"], c["enrolledusercount"]) for c in courses] == [(2, 3)]


def test_course_updates_and_moves(site: SimClient) -> None:
    answer = site.call(
        "core_course_update_courses",
        courses=[
            {"id": 3, "categoryid": 2, "visible": 0},
            {"id": 2, "categoryid": 999},
            {"id": 1, "fullname": "Site"},
        ],
    )
    assert [(w["itemid"], w["warningcode"]) for w in answer["warnings"]] == [
        (2, "invalidrecord"),
        (1, "invalidcourse"),
    ]
    moved = site.call("core_course_get_courses_by_field", field="id", value="3")["courses"][0]
    assert (moved["categoryid"], moved["visible"], moved["sortorder"]) == (2, 0, 20001)
    counts = {c["id"]: c["coursecount"] for c in site.call("core_course_get_categories")}
    assert counts == {1: 0, 2: 1, 3: 1}
    dates = site.call("core_course_update_courses", courses=[{"id": 2, "enddate": 100}])
    assert dates["warnings"][0]["warningcode"] == "nostartdatenoenddate"


def test_courses_by_ids_keep_the_requested_order(site: SimClient) -> None:
    answer = site.call("core_course_get_courses_by_field", field="ids", value="3,2")
    assert [c["id"] for c in answer["courses"]] == [3, 2]
    assert (
        site.call("core_course_get_courses_by_field", field="nickname")["errorcode"]
        == "invalidparameter"
    )


def test_course_deletion(site: SimClient) -> None:
    site.call("enrol_manual_enrol_users", enrolments=[{"roleid": 5, "userid": 4, "courseid": 2}])
    site.call("core_group_create_groups", groups=[{"courseid": 2, "name": "G", "description": ""}])
    answer = site.call("core_course_delete_courses", courseids=[2, 999, 1])
    assert [(w["itemid"], w["warningcode"]) for w in answer["warnings"]] == [
        (999, "unknowncourseidnumber"),
        (1, "cannotdeletecourse"),
    ]
    assert site.call("core_group_get_group_members", groupids=[1])["errorcode"] == "invalidrecord"
    assert [c["id"] for c in site.call("core_course_get_courses")] == [1, 3]


def test_category_deletion_moves_or_deletes_contents(site: SimClient) -> None:
    assert site.call("core_course_delete_categories", categories=[{"id": 3}]) is None
    courses = site.call("core_course_get_courses_by_field", field="category", value="2")["courses"]
    assert [c["id"] for c in courses] == [2, 3]
    root = site.call("core_course_delete_categories", categories=[{"id": 2}])
    assert root["errorcode"] == "movecatcontentstoroot"
    assert (
        site.call("core_course_delete_categories", categories=[{"id": 2, "recursive": 1}]) is None
    )
    assert [c["id"] for c in site.call("core_course_get_courses")] == [1]
    assert [c["id"] for c in site.call("core_course_get_categories")] == [1]
    unknown = site.call("core_course_delete_categories", categories=[{"id": 77}])
    assert unknown["errorcode"] == "unknowncategory"


def test_course_creation_rules(site: SimClient) -> None:
    def create(**fields: Any) -> Any:
        base = {"fullname": "X", "shortname": "X", "categoryid": 3}
        return site.call("core_course_create_courses", courses=[{**base, **fields}])

    assert create(categoryid=99)["errorcode"] == "errorcatcontextnotvalid"
    assert create(fullname="  ")["errorcode"] == "errorinvalidparam"
    assert create(lang="xx")["errorcode"] == "errorinvalidparam"
    assert create(startdate=200, enddate=100)["errorcode"] == "enddatebeforestartdate"
    assert create(shortname="cA")[0]["shortname"] == "cA"  # shortnames are case-sensitive
    assert (
        site.call("core_course_search_courses", criterianame="search", criteriavalue="course")[
            "total"
        ]
        == 2
    )
    bad = site.call("core_course_search_courses", criterianame="bogus", criteriavalue="x")
    assert bad["errorcode"] == "invalidparameter"


def test_user_rules(site: SimClient) -> None:
    manual = site.call("core_user_create_users", users=[user("dan", auth="manual")])
    assert manual["errorcode"] == "invalidparameter"  # internal auth needs a password
    weak = site.call("core_user_update_users", users=[{"id": 4, "password": "short"}])
    assert weak["warnings"][0]["warningcode"].startswith("<div>Passwords must be at least 8")
    assert site.call("core_user_create_users", users=[user("eve", email="ANN@example.com")])[
        "errorcode"
    ] == ("invalidparameter")
    answer = site.call(
        "core_user_get_users",
        criteria=[{"key": "lastname", "value": "TEST"}, {"key": "nickname", "value": "x"}],
    )
    assert [u["id"] for u in answer["users"]] == [4, 5, 6]
    assert answer["warnings"][0]["warningcode"] == "invalidfieldparameter"
    assert site.call("core_user_delete_users", userids=[5]) is None
    assert [
        u["id"] for u in site.call("core_user_get_users_by_field", field="id", values=["5", "6"])
    ] == [6]
    assert site.call("core_user_delete_users", userids=[2])["errorcode"] == "useradminodelete"


def test_role_assignments(site: SimClient) -> None:
    assign = [{"roleid": 4, "userid": 6, "contextlevel": "course", "instanceid": 2}]
    assert site.call("core_role_assign_roles", assignments=assign) is None
    assert (
        site.call("core_enrol_get_enrolled_users", courseid=2) == []
    )  # a role is not an enrolment
    site.call("enrol_manual_enrol_users", enrolments=[{"roleid": 5, "userid": 6, "courseid": 2}])
    roles = site.call("core_enrol_get_enrolled_users", courseid=2)[0]["roles"]
    assert [r["roleid"] for r in roles] == [4, 5]
    assert site.call("core_role_unassign_roles", unassignments=assign) is None
    roles = site.call("core_enrol_get_enrolled_users", courseid=2)[0]["roles"]
    assert [r["roleid"] for r in roles] == [5]
    bad = site.call(
        "core_role_assign_roles",
        assignments=[{"roleid": 5, "userid": 6, "contextlevel": "planet", "instanceid": 1}],
    )
    assert bad["errorcode"] == "invalidparameter"


def test_groups_and_groupings(site: SimClient) -> None:
    site.call(
        "core_group_create_groups",
        groups=[
            {"courseid": 2, "name": "b", "description": "", "idnumber": "G-B"},
            {"courseid": 2, "name": "A", "description": ""},
        ],
    )
    assert [g["name"] for g in site.call("core_group_get_course_groups", courseid=2)] == ["A", "b"]
    clash = site.call(
        "core_group_update_groups", groups=[{"id": 2, "name": "A2", "idnumber": "G-B"}]
    )
    assert clash["errorcode"] == "idnumbertaken"
    assert site.call("core_group_update_groups", groups=[{"id": 1, "name": "A"}])["errorcode"] == (
        "invalidparameter"
    )
    assert (
        site.call("core_group_get_course_groups", courseid=99)["errorcode"]
        == "errorcoursecontextnotvalid"
    )
    site.call(
        "core_group_create_groupings", groupings=[{"courseid": 2, "name": "All", "description": ""}]
    )
    assert (
        site.call("core_group_assign_grouping", assignments=[{"groupingid": 1, "groupid": 7}])[
            "errorcode"
        ]
        == "invalidrecord"
    )
    assert site.call("core_group_delete_groups", groupids=[1, 99]) is None
    assert [g["id"] for g in site.call("core_group_get_course_groups", courseid=2)] == [2]


def test_cohort_search_scopes(site: SimClient) -> None:
    site.call(
        "core_cohort_create_cohorts",
        cohorts=[
            {
                "categorytype": {"type": "idnumber", "value": "FAC"},
                "name": "Fac cohort",
                "idnumber": "C1",
                "description": "d",
            },
            {
                "categorytype": {"type": "system", "value": ""},
                "name": "System cohort",
                "idnumber": "C2",
            },
            {"categorytype": {"type": "id", "value": "3"}, "name": "Dept cohort", "idnumber": "C3"},
        ],
    )

    def search(includes: str, level: str, instance: int, query: str = "") -> list[int]:
        answer = site.call(
            "core_cohort_search_cohorts",
            query=query,
            includes=includes,
            context={"contextlevel": level, "instanceid": instance},
        )
        return [c["id"] for c in answer["cohorts"]]

    assert search("self", "coursecat", 3) == [3]
    assert search("parents", "coursecat", 3) == [3, 1, 2]
    assert search("parents", "system", 0) == [2]
    assert search("all", "system", 0, "COHORT") == [3, 1, 2]
    assert site.call("core_cohort_delete_cohorts", cohortids=[2]) is None
    assert [c["id"] for c in site.call("core_cohort_get_cohorts")] == [1, 3]
    missing = site.call(
        "core_cohort_create_cohorts",
        cohorts=[
            {"categorytype": {"type": "idnumber", "value": "NOPE"}, "name": "x", "idnumber": "C9"}
        ],
    )
    assert missing["errorcode"] == "invalidparameter"


def test_xml_answers(site: SimClient) -> None:
    fields = [
        ("wstoken", TOKEN),
        ("wsfunction", "core_group_get_group_members"),
        ("groupids[0]", "99"),
    ]
    response = site.post(fields)
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert '<EXCEPTION class="dml_missing_record_exception">' in response.text
    fields = [
        ("wstoken", TOKEN),
        ("wsfunction", "core_course_get_categories"),
        ("criteria[0][key]", "id"),
        ("criteria[0][value]", "1"),
    ]
    text = site.post(fields).text
    assert '<KEY name="idnumber"><VALUE null="null"/>' in text
    assert text.startswith('<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE>\n<MULTIPLE>')
    empty = site.post(
        [("wstoken", TOKEN), ("wsfunction", "core_group_delete_groups"), ("groupids[0]", "99")]
    )
    assert empty.text == '<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE>\n</RESPONSE>\n'


def test_missing_function_name(site: SimClient) -> None:
    response = site.post([("wstoken", TOKEN), ("moodlewsrestformat", "json")])
    assert response.json()["errorcode"] == "invalidparameter"


def test_functions_left_out_of_the_service(make_sim: Any) -> None:
    sim: SimClient = make_sim(without_functions=frozenset({"core_cohort_create_cohorts"}))
    listed = [f["name"] for f in sim.call("core_webservice_get_site_info")["functions"]]
    assert len(listed) == 40 and "core_cohort_create_cohorts" not in listed
    answer = sim.call("core_cohort_create_cohorts", cohorts=[])
    assert (answer["exception"], answer["errorcode"]) == (
        "webservice_access_exception",
        "accessexception",
    )
    with pytest.raises(ValueError, match="unknown web service functions"):
        make_sim(without_functions=frozenset({"core_no_such_function"}))
