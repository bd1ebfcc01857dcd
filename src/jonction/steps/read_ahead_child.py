"""`python -m jonction.steps.read_ahead_child`: one source read ahead (read_ahead.py), the
pickled read on standard input, the pickled answer on standard output."""

from __future__ import annotations

import os
import pickle
import sys

from .read_ahead import read_and_answer


def main() -> None:
    answer = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # Whatever the read prints goes to the run's error output, not into the answer.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    read = pickle.load(sys.stdin.buffer)
    with answer:
        answer.write(read_and_answer(read))


if __name__ == "__main__":
    main()
