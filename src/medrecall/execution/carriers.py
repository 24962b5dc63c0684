"""Choosing the carrier for a return, by rules and rate tables kept as data (admin).

1. Chargeable weight = max(actual kg, volume in litres / 6) — the usual 6000 cm³/kg divisor.
2. Eligible carriers: active, with a rate for the pick-up region (the province's rate, else the
   country's), a weight limit that fits, and — for an urgent return (recall Class I / 一级) —
   a transit time of at most ``MEDRECALL_URGENT_MAX_TRANSIT_DAYS`` (default 2) days.
3. The first active rule (by priority) that matches region, weight and urgency names the
   carrier, if that carrier is eligible; otherwise the cheapest eligible rate wins (then the
   faster, then by code). Cost = base fee + fee per kg * chargeable weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from .models import Carrier, CarrierRate, CarrierRule

VOLUMETRIC_LITRES_PER_KG = Decimal(6)


@dataclass(frozen=True)
class CarrierChoice:
    carrier: Carrier
    cost: Decimal
    currency: str
    transit_days: int
    reason: str


def chargeable_weight(weight_kg: Decimal, volume_l: Decimal) -> Decimal:
    return max(Decimal(weight_kg), Decimal(volume_l) / VOLUMETRIC_LITRES_PER_KG).quantize(
        Decimal("0.01")
    )


def urgent_max_days() -> int:
    return int(getattr(settings, "MEDRECALL_URGENT_MAX_TRANSIT_DAYS", 2))


def _rate(rates: list[CarrierRate], country: str, province_code: str) -> CarrierRate | None:
    for rate in rates:
        if rate.country == country and rate.province_code and rate.province_code == province_code:
            return rate
    for rate in rates:
        if rate.country == country and not rate.province_code:
            return rate
    return None


def _rule_matches(
    rule: CarrierRule, country: str, province_code: str, weight: Decimal, urgent: bool
) -> bool:
    return (
        (not rule.country or rule.country == country)
        and (not rule.province_code or rule.province_code == province_code)
        and rule.min_weight_kg <= weight
        and (rule.max_weight_kg is None or weight <= rule.max_weight_kg)
        and (
            not rule.urgency
            or rule.urgency
            == (CarrierRule.Urgency.URGENT if urgent else CarrierRule.Urgency.STANDARD)
        )
    )


def carrier_choose(
    *,
    country: str,
    province_code: str,
    weight_kg: Decimal,
    volume_l: Decimal = Decimal(0),
    urgent: bool = False,
) -> CarrierChoice | None:
    """The carrier and expected cost for a return from this region, or ``None`` if no carrier serves it."""
    weight = chargeable_weight(weight_kg, volume_l)
    eligible: dict[int, CarrierChoice] = {}
    for carrier in Carrier.objects.filter(is_active=True).prefetch_related("rates"):
        rate = _rate(list(carrier.rates.all()), country, province_code)
        if rate is None or (carrier.max_weight_kg is not None and weight > carrier.max_weight_kg):
            continue
        if urgent and rate.transit_days > urgent_max_days():
            continue
        cost = (rate.base_fee + rate.per_kg * weight).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        eligible[carrier.pk] = CarrierChoice(carrier, cost, rate.currency, rate.transit_days, "")
    if not eligible:
        return None
    for rule in CarrierRule.objects.filter(is_active=True).order_by("priority", "pk"):
        if rule.carrier_id in eligible and _rule_matches(
            rule, country, province_code, weight, urgent
        ):
            chosen = eligible[rule.carrier_id]
            return CarrierChoice(
                chosen.carrier,
                chosen.cost,
                chosen.currency,
                chosen.transit_days,
                _("Rule: %(rule)s") % {"rule": rule.name},
            )
    best = min(eligible.values(), key=lambda c: (c.cost, c.transit_days, c.carrier.code))
    return CarrierChoice(
        best.carrier,
        best.cost,
        best.currency,
        best.transit_days,
        _("Cheapest of %(count)s eligible carriers") % {"count": len(eligible)},
    )
