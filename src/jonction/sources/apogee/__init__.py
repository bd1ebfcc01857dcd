"""Apogée, the student information system: its schema (the subset jonction reads) and readers."""
