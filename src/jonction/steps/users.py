"""The users step (00:00): Moodle accounts from the directory.

Reads the directory (server or LDIF file), then from Moodle the accounts that may need a
change (`domain.account_reads`: people new or changed since the last run, accounts not left as
wanted; every account on a full check), computes the plan with `domain.accounts`, and applies
it in batches. A directory that cannot be read fails the step before any plan; one that looks
truncated (empty, or far smaller than last time) blocks it: nobody is suspended because of
an outage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from ..config import Settings
from ..domain.account_reads import AccountReads, accounts_to_read
from ..domain.accounts import (
    USER,
    AccountPolicy,
    AccountRules,
    AttributeMap,
    DesiredAccounts,
    ManagedAccount,
    MoodleAccount,
    desired_accounts,
    determine_account_actions,
    directory_blockers,
    managed_from_data,
    managed_records,
    registered_students,
    students_without_account,
)
from ..domain.full_check import full_check_due
from ..domain.plan import Action, Notice, Operation, Plan
from ..journal.store import Outcome
from ..sources.ldap import Directory, read_directory
from .base import ApplyResult, Step, StepContext
from .moodle_gateways import AccountsGateway, WriteResult, accounts_gateway
from .read_ahead import SourceRead
from .refer_snapshots import refer_snapshots
from .registry import register

# How many entries the directory gave at the last applied run (the truncation check).
DIRECTORY_COUNT_FLAG = "users.directory_entries"
# When every account was last read back from Moodle ([accounts] full_check_days).
FULL_CHECK_FLAG = "users.last_full_check"
PROGRESS_SLICE = 1000


GatewayFactory = Callable[[StepContext], Awaitable[AccountsGateway]]


def account_policy(settings: Settings) -> AccountPolicy:
    return AccountPolicy(
        auth=settings.policy.auth,
        managed_auths=frozenset(settings.policy.managed_auths),
        reactivate_all=settings.accounts.reactivate == "all",
    )


def directory_read(settings: Settings) -> SourceRead[Directory]:
    """The directory's people with the attributes the accounts need."""
    attributes = tuple(AttributeMap.from_section(settings.ldap).requested())
    return SourceRead("directory", read_directory, (settings.ldap, attributes))


async def refer_report(ctx: StepContext, desired: DesiredAccounts) -> list[Notice]:
    """Students of REFER the directory gives no account to; REFER's absence is only noted."""
    try:
        snapshots = await refer_snapshots(ctx)
    except Exception as exc:  # REFER is not this step's source: report, never fail
        return [
            Notice(
                "refer_unavailable",
                "refer",
                f"REFER could not be read ({exc}): students without an account are not listed",
                severity="info",
            )
        ]
    return students_without_account(registered_students(snapshots), desired)


