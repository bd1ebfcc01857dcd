"""A Moodle 4.1 simulator for jonction's tests, demo and benchmarks.

It serves Moodle's REST web services with Moodle's validation rules, answers and quirks (as
recorded from a real Moodle), keeps its state in a real database, charges the measured cost
of each call on a bounded pool of workers, injects seeded faults, and runs Moodle's
enrol_database sync on demand. It shares no code with jonction's client on purpose.
"""

from __future__ import annotations

from .app import create_app
from .config import SimulatorConfig
from .costs import CostModel
from .simulator import Simulator

__all__ = ["CostModel", "Simulator", "SimulatorConfig", "create_app"]
