"""`jonction moodle-sim`: serves the Moodle simulator (tests, demo, benchmarks)."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import err_console


def register(app: typer.Typer) -> None:
    app.command("moodle-sim")(moodle_sim)


def moodle_sim(
    token: Annotated[
        str, typer.Option(help="Web service token the simulator accepts.", envvar="MOODLESIM_TOKEN")
    ],
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8765,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    db: Annotated[
        str, typer.Option(help="SQLAlchemy URL of the simulator's state (SQLite or PostgreSQL).")
    ] = "sqlite:///var/moodlesim.db",
    latency_ms: Annotated[float, typer.Option(help="Fixed cost of every call, ms.")] = 20.0,
    per_item_ms: Annotated[
        float | None,
        typer.Option(help="One per-item cost for every function instead of the measured ones."),
    ] = None,
    cost_scale: Annotated[float, typer.Option(help="Multiplies every simulated cost.")] = 1.0,
    workers: Annotated[int, typer.Option(help="PHP-FPM workers: calls served at once.")] = 6,
    fault_rate: Annotated[float, typer.Option(help="Share of calls that fail (0 to 1).")] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of the faults.")] = 0,
    fault_hang_s: Annotated[float, typer.Option(help="How long a hanging call lasts, s.")] = 180.0,
    max_input_vars: Annotated[int, typer.Option(help="PHP's max_input_vars.")] = 5000,
    debug: Annotated[bool, typer.Option(help="Errors carry Moodle's debuginfo.")] = False,
    enrol_db: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL of the table enrol_database reads.")
    ] = None,
    enrol_setting: Annotated[
        list[str] | None,
        typer.Option(
            help="An enrol_database setting, NAME=VALUE with Moodle's names (repeatable)."
        ),
    ] = None,
    site_url: Annotated[
        str | None, typer.Option(help="wwwroot shown in answers (default: the request's URL).")
    ] = None,
    without_function: Annotated[
        list[str] | None,
        typer.Option(help="Leave a function out of the token's service (repeatable)."),
    ] = None,
) -> None:
    """Serve a simulated Moodle 4.1 (web services, costs, faults, enrol_database sync)."""
    from moodlesim.cli import make_config
    from moodlesim.server import serve

    try:
        config = make_config(
            token=token,
            db_url=db,
            latency_ms=latency_ms,
            per_item_ms=per_item_ms,
            cost_scale=cost_scale,
            workers=workers,
            fault_rate=fault_rate,
            seed=seed,
            fault_hang_s=fault_hang_s,
            max_input_vars=max_input_vars,
            debug=debug,
            enrol_db=enrol_db,
            enrol_settings=enrol_setting or [],
            site_url=site_url,
            without_functions=without_function or [],
        )
    except ValueError as exc:
        err_console.print(f"[bold red]moodle-sim[/]: {exc}", highlight=False)
        raise typer.Exit(2) from None
    serve(config, host, port)
