"""Imports every step module so that each registers itself."""

from . import refer  # noqa: F401
