"""Imports every step module so that each registers itself."""

from . import cohorts, offer, refer, users  # noqa: F401
