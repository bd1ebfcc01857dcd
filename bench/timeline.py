"""When each step of a night ran, and within it when its Moodle calls ran: the night's
critical path, read from the journal (step start and end, and for each function the Unix times
of its first call asked for and its last answer, `CallTally`)."""

from __future__ import annotations

from .night import Night, is_web_service


def timeline(night: Night) -> list[str]:
    """Lines of text: seconds from the first step's start; steps in the order they started,
    each followed by its functions in the order their calls began."""
    steps = [step for step in night.steps if step.started]
    if not steps:
        return []
    zero = min(step.started for step in steps)
    lines = [f"timeline of the {night.name} night (seconds from the first step's start):"]
    for step in sorted(steps, key=lambda s: s.started):
        end = step.finished or step.started
        lines.append(
            f"  {step.step:<12} {step.started - zero:7.2f} → {end - zero:7.2f}  "
            f"({end - step.started:.2f} s)"
        )
        timed = [(f, entry) for f, entry in step.calls.items() if "first" in entry]
        for function, entry in sorted(timed, key=lambda item: item[1]["first"]):
            what = f"{int(entry['calls']):,} calls" if is_web_service(function) else "Moodle"
            lines.append(
                f"    {entry['first'] - zero:7.2f} → {entry['last'] - zero:7.2f}  "
                f"{function} ({what}, {int(entry['items']):,} items)"
            )
    return lines
