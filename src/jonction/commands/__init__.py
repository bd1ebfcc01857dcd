"""Command-line verbs, one module each; `register_all` attaches them to the root command."""

from __future__ import annotations

import typer

from . import config_cmd, moodle_sim


def register_all(app: typer.Typer) -> None:
    config_cmd.register(app)
    moodle_sim.register(app)
