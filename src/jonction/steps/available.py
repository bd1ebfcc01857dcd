"""Imports every step module so that each registers itself."""
