"""The steps of the night, in their default order."""

from __future__ import annotations

from collections.abc import Sequence

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

# The steps whose results a step reads: it starts once those of the run have ended, beside
# the others (the users and cohorts steps while the offer step works, the cohorts step while
# the enrolments step works). A step not named here waits for every step before it.
AFTER: dict[str, tuple[str, ...]] = {
    "refer": (),
    "users": ("refer",),  # REFER's students without an account are reported
    "cohorts": ("refer", "users"),  # their members are the accounts of the users step
    "offer": ("refer",),
    "enrolments": ("refer", "users", "offer"),
    "groups": ("refer", "users", "offer", "enrolments"),
}

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


def runs_after(name: str, ordered: Sequence[str]) -> list[str]:
    """The steps of a run (`ordered`, in the run's order) that `name` waits for: those it
    reads (`AFTER`) and those it requires, or every step before it when it is not in `AFTER`."""
    before = list(ordered[: list(ordered).index(name)])
    if name not in AFTER:
        return before
    wanted = set(AFTER[name]) | set(get(name).requires)
    return [step for step in before if step in wanted]