@register
class UsersStep(Step):
    name = "users"
    title = "Accounts from the directory"
    requires = ()

    # How the step reaches Moodle (default: jonction's client); tests give an in-memory one.
    gateway_factory: ClassVar[GatewayFactory | None] = None

    @classmethod
    def read_ahead(cls, settings: Settings, today: date) -> Sequence[SourceRead[Any]]:
        if settings.ldap.url or settings.ldap.ldif is not None:
            return [directory_read(settings)]
        return []

    def __init__(self) -> None:
        self._desired: DesiredAccounts | None = None
        self._known: dict[str, MoodleAccount] = {}
        self._managed: dict[str, Mapping[str, Any]] = {}
        self._reads = AccountReads([], frozenset(), False)

    async def _gateway(self, ctx: StepContext) -> AccountsGateway:
        factory = type(self).gateway_factory or accounts_gateway
        return await factory(ctx)

    async def plan(self, ctx: StepContext) -> Plan:
        settings = ctx.settings
        attrs = AttributeMap.from_section(settings.ldap)
        rules = AccountRules.from_section(settings.accounts)
        directory, ahead = await ctx.source(directory_read(settings))
        # The pure parts in a thread: the steps beside this one (the offer step) get their
        # Moodle answers meanwhile instead of after it.
        desired = await asyncio.to_thread(desired_accounts, directory.entries, attrs, rules)
        previous = ctx.journal.flag(DIRECTORY_COUNT_FLAG)
        blockers = directory_blockers(
            desired.entries,
            int(previous) if previous else None,
            settings.guards.source_shrink_ratio,
        )
        stored = ctx.journal.managed(USER)
        managed: dict[str, ManagedAccount] = {
            key: managed_from_data(key, item.moodle_id, item.data) for key, item in stored.items()
        }
        policy = account_policy(settings)
        full = full_check_due(
            ctx.journal.flag(FULL_CHECK_FLAG), ctx.now, settings.accounts.full_check_days
        )
        reads = accounts_to_read(desired, managed, policy, rules, full=full)
        gateway = await self._gateway(ctx)
        known = await gateway.read_accounts(reads.read) if reads.read else {}
        plan = await asyncio.to_thread(
            determine_account_actions,
            desired,
            known,
            managed,
            policy,
            rules,
            suspend=ctx.forced or not blockers,
            trusted=reads.trusted,
        )
        plan.blockers = blockers
        plan.notices.extend(await refer_report(ctx, desired))
        plan.stats["directory_previous_entries"] = int(previous or 0)
        plan.stats["full_check"] = int(full)
        plan.stats["directory_read_ahead"] = int(ahead)
        self._desired, self._known, self._reads = desired, known, reads
        self._managed = {key: item.data for key, item in stored.items()}
        return plan

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        if self._desired is None:
            raise RuntimeError("the users step applies the plan it has just computed")
        gateway = await self._gateway(ctx)
        creates = [op for op in plan.operations if op.action == Action.CREATE]
        changes = [op for op in plan.operations if op.action != Action.CREATE]
        outcomes = await _create(ctx, gateway, creates)
        outcomes += await _update(ctx, gateway, changes)
        applied = [(o.operation, o.moodle_id) for o in outcomes if o.outcome == "applied"]
        records, forget = managed_records(
            self._desired,
            self._known,
            self._managed,
            applied,
            account_policy(ctx.settings),
            AccountRules.from_section(ctx.settings.accounts),
            self._reads.trusted,
        )
        ctx.journal.save_managed(USER, records, ctx.run_id)
        ctx.journal.forget_managed(USER, forget)
        ctx.journal.set_flag(DIRECTORY_COUNT_FLAG, self._desired.entries)
        if self._reads.full:
            ctx.journal.set_flag(FULL_CHECK_FLAG, ctx.now.isoformat())
        return ApplyResult(
            outcomes, {"managed_records_written": len(records), "managed_forgotten": len(forget)}
        )


async def _create(
    ctx: StepContext, gateway: AccountsGateway, operations: list[Operation]
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    if not operations:
        return outcomes
    with ctx.progress("Creating accounts", len(operations)) as task:
        for start in range(0, len(operations), PROGRESS_SLICE):
            part = operations[start : start + PROGRESS_SLICE]
            results = {
                r.key: r for r in await gateway.create_accounts([op.after or {} for op in part])
            }
            for op in part:
                outcomes.append(_outcome(op, results.get(op.key)))
            task.advance(len(part))
    return outcomes


async def _update(
    ctx: StepContext, gateway: AccountsGateway, operations: list[Operation]
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    if not operations:
        return outcomes
    with ctx.progress("Updating accounts", len(operations)) as task:
        for start in range(0, len(operations), PROGRESS_SLICE):
            part = operations[start : start + PROGRESS_SLICE]
            changes = [(int(op.source["moodle_id"]), dict(op.after or {})) for op in part]
            results = {r.key: r for r in await gateway.update_accounts(changes)}
            for op in part:
                outcomes.append(_outcome(op, results.get(str(op.source["moodle_id"]))))
            task.advance(len(part))
    return outcomes


def _outcome(op: Operation, result: WriteResult | None) -> Outcome:
    if result is None:
        return Outcome(op, "failed", "Moodle gave no answer for this account")
    if not result.ok:
        return Outcome(op, "failed", result.message)
    moodle_id = result.moodle_id if result.moodle_id is not None else op.source.get("moodle_id")
    return Outcome(op, "applied", moodle_id=moodle_id)
