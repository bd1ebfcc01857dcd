"""Imports every step module so that each registers itself."""

from . import cohorts, groups, offer, refer, users  # noqa: F401
