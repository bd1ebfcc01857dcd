"""Imports every step module so that each registers itself."""

from . import enrolments, offer, refer  # noqa: F401
