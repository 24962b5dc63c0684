"""The forecast of what a recall will cost (F2): what the ledger says was spent, plus what the
records say is still to come, priced by the rates finance keeps.

    forecast = actual (the ledger, by category)
             + dispositions still to do      units × cost per unit of the path (DispositionCost)
             + returns still to ship         per region: shipments × base fee
                                                         + units × unit weight × fee per kg
             + work orders still to do       hours × hourly rate + 2 × distance × rate per km

Where the records do not say the path yet, the budget's planned disposition (or, without one,
nothing) prices the units; where a rate or a unit cost is missing the term says so and its
quantity is counted as unknown, never as zero. Every count is one set-based query (dispositions
by path and model, holder locations by region, work orders by provider); the loops run over
those groups, never over units."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from medrecall.catalog.models import DeviceModel
from medrecall.execution.lifecycle import DispositionKind, ReturnStatus, TaskStatus
from medrecall.execution.models import (
    CarrierRate,
    Disposition,
    ReturnAuthorisation,
    ServiceProvider,
    WorkOrder,
)
from medrecall.execution.selectors import recall_accounting
from medrecall.parties.models import HOLDER_TYPES
from medrecall.recalls.models import ActionType, AffectedLine, RecallCase

from .ledger import policy
from .models import CostCategory, CostRollup, DispositionCost, ExchangeRate, ProviderRate
from .models_budget import RecallBudget

CENT = Decimal("0.01")
OPEN = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)

# The ledger category a disposition path's cost is booked under.
DISPOSITION_CATEGORY: dict[str, str] = {
    DispositionKind.REPAIR: CostCategory.REPAIR,
    DispositionKind.REPLACE: CostCategory.REPLACEMENT,
    DispositionKind.DESTROY: CostCategory.DESTRUCTION,
    DispositionKind.RETURN_TO_SUPPLIER: CostCategory.LOGISTICS,
    DispositionKind.RELEASE: CostCategory.OTHER,
}


@dataclass(frozen=True)
class Term:
    """One priced part of what remains: ``quantity`` of something at a known ``amount``
    (company currency), or unknown (``amount`` None) with ``missing`` saying what is missing."""

    category: str
    what: str
    quantity: int
    amount: Decimal | None
    basis: str = ""
    missing: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "what": self.what,
            "quantity": self.quantity,
            "amount": None if self.amount is None else str(self.amount),
            "basis": self.basis,
            "missing": self.missing,
        }


@dataclass(frozen=True)
class Forecast:
    recall: str
    currency: str
    actual_by_category: dict[str, Decimal]
    terms: list[Term] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def actual(self) -> Decimal:
        return sum(self.actual_by_category.values(), Decimal("0.00"))

    @property
    def remaining_by_category(self) -> dict[str, Decimal]:
        found: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
        for term in self.terms:
            if term.amount is not None:
                found[term.category] += term.amount
        return dict(found)

    @property
    def remaining(self) -> Decimal:
        return sum(self.remaining_by_category.values(), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        """Actual plus every remaining term whose price is known."""
        return self.actual + self.remaining

    @property
    def unknown(self) -> list[Term]:
        return [term for term in self.terms if term.amount is None]

    @property
    def complete(self) -> bool:
        return not self.unknown and not self.notes

    def by_category(self) -> dict[str, Decimal]:
        """Actual + remaining per category (categories with nothing left out)."""
        found = defaultdict(lambda: Decimal("0.00"), self.actual_by_category)
        for category, amount in self.remaining_by_category.items():
            found[category] += amount
        return dict(found)

    def as_dict(self) -> dict[str, Any]:
        return {
            "recall": self.recall,
            "currency": self.currency,
            "actual": str(self.actual),
            "remaining": str(self.remaining),
            "forecast": str(self.total),
            "complete": self.complete,
            "actual_by_category": {k: str(v) for k, v in self.actual_by_category.items()},
            "forecast_by_category": {k: str(v) for k, v in self.by_category().items()},
            "terms": [term.as_dict() for term in self.terms],
            "unknown": [term.as_dict() for term in self.unknown],
            "notes": self.notes,
        }


def unit_weight_kg() -> Decimal:
    return Decimal(str(getattr(settings, "MEDRECALL_RETURN_UNIT_WEIGHT_KG", "0.5")))


def actual_by_category(recall: RecallCase) -> dict[str, Decimal]:
    """The ledger's total per category in the company currency (reversals included)."""
    return {
        row["category"]: Decimal(row["total"]).quantize(CENT)
        for row in CostRollup.objects.filter(recall=recall)
        .values("category")
        .annotate(total=Sum("company_amount"))
        .order_by("category")
    }


