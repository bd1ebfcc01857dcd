"""The LDAP directory and the ADE timetable."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator

from ._base import Section, secret_from


class LdapSection(Section):
    url: str = Field("", description="ldap://host:389 or ldaps://host:636; empty: use ldif.")
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
    page_size: int = Field(500, ge=1, description="Entries per page of the paged search.")
    timeout_s: float = Field(30.0, gt=0, description="Connection and search timeout.")

    @model_validator(mode="after")
    def _load_password(self) -> LdapSection:
        password = secret_from(
            self.password, self.password_file, ("JONCTION_LDAP_PASSWORD",), "LDAP password"
        )
        if password is not self.password:
            object.__setattr__(self, "password", password)
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
