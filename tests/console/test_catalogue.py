"""The Vietnamese catalogue covers every message of the console's code and templates, with
the same placeholders, and nothing fuzzy or stale."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from lienthong.console.i18n import catalogue_text

CONSOLE = Path(__file__).resolve().parents[2] / "src" / "lienthong" / "console"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = extract_from_dir(
        CONSOLE,
        method_map=method_map,
        options_map=options,
        keywords={"_": None, "N_": None, "gettext": None},
    )
    return {message for _file, _line, message, _comments, _context in found}


def _catalogue() -> dict[str, tuple[str, bool]]:
    catalog = read_po(io.BytesIO(catalogue_text("vi")))
    return {m.id: (m.string, m.fuzzy) for m in catalog if m.id}


def test_every_message_is_translated_and_none_is_stale() -> None:
    wanted, have = _extracted(), _catalogue()
    assert len(wanted) > 80
    assert sorted(wanted - have.keys()) == []
    assert sorted(have.keys() - wanted) == []
    for message, (text, fuzzy) in have.items():
        assert text and not fuzzy, message
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(message)), message
