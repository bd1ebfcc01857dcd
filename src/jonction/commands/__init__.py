"""Command-line verbs, one module each; `register_all` attaches them to the root command."""

from __future__ import annotations

import typer

from . import config_cmd, generate, pause, report, steps_cmd


def register_all(app: typer.Typer) -> None:
    config_cmd.register(app)
    steps_cmd.register(app)
    report.register(app)
    pause.register(app)
    generate.register(app)
