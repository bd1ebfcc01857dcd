"""Moodle's web services and the external enrolment table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator

from ._base import Section, secret_from


class MoodleSection(Section):
    url: str = Field(
        "http://127.0.0.1:8765",
        description="Moodle's wwwroot; calls go to <url>/webservice/rest/server.php.",
    )
    token: SecretStr | None = Field(
        None, description="Web service token; better from JONCTION_MOODLE_TOKEN or token_file."
    )
    token_file: Path | None = Field(None, description="File holding the token (mode 600).")
    timeout_s: float = Field(
        120.0,
        gt=0,
        description="Seconds before a call with no answer is abandoned (then retried; a "
        "create is first looked up, so that it is applied once).",
    )
    max_input_vars: int = Field(
        5000,
        ge=100,
        description="PHP's max_input_vars on the Moodle server: no request carries more form "
        "fields (the three fixed ones included), since PHP drops the excess silently.",
    )
    concurrency: int = Field(
        6,
        ge=1,
        description="Calls in flight at once; more than Moodle's PHP-FPM workers only queues.",
    )
    retries: int = Field(
        4,
        ge=0,
        description="Retries of a call after a transport fault (timeout, connection error, "
        "HTTP 5xx); Moodle's own errors are never retried.",
    )
    backoff_s: float = Field(
        0.5, ge=0, description="First retry delay in seconds; doubles at each retry, jittered."
    )
    backoff_max_s: float = Field(30.0, ge=0, description="Longest delay between two retries.")
    batch_sizes: dict[str, Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict,
        description="Items per call by web service function (e.g. "
        "core_course_create_courses = 50), overriding the built-in sizes; the "
        "max_input_vars bound applies on top.",
    )
    verify_tls: bool = Field(True, description="Check Moodle's TLS certificate.")

    @field_validator("batch_sizes")
    @classmethod
    def _known_functions(cls, value: dict[str, int]) -> dict[str, int]:
        from ..moodle.functions import unknown_functions

        unknown = unknown_functions(list(value))
        if unknown:
            raise ValueError(f"not a function jonction calls: {', '.join(unknown)}")
        return value

    @model_validator(mode="after")
    def _load_token(self) -> MoodleSection:
        token = secret_from(self.token, self.token_file, ("JONCTION_MOODLE_TOKEN",), "Moodle token")
        if token is not self.token:
            object.__setattr__(self, "token", token)
        return self


class EnrolDatabaseSection(Section):
    url: str = Field(
        "sqlite:///var/enrolments.db",
        description="SQLAlchemy URL of the database that Moodle's enrol_database reads.",
    )
    password: SecretStr | None = Field(None, description="Password, if not in the URL.")
    table: str = Field("jonction_enrolments", description="Moodle setting remoteenroltable.")
    course_column: str = Field("course_idnumber", description="Moodle setting remotecoursefield.")
    user_column: str = Field("username", description="Moodle setting remoteuserfield.")
    role_column: str = Field("role", description="Moodle setting remoterolefield.")
    sync_command: str = Field(
        "",
        description="Run after writing the table, e.g. php admin/cli/scheduled_task.php "
        "--execute='\\enrol_database\\task\\sync_enrolments'. Empty: Moodle's cron does it.",
    )
    sync_url: str = Field(
        "",
        description="The simulator's sync endpoint (demo and tests), called instead of a command.",
    )

    @model_validator(mode="after")
    def _load_password(self) -> EnrolDatabaseSection:
        password = secret_from(
            self.password, None, ("JONCTION_ENROL_DATABASE_PASSWORD",), "enrolment database"
        )
        if password is not self.password:
            object.__setattr__(self, "password", password)
        return self
