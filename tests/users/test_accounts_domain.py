"""The pure rules of the users step: who gets an account, with which fields, and the plan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from jonction.config.directory import LdapSection
from jonction.domain.accounts import (
    AccountPolicy,
    AccountRules,
    AttributeMap,
    DesiredAccounts,
    ManagedAccount,
    MoodleAccount,
    desired_accounts,
    determine_account_actions,
    directory_blockers,
    registered_students,
    students_without_account,
    valid_email,
)
from jonction.domain.plan import Action, Plan
from jonction.domain.refer_model import (
    AdminRegistration,
    DiplomeKey,
    EtapeKey,
    ReferSnapshot,
    Student,
)
from jonction.sources.ldap import DirectoryEntry, read_directory

from .factories import account, apply_to_known, person, sample_ldif

ATTRS = AttributeMap()
RULES = AccountRules()
POLICY = AccountPolicy()


def _desired(*entries: DirectoryEntry, rules: AccountRules = RULES) -> DesiredAccounts:
    return desired_accounts(entries, ATTRS, rules)


def _plan(
    desired: DesiredAccounts,
    known: Sequence[MoodleAccount] | None = None,
    managed: Sequence[str | ManagedAccount] | None = None,
    *,
    policy: AccountPolicy = POLICY,
    suspend: bool = True,
) -> Plan:
    records = {}
    by_name = {a.username: a for a in known or []}
    for item in managed or []:
        if isinstance(item, str):
            item = ManagedAccount(item, by_name[item].id if item in by_name else None)
        records[item.username] = item
    return determine_account_actions(desired, by_name, records, policy, RULES, suspend=suspend)


def _kinds(plan: Plan) -> Counter[str]:
    return Counter(notice.kind for notice in plan.notices)


def test_the_sample_directory_gives_the_documented_accounts() -> None:
    directory = read_directory(LdapSection(ldif=sample_ldif()), ATTRS.requested())
    desired = desired_accounts(directory.entries, ATTRS, RULES)
    assert desired.entries == 10
    # zpetit is an alum only: no account, but her student number is known.
    assert sorted(desired.people) == [
        "adubois",
        "clefevre",
        "fbenali",
        "hoconnor",
        "jnguyen",
        "lmoreau",
        "mdurand",
        "ngarcia",
        "sroux",
    ]
    assert desired.excluded == {"zpetit": "in the directory as alum, which gives no account"}
    assert desired.students["22200871"] == "zpetit"
    lea = desired.people["lmoreau"]
    assert (lea.firstname, lea.lastname, lea.idnumber) == ("Léa", "Moreau", "22600101")
    assert desired.people["clefevre"].email == "chloe.lefevre@etu.univ-exemple.fr"
    assert desired.people["jnguyen"].lastname == "Nguyễn"
    # Staff who is also a student: the student number wins (first idnumber source).
    assert desired.people["sroux"].idnumber == "22600233"
    assert desired.people["adubois"].idnumber == "104217"
    assert desired.people["hoconnor"].idnumber == ""
    assert desired.people["ngarcia"].fields(RULES)["maildisplay"] == 0
    assert desired.people["lmoreau"].fields(RULES)["maildisplay"] == 2
    assert desired.notices == []


def test_first_run_creates_every_account_with_the_configured_auth() -> None:
    directory = read_directory(LdapSection(ldif=sample_ldif()), ATTRS.requested())
    desired = desired_accounts(directory.entries, ATTRS, RULES)
    plan = _plan(desired, policy=AccountPolicy(auth="shibboleth"))
    assert plan.counts() == Counter({("user", "create"): 9})
    created = {op.key: op.after for op in plan.operations}
    assert created["hoconnor"] == {
        "username": "hoconnor",
        "auth": "shibboleth",
        "firstname": "Hélène",
        "lastname": "O'Connor",
        "email": "helene.oconnor@univ-exemple.fr",
        "idnumber": "",
        "maildisplay": 2,
    }
    assert plan.existing == {"user": 0}


def test_missing_username_is_reported_by_dn() -> None:
    entry = person("x", dn="cn=Technical Account,ou=people,dc=univ-exemple,dc=fr")
    nameless = type(entry)(entry.dn, {k: v for k, v in entry.attributes.items() if k != "uid"})
    desired = _desired(nameless, person("lmoreau"))
    assert list(desired.people) == ["lmoreau"]
    (notice,) = desired.notices
    assert notice.kind == "directory_missing_username"
    assert "cn=Technical Account" in notice.message


def test_duplicated_username_is_held_not_created_nor_suspended() -> None:
    first = person("HOConnor", display="Hélène O'Connor", affiliations=["affiliate"])
    second = person(
        "hoconnor", display="Hugo O'Connor", dn="uid=hoconnor,ou=old,dc=univ-exemple,dc=fr"
    )
    desired = _desired(first, second, person("lmoreau"))
    assert desired.held == {"hoconnor"}
    assert "hoconnor" not in desired.people
    notice = next(n for n in desired.notices if n.kind == "directory_duplicate_username")
    assert "Hélène O'Connor" in notice.message and "Hugo O'Connor" in notice.message
    known = [account(7, "hoconnor"), account(8, "lmoreau")]
    plan = _plan(desired, known, ["hoconnor", "lmoreau"])
    assert plan.operations == []


def test_several_values_are_chosen_in_sorted_order_and_reported() -> None:
    entry = person(
        ["JDupont", "jean.dupont"],
        mail=["Zed@univ-exemple.fr", "alpha@univ-exemple.fr"],
        etu=["2260002", "2260001"],
        dn=f"uid=jean.dupont,{'ou=people,dc=univ-exemple,dc=fr'}",
    )
    desired = _desired(entry)
    (chosen,) = desired.people.values()
    # The uid of the DN wins over the sorted order; others take the first sorted value.
    assert chosen.username == "jean.dupont"
    assert chosen.email == "alpha@univ-exemple.fr"
    assert chosen.student_id == "2260001"
    (notice,) = desired.notices
    assert notice.kind == "directory_several_values" and notice.severity == "info"
    assert notice.data["attributes"] == ["uid", "mail", "supannEtuId"]


def test_idnumber_clash_between_student_and_employee_numbers() -> None:
    student = person("etu", etu="104217")
    teacher = person("prof", emp="104217", affiliations=["faculty"])
    desired = _desired(student, teacher)
    assert desired.people["etu"].idnumber == "104217"
    assert desired.people["prof"].idnumber == ""
    (notice,) = desired.notices
    assert notice.kind == "idnumber_clash" and "kept by" in notice.message


def test_idnumber_prefixes_keep_number_spaces_apart() -> None:
    rules = AccountRules(student_prefix="E", employee_prefix="P")
    desired = _desired(person("etu", etu="104217"), person("prof", emp="104217"), rules=rules)
    assert desired.people["etu"].idnumber == "E104217"
    assert desired.people["prof"].idnumber == "P104217"
    assert desired.notices == []


def test_duplicated_student_number_gives_no_idnumber_and_no_link() -> None:
    desired = _desired(person("a", etu="22600101"), person("b", etu="22600101"))
    assert desired.people["a"].idnumber == desired.people["b"].idnumber == ""
    assert "22600101" not in desired.students
    assert desired.shared_students == {"22600101": ["a", "b"]}
    kinds = Counter(n.kind for n in desired.notices)
    assert kinds == Counter({"directory_duplicate_student_id": 1, "idnumber_clash": 1})


def test_missing_or_invalid_email_prevents_creation_not_updates() -> None:
    no_mail = person("nomail", mail=None, sn="Nouveau")
    bad_mail = person("badmail", mail="bad-at-example.fr")
    desired = _desired(no_mail, bad_mail)
    incomplete = [n for n in desired.notices if n.kind == "directory_incomplete_entry"]
    assert {n.key for n in incomplete} == {"nomail", "badmail"}
    plan = _plan(desired)
    assert plan.operations == []
    # An existing account is still kept up to date, its address left as it is.
    known = [account(5, "nomail", lastname="Ancien", email="old@univ-exemple.fr")]
    plan = _plan(desired, known, ["nomail"])
    (op,) = plan.operations
    assert op.action == Action.UPDATE and op.after == {"lastname": "Nouveau"}


def test_uppercase_or_exotic_username_is_lowercased_or_reported() -> None:
    desired = _desired(person("MDurand"), person("léa"))
    assert "mdurand" in desired.people
    notice = next(n for n in desired.notices if n.key == "léa")
    assert "not valid for Moodle" in notice.message
    assert [op.key for op in _plan(desired).operations] == ["mdurand"]
    extended = _desired(
        person("léa", mail="lea@univ-exemple.fr"),
        rules=AccountRules(extended_username_chars=True),
    )
    assert [op.key for op in _plan(extended).operations] == ["léa"]


def test_names_fall_back_on_the_display_name() -> None:
    desired = _desired(
        person("a", given=None, sn="O'Connor", display="Hélène O'Connor"),
        person("b", given=None, sn=None, display="Farid Ben Ali"),
        person("c", given=None, sn=None, display=None),
    )
    assert (desired.people["a"].firstname, desired.people["a"].lastname) == ("Hélène", "O'Connor")
    assert (desired.people["b"].firstname, desired.people["b"].lastname) == ("Farid", "Ben Ali")
    assert "no first and last name" in desired.people["c"].problems


def test_names_are_compared_after_unicode_normalisation() -> None:
    desired = _desired(person("lmoreau", given="Le\u0301a"))  # decomposed é
    assert desired.people["lmoreau"].firstname == "Léa"
    known = [account(4, "lmoreau", firstname="Léa")]
    assert _plan(desired, known, ["lmoreau"]).operations == []


def test_update_touches_only_changed_fields() -> None:
    desired = _desired(person("lmoreau", sn="Moreau-Petit", etu="22600101"))
    known = [account(4, "lmoreau", lastname="Moreau", idnumber="22600101")]
    (op,) = _plan(desired, known, ["lmoreau"]).operations
    assert op.action == Action.UPDATE
    assert op.before == {"lastname": "Moreau"}
    assert op.after == {"lastname": "Moreau-Petit"}
    assert op.source["moodle_id"] == 4
    assert "lastname" in op.reason


def test_red_list_hides_the_email_once() -> None:
    desired = _desired(person("ngarcia", red_list=True))
    known = [account(4, "ngarcia")]
    (op,) = _plan(desired, known, ["ngarcia"]).operations
    assert op.after == {"maildisplay": 0}
    remembered = ManagedAccount("ngarcia", 4, maildisplay=0)
    assert _plan(desired, known, [remembered]).operations == []


def test_accounts_gone_from_the_directory_are_suspended_never_deleted() -> None:
    desired = _desired(person("lmoreau"), person("zpetit", affiliations=["alum"]))
    known = [account(4, "lmoreau"), account(5, "zpetit"), account(6, "gone")]
    plan = _plan(desired, known, ["lmoreau", "zpetit", "gone"])
    suspended = {op.key: op for op in plan.operations}
    assert set(suspended) == {"zpetit", "gone"}
    assert all(op.action == Action.SUSPEND for op in plan.operations)
    assert "alum" in suspended["zpetit"].reason
    assert "no longer in the directory" in suspended["gone"].reason
    assert not any(op.action == Action.DELETE for op in plan.operations)
    assert plan.existing == {"user": 3}


def test_only_managed_auths_are_touched() -> None:
    desired = _desired(person("admin", sn="Changed"), person("teacher"))
    known = [
        account(2, "admin", auth="manual", lastname="Admin"),
        account(3, "teacher", auth="ldap", lastname="Other"),
        account(9, "helpdesk", auth="manual"),
    ]
    plan = _plan(desired, known, ["helpdesk"])
    assert [(op.key, op.action) for op in plan.operations] == [("teacher", Action.UPDATE)]
    assert _kinds(plan)["account_not_managed"] == 1


def test_reactivation_of_accounts_jonction_suspended() -> None:
    desired = _desired(person("back", sn="Nouveau"), person("byhand"))
    known = [account(4, "back", suspended=True), account(5, "byhand", suspended=True)]
    managed = [ManagedAccount("back", 4, suspended_by_jonction=True), ManagedAccount("byhand", 5)]
    plan = _plan(desired, known, managed)
    (op,) = plan.operations
    assert (op.key, op.action) == ("back", Action.REACTIVATE)
    assert op.after == {"suspended": False, "lastname": "Nouveau"}
    assert _kinds(plan)["account_suspended_by_hand"] == 1
    everyone = _plan(desired, known, managed, policy=AccountPolicy(reactivate_all=True))
    assert {op.key for op in everyone.operations} == {"back", "byhand"}


def test_truncated_directory_plans_no_suspension() -> None:
    desired = _desired(person("lmoreau"))
    known = [account(4, "lmoreau"), account(5, "gone")]
    plan = _plan(desired, known, ["lmoreau", "gone"], suspend=False)
    assert plan.operations == []
    assert plan.stats["suspensions_held_back"] == 1


def test_directory_blockers() -> None:
    assert directory_blockers(0, None, 0.5)
    assert directory_blockers(400, 1000, 0.5)
    assert not directory_blockers(600, 1000, 0.5)
    assert not directory_blockers(10, None, 0.5)


def test_no_change_gives_an_empty_plan_with_a_stable_basis() -> None:
    directory = read_directory(LdapSection(ldif=sample_ldif()), ATTRS.requested())
    desired = desired_accounts(directory.entries, ATTRS, RULES)
    first = _plan(desired)
    known = apply_to_known(first, {})
    records = [
        ManagedAccount(
            a.username, a.id, maildisplay=desired.people[a.username].fields(RULES)["maildisplay"]
        )
        for a in known.values()
    ]
    second = _plan(desired, list(known.values()), records)
    assert second.operations == []
    again = _plan(desired, list(known.values()), records)
    assert again.basis == second.basis != first.basis


def test_students_of_refer_without_account_are_reported_by_name() -> None:
    directory = read_directory(LdapSection(ldif=sample_ldif()), ATTRS.requested())
    desired = desired_accounts(directory.entries, ATTRS, RULES)
    etape = EtapeKey("SLMAT1", 101)
    snapshot = ReferSnapshot(
        year="2026",
        students={
            1: Student(1, "22600101", "Moreau", "Léa"),
            2: Student(2, "22699999", "Martin", "Paul"),
            3: Student(3, "22200871", "Petit", "Zoé"),
            4: Student(4, None, "Neuf", "Nina"),
            5: Student(5, "22600555", "Double", "Dan"),
        },
        admin_registrations=[
            AdminRegistration(i, etape, DiplomeKey("LMAT", 211), "UFRSCI") for i in (1, 2, 3, 4, 5)
        ],
    )
    desired.shared_students["22600555"] = ["ddouble", "ddouble2"]
    notices = students_without_account(registered_students([snapshot]), desired)
    shared = next(n for n in notices if n.key == "22600555")
    assert shared.kind == "student_without_account" and "ddouble, ddouble2" in shared.message
    notices = [n for n in notices if n.key != "22600555"]
    by_kind = {notice.kind: notice for notice in notices}
    assert set(by_kind) == {
        "student_without_directory_entry",
        "student_without_account",
        "student_without_number",
    }
    assert "Paul Martin (22699999)" in by_kind["student_without_directory_entry"].message
    assert "SLMAT1-101" in by_kind["student_without_directory_entry"].message
    assert "alum" in by_kind["student_without_account"].message
    assert "Nina Neuf" in by_kind["student_without_number"].message


def test_email_rule_follows_moodle() -> None:
    assert valid_email("lea.moreau@etu.univ-exemple.fr")
    assert valid_email("o'connor+x@univ-exemple.fr")
    assert not valid_email("bad-at-example.fr")
    assert not valid_email("a@localhost")
    assert not valid_email("é@univ-exemple.fr")
    assert not valid_email("a..b@univ-exemple.fr")


numbers = st.sampled_from(["1", "2", "3", "4"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.none() | numbers, st.none() | numbers),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([("student", "employee"), ("employee", "student"), ("student",)]),
)
def test_no_two_people_ever_share_an_idnumber(
    ids: list[tuple[str | None, str | None]], sources: tuple[str, ...]
) -> None:
    entries = [person(f"u{i}", etu=etu, emp=emp) for i, (etu, emp) in enumerate(ids)]
    desired = _desired(*entries, rules=AccountRules(idnumber_sources=sources))
    given_ids = [p.idnumber for p in desired.people.values() if p.idnumber]
    assert len(given_ids) == len(set(given_ids))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d", "e"]),
            st.sampled_from(["Léa", "Noé", "Anne"]),
            st.sampled_from([("student",), ("alum",), ("faculty", "member")]),
        ),
        max_size=5,
        unique_by=lambda item: item[0],
    ),
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", "d", "e"]), st.booleans(), st.booleans()),
        max_size=5,
        unique_by=lambda item: item[0],
    ),
)
def test_applying_a_plan_converges(
    directory: list[tuple[str, str, tuple[str, ...]]], moodle: list[tuple[str, bool, bool]]
) -> None:
    """Whatever Moodle held, once the plan is applied the next plan is empty."""
    desired = _desired(
        *(person(uid, given=name, affiliations=affs) for uid, name, affs in directory)
    )
    known = {
        uid: account(i + 1, uid, suspended=suspended, firstname="Old")
        for i, (uid, suspended, _) in enumerate(moodle)
    }
    managed = {
        uid: ManagedAccount(uid, known[uid].id, suspended_by_jonction=True, maildisplay=2)
        for uid, _, ours in moodle
        if ours
    }
    plan = determine_account_actions(desired, known, managed, POLICY, RULES)
    after = apply_to_known(plan, known)
    suspended_now = {op.key for op in plan.operations if op.action == Action.SUSPEND}
    managed_after = {
        uid: ManagedAccount(
            uid,
            after[uid].id,
            suspended_by_jonction=after[uid].suspended
            and (uid in suspended_now or (uid in managed and managed[uid].suspended_by_jonction)),
            maildisplay=2,
        )
        for uid in set(managed) | {op.key for op in plan.operations}
    }
    again = determine_account_actions(desired, after, managed_after, POLICY, RULES)
    assert again.operations == []
