"""The steps of the night, in their default order."""

from __future__ import annotations

from .base import Step

# refer → users → cohorts → offer → enrolments → groups, then what follows from them:
# obsolete and closed-year courses, complementary spaces.
ORDER: tuple[str, ...] = (
    "refer",
    "users",
    "cohorts",
    "offer",
    "enrolments",
    "groups",
    "obsolescence",
    "spaces",
)

_STEPS: dict[str, type[Step]] = {}


def register(step: type[Step]) -> type[Step]:
    """Class decorator adding a step to the registry."""
    _STEPS[step.name] = step
    return step


def _load() -> None:
    # Importing the step modules registers them.
    from . import available  # noqa: F401


def all_steps() -> dict[str, type[Step]]:
    _load()
    return {name: _STEPS[name] for name in ORDER if name in _STEPS} | {
        name: step for name, step in _STEPS.items() if name not in ORDER
    }


def get(name: str) -> type[Step]:
    steps = all_steps()
    if name not in steps:
        known = ", ".join(steps) or "none"
        raise KeyError(f"unknown step {name!r}; the steps are: {known}")
    return steps[name]
