"""Safety guards, the nightly pipeline, the journal's reports and the dashboard."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from ._base import Section


class GuardsSection(Section):
    """Mass-change guards: a plan that takes away too much stops its step unless forced."""

    max_remove_share: float = Field(
        0.10,
        ge=0,
        le=1,
        description="A plan that removes, suspends or hides more than this share of the objects "
        "of a kind that jonction manages stops the step.",
    )
    max_remove_share_by_kind: dict[str, float] = Field(
        default_factory=lambda: {"user": 0.05},
        description="The same share for one kind (user, course, enrolment, group_member…).",
    )
    max_remove_share_per_scope: float = Field(
        0.5, ge=0, le=1, description="The same share within one course, group or cohort."
    )
    min_items_for_share: int = Field(
        20, ge=0, description="Kinds with fewer managed objects than this are not checked."
    )
    min_items_per_scope: int = Field(
        10, ge=0, description="Scopes with fewer objects than this are not checked."
    )
    source_shrink_ratio: float = Field(
        0.5,
        gt=0,
        le=1,
        description="A source (table, directory, timetable) smaller than this share of its "
        "previous size is taken as truncated: the step stops before computing anything.",
    )


class PipelineSection(Section):
    lock_file: Path = Field(Path("var/jonction.lock"), description="Forbids overlapping runs.")
    schedules: dict[str, str] = Field(
        default_factory=dict,
        description="Optional cron expression per step, for sites that keep separate clock jobs.",
    )


class WebSection(Section):
    host: str = Field("127.0.0.1", description="Address the dashboard listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port of the dashboard.")
    secret_key: SecretStr | None = Field(
        None, description="Signs session cookies (or JONCTION_WEB__SECRET_KEY); generated if empty."
    )
    language: str = Field("fr", description="Default language of the dashboard (fr or en).")


class ReportSection(Section):
    smtp_host: str = Field("", description="SMTP server for the nightly summary; empty: no mail.")
    smtp_port: int = Field(25, ge=1, le=65535)
    sender: str = Field("jonction@localhost", description="From address of the summary.")
    recipients: list[str] = Field(default_factory=list, description="Who gets the summary.")
