"""Imports every step module so that each registers itself."""

from . import cohorts, enrolments, groups, offer, refer, users  # noqa: F401
