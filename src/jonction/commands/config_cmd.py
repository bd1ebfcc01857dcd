"""`jonction config`: show and check the effective configuration."""

from __future__ import annotations

import json

import typer

from ..config import Settings
from ..config.example import render_example
from .common import ConfigOption, console, settings_or_exit


def register(app: typer.Typer) -> None:
    app.command("config")(show_config)


def show_config(
    config: ConfigOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    example: bool = typer.Option(
        False, "--example", help="Print the annotated example file with every key and default."
    ),
) -> None:
    """Check the configuration and print the effective values (secrets masked).

    Exits with status 2 and names the key when a value is unknown or malformed.
    """
    if example:
        typer.echo(render_example(Settings), nl=False)
        return
    settings = settings_or_exit(config)
    data = json.loads(settings.model_dump_json())
    if as_json:
        console.print_json(data=data)
        return
    for section, values in data.items():
        console.print(f"[bold]\\[{section}][/]")
        for key, value in values.items():
            console.print(f"  {key} = {json.dumps(value, ensure_ascii=False)}", highlight=False)
