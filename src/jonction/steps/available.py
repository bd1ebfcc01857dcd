"""Imports every step module so that each registers itself."""

from . import cohorts, enrolments, offer, refer, users  # noqa: F401
