"""The LDAP directory and the ADE timetable."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from ._base import Section, secret_from


class LdapSection(Section):
    """The directory (SupAnn, eduPerson) that the users step reads, from a server or an LDIF
    file. The *_attribute keys map Moodle's account fields to the directory's attributes."""

    url: str = Field(
        "",
        description="ldap://host:389 or ldaps://host:636. Empty: read the file given by ldif.",
    )
    ldif: Path | None = Field(
        None, description="Read the directory from this LDIF file instead (demo, tests)."
    )
    base: str = Field("ou=people,dc=univ-exemple,dc=fr", description="Search base of people.")
    filter: str = Field("(eduPersonAffiliation=*)", description="LDAP filter of people.")
    bind_dn: str = Field("", description="Bind DN; empty for an anonymous bind.")
    password: SecretStr | None = Field(
        None, description="Bind password (or JONCTION_LDAP_PASSWORD)."
    )
    password_file: Path | None = Field(None, description="File holding the bind password.")
    start_tls: bool = Field(False, description="Upgrade ldap:// with StartTLS.")
    verify_tls: bool = Field(True, description="Check the server's TLS certificate.")
    ca_file: Path | None = Field(
        None, description="CA certificates (PEM) that sign the server's certificate."
    )
    page_size: int = Field(500, ge=1, description="Entries per page of the paged search.")
    timeout_s: float = Field(30.0, gt=0, description="Connection and search timeout.")
    username_attribute: str = Field(
        "uid", description="Attribute giving the Moodle username (lowercased)."
    )
    firstname_attribute: str = Field("givenName", description="Attribute of the first name.")
    lastname_attribute: str = Field("sn", description="Attribute of the last name.")
    display_name_attribute: str = Field(
        "displayName", description="Full name, used when the first or last name is missing."
    )
    email_attribute: str = Field("mail", description="Attribute of the e-mail (lowercased).")
    other_email_attribute: str = Field(
        "supannAutreMail",
        description="Other addresses of a person (lowercased), never sent to Moodle: the "
        "timetable may know a teacher by one of them ([ade] teacher_key).",
    )
    student_id_attribute: str = Field(
        "supannEtuId", description="Student number (Apogée COD_ETU): links REFER to accounts."
    )
    employee_id_attribute: str = Field("supannEmpId", description="Employee number (HR).")
    affiliation_attribute: str = Field(
        "eduPersonAffiliation",
        description="Statuses of a person; [accounts] affiliations says which give an account.",
    )
    red_list_attribute: str = Field(
        "supannListeRouge", description="TRUE for people who must not be exposed (e-mail hidden)."
    )

    @model_validator(mode="after")
    def _load_password(self) -> LdapSection:
        password = secret_from(
            self.password, self.password_file, ("JONCTION_LDAP_PASSWORD",), "LDAP password"
        )
        if password is not self.password:
            object.__setattr__(self, "password", password)
        return self

    @model_validator(mode="after")
    def _one_source(self) -> LdapSection:
        if self.url and self.ldif is not None:
            raise ValueError("set either url (a server) or ldif (a file), not both")
        if self.url and not self.url.lower().startswith(("ldap://", "ldaps://")):
            raise ValueError(f"url must start with ldap:// or ldaps:// (got {self.url!r})")
        if self.start_tls and self.url.lower().startswith("ldaps://"):
            raise ValueError("start_tls upgrades ldap://; ldaps:// is already encrypted")
        return self


AdeAuth = Literal["query", "basic", "token"]
TeacherKey = Literal["code", "email", "code_or_email"]

# Where an event's course code may be read (see docs/enrolments.md).
COURSE_KEY_FORM = re.compile(
    r"^(activity\.code|resource\[(trainee|instructor|classroom|equipment|category[5-8])\]"
    r"\.(code|name))$"
)
DEFAULT_PLACEHOLDERS = (
    r"(?i)\b(à|a)\s+(affecter|définir|definir|pourvoir)\b",
    r"(?i)^\s*(tba|tbd|n\.?\s*c\.?|inconnu|x+)\s*$",
)


class AdeSection(Section):
    """The ADE timetable: who teaches which element. A teacher with an event in the window gets
    the teacher role in the element's course."""

    url: str = Field("", description="ADE web API (https://host/jsp/webapi); empty: use path.")
    project_id: int | None = Field(None, description="ADE project of the academic year.")
    auth: AdeAuth = Field(
        "query",
        description="How to connect: query (login and password in the query string), basic "
        "(HTTP Basic authentication, ADE Campus 2025.1 and later), token (the encrypted data= "
        "token configured in ADE).",
    )
    login: str = Field("", description="ADE login (auth = query or basic).")
    password: SecretStr | None = Field(None, description="ADE password (or JONCTION_ADE_PASSWORD).")
    password_file: Path | None = Field(None, description="File holding the ADE password.")
    token: SecretStr | None = Field(
        None, description="The data= token of auth = token (or JONCTION_ADE_TOKEN)."
    )
    token_file: Path | None = Field(None, description="File holding the data= token.")
    path: Path | None = Field(
        None,
        description="Folder of saved ADE answers (file mode): getResources*.xml (flat, detail "
        "11), getEvents*.xml (detail 8), and getActivities*.xml when a course key reads "
        "activity.code.",
    )
    course_keys: list[str] = Field(
        default_factory=lambda: ["resource[category5].code", "resource[category5].name"],
        description="Where an event's course code is read, tried in order: activity.code, "
        "resource[CATEGORY].code or resource[CATEGORY].name (through course_name_pattern); "
        "CATEGORY is trainee, instructor, classroom, equipment or category5..category8.",
    )
    course_name_pattern: str = Field(
        r"^\s*([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:",
        description="Regular expression whose first group is the course code within a name "
        "(for 'SIN2U05 : Bases de données' it gives SIN2U05).",
    )
    teacher_key: TeacherKey = Field(
        "code",
        description="How a teacher is recognised: code (the instructor's code is the "
        "directory's supannEmpId), email (an address of the instructor is one of the "
        "directory's: [ldap] email_attribute, other_email_attribute), or code_or_email (the "
        "code, else the addresses).",
    )
    placeholder_patterns: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PLACEHOLDERS),
        description="Regular expressions on instructor names of placeholders (ENSEIGNANT À "
        "AFFECTER…), ignored without being reported.",
    )
    course_map: dict[str, str] = Field(
        default_factory=dict,
        description="ADE course code → Apogée element code, for codes that do not match an "
        'element; map a code to "" to ignore it without reporting it.',
    )
    course_map_file: Path | None = Field(
        None,
        description="CSV file of more course_map entries, two columns: ade_code,element "
        "(a header line with these names is allowed).",
    )
    window_start: date | None = Field(
        None, description="First day of the events that count; default 1 July of the year."
    )
    window_end: date | None = Field(
        None, description="Last day of the events that count; default 30 June of the next year."
    )
    window_weeks_before: int | None = Field(
        None,
        ge=0,
        description="Instead of window_start: this many weeks before the day of the run.",
    )
    window_weeks_after: int | None = Field(
        None,
        ge=0,
        description="Instead of window_end: this many weeks after the day of the run.",
    )
    event_filter_category: str = Field(
        "instructor",
        description="Category of the resources whose ids filter getEvents (ADE answers every "
        "event of the project when unfiltered).",
    )
    chunk_size: int = Field(100, ge=1, le=100, description="Resource ids per getEvents call.")
    connect_timeout_s: float = Field(10.0, gt=0, description="Seconds to connect to ADE.")
    read_timeout_s: float = Field(60.0, gt=0, description="Seconds to wait for an ADE answer.")
    verify_tls: bool = Field(True, description="Check ADE's TLS certificate.")

    @field_validator("course_keys")
    @classmethod
    def _known_course_keys(cls, keys: list[str]) -> list[str]:
        if not keys:
            raise ValueError("give at least one place, e.g. ['resource[category5].code']")
        for key in keys:
            if not COURSE_KEY_FORM.match(key):
                raise ValueError(
                    f"{key!r} is not a course key place: write activity.code, "
                    "resource[category5].code or resource[category5].name"
                )
        return keys

    @field_validator("course_name_pattern")
    @classmethod
    def _pattern_has_a_group(cls, pattern: str) -> str:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        if compiled.groups < 1:
            raise ValueError("the pattern needs a group, (…), around the code")
        return pattern

    @field_validator("placeholder_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from None
        return patterns

    @model_validator(mode="after")
    def _load_secrets_and_check(self) -> AdeSection:
        if self.url and self.path is not None:
            raise ValueError("set url (the web API) or path (saved answers), not both")
        if self.window_start and self.window_end and self.window_start > self.window_end:
            raise ValueError("window_start is after window_end")
        password = secret_from(
            self.password, self.password_file, ("JONCTION_ADE_PASSWORD",), "ADE password"
        )
        if password is not self.password:
            object.__setattr__(self, "password", password)
        token = secret_from(self.token, self.token_file, ("JONCTION_ADE_TOKEN",), "ADE token")
        if token is not self.token:
            object.__setattr__(self, "token", token)
        return self

    @property
    def configured(self) -> bool:
        return bool(self.url) or self.path is not None
