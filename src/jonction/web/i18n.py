"""The dashboard's languages: gettext catalogues compiled from their .po files when loaded.

Messages are written in English in the code and templates; `locale/fr/LC_MESSAGES/messages.po`
translates them. The English catalogue holds only the messages named by a code (anomaly rules,
links of explain's chains). Compiling in memory means a fresh clone needs no build step.
"""

from __future__ import annotations

import gettext
from functools import cache
from importlib.resources import files
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("fr", "en")
DOMAIN = "messages"


def catalogue_path(language: str) -> str:
    return f"locale/{language}/LC_MESSAGES/{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of `language`; English is the language of the messages."""
    if language not in LANGUAGES:
        return gettext.NullTranslations()
    source = files(__package__).joinpath(catalogue_path(language))
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def pick_language(requested: object, default: str) -> str:
    return requested if isinstance(requested, str) and requested in LANGUAGES else default
