"""Plans saved to a file (`jonction plan --save`, the dashboard's fresh plan), to review them
and apply them later with `jonction apply`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from ..domain.plan import Plan

PLAN_FORMAT = 1


def write_plans(path: Path, plans: Iterable[Plan]) -> None:
    """Writes the plans atomically: a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "format": PLAN_FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "steps": {plan.step: plan.to_json() for plan in plans},
    }
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)
