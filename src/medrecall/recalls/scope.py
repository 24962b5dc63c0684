"""Resolving scope rules into affected lots and serials, and those into frozen lines.

Rules name lots and serials; the trace engine then says where every affected unit went and
where it is now. Genealogy is followed: a component lot brings in every finished lot that
consumed it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils.translation import gettext as _

from medrecall.catalog.models import Lot, Serial
from medrecall.core.errors import ValidationFailed
from medrecall.traceability import engine

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
        raise ValidationFailed(
            _("%(what)s: %(value)s is not a date (YYYY-MM-DD).") % {"what": what, "value": text},
            where=what,
        ) from error


def resolve_rules(rules: Iterable[ScopeRule]) -> Resolution:
    """Turn rules into lots and serials; a rule that matches nothing is refused with its reason."""
    resolution = Resolution()
    for rule in rules:
        lots = Lot.objects.filter(device_model_id=rule.device_model_id)
        label = rule.get_kind_display()
        if rule.kind == ScopeRule.Kind.DEVICE_MODEL:
            found = set(lots.values_list("pk", flat=True))
        elif rule.kind in (ScopeRule.Kind.LOTS, ScopeRule.Kind.COMPONENT_LOTS):
            wanted = {str(v).strip() for v in rule.values if str(v).strip()}
            known = dict(lots.filter(number__in=wanted).values_list("number", "pk"))
            if missing := sorted(wanted - set(known)):
                raise ValidationFailed(
                    _("%(rule)s: lots %(lots)s are not known for this device model.")
                    % {"rule": label, "lots": ", ".join(missing[:20])},
                    where="values",
                )
            found = set(known.values())
        elif rule.kind == ScopeRule.Kind.LOT_RANGE:
            if (
                not rule.range_from
                or not rule.range_to
                or _natural_key(rule.range_from) > _natural_key(rule.range_to)
            ):
                raise ValidationFailed(
                    _("%(rule)s: give a range whose start is not after its end.") % {"rule": label},
                    where="range_from",
                )
            found = {
                pk
                for pk, number in lots.values_list("pk", "number")
                if _in_range(number, rule.range_from, rule.range_to)
            }
        elif rule.kind in (ScopeRule.Kind.SERIALS, ScopeRule.Kind.SERIAL_RANGE):
            serials = Serial.objects.filter(device_model_id=rule.device_model_id)
            if rule.kind == ScopeRule.Kind.SERIALS:
                wanted = {str(v).strip() for v in rule.values if str(v).strip()}
                matched = list(
                    serials.filter(serial__in=wanted).values_list("pk", "lot_id", "serial")
                )
                if missing := sorted(wanted - {s for _pk, _lot, s in matched}):
                    raise ValidationFailed(
                        _("%(rule)s: serials %(serials)s are not known for this device model.")
                        % {"rule": label, "serials": ", ".join(missing[:20])},
                        where="values",
                    )
            else:
                if (
                    not rule.range_from
                    or not rule.range_to
                    or _natural_key(rule.range_from) > _natural_key(rule.range_to)
                ):
                    raise ValidationFailed(
                        _("%(rule)s: give a range whose start is not after its end.")
                        % {"rule": label},
                        where="range_from",
                    )
                matched = [
                    row
                    for row in serials.values_list("pk", "lot_id", "serial")
                    if _in_range(row[2], rule.range_from, rule.range_to)
                ]
            if not matched:
                raise ValidationFailed(
                    _("%(rule)s matches no unit.") % {"rule": label}, where="kind"
                )
            for pk, lot_id, _serial in matched:
                resolution.serial_ids_by_lot.setdefault(lot_id, set()).add(pk)
            resolution.seed_lot_ids |= {lot_id for _pk, lot_id, _s in matched}
            continue
        elif rule.kind in (ScopeRule.Kind.MANUFACTURED, ScopeRule.Kind.EXPIRY):
            start = _parse_day(rule.range_from, "range_from")
            end = _parse_day(rule.range_to, "range_to")
            if start > end:
                raise ValidationFailed(
                    _("%(rule)s: the start date is after the end date.") % {"rule": label},
                    where="range_from",
                )
            column = "manufactured_on" if rule.kind == ScopeRule.Kind.MANUFACTURED else "expires_on"
            found = set(
                lots.filter(**{f"{column}__gte": start, f"{column}__lte": end}).values_list(
                    "pk", flat=True
                )
            )
        elif rule.kind == ScopeRule.Kind.SHIPPED:
            start = _parse_day(rule.range_from, "range_from")
            end = _parse_day(rule.range_to, "range_to")
            if start > end:
                raise ValidationFailed(
                    _("%(rule)s: the start date is after the end date.") % {"rule": label},
                    where="range_from",
                )
            found = set(
                engine.lots_shipped_between(
                    rule.device_model_id, start.isoformat(), (end + timedelta(days=1)).isoformat()
                )
            )
        else:  # pragma: no cover - Kind is closed
            raise ValidationFailed(_("Unknown scope rule."), where="kind")
        if not found:
            raise ValidationFailed(_("%(rule)s matches no lot.") % {"rule": label}, where="kind")
        resolution.seed_lot_ids |= found
        resolution.whole_lot_ids |= found
    if resolution.whole_lot_ids:
        resolution.whole_lot_ids = set(engine.genealogy_lots(sorted(resolution.whole_lot_ids)))
    return resolution
