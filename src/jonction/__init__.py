"""jonction keeps a university's Moodle in line with its information system."""

__version__ = "0.1.0"
