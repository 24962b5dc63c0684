"""GTIN (GS1) check digits: the 3-1 weighting counted from the right."""

from __future__ import annotations

from django.utils.translation import gettext as _

GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(body: str) -> int:
    """Check digit for the digits ``body`` (a GTIN without its last digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin_problem(value: str) -> str | None:
    """Why ``value`` is not a valid GTIN, or ``None`` when it is."""
    if not value:
        return _("The GTIN is empty.")
    if not value.isdigit() or not value.isascii():
        return _("The GTIN %(gtin)s must contain digits only.") % {"gtin": value}
    if len(value) not in GTIN_LENGTHS:
        return _("The GTIN %(gtin)s has %(length)s digits; a GTIN has 8, 12, 13 or 14.") % {
            "gtin": value,
            "length": len(value),
        }
    expected = gtin_check_digit(value[:-1])
    if int(value[-1]) != expected:
        return _("The GTIN %(gtin)s has check digit %(found)s; it should be %(expected)s.") % {
            "gtin": value,
            "found": value[-1],
            "expected": expected,
        }
    return None


def normalise_gtin(value: str) -> str:
    """Left-pad a valid GTIN-8/12/13 to the 14-digit form we store and compare."""
    return value.strip().zfill(14)
