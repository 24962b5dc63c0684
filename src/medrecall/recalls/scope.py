"""Resolving scope rules into affected lots and serials, and those into frozen lines.

Rules name lots and serials; the trace engine then says where every affected unit went and
where it is now. Genealogy is followed: a component lot brings in every finished lot that
consumed it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from medrecall.catalog.models import Lot, Serial
from medrecall.core.errors import ValidationFailed
from medrecall.traceability import engine

from .errors import RangeInvalid, RuleMatchesNothing, UnitsUnknown
from .models import ScopeRule


@dataclass
class Resolution:
    """Seed lots, the lots reached through genealogy, and per-lot serial restrictions."""

    seed_lot_ids: set[int] = field(default_factory=set)
    serial_ids_by_lot: dict[int, set[int]] = field(
        default_factory=dict
    )  # lot -> only these serials
    whole_lot_ids: set[int] = field(default_factory=set)  # lots affected in full

    @property
    def lot_ids(self) -> list[int]:
        return sorted(self.whole_lot_ids | set(self.serial_ids_by_lot))


def _natural_key(text: str) -> tuple[str, int, str]:
    """Compare lot/serial numbers with a numeric tail by that number (L0009 < L0010)."""
    head = text.rstrip("0123456789")
    tail = text[len(head) :]
    return (head, int(tail) if tail else -1, text)


def _in_range(value: str, low: str, high: str) -> bool:
    low_key, high_key, key = _natural_key(low), _natural_key(high), _natural_key(value)
    if low_key[0] != high_key[0]:
        return low <= value <= high
    return key[0] == low_key[0] and low_key[1] <= key[1] <= high_key[1]


def _parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise RangeInvalid(
            _("%(what)s: %(value)s is not a date (YYYY-MM-DD).") % {"what": what, "value": text},
            where=what,
        ) from error


def _listed(rule: ScopeRule) -> set[str]:
    """The lot or serial numbers a rule lists, blanks left out."""
    return {str(v).strip() for v in rule.values if str(v).strip()}


def _text_range(rule: ScopeRule) -> tuple[str, str]:
    """The rule's range of lot or serial numbers; refused when a bound is missing or the start
    comes after the end."""
    if (
        not rule.range_from
        or not rule.range_to
        or _natural_key(rule.range_from) > _natural_key(rule.range_to)
    ):
        raise RangeInvalid(
            _("%(rule)s: give a range whose start is not after its end.")
            % {"rule": rule.get_kind_display()},
            where="range_from",
        )
    return rule.range_from, rule.range_to


def _day_range(rule: ScopeRule) -> tuple[date, date]:
    start = _parse_day(rule.range_from, "range_from")
    end = _parse_day(rule.range_to, "range_to")
    if start > end:
        raise RangeInvalid(
            _("%(rule)s: the start date is after the end date.")
            % {"rule": rule.get_kind_display()},
            where="range_from",
        )
    return start, end


def _lots_of(rule: ScopeRule) -> QuerySet[Lot]:
    return Lot.objects.filter(device_model_id=rule.device_model_id)


def _all_lots(rule: ScopeRule) -> set[int]:
    return set(_lots_of(rule).values_list("pk", flat=True))


def _listed_lots(rule: ScopeRule) -> set[int]:
    wanted = _listed(rule)
    known = dict(_lots_of(rule).filter(number__in=wanted).values_list("number", "pk"))
    if missing := sorted(wanted - set(known)):
        raise UnitsUnknown(
            _("%(rule)s: lots %(lots)s are not known for this device model.")
            % {"rule": rule.get_kind_display(), "lots": ", ".join(missing[:20])},
            where="values",
        )
    return set(known.values())


def _lot_range(rule: ScopeRule) -> set[int]:
    low, high = _text_range(rule)
    return {
        pk
        for pk, number in _lots_of(rule).values_list("pk", "number")
        if _in_range(number, low, high)
    }


def _dated_lots(rule: ScopeRule) -> set[int]:
    """Lots manufactured (or expiring) between the two days, both included."""
    start, end = _day_range(rule)
    column = "manufactured_on" if rule.kind == ScopeRule.Kind.MANUFACTURED else "expires_on"
    return set(
        _lots_of(rule)
        .filter(**{f"{column}__gte": start, f"{column}__lte": end})
        .values_list("pk", flat=True)
    )


def _shipped_lots(rule: ScopeRule) -> set[int]:
    start, end = _day_range(rule)
    return set(
        engine.lots_shipped_between(
            rule.device_model_id, start.isoformat(), (end + timedelta(days=1)).isoformat()
        )
    )


# A serial as a rule matches it: (serial id, lot id, serial number).
SerialRow = tuple[int, int, str]


def _listed_serials(rule: ScopeRule) -> list[SerialRow]:
    wanted = _listed(rule)
    matched = list(
        Serial.objects.filter(device_model_id=rule.device_model_id, serial__in=wanted).values_list(
            "pk", "lot_id", "serial"
        )
    )
    if missing := sorted(wanted - {s for _pk, _lot, s in matched}):
        raise UnitsUnknown(
            _("%(rule)s: serials %(serials)s are not known for this device model.")
            % {"rule": rule.get_kind_display(), "serials": ", ".join(missing[:20])},
            where="values",
        )
    return matched


def _serial_range(rule: ScopeRule) -> list[SerialRow]:
    low, high = _text_range(rule)
    return [
        row
        for row in Serial.objects.filter(device_model_id=rule.device_model_id).values_list(
            "pk", "lot_id", "serial"
        )
        if _in_range(row[2], low, high)
    ]


# What each kind of rule names: whole lots, or single serials (of their lots).
LOT_RULES: dict[str, Callable[[ScopeRule], set[int]]] = {
    ScopeRule.Kind.DEVICE_MODEL: _all_lots,
    ScopeRule.Kind.LOTS: _listed_lots,
    ScopeRule.Kind.COMPONENT_LOTS: _listed_lots,
    ScopeRule.Kind.LOT_RANGE: _lot_range,
    ScopeRule.Kind.MANUFACTURED: _dated_lots,
    ScopeRule.Kind.EXPIRY: _dated_lots,
    ScopeRule.Kind.SHIPPED: _shipped_lots,
}
SERIAL_RULES: dict[str, Callable[[ScopeRule], list[SerialRow]]] = {
    ScopeRule.Kind.SERIALS: _listed_serials,
    ScopeRule.Kind.SERIAL_RANGE: _serial_range,
}


def _add_serials(resolution: Resolution, rule: ScopeRule) -> None:
    matched = SERIAL_RULES[rule.kind](rule)
    if not matched:
        raise RuleMatchesNothing(
            _("%(rule)s matches no unit.") % {"rule": rule.get_kind_display()}, where="kind"
        )
    for pk, lot_id, _serial in matched:
        resolution.serial_ids_by_lot.setdefault(lot_id, set()).add(pk)
    resolution.seed_lot_ids |= {lot_id for _pk, lot_id, _s in matched}


def _add_lots(resolution: Resolution, rule: ScopeRule) -> None:
    finder = LOT_RULES.get(rule.kind)
    if finder is None:  # pragma: no cover - Kind is closed
        raise ValidationFailed(_("Unknown scope rule."), where="kind")
    found = finder(rule)
    if not found:
        raise RuleMatchesNothing(
            _("%(rule)s matches no lot.") % {"rule": rule.get_kind_display()}, where="kind"
        )
    resolution.seed_lot_ids |= found
    resolution.whole_lot_ids |= found


def resolve_rules(rules: Iterable[ScopeRule]) -> Resolution:
    """Turn rules into lots and serials; a rule that matches nothing is refused with its reason.
    Whole lots bring in the finished lots built from them (genealogy)."""
    resolution = Resolution()
    for rule in rules:
        if rule.kind in SERIAL_RULES:
            _add_serials(resolution, rule)
        else:
            _add_lots(resolution, rule)
    if resolution.whole_lot_ids:
        resolution.whole_lot_ids = set(engine.genealogy_lots(sorted(resolution.whole_lot_ids)))
    return resolution
