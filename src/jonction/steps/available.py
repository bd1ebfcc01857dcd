"""Imports every step module so that each registers itself."""

from . import (
    enrolments,  # noqa: F401
    refer,  # noqa: F401
)