class Prices:
    """Company-currency value of an amount in another currency: the latest rate entered on or
    before ``on`` (a forecast prices the future at the last known rate), one query for all."""

    def __init__(self, currencies: set[str], on: date, company: str) -> None:
        self.company = company
        self.rates: dict[str, Decimal] = {self.company: Decimal(1)}
        for currency, rate in (
            ExchangeRate.objects.filter(currency__in=currencies - {self.company}, rate_on__lte=on)
            .order_by("currency", "-rate_on")
            .values_list("currency", "rate")
        ):
            self.rates.setdefault(currency, Decimal(rate))

    def convert(self, amount: Decimal, currency: str) -> Decimal | None:
        rate = self.rates.get(currency)
        return None if rate is None else (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)

    def missing(self, currency: str) -> str:
        return _("no exchange rate for %(currency)s") % {"currency": currency}


def recall_forecast(
    recall: RecallCase, *, on: date | None = None, actual: dict[str, Decimal] | None = None
) -> Forecast:
    """The recall's forecast on ``on`` (default today): actual plus what remains, priced.
    ``actual``: the ledger's totals by category when the caller has them already."""
    on = on or timezone.localdate()
    budget = RecallBudget.objects.filter(recall=recall).first()
    company = policy().company_currency
    found = Forecast(
        recall=recall.number,
        currency=company,
        actual_by_category=actual_by_category(recall) if actual is None else actual,
    )
    snapshot = recall.current_snapshot
    if snapshot is None:
        found.notes.append(_("The scope is not frozen yet: nothing to forecast from."))
        return found
    prices = Prices(_currencies(), on, company)
    correction = recall.action_type == ActionType.CORRECTION
    found.terms.extend(_disposition_terms(recall, snapshot.pk, budget, prices, correction))
    found.terms.extend(_return_terms(recall, snapshot.pk, prices, correction))
    found.terms.extend(_work_order_terms(recall, snapshot.pk, budget, prices, correction))
    return found


def _currencies() -> set[str]:
    """Every currency a rate or unit cost is kept in (a handful)."""
    found = (
        DispositionCost.objects.order_by()
        .values_list("currency")
        .union(
            CarrierRate.objects.order_by().values_list("currency"),
            ProviderRate.objects.order_by().values_list("currency"),
            ReturnAuthorisation.objects.order_by().values_list("currency"),
        )
    )
    return {currency for (currency,) in found}


# --- dispositions -------------------------------------------------------------------------


def _units_left_by_model(
    recall: RecallCase, snapshot_id: int, correction: bool
) -> tuple[dict[int, int], list[str]]:
    """Units of the scope not yet dispositioned, by device model: at holders (unless a
    correction fixes them on site), in our stock, in transit and in quarantine."""
    models_of: dict[str, set[int]] = defaultdict(set)
    for number, model_id in (
        AffectedLine.objects.filter(snapshot_id=snapshot_id)
        .values_list("lot__number", "lot__device_model_id")
        .distinct()
    ):
        models_of[number].add(model_id)
    left: dict[int, int] = defaultdict(int)
    notes: list[str] = []
    for row in recall_accounting(recall).lots:
        units = row.own_stock + row.in_transit + row.in_quarantine
        units += 0 if correction else row.at_holders
        owners = models_of.get(row.lot, set())
        if len(owners) == 1:
            left[next(iter(owners))] += units
        elif units:
            notes.append(
                _(
                    "Lot %(lot)s is numbered alike under several device models: its %(units)s units are not priced."
                )
                % {"lot": row.lot, "units": units}
            )
    return left, notes


