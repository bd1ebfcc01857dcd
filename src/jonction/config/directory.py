"""The LDAP directory and the ADE timetable."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator

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


class AdeSection(Section):
    url: str = Field("", description="ADE web API (https://host/jsp/webapi); empty: use path.")
    project_id: int | None = Field(None, description="ADE project of the academic year.")
    login: str = Field("", description="ADE login.")
    password: SecretStr | None = Field(None, description="ADE password (or JONCTION_ADE_PASSWORD).")
    path: Path | None = Field(None, description="Folder of saved ADE answers (file mode).")

    @model_validator(mode="after")
    def _load_password(self) -> AdeSection:
        password = secret_from(self.password, None, ("JONCTION_ADE_PASSWORD",), "ADE password")
        if password is not self.password:
            object.__setattr__(self, "password", password)
        return self
