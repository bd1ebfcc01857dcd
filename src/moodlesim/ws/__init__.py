"""Moodle's external API machinery: descriptions, validation, errors, REST rendering."""
