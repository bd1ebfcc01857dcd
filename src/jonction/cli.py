"""The `jonction` command. Each verb lives in its own module under `jonction.commands`."""

from __future__ import annotations

import typer

from . import __version__
from .commands import register_all
from .logs import configure

app = typer.Typer(
    name="jonction",
    help="Keeps a university's Moodle in line with Apogée, the LDAP directory and ADE.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
register_all(app)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print jonction's version and exit.",
        is_eager=True,
        callback=_print_version,
    ),
) -> None:
    """jonction: Apogée, LDAP and ADE → Moodle, every night, with no hand work."""
    configure()


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
