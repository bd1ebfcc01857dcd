"""Imports every step module so that each registers itself."""

from . import cohorts, refer, users  # noqa: F401
