"""Every string in the Chinese catalogue is translated, not fuzzy, keeps its placeholders,
and the compiled catalogue matches the source."""

from __future__ import annotations

import gettext
import re
from pathlib import Path
from typing import NamedTuple

import medrecall

LOCALE = Path(medrecall.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


class Entry(NamedTuple):
    context: str
    msgid: str
    plural: str
    msgstr: str
    fuzzy: bool


def _strings(part: str) -> str:
    return "".join(re.findall(r'"(.*)"', part))


def entries() -> list[Entry]:
    found = []
    for block in (LOCALE / "django.po").read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        text = "\n".join(line for line in lines if not line.startswith("#"))
        if "msgid" not in text:
            continue
        context = ""
        if text.startswith("msgctxt"):
            context_part, _sep, text = text.partition("\nmsgid")
            context, text = _strings(context_part), "msgid" + text
        ids, _sep, strs = text.partition("\nmsgstr")
        singular, _sep, plural = ids.partition("\nmsgid_plural")
        found.append(Entry(context, _strings(singular), _strings(plural), _strings(strs), fuzzy))
    return [entry for entry in found if entry.msgid]  # the header has an empty msgid


def test_every_string_is_translated_and_none_is_fuzzy() -> None:
    assert [e.msgid for e in entries() if not e.msgstr or e.fuzzy] == []


def test_named_placeholders_survive_translation() -> None:
    wrong = []
    for entry in entries():
        allowed = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.plural))
        used = set(PLACEHOLDER.findall(entry.msgstr))
        if not used <= allowed or not set(PLACEHOLDER.findall(entry.msgid)) <= used | set(
            PLACEHOLDER.findall(entry.plural)
        ):
            wrong.append(entry.msgid)
    assert wrong == []


def test_compiled_catalogue_matches_the_source() -> None:
    with (LOCALE / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)

    def compiled(entry: Entry) -> str:
        return (
            catalogue.pgettext(entry.context, entry.msgid)
            if entry.context
            else catalogue.gettext(entry.msgid)
        )

    stale = [
        e.msgid
        for e in entries()
        if not e.plural and "\\" not in e.msgid + e.msgstr and compiled(e) != e.msgstr
    ]
    assert stale == []
    assert catalogue.gettext("Device models") == "器械型号"
