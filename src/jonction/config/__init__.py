"""jonction's configuration: one TOML file, every key also settable from the environment.

Order of precedence: environment (JONCTION_<SECTION>__<KEY>), then the file, then defaults.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from .accounts import AccountsSection, CohortsSection
from .directory import AdeSection, LdapSection
from .groups import GroupsSection
from .moodle import EnrolDatabaseSection, MoodleSection
from .obsolescence import ObsolescenceSection, SpacesSection
from .operations import GuardsSection, PipelineSection, ReportSection, WebSection
from .policy import PolicySection
from .sources import ApogeeSection, ReferSection, StateSection, current_academic_year

__all__ = ["ConfigError", "Settings", "current_academic_year", "load_settings"]

CONFIG_ENV = "JONCTION_CONFIG"


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file, key and expected form."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JONCTION_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    apogee: ApogeeSection = Field(default_factory=ApogeeSection)
    refer: ReferSection = Field(default_factory=ReferSection)
    state: StateSection = Field(default_factory=StateSection)
    moodle: MoodleSection = Field(default_factory=MoodleSection)
    enrol_database: EnrolDatabaseSection = Field(default_factory=EnrolDatabaseSection)
    ldap: LdapSection = Field(default_factory=LdapSection)
    ade: AdeSection = Field(default_factory=AdeSection)
    policy: PolicySection = Field(default_factory=PolicySection)
    accounts: AccountsSection = Field(default_factory=AccountsSection)
    cohorts: CohortsSection = Field(default_factory=CohortsSection)
    groups: GroupsSection = Field(default_factory=GroupsSection)
    obsolescence: ObsolescenceSection = Field(default_factory=ObsolescenceSection)
    spaces: SpacesSection = Field(default_factory=SpacesSection)
    guards: GuardsSection = Field(default_factory=GuardsSection)
    pipeline: PipelineSection = Field(default_factory=PipelineSection)
    web: WebSection = Field(default_factory=WebSection)
    report: ReportSection = Field(default_factory=ReportSection)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the file, which arrives as init arguments.
        return env_settings, init_settings


def _describe(error: Any) -> str:
    location = error["loc"]
    section = location[0] if location else "?"
    key = ".".join(str(part) for part in location[1:])
    where = f"[{section}] {key}" if key else f"[{section}]"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key"
    value = error.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    return f"{where}: {error['msg']}{shown}"


def load_settings(path: Path | str | None = None) -> Settings:
    """Loads the configuration from `path`, or $JONCTION_CONFIG, or defaults alone."""
    if path is None and os.environ.get(CONFIG_ENV):
        path = os.environ[CONFIG_ENV]
    data: dict[str, Any] = {}
    origin = "the environment and defaults"
    if path is not None:
        path = Path(path)
        origin = str(path)
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except FileNotFoundError:
            raise ConfigError(f"configuration file {path} not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    try:
        return Settings(**data)
    except ValidationError as exc:
        problems = "\n  ".join(_describe(error) for error in exc.errors())
        raise ConfigError(f"invalid configuration in {origin}:\n  {problems}") from None
