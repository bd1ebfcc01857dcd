"""The simulator's settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .costs import CostModel

DEFAULT_DB_URL = "sqlite:///var/moodlesim.db"


@dataclass(frozen=True)
class SimulatorConfig:
    token: str
    db_url: str = DEFAULT_DB_URL
    cost: CostModel = field(default_factory=CostModel)
    # PHP-FPM workers: concurrent calls beyond this number wait.
    workers: int = 6
    # Share of web service calls that fail (503) or hang; seeded so runs repeat.
    fault_rate: float = 0.0
    seed: int = 0
    # How long a hanging call stalls: longer than the client's timeout.
    fault_hang_s: float = 180.0
    max_input_vars: int = 5000
    # Moodle's debug level raised: errors carry debuginfo.
    debug: bool = False
    # Moodle's enrol_database plugin: the external database and the plugin's settings.
    enrol_db_url: str | None = None
    enrol_settings: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # The sync in a process of its own, as Moodle's cron runs it: beside the web service's
    # workers on another processor. Otherwise on a thread of the simulator's process, which
    # starts at once but shares its interpreter with the calls.
    sync_process: bool = False
    # wwwroot used in answers; by default the URL the request came to.
    site_url: str | None = None
    # Functions left out of the token's service (to test a client's check of its service).
    without_functions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.token:
            raise ValueError("the simulator needs a web service token")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")
        if self.max_input_vars < 1:
            raise ValueError("max_input_vars must be at least 1")
        from .ws.spec import functions

        unknown = sorted(set(self.without_functions) - set(functions()))
        if unknown:
            raise ValueError(f"unknown web service functions: {', '.join(unknown)}")
