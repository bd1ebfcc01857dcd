"""`python -m moodlesim`: the simulator's own command line (jonction moodle-sim wraps it)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from .config import DEFAULT_DB_URL, SimulatorConfig
from .costs import CostModel
from .enrol_database import EnrolDatabaseSettings


def parse_enrol_settings(pairs: Sequence[str]) -> dict[str, str]:
    """NAME=VALUE pairs (Moodle's enrol_database setting names), checked."""
    settings: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--enrol-setting expects NAME=VALUE, got {pair!r}")
        settings[name.strip()] = value
    EnrolDatabaseSettings.from_settings(settings)
    return settings


def make_config(
    *,
    token: str,
    db_url: str = DEFAULT_DB_URL,
    latency_ms: float = 20.0,
    per_item_ms: float | None = None,
    cost_scale: float = 1.0,
    workers: int = 6,
    fault_rate: float = 0.0,
    seed: int = 0,
    fault_hang_s: float = 180.0,
    max_input_vars: int = 5000,
    debug: bool = False,
    enrol_db: str | None = None,
    enrol_settings: Sequence[str] = (),
    site_url: str | None = None,
    without_functions: Sequence[str] = (),
    sync_process: bool = False,
) -> SimulatorConfig:
    cost = CostModel(latency_ms=latency_ms, per_item_override_ms=per_item_ms, scale=cost_scale)
    return SimulatorConfig(
        token=token,
        db_url=db_url,
        cost=cost,
        workers=workers,
        fault_rate=fault_rate,
        seed=seed,
        fault_hang_s=fault_hang_s,
        max_input_vars=max_input_vars,
        debug=debug,
        enrol_db_url=enrol_db,
        enrol_settings=parse_enrol_settings(enrol_settings),
        site_url=site_url,
        without_functions=frozenset(without_functions),
        sync_process=sync_process,
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="moodlesim", description="A Moodle 4.1 web service simulator (REST, JSON and XML)."
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument(
        "--token",
        default=os.environ.get("MOODLESIM_TOKEN"),
        help="web service token (default: $MOODLESIM_TOKEN)",
    )
    p.add_argument("--db", default=DEFAULT_DB_URL, help="SQLAlchemy URL of the simulator's state")
    p.add_argument("--latency-ms", type=float, default=20.0, help="fixed cost of every call")
    p.add_argument(
        "--per-item-ms",
        type=float,
        default=None,
        help="one per-item cost for every function instead of the measured ones",
    )
    p.add_argument("--cost-scale", type=float, default=1.0, help="multiplies every cost")
    p.add_argument("--workers", type=int, default=6, help="PHP-FPM workers (concurrent calls)")
    p.add_argument("--fault-rate", type=float, default=0.0, help="share of calls that fail")
    p.add_argument("--seed", type=int, default=0, help="seed of the faults")
    p.add_argument("--fault-hang-s", type=float, default=180.0, help="how long a hang lasts")
    p.add_argument("--max-input-vars", type=int, default=5000, help="PHP's max_input_vars")
    p.add_argument("--debug", action="store_true", help="errors carry debuginfo")
    p.add_argument("--enrol-db", default=None, help="SQLAlchemy URL of enrol_database's table")
    p.add_argument(
        "--enrol-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an enrol_database setting, by Moodle's name (repeatable)",
    )
    p.add_argument(
        "--sync-process",
        action="store_true",
        help="run enrol_database's sync in a process of its own, as Moodle's cron does",
    )
    p.add_argument("--site-url", default=None, help="wwwroot in answers (default: request URL)")
    p.add_argument(
        "--without-function",
        action="append",
        default=[],
        metavar="NAME",
        help="leave a function out of the token's service (repeatable)",
    )
    p.add_argument("--announce", action="store_true", help='print {"url": …} once bound')
    p.add_argument("--log-level", default="warning")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from .server import serve

    args = parser().parse_args(argv)
    if not args.token:
        parser().error("a token is needed (--token or $MOODLESIM_TOKEN)")
    try:
        config = make_config(
            token=args.token,
            db_url=args.db,
            latency_ms=args.latency_ms,
            per_item_ms=args.per_item_ms,
            cost_scale=args.cost_scale,
            workers=args.workers,
            fault_rate=args.fault_rate,
            seed=args.seed,
            fault_hang_s=args.fault_hang_s,
            max_input_vars=args.max_input_vars,
            debug=args.debug,
            enrol_db=args.enrol_db,
            enrol_settings=args.enrol_setting,
            site_url=args.site_url,
            without_functions=args.without_function,
            sync_process=args.sync_process,
        )
    except ValueError as exc:
        parser().error(str(exc))
    serve(config, args.host, args.port, announce=args.announce, log_level=args.log_level)
    return 0
