"""Options and helpers shared by the verbs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ..config import ConfigError, Settings, load_settings

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Configuration file (TOML). Default: $JONCTION_CONFIG, else built-in defaults.",
        envvar="JONCTION_CONFIG",
        show_envvar=True,
    ),
]

console = Console()
err_console = Console(stderr=True)


def settings_or_exit(path: Path | None) -> Settings:
    """Loads the configuration or exits with the message naming the bad key."""
    try:
        return load_settings(path)
    except ConfigError as exc:
        err_console.print(f"[bold red]configuration error[/]: {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
