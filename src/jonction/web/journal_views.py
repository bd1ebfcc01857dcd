"""Read-only queries of the journal for the dashboard: nights, steps, operations, notices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, false, func, or_, select

from ..journal.schema import notices, operations, step_runs
from .reach import Reach

# Operations --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OperationFilter:
    step: str = ""
    kind: str = ""
    action: str = ""
    outcome: str = ""
    text: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> OperationFilter:
        return cls(**{name: query.get(name, "").strip()[:200] for name in cls.__slots__})

    def as_query(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__slots__ if getattr(self, name)}


@dataclass(frozen=True, slots=True)
class OperationView:
    id: int
    step: str
    seq: int
    kind: str
    action: str
    key: str
    label: str
    scope: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str
    source: Mapping[str, Any]
    outcome: str
    message: str


def composante_clause(column: Any, reach: Reach, scope: Any = None) -> ColumnElement[bool] | None:
    """Restricts rows to what a restricted account reaches: the JSON `composante` entry that
    steps put in an operation's source (or a notice's data), or a `scope` that names one of its
    composantes, courses or cohorts. A row with neither is hidden."""
    if not reach.restricted:
        return None
    if not reach.composantes:
        return false()
    clause: ColumnElement[bool] = column["composante"].as_string().in_(reach.composantes)
    if scope is not None:
        clause = or_(clause, scope.in_(reach.composantes | reach.scopes))
    return clause


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _operation_conditions(
    run_id: int, wanted: OperationFilter, reach: Reach
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [step_runs.c.run_id == run_id]
    for name, column in (
        ("step", step_runs.c.step),
        ("kind", operations.c.kind),
        ("action", operations.c.action),
        ("outcome", operations.c.outcome),
    ):
        value = getattr(wanted, name)
        if value:
            conditions.append(column == value)
    if wanted.text:
        pattern = _like(wanted.text)
        conditions.append(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (
                        operations.c.key,
                        operations.c.label,
                        operations.c.scope,
                        operations.c.reason,
                        operations.c.message,
                    )
                )
            )
        )
    restriction = composante_clause(operations.c.source, reach, operations.c.scope)
    if restriction is not None:
        conditions.append(restriction)
    return conditions


def operation_page(
    engine: Engine,
    run_id: int,
    wanted: OperationFilter,
    reach: Reach,
    limit: int,
    offset: int = 0,
) -> tuple[list[OperationView], int]:
    """One page of a run's operations matching `wanted`, and how many match in all."""
    joined = operations.join(step_runs, operations.c.step_run_id == step_runs.c.id)
    where = and_(*_operation_conditions(run_id, wanted, reach))
    query = (
        select(operations, step_runs.c.step)
        .select_from(joined)
        .where(where)
        .order_by(step_runs.c.id, operations.c.seq)
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as connection:
        total = connection.execute(
            select(func.count()).select_from(joined).where(where)
        ).scalar_one()
        rows = [
            OperationView(
                id=row.id,
                step=row.step,
                seq=row.seq,
                kind=row.kind,
                action=row.action,
                key=row.key,
                label=row.label,
                scope=row.scope,
                before=row.before,
                after=row.after,
                reason=row.reason,
                source=row.source or {},
                outcome=row.outcome,
                message=row.message,
            )
            for row in connection.execute(query)
        ]
    return rows, int(total)


def operation_facets(engine: Engine, run_id: int) -> dict[str, list[str]]:
    """The values each filter can take in a run (for the filter's choices)."""
    joined = operations.join(step_runs, operations.c.step_run_id == step_runs.c.id)
    facets: dict[str, list[str]] = {}
    with engine.connect() as connection:
        facets["step"] = [
            row[0]
            for row in connection.execute(
                select(step_runs.c.step)
                .where(step_runs.c.run_id == run_id)
                .group_by(step_runs.c.step)
                .order_by(func.min(step_runs.c.id))
            )
        ]
        for name, column in (
            ("kind", operations.c.kind),
            ("action", operations.c.action),
            ("outcome", operations.c.outcome),
        ):
            facets[name] = [
                row[0]
                for row in connection.execute(
                    select(column)
                    .select_from(joined)
                    .where(step_runs.c.run_id == run_id)
                    .group_by(column)
                    .order_by(column)
                )
            ]
    return facets


# Notices -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoticeView:
    step: str
    kind: str
    key: str
    message: str
    severity: str
    data: Mapping[str, Any]


def run_notices(
    engine: Engine, run_id: int, reach: Reach, text: str = "", limit: int = 500
) -> tuple[list[NoticeView], int]:
    joined = notices.join(step_runs, notices.c.step_run_id == step_runs.c.id)
    conditions: list[ColumnElement[bool]] = [step_runs.c.run_id == run_id]
    if text:
        pattern = _like(text)
        conditions.append(
            or_(
                notices.c.kind.ilike(pattern, escape="\\"),
                notices.c.key.ilike(pattern, escape="\\"),
                notices.c.message.ilike(pattern, escape="\\"),
            )
        )
    restriction = composante_clause(notices.c.data, reach, notices.c.key)
    if restriction is not None:
        conditions.append(restriction)
    where = and_(*conditions)
    with engine.connect() as connection:
        total = connection.execute(
            select(func.count()).select_from(joined).where(where)
        ).scalar_one()
        rows = [
            NoticeView(row.step, row.kind, row.key, row.message, row.severity, row.data or {})
            for row in connection.execute(
                select(notices, step_runs.c.step)
                .select_from(joined)
                .where(where)
                .order_by(notices.c.id)
                .limit(limit)
            )
        ]
    return rows, int(total)
