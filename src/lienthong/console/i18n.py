"""Languages: Vietnamese by default, English on request (``?lang=en``, then kept in a cookie).

Messages are written in English in the templates and code (the msgid) and translated in the
Babel catalogue ``locales/vi/LC_MESSAGES/console.po``, compiled in memory when the console is
built: no compiled file to keep in step, no build step.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Request

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
COOKIE = "__Host-lienthong-lang"
DOMAIN = "console"


@dataclass(frozen=True)
class Language:
    code: str
    translations: NullTranslations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)


def catalogue_text(code: str) -> bytes:
    """The ``.po`` file of a language (English has none: the msgids are English)."""
    folder = resources.files("lienthong.console") / "locales" / code / "LC_MESSAGES"
    return (folder / f"{DOMAIN}.po").read_bytes()


@cache
def language(code: str) -> Language:
    if code == "en":
        return Language("en", NullTranslations())
    catalog = read_po(io.BytesIO(catalogue_text(code)), locale=code, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Language(code, Translations(compiled, domain=DOMAIN))


def chosen(request: Request) -> str:
    """``?lang=`` if it names a language, else the cookie's, else Vietnamese."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT
