"""Command-line verbs, one module each; `register_all` attaches them to the root command."""

from __future__ import annotations

import typer

from . import (
    adopt,
    config_cmd,
    explain,
    generate,
    moodle_sim,
    pause,
    report,
    rollover,
    serve,
    spaces,
    steps_cmd,
    undo,
    web_user,
)


def register_all(app: typer.Typer) -> None:
    config_cmd.register(app)
    steps_cmd.register(app)
    report.register(app)
    pause.register(app)
    generate.register(app)
    explain.register(app)
    serve.register(app)
    web_user.register(app)
    moodle_sim.register(app)
    adopt.register(app)
    rollover.register(app)
    spaces.register(app)
    undo.register(app)
