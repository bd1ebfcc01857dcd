"""Which accounts a night reads back from Moodle: only what may have changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jonction.domain.account_reads import accounts_to_read
from jonction.domain.accounts import (
    GONE,
    AccountPolicy,
    AccountRules,
    AttributeMap,
    ManagedAccount,
    desired_accounts,
    determine_account_actions,
    managed_from_data,
    managed_records,
    wanted_digest,
)
from jonction.domain.full_check import full_check_due

from .factories import account, apply_to_known, person

RULES = AccountRules()
POLICY = AccountPolicy()
NOW = datetime(2026, 11, 9, 0, 5, tzinfo=UTC)


def test_full_check_is_due_on_the_first_run_then_every_n_days() -> None:
    assert full_check_due(None, NOW, 7)
    assert full_check_due("not a date", NOW, 7)
    assert full_check_due((NOW - timedelta(days=1)).isoformat(), NOW, 0)
    assert not full_check_due((NOW - timedelta(days=6)).isoformat(), NOW, 7)
    # A week later, even if tonight started a few minutes earlier than that night.
    assert full_check_due((NOW - timedelta(days=7, minutes=-3)).isoformat(), NOW, 7)
    assert full_check_due((NOW - timedelta(days=9)).replace(tzinfo=None).isoformat(), NOW, 7)


def test_only_new_changed_or_unsettled_accounts_are_read() -> None:
    desired = desired_accounts(
        [person("same"), person("changed", sn="Nouveau"), person("new")], AttributeMap(), RULES
    )
    same = wanted_digest(desired.people["same"], RULES, POLICY)
    old = desired_accounts([person("changed", sn="Ancien")], AttributeMap(), RULES)
    managed = {
        "same": ManagedAccount("same", 1, synced=same),
        "changed": ManagedAccount(
            "changed", 2, synced=wanted_digest(old.people["changed"], RULES, POLICY)
        ),
        "left": ManagedAccount("left", 3, suspended_by_jonction=True, synced=GONE),
        "leaving": ManagedAccount("leaving", 4),
        "failed": ManagedAccount("failed", 5, synced=""),
    }
    reads = accounts_to_read(desired, managed, POLICY, RULES, full=False)
    assert reads.read == ["changed", "failed", "leaving", "new"]
    assert reads.trusted == {"same", "left"}
    full = accounts_to_read(desired, managed, POLICY, RULES, full=True)
    assert full.read == sorted({"same", "changed", "new", "left", "leaving", "failed"})
    assert full.trusted == frozenset()
    # A policy change (another maildisplay) changes every digest: everyone is read.
    other = AccountRules(maildisplay_default=1)
    assert accounts_to_read(desired, managed, POLICY, other, full=False).trusted == {"left"}


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d", "e"]),
            st.sampled_from(["Léa", "Noé"]),
            st.sampled_from([("student",), ("alum",)]),
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
def test_after_a_run_a_quiet_night_trusts_what_is_settled_and_plans_nothing(
    directory: list[tuple[str, str, tuple[str, ...]]], moodle: list[tuple[str, bool, bool]]
) -> None:
    desired = desired_accounts(
        [person(uid, given=name, affiliations=affs) for uid, name, affs in directory],
        AttributeMap(),
        RULES,
    )
    known = {
        uid: account(i + 1, uid, suspended=suspended, firstname="Old")
        for i, (uid, suspended, _) in enumerate(moodle)
    }
    data: dict[str, dict[str, Any]] = {
        uid: {"suspended_by_jonction": True, "maildisplay": 2} for uid, _, ours in moodle if ours
    }
    managed = {uid: managed_from_data(uid, known[uid].id, item) for uid, item in data.items()}
    plan = determine_account_actions(desired, known, managed, POLICY, RULES)
    after = apply_to_known(plan, known)
    applied = [(op, after[op.key].id) for op in plan.operations]
    records, forget = managed_records(desired, known, data, applied, POLICY, RULES)
    stored = {uid: (known[uid].id, item) for uid, item in data.items()}
    stored.update({uid: (moodle_id, item) for uid, moodle_id, item in records})
    for uid in forget:
        stored.pop(uid)
    tonight = {uid: managed_from_data(uid, mid, item) for uid, (mid, item) in stored.items()}

    reads = accounts_to_read(desired, tonight, POLICY, RULES, full=False)
    seen = {uid: after[uid] for uid in reads.read if uid in after}
    quiet = determine_account_actions(desired, seen, tonight, POLICY, RULES, trusted=reads.trusted)
    assert quiet.operations == []
    full = determine_account_actions(desired, after, tonight, POLICY, RULES)
    assert full.existing == quiet.existing
    # Trusted: every managed account left active as wanted, or suspended out of the directory.
    for uid in tonight:
        settled = after[uid].suspended != (uid in desired.people)
        assert (uid in reads.trusted) == settled, uid


def test_records_keep_every_address_a_timetable_may_know_a_teacher_by() -> None:
    from jonction.domain.enrolments import AccountIndex

    entry = person(
        "dupont",
        affiliations=("faculty",),
        emp="E42",
        mail="Jean.Dupont@univ-exemple.fr",
        other_mail=["jdupont@perso.example", "jean.dupont@univ-exemple.fr"],
    )
    desired = desired_accounts(
        [entry], AttributeMap(), AccountRules(affiliations=frozenset({"faculty"}))
    )
    assert desired.people["dupont"].other_emails == ("jdupont@perso.example",)
    plan = determine_account_actions(desired, {}, {}, POLICY, RULES)
    applied = [(op, 7) for op in plan.operations]
    records, _ = managed_records(desired, {}, {}, applied, POLICY, RULES)
    [(username, moodle_id, data)] = records
    assert (username, moodle_id) == ("dupont", 7)
    assert data["emails"] == ["jean.dupont@univ-exemple.fr", "jdupont@perso.example"]
    index = AccountIndex.from_records([(username, data)])
    assert index.teacher(["JDupont@Perso.example"]) == "dupont"
    assert index.teacher(["E42"]) == "dupont"
