"""`python -m moodlesim --port 8765 --token T`."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
