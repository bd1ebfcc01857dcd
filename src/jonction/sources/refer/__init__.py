"""REFER: jonction's own copy of what it needs from the student information system."""
