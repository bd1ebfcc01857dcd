"""Moodle's web services and the external enrolment table."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator

from ._base import Section, secret_from


class MoodleSection(Section):
    url: str = Field("http://127.0.0.1:8765", description="Moodle's wwwroot.")
    token: SecretStr | None = Field(
        None, description="Web service token; better from JONCTION_MOODLE_TOKEN or token_file."
    )
    token_file: Path | None = Field(None, description="File holding the token (mode 600).")
    timeout_s: float = Field(120.0, gt=0, description="Seconds before a call is abandoned.")
    max_input_vars: int = Field(
        5000, ge=100, description="PHP's max_input_vars on the Moodle server (form fields)."
    )
    concurrency: int = Field(6, ge=1, description="Calls in flight at once (PHP-FPM workers).")
    retries: int = Field(4, ge=0, description="Retries of a call after a transport fault.")
    backoff_s: float = Field(0.5, ge=0, description="First retry delay; doubles each time.")
    batch_sizes: dict[str, int] = Field(
        default_factory=dict,
        description="Items per call by web service function, overriding the built-in sizes.",
    )
    verify_tls: bool = Field(True, description="Check Moodle's TLS certificate.")

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
    sync_timeout_s: float = Field(
        3600.0,
        gt=0,
        description="Seconds the sync may take before it is stopped (a first sync of 300,000 "
        "rows takes about half an hour in Moodle).",
    )
    sync_when_unchanged: bool = Field(
        False, description="Trigger the sync even when the table did not change."
    )

    @model_validator(mode="after")
    def _load_password(self) -> EnrolDatabaseSection:
        password = secret_from(
            self.password, None, ("JONCTION_ENROL_DATABASE_PASSWORD",), "enrolment database"
        )
        if password is not self.password:
            object.__setattr__(self, "password", password)
        return self
