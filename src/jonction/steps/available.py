"""Imports every step module so that each registers itself."""

from . import offer, refer  # noqa: F401
