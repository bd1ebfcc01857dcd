"""Safety guards, the nightly pipeline, the journal's reports and the dashboard."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from ._base import Section, secret_from


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
    """The nightly pipeline: one run at a time, optional per-step clock times."""

    lock_file: Path = Field(Path("var/jonction.lock"), description="Forbids overlapping runs.")
    concurrent_steps: bool = Field(
        True,
        description="Steps that do not read each other's results run at the same time (the "
        "offer step beside the users and cohorts steps, the enrolments step beside the cohorts "
        "step); false runs every step after the one before it.",
    )
    read_ahead: bool = Field(
        True,
        description="The directory and the timetable, which no earlier step changes, are read "
        "at the start of the run in processes of their own, while the steps before the users "
        "and enrolments steps work (on another core, and a server's wait spent meanwhile); "
        "false reads each when its step starts.",
    )
    schedules: dict[str, str] = Field(
        default_factory=dict,
        description="Optional cron expression per step (local time), for sites that keep the "
        'original chronology, e.g. { refer = "0 18 * * *", users = "0 0 * * *" }; '
        "`jonction nightly --due`, started every few minutes, runs the steps whose time has come.",
    )

    @field_validator("schedules")
    @classmethod
    def _valid_cron(cls, schedules: dict[str, str]) -> dict[str, str]:
        from croniter import croniter

        for step, expression in schedules.items():
            if not croniter.is_valid(expression):
                raise ValueError(
                    f"{step}: {expression!r} is not a cron expression (minute hour day month "
                    "weekday, e.g. '15 4 * * *')"
                )
        return schedules


class WebSection(Section):
    """The dashboard (`jonction serve`): who may log in, how sessions and proxies are trusted."""

    host: str = Field("127.0.0.1", description="Address the dashboard listens on (loopback).")
    port: int = Field(8000, ge=1, le=65535, description="Port of the dashboard.")
    secret_key: SecretStr | None = Field(
        None,
        description="Signs session cookies (or JONCTION_WEB__SECRET_KEY). Empty: a random key is "
        "kept in secret_key_file, created on first start with mode 600.",
    )
    secret_key_file: Path = Field(
        Path("var/web-secret.key"), description="Where the generated session key is kept."
    )
    language: Literal["fr", "en"] = Field(
        "fr", description="Default language of the dashboard (fr or en)."
    )
    session_minutes: int = Field(
        480, ge=5, description="A session ends this many minutes after login."
    )
    cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Mark the session cookie Secure (HTTPS only). auto: Secure unless the "
        "dashboard is served on a loopback address without a proxy or TLS.",
    )
    tls_certfile: Path | None = Field(None, description="Serve HTTPS with this certificate.")
    tls_keyfile: Path | None = Field(None, description="Private key of tls_certfile.")
    local_login: bool = Field(
        True, description="Allow the login form (accounts managed by `jonction web-user`)."
    )
    proxy_header: str = Field(
        "",
        description="Header carrying the user name set by a trusted reverse proxy (CAS, "
        "Shibboleth), e.g. X-Remote-User. Empty: off. The user must also have an account.",
    )
    proxy_addresses: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of the reverse proxies trusted for "
        "proxy_header and X-Forwarded-*; the header is refused from any other address.",
    )
    login_attempts: int = Field(
        5, ge=1, description="Failed logins allowed per user name and address within the window."
    )
    login_window_s: int = Field(
        300, ge=1, description="Window of the failed-login limit, in seconds."
    )
    plan_file: Path = Field(
        Path("var/plan.json"),
        description="The saved plan the dashboard shows as tonight's (`jonction plan --save`); "
        "the dashboard writes it when an administrator asks for a fresh plan.",
    )
    page_size: int = Field(100, ge=10, le=5000, description="Rows per page of long tables.")
    timezone: str = Field("Europe/Paris", description="Time zone of the dates shown.")

    @field_validator("proxy_addresses")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ip_network(value, strict=False)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not an address or a network (e.g. 127.0.0.1 or 10.0.0.0/24)"
                ) from None
        return values


class ReportSection(Section):
    """The summary e-mailed to the administrators after each night."""

    smtp_host: str = Field("", description="SMTP server for the nightly summary; empty: no mail.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port (587 with starttls).")
    starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_user: str = Field("", description="SMTP login, if the server needs one.")
    smtp_password: SecretStr | None = Field(
        None, description="SMTP password (or JONCTION_REPORT_PASSWORD)."
    )
    sender: str = Field("jonction@localhost", description="From address of the summary.")
    recipients: list[str] = Field(default_factory=list, description="Who gets the summary.")
    subject_prefix: str = Field("[jonction]", description="Start of the summary's subject.")
    dashboard_url: str = Field(
        "", description="Public address of the dashboard, linked from the summary."
    )

    @model_validator(mode="after")
    def _load_password(self) -> ReportSection:
        password = secret_from(
            self.smtp_password, None, ("JONCTION_REPORT_PASSWORD",), "SMTP password"
        )
        if password is not self.smtp_password:
            object.__setattr__(self, "smtp_password", password)
        return self
