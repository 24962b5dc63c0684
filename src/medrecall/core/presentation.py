"""How people, parties and times are written for a reader, in one place for pages, exports and
e-mails.

* A person's name follows the reader's language: Chinese puts the family name first with no
  space (王芳), English the given name first (Fang Wang). A person without a name is shown by
  user name.
* A party's name follows the reader's language too: its English name for English readers, the
  name as recorded (Chinese) otherwise, each falling back to the other, then to its code.
* A time is shown in local time with its zone ("2026-12-06 09:30 CST"), never as ISO UTC. The
  zone is the active one (the user's, or settings.TIME_ZONE); where the zone has no
  abbreviation the offset is written out ("2026-12-06 09:30 UTC+08:00").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone, translation

__all__ = [
    "joined",
    "local_time",
    "party_name",
    "person_name",
    "postal_address",
    "user_display_name",
]

_HAN = re.compile(r"[\u3400-\u9fff]")
# tzname() gives "+08" or "-0330" for zones without a letter abbreviation.
_NUMERIC_ZONE = re.compile(r"^[+-]\d{2,4}$")


def _chinese(language: str | None) -> bool:
    return (language or translation.get_language() or "").lower().startswith("zh")


def person_name(given: str, family: str, *, language: str | None = None) -> str:
    """The name as the reader's language writes it (``language`` defaults to the active one).

    Chinese readers get the family name first; a name written in Chinese characters is written
    that way in every language (王芳 stays 王芳 in English pages), since that is its only form."""
    given, family = given.strip(), family.strip()
    if not given or not family:
        return given or family
    if _chinese(language) or (_HAN.search(given) and _HAN.search(family)):
        separator = "" if _HAN.search(given + family) else " "
        return f"{family}{separator}{given}"
    return f"{given} {family}"


def joined(items: Iterable[Any], *, language: str | None = None) -> str:
    """A list as the reader's language writes it (``language`` defaults to the active one):
    Chinese enumerates with the enumeration comma (四川省、陕西省), other languages with commas
    (Sichuan, Shaanxi). Empty items are left out."""
    return ("、" if _chinese(language) else ", ").join(
        str(item) for item in items if item not in ("", None)
    )


def party_name(party: Any, *, language: str | None = None, prefix: str = "") -> str:
    """A party's name for the reader (``language`` defaults to the active one): the English
    name for English readers, the name as recorded (Chinese) otherwise, each falling back to
    the other, then to the party code. Takes a party or a mapping with ``name``, ``name_en``
    and ``code`` (a ``values()`` row keys them with ``prefix``, e.g. ``"party__"``); it reads
    only those fields, so a list of parties costs no query per row."""
    if isinstance(party, Mapping):
        name, name_en, code = (party.get(f"{prefix}{k}") or "" for k in ("name", "name_en", "code"))
    else:
        name, name_en, code = (getattr(party, k, "") or "" for k in ("name", "name_en", "code"))
    first, second = (name, name_en) if _chinese(language) else (name_en, name)
    return str(first).strip() or str(second).strip() or str(code)


def postal_address(
    *,
    address: str = "",
    city: str = "",
    province: str = "",
    country: str = "",
    language: str | None = None,
) -> str:
    """An address as the reader's language writes it (``language`` defaults to the active one).

    Chinese writes from the largest unit to the smallest, without commas (中国 上海市 浦东新区
    张江路 1 号: country, province, city, street); other languages from the street out to the
    country, with commas. Empty parts are left out."""
    parts = [part.strip() for part in (address, city, province, country)]
    if _chinese(language):
        return " ".join(part for part in reversed(parts) if part)
    return ", ".join(part for part in parts if part)


def user_display_name(user: Any, *, language: str | None = None) -> str:
    """A user's name for people to read; the user name when no name is recorded."""
    if user is None:
        return ""
    name = person_name(
        getattr(user, "first_name", "") or "",
        getattr(user, "last_name", "") or "",
        language=language,
    )
    return name or getattr(user, "username", "") or str(user)


def _zone_label(moment: datetime) -> str:
    name = moment.tzname() or ""
    if name and not _NUMERIC_ZONE.match(name) and name != "UTC":
        return name
    offset = moment.utcoffset()
    if offset is None:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    if name == "UTC" or minutes == 0:
        return "UTC"
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def local_time(
    value: datetime | date | str | None,
    *,
    zone: str | ZoneInfo | None = None,
    seconds: bool = False,
) -> str:
    """``value`` in local time with its zone; a date stays a date; an ISO string is parsed.

    ``zone`` overrides the active zone (an e-mail to a holder in another zone, for example)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if not isinstance(value, datetime):
        return value.isoformat()
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    target = ZoneInfo(zone) if isinstance(zone, str) else (zone or timezone.get_current_timezone())
    moment = value.astimezone(target)
    shown = moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{shown} {_zone_label(moment)}"


def written_time(moment: datetime, *, zone: str | ZoneInfo | None = None) -> str:
    """A moment as people write it, with the zone's name and offset, e.g.
    ``2026-12-06 14:03 CST (UTC+08:00)`` (signatures: 21 CFR 11.50 asks for the date and time,
    and a reader elsewhere must not misread it). The site's zone unless ``zone`` is given."""
    target = ZoneInfo(zone) if isinstance(zone, str) else (zone or timezone.get_default_timezone())
    local = moment.astimezone(target)
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    numeric = f"UTC{'+' if minutes >= 0 else '-'}{hours:02d}:{rest:02d}"
    name = _zone_label(local)
    shown = local.strftime("%Y-%m-%d %H:%M")
    return f"{shown} {name} ({numeric})" if name != numeric else f"{shown} ({numeric})"
