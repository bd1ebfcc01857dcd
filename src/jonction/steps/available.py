"""Imports every step module so that each registers itself."""

from . import cohorts, groups, obsolescence, offer, refer, spaces, users  # noqa: F401