def _disposition_terms(
    recall: RecallCase,
    snapshot_id: int,
    budget: RecallBudget | None,
    prices: Prices,
    correction: bool,
) -> list[Term]:
    """Open dispositions at their path's cost; the rest of the units still to be dispositioned
    at the budget's planned path."""
    planned: dict[tuple[str, int], int] = defaultdict(int)
    decided_by_model: dict[int, int] = defaultdict(int)
    for kind, model_id, units in (
        Disposition.objects.filter(recall=recall, status__in=OPEN)
        .values_list("kind", "lot__device_model_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    ):
        planned[(kind, model_id)] += int(units)
        decided_by_model[model_id] += int(units)
    left, notes = _units_left_by_model(recall, snapshot_id, correction)
    terms = [Term(CostCategory.OTHER, _("Units not priced"), 0, None, missing=n) for n in notes]
    undecided = {m: max(units - decided_by_model[m], 0) for m, units in left.items()}
    undecided = {m: units for m, units in undecided.items() if units}
    if undecided and budget and budget.planned_disposition:
        for model_id, units in undecided.items():
            planned[(budget.planned_disposition, model_id)] += units
    elif undecided:
        terms.append(
            Term(
                CostCategory.OTHER,
                _("Units without a disposition"),
                sum(undecided.values()),
                None,
                missing=_("no disposition decided and no planned disposition in the budget"),
            )
        )
    return terms + _priced_dispositions(planned, prices)


def _priced_dispositions(planned: dict[tuple[str, int], int], prices: Prices) -> list[Term]:
    if not planned:
        return []
    costs: dict[tuple[str, int | None], tuple[Decimal, str]] = {
        (kind, model_id): (unit_cost, currency)
        for kind, model_id, unit_cost, currency in DispositionCost.objects.filter(
            kind__in={kind for kind, _model in planned}
        ).values_list("kind", "device_model_id", "unit_cost", "currency")
    }
    names = dict(
        DeviceModel.objects.filter(pk__in={m for _k, m in planned}).values_list("pk", "name")
    )
    labels = dict(DispositionKind.choices)
    terms: list[Term] = []
    for (kind, model_id), units in sorted(
        planned.items(), key=lambda item: (item[0][0], item[0][1])
    ):
        category = DISPOSITION_CATEGORY[kind]
        what = _("%(path)s of %(model)s") % {
            "path": labels[kind],
            "model": names.get(model_id, "?"),
        }
        cost = costs.get((kind, model_id)) or costs.get((kind, None))
        if cost is None:
            terms.append(
                Term(
                    category,
                    what,
                    units,
                    None,
                    missing=_("no cost per unit for this path and model"),
                )
            )
            continue
        unit_cost, currency = cost
        amount = prices.convert(Decimal(unit_cost) * units, currency)
        basis = _("%(units)s × %(cost)s %(currency)s") % {
            "units": units,
            "cost": unit_cost,
            "currency": currency,
        }
        missing = prices.missing(currency) if amount is None else ""
        terms.append(Term(category, what, units, amount, basis, missing))
    return terms


# --- returns ------------------------------------------------------------------------------

# Holder locations of a snapshot with units the returns of the recall do not cover yet, summed by
# region (the location's, else its party's, as a return authorisation takes it): one shipment per
# pick-up location (a return authorisation picks up at one location).
_TO_RETURN = """
    SELECT held.country, held.province_code, COUNT(*), SUM(held.units_left)
    FROM (SELECT line.location_id,
                 COALESCE(NULLIF(MAX(location.country), ''), MAX(party.country)) AS country,
                 COALESCE(NULLIF(MAX(location.province_code), ''), MAX(party.province_code))
                     AS province_code,
                 SUM(line.on_hand + line.in_transit) - COALESCE((
                     SELECT SUM(rl.expected) FROM execution_returnline rl
                     JOIN execution_returnauthorisation ra ON ra.id = rl.ra_id
                     WHERE ra.recall_id = %s AND ra.location_id = line.location_id
                       AND ra.status <> %s), 0) AS units_left
          FROM recalls_affectedline line
          JOIN parties_party party ON party.id = line.party_id
          JOIN parties_location location ON location.id = line.location_id
          WHERE line.snapshot_id = %s AND party.party_type IN ({holders})
          GROUP BY line.location_id) held
    WHERE held.units_left > 0
    GROUP BY held.country, held.province_code
    ORDER BY held.country, held.province_code
"""


def holders_to_return(recall: RecallCase, snapshot_id: int) -> list[tuple[str, str, int, int]]:
    """(country, province code, shipments, units) still to be returned, by region."""
    holders = ", ".join(["%s"] * len(HOLDER_TYPES))
    with connection.cursor() as cursor:
        cursor.execute(
            _TO_RETURN.format(holders=holders),
            [recall.pk, ReturnStatus.CANCELLED, snapshot_id, *HOLDER_TYPES],
        )
        return [(c or "", p or "", int(n), int(u)) for c, p, n, u in cursor.fetchall()]


def _return_terms(
    recall: RecallCase, snapshot_id: int, prices: Prices, correction: bool
) -> list[Term]:
    """Returns authorised but not picked up (their expected cost; the waybill posts at pick-up),
    and, for a removal, the holder locations no return covers yet, priced per region."""
    terms: list[Term] = []
    authorised = ReturnAuthorisation.objects.filter(recall=recall, status=ReturnStatus.AUTHORISED)
    for currency, count, priced, cost in (
        authorised.values_list("currency")
        .annotate(
            n=Count("pk"),
            priced=Count("pk", filter=Q(expected_cost__isnull=False)),
            cost=Sum("expected_cost"),
        )
        .order_by("currency")
    ):
        what = _("Returns authorised, not picked up")
        if priced:
            amount = prices.convert(Decimal(cost), currency)
            missing = prices.missing(currency) if amount is None else ""
            basis = _("expected cost of %(count)s returns") % {"count": priced}
            terms.append(Term(CostCategory.LOGISTICS, what, priced, amount, basis, missing))
        if count - priced:
            terms.append(
                Term(
                    CostCategory.LOGISTICS,
                    what,
                    count - priced,
                    None,
                    missing=_("no carrier serves the return"),
                )
            )
    if not correction:
        terms.extend(_regions_priced(holders_to_return(recall, snapshot_id), prices))
    return terms


def _regions_priced(regions: list[tuple[str, str, int, int]], prices: Prices) -> list[Term]:
    """Each region at the cheapest active carrier's rate for it (a province's own rate before
    the country's): shipments × base fee + units × unit weight × fee per kg."""
    if not regions:
        return []
    rates: dict[tuple[str, str], list[CarrierRate]] = defaultdict(list)
    for rate in CarrierRate.objects.filter(
        carrier__is_active=True, country__in={country for country, *_rest in regions}
    ).order_by("carrier_id", "country", "province_code"):
        rates[(rate.country, rate.province_code)].append(rate)
    weight = unit_weight_kg()
    terms: list[Term] = []
    for country, province, shipments, units in regions:
        what = _("Returns to ship from %(region)s") % {"region": _region_name(country, province)}
        by_carrier = {r.carrier_id: r for r in rates.get((country, ""), [])}
        by_carrier.update({r.carrier_id: r for r in rates.get((country, province), []) if province})
        options = []
        for rate in by_carrier.values():
            cost = prices.convert(
                rate.base_fee * shipments + rate.per_kg * weight * units, rate.currency
            )
            if cost is not None:
                options.append((cost, rate))
        if not options:
            missing = (
                _("no carrier rate for this region")
                if not by_carrier
                else prices.missing(next(iter(by_carrier.values())).currency)
            )
            terms.append(Term(CostCategory.LOGISTICS, what, shipments, None, missing=missing))
            continue
        cost, rate = min(options, key=lambda option: (option[0], option[1].carrier_id))
        basis = _(
            "%(shipments)s shipments × %(base)s + %(units)s units × %(weight)s kg × %(per_kg)s %(currency)s/kg"
        ) % {
            "shipments": shipments,
            "base": rate.base_fee,
            "units": units,
            "weight": weight,
            "per_kg": rate.per_kg,
            "currency": rate.currency,
        }
        terms.append(Term(CostCategory.LOGISTICS, what, shipments, cost, basis))
    return terms


# --- work orders --------------------------------------------------------------------------

_TO_VISIT = """
    SELECT COUNT(*) FROM (
        SELECT line.location_id FROM recalls_affectedline line
        JOIN parties_party party ON party.id = line.party_id
        WHERE line.snapshot_id = %s AND party.party_type IN ({holders})
          AND NOT EXISTS (SELECT 1 FROM execution_workorder wo
                          WHERE wo.recall_id = %s AND wo.location_id = line.location_id
                            AND wo.status <> %s)
        GROUP BY line.location_id
        HAVING SUM(line.on_hand + line.in_transit) > 0) sites
"""


def sites_to_visit(recall: RecallCase, snapshot_id: int) -> int:
    """Holder locations of the scope that no work order of the recall covers yet."""
    holders = ", ".join(["%s"] * len(HOLDER_TYPES))
    with connection.cursor() as cursor:
        cursor.execute(
            _TO_VISIT.format(holders=holders),
            [snapshot_id, *HOLDER_TYPES, recall.pk, TaskStatus.CANCELLED],
        )
        return int(cursor.fetchone()[0])


def _work_order_terms(
    recall: RecallCase,
    snapshot_id: int,
    budget: RecallBudget | None,
    prices: Prices,
    correction: bool,
) -> list[Term]:
    """Open work orders at their provider's rates; for a correction, the holder sites no work
    order covers yet at the planned provider's labour (their distance is not known yet)."""
    groups = list(
        WorkOrder.objects.filter(recall=recall, status__in=OPEN)
        .values_list("provider_id")
        .annotate(
            n=Count("pk"),
            km=Sum("distance_km"),
            unmeasured=Count("pk", filter=Q(distance_km__isnull=True)),
        )
        .order_by("provider_id")
    )
    needed = sites_to_visit(recall, snapshot_id) if correction else 0
    planned = budget.planned_provider_id if budget else None
    provider_ids = {p for p, *_rest in groups if p} | ({planned} if planned and needed else set())
    rates = {r.provider_id: r for r in ProviderRate.objects.filter(provider_id__in=provider_ids)}
    names = dict(ServiceProvider.objects.filter(pk__in=provider_ids).values_list("pk", "name"))
    terms: list[Term] = []
    for provider_id, count, km, unmeasured in groups:
        what = _("Open work orders of %(provider)s") % {
            "provider": names.get(provider_id, _("no provider"))
        }
        terms.append(
            _labour(
                what,
                count,
                # SQLite sums decimals as floats: back to the column's one decimal
                Decimal(str(km or 0)).quantize(Decimal("0.1"), ROUND_HALF_UP),
                unmeasured,
                rates.get(provider_id),
                prices,
                provider_id,
            )
        )
    if needed:
        what = _("Work orders still to open")
        rate = rates.get(planned) if planned else None
        if planned is None:
            terms.append(
                Term(
                    CostCategory.LABOUR,
                    what,
                    needed,
                    None,
                    missing=_("no planned service provider in the budget"),
                )
            )
        else:
            terms.append(_labour(what, needed, Decimal(0), needed, rate, prices, planned))
    return terms


def _labour(
    what: str,
    count: int,
    km: Decimal,
    unmeasured: int,
    rate: ProviderRate | None,
    prices: Prices,
    provider_id: int | None,
) -> Term:
    """count × hours × hourly rate + 2 × km × rate per km (there and back); orders without a
    distance count as unknown when the provider charges travel."""
    if provider_id is None:
        return Term(
            CostCategory.LABOUR, what, count, None, missing=_("no service provider assigned")
        )
    if rate is None:
        return Term(
            CostCategory.LABOUR, what, count, None, missing=_("no rates for this service provider")
        )
    if unmeasured and rate.per_km:
        return Term(
            CostCategory.LABOUR,
            what,
            count,
            None,
            missing=_("%(count)s work orders have no distance for the travel rate")
            % {"count": unmeasured},
        )
    raw = count * rate.hours_per_work_order * rate.hourly_rate + 2 * km * rate.per_km
    amount = prices.convert(raw, rate.currency)
    basis = _("%(count)s × %(hours)s h × %(hourly)s + 2 × %(km)s km × %(per_km)s %(currency)s") % {
        "count": count,
        "hours": rate.hours_per_work_order,
        "hourly": rate.hourly_rate,
        "km": km,
        "per_km": rate.per_km,
        "currency": rate.currency,
    }
    missing = prices.missing(rate.currency) if amount is None else ""
    return Term(CostCategory.LABOUR, what, count, amount, basis, missing)


def _region_name(country: str, province: str) -> str:
    """The region as people write it in the reader's language (Sichuan, 四川省), not its code."""
    from .regions import region_label

    return region_label(province or country, get_language() or "en") or "?"
