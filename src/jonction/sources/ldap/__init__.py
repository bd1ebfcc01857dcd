"""The LDAP directory (SupAnn, eduPerson): people read from a server or an LDIF file."""

from .entries import Directory, DirectoryEntry
from .errors import DirectoryError, DirectoryUnavailable
from .reader import describe_source, read_directory

__all__ = [
    "Directory",
    "DirectoryEntry",
    "DirectoryError",
    "DirectoryUnavailable",
    "describe_source",
    "read_directory",
]
