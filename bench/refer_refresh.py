"""Wall time and peak memory of `jonction run refer` on a generated university: the first
refresh into an empty REFER, then a rerun with no change in Apogée; then the time to load the
snapshot of the year, as every step that reads REFER does.

    .venv/bin/jonction generate-apogee --url sqlite:///var/apogee30k.db --students 30000 --seed 1
    .venv/bin/python -m bench.refer_refresh --apogee-url sqlite:///var/apogee30k.db \\
        [--refer-url postgresql+psycopg://postgres@127.0.0.1/refer_bench] [--year 2026]

REFER's tables at --refer-url are dropped first (default: a new SQLite file in a temporary
folder). Each run is a separate process measured by /usr/bin/time -v.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import text

from jonction.config import current_academic_year
from jonction.db import make_engine, redact
from jonction.sources.refer.schema import metadata
from jonction.sources.refer.store import VERSION_TABLE

JONCTION = Path(sys.executable).with_name("jonction")
LOAD = """
import json, resource, sys, time
from jonction.db import make_engine
from jonction.sources.refer.store import load_snapshot
engine = make_engine(sys.argv[1])
started = time.perf_counter()
snapshot = load_snapshot(engine, sys.argv[2], exclusions=sys.argv[3] == "1")
print(json.dumps({
    "seconds": round(time.perf_counter() - started, 2),
    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    "pedagogical_registrations": len(snapshot.pedagogical_registrations),
    "students": len(snapshot.students),
    "exclusions": len(snapshot.exclusions),
}))
"""


def _drop_refer(url: str) -> None:
    engine = make_engine(url)
    metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
    engine.dispose()


def _timed(command: list[str]) -> dict[str, float]:
    done = subprocess.run(
        ["/usr/bin/time", "-v", *command], capture_output=True, text=True, check=False
    )
    report = done.stderr
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", report)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    user = re.search(r"User time \(seconds\): ([\d.]+)", report)
    if done.returncode != 0 or wall is None or rss is None or user is None:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{report}")
    hours, minutes, seconds = wall.groups()
    return {
        "wall_s": round(int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds), 1),
        "cpu_user_s": float(user.group(1)),
        "peak_rss_mib": int(rss.group(1)) // 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apogee-url", required=True)
    parser.add_argument("--refer-url", default="")
    parser.add_argument("--year", default=current_academic_year())
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        refer_url = args.refer_url or f"sqlite:///{Path(folder) / 'refer.db'}"
        _drop_refer(refer_url)
        config = Path(folder) / "jonction.toml"
        config.write_text(
            f'[apogee]\nurl = "{args.apogee_url}"\nyears = ["{args.year}"]\n'
            f'[refer]\nurl = "{refer_url}"\n'
            f'[state]\nurl = "sqlite:///{Path(folder) / "state.db"}"\n'
            f'[pipeline]\nlock_file = "{Path(folder) / "jonction.lock"}"\n',
            encoding="utf-8",
        )
        run = [str(JONCTION), "run", "refer", "--config", str(config)]
        results = {
            "apogee": redact(args.apogee_url),
            "refer": redact(refer_url),
            "first_run": _timed(run),
            "no_change_rerun": _timed(run),
        }
        for exclusions in ("0", "1"):
            loaded = subprocess.run(
                [sys.executable, "-c", LOAD, refer_url, args.year, exclusions],
                capture_output=True,
                text=True,
                check=True,
            )
            key = "load_snapshot" + ("_with_exclusions" if exclusions == "1" else "")
            results[key] = json.loads(loaded.stdout)
    print(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
