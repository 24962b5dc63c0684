"""Vendor quotes (F3): requests for quotes per recall, vendors' quotes side by side, the chosen
quote with its reason, and the vendor scorecard across recalls.

Writes are one transaction each with their audit entry; reads (comparison, scorecard) run a
fixed number of queries whatever the number of quotes, returns or work orders."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import CharField, Count, F, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.audit.models import AuditEntry
from medrecall.core import bounds
from medrecall.core.errors import NotFound
from medrecall.core.numbering import next_number
from medrecall.core.presentation import party_name
from medrecall.execution.lifecycle import ReturnStatus, TaskStatus
from medrecall.execution.models import CarrierRate, ReturnAuthorisation, WorkOrder
from medrecall.parties.models import Party, PartyType
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import RecallCase

from .errors import AwardRefused, QuoteRefused
from .ledger import (
    CENT,
    Attachment,
    _attachment_type,
    amount_checked,
    company_today,
    currency_checked,
    policy,
)
from .ledger import rate_for as _rate_for
from .models import CostEntry, ExchangeRate
from .models_payables import Quote, QuoteKind, QuoteRequest, QuoteRequestStatus
from .regions import regions_checked

VENDOR_TYPES = (PartyType.CARRIER, PartyType.SERVICE_PARTNER, PartyType.SUPPLIER)


# -- writes ------------------------------------------------------------------------------------
@transaction.atomic
def quote_request_open(
    *,
    actor: User,
    recall: RecallCase,
    kind: str,
    description: str,
    quantity: Any,
    region: str,
    due_on: date,
) -> QuoteRequest:
    """Ask vendors to quote for logistics, repair or destruction of a recall's units."""
    require_action(recall, Action.POST_COST)
    if kind not in QuoteKind.values:
        raise QuoteRefused(
            _("%(kind)s is not a service to quote for (logistics, repair, destruction).")
            % {"kind": kind},
            where="kind",
        )
    if not description.strip():
        raise QuoteRefused(_("Say what is to be done."), where="description")
    units = _positive_int(quantity, where="quantity")
    regions = regions_checked(region)
    today = company_today()
    if due_on < today:
        raise QuoteRefused(
            _("Quotes cannot be due on %(day)s, before today (%(today)s).")
            % {"day": due_on.isoformat(), "today": today.isoformat()},
            where="due_on",
        )
    request = QuoteRequest.objects.create(
        number=next_number(QuoteRequest, "RFQ"),
        recall=recall,
        kind=kind,
        description=description.strip(),
        quantity=units,
        region=regions,
        due_on=due_on,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="finance.quote_request_opened",
        target=request,
        changes={
            "recall": [None, recall.number],
            "kind": [None, kind],
            "quantity": [None, units],
            "region": [None, request.region],
            "due_on": [None, due_on.isoformat()],
        },
    )
    return request


@dataclass(frozen=True)
class QuoteTerms:
    """What a vendor quoted."""

    vendor: Party
    price: Any
    currency: str
    lead_time_days: Any
    quoted_on: date
    valid_until: date
    coverage: str = ""
    notes: str = ""


def _positive_int(value: Any, *, where: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise QuoteRefused(
            _("%(value)s is not a whole number.") % {"value": value}, where=where
        ) from None
    if number <= 0:
        raise QuoteRefused(_("Give a number above zero."), where=where)
    if number > bounds.INT32[1]:
        raise QuoteRefused(bounds.range_message(1, bounds.INT32[1]), where=where)
    return number


def _open_request(request: QuoteRequest) -> QuoteRequest:
    locked = QuoteRequest.objects.select_for_update().select_related("recall").get(pk=request.pk)
    if locked.status != QuoteRequestStatus.OPEN:
        raise AwardRefused(
            _("%(number)s is %(status)s: it takes no more quotes, awards or cancellations.")
            % {"number": locked.number, "status": str(locked.get_status_display()).lower()},
            where="request",
        )
    return locked


@transaction.atomic
def quote_add(
    *,
    actor: User,
    request: QuoteRequest,
    terms: QuoteTerms,
    attachment: Attachment | None = None,
) -> Quote:
    """Enter one vendor's quote on an open request (a vendor quotes a request once)."""
    locked = _open_request(request)
    if terms.vendor.party_type not in VENDOR_TYPES:
        raise QuoteRefused(
            _("%(code)s is a %(type)s, not a carrier, service partner or supplier.")
            % {"code": terms.vendor.code, "type": terms.vendor.get_party_type_display()},
            where="vendor",
        )
    price = amount_checked(
        terms.price, where="price", not_positive=_("A quoted price must be more than zero.")
    )
    currency = currency_checked(terms.currency)
    lead = _lead_time(terms.lead_time_days)
    if terms.valid_until < terms.quoted_on:
        raise QuoteRefused(
            _("A quote cannot expire (%(until)s) before it was given (%(on)s).")
            % {"until": terms.valid_until.isoformat(), "on": terms.quoted_on.isoformat()},
            where="valid_until",
        )
    if locked.quotes.filter(vendor=terms.vendor).exists():
        raise QuoteRefused(
            _("%(code)s has quoted %(number)s already.")
            % {"code": terms.vendor.code, "number": locked.number},
            where="vendor",
        )
    quote = Quote(
        request=locked,
        vendor=terms.vendor,
        price=price,
        currency=currency,
        lead_time_days=lead,
        coverage=terms.coverage.strip(),
        quoted_on=terms.quoted_on,
        valid_until=terms.valid_until,
        notes=terms.notes.strip(),
        entered_by=actor,
    )
    if attachment is not None:
        from django.core.files.base import ContentFile

        from medrecall.core import files

        kind = _attachment_type(attachment)
        quote.attachment_name = attachment.name[:255]
        quote.attachment.save(files.stored_name(kind), ContentFile(attachment.content), save=False)
    quote.save()
    audit.record(
        actor=actor,
        action="finance.quote_added",
        target=locked,
        changes={
            "vendor": [None, terms.vendor.code],
            "price": [None, str(price)],
            "currency": [None, currency],
            "lead_time_days": [None, lead],
            "valid_until": [None, terms.valid_until.isoformat()],
        },
    )
    return quote


def _lead_time(value: Any) -> int:
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError):
        raise QuoteRefused(
            _("%(value)s is not a number of days.") % {"value": value}, where="lead_time_days"
        ) from None
    if days < 0:
        raise QuoteRefused(_("A lead time cannot be negative."), where="lead_time_days")
    if days > bounds.INT32[1]:
        raise QuoteRefused(bounds.range_message(0, bounds.INT32[1]), where="lead_time_days")
    return days


@transaction.atomic
def quote_award(
    *,
    actor: User,
    request: QuoteRequest,
    quote: Quote,
    reason: str,
    accept_expired: bool = False,
    on: date | None = None,
) -> QuoteRequest:
    """Choose one quote of an open request, with the reason. A quote past its validity is
    awarded only when the user says so (``accept_expired``); the price is kept in the company
    currency at the award day's rate for the scorecard (a missing rate is refused)."""
    locked = _open_request(request)
    if quote.request_id != locked.pk:
        raise AwardRefused(
            _("That quote belongs to another request, not %(number)s.") % {"number": locked.number},
            where="quote",
        )
    if not reason.strip():
        raise QuoteRefused(_("Say why this quote is chosen."), where="reason")
    day = on or timezone.localdate()
    expired = quote.valid_until < day
    if expired and not accept_expired:
        raise AwardRefused(
            _(
                "The quote of %(vendor)s was valid until %(until)s. Confirm that you award it "
                "after its validity (and say so in the reason), or ask for a new quote."
            )
            % {"vendor": quote.vendor.code, "until": quote.valid_until.isoformat()},
            where="accept_expired",
        )
    rate = _rate_for(quote.currency, day)
    locked.status = QuoteRequestStatus.AWARDED
    locked.awarded_quote = quote
    locked.award_reason = reason.strip()
    locked.award_expired = expired
    locked.award_rate = rate
    locked.award_company_price = (quote.price * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    locked.awarded_by = actor
    locked.awarded_at = timezone.now()
    locked.save()
    audit.record(
        actor=actor,
        action="finance.quote_awarded",
        target=locked,
        changes={
            "status": [QuoteRequestStatus.OPEN, QuoteRequestStatus.AWARDED],
            "vendor": [None, quote.vendor.code],
            "price": [None, f"{quote.price} {quote.currency}"],
            "company_price": [None, str(locked.award_company_price)],
            "expired": [None, expired],
        },
        reason=locked.award_reason,
    )
    return locked


@transaction.atomic
def quote_request_cancel(*, actor: User, request: QuoteRequest, reason: str) -> QuoteRequest:
    """Cancel an open request (no quote is chosen), with the reason."""
    locked = _open_request(request)
    if not reason.strip():
        raise QuoteRefused(_("Say why the request is cancelled."), where="reason")
    locked.status, locked.cancel_reason = QuoteRequestStatus.CANCELLED, reason.strip()
    locked.save(update_fields=["status", "cancel_reason"])
    audit.record(
        actor=actor,
        action="finance.quote_request_cancelled",
        target=locked,
        changes={"status": [QuoteRequestStatus.OPEN, QuoteRequestStatus.CANCELLED]},
        reason=locked.cancel_reason,
    )
    return locked


# -- reads -------------------------------------------------------------------------------------
def vendor_choices(limit: int = 500) -> list[tuple[str, str]]:
    """The parties a quote may come from (carriers, service partners, suppliers), as (code,
    name in the reader's language), for the quote form's pick list; one query."""
    found = Party.objects.filter(party_type__in=VENDOR_TYPES).order_by("code")[:limit]
    return [(party.code, party_name(party)) for party in found]


def quote_requests_of(recall: RecallCase) -> QuerySet[QuoteRequest]:
    """A recall's requests for quotes, newest first, with their quote counts and chosen quote."""
    return (
        QuoteRequest.objects.filter(recall=recall)
        .select_related("recall", "awarded_quote__vendor")
        .annotate(quote_count=Count("quotes"))
        .order_by("-created_at", "-pk")
    )


def quote_request_numbered(*, number: str) -> QuoteRequest:
    found = (
        QuoteRequest.objects.select_related("recall", "awarded_quote__vendor")
        .filter(number=number.strip())
        .first()
    )
    if found is None:
        raise NotFound(
            _("There is no request for quotes numbered %(number)s.") % {"number": number},
            where="request",
        )
    return found


def quote_of(request: QuoteRequest, *, vendor_code: str) -> Quote:
    """The quote a vendor (by party code) gave on ``request``."""
    found = request.quotes.select_related("vendor").filter(vendor__code=vendor_code).first()
    if found is None:
        raise NotFound(
            _("%(code)s has not quoted %(number)s.")
            % {"code": vendor_code, "number": request.number},
            where="quote",
        )
    return found


@dataclass(frozen=True)
class QuoteRow:
    """One quote of the side-by-side comparison."""

    quote: Quote
    rate: Decimal | None
    company_price: Decimal | None
    expired: bool
    chosen: bool
    cheapest: bool = False
    fastest: bool = False

    @property
    def vendor_label(self) -> str:
        return party_name(self.quote.vendor)

    @property
    def rate_missing(self) -> bool:
        return self.rate is None

    def as_dict(self) -> dict[str, Any]:
        q = self.quote
        return {
            "id": q.pk,
            "vendor": q.vendor.code,
            "vendor_name": party_name(q.vendor),
            "price": str(q.price),
            "currency": q.currency,
            "rate": None if self.rate is None else str(self.rate),
            "company_price": None if self.company_price is None else str(self.company_price),
            "rate_missing": self.rate_missing,
            "lead_time_days": q.lead_time_days,
            "coverage": q.coverage,
            "quoted_on": q.quoted_on.isoformat(),
            "valid_until": q.valid_until.isoformat(),
            "expired": self.expired,
            "chosen": self.chosen,
            "cheapest": self.cheapest,
            "fastest": self.fastest,
            "attachment": q.attachment_name,
        }


@dataclass(frozen=True)
class Comparison:
    request: QuoteRequest
    on: date
    company_currency: str
    rows: list[QuoteRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        r = self.request
        return {
            "request": r.number,
            "recall": r.recall.number,
            "kind": r.kind,
            "status": r.status,
            "on": self.on.isoformat(),
            "company_currency": self.company_currency,
            "award_reason": r.award_reason,
            "quotes": [row.as_dict() for row in self.rows],
        }


def quotes_compare(request: QuoteRequest, *, on: date | None = None) -> Comparison:
    """The request's quotes side by side, cheapest first in the company currency at the rate of
    ``on`` (default today). A quote whose currency has no rate that day shows the rate as
    missing (no company price, never zero) and sorts after the priced ones."""
    day = on or timezone.localdate()
    company = policy().company_currency
    quotes = list(request.quotes.select_related("vendor"))
    currencies = {q.currency for q in quotes} - {company}
    rates = dict(
        ExchangeRate.objects.filter(currency__in=currencies, rate_on=day).values_list(
            "currency", "rate"
        )
    )
    rates[company] = Decimal(1)
    priced = []
    for q in quotes:
        rate = rates.get(q.currency)
        company_price = (
            None if rate is None else (q.price * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        )
        priced.append((q, rate, company_price))
    known = [p for _q, _r, p in priced if p is not None]
    lowest = min(known, default=None)
    fastest = min((q.lead_time_days for q in quotes), default=None)
    rows = [
        QuoteRow(
            quote=q,
            rate=rate,
            company_price=price,
            expired=q.valid_until < day,
            chosen=request.awarded_quote_id == q.pk,
            cheapest=price is not None and price == lowest,
            fastest=q.lead_time_days == fastest,
        )
        for q, rate, price in priced
    ]
    rows.sort(
        key=lambda row: (
            row.company_price is None,
            row.company_price or Decimal(0),
            row.quote.lead_time_days,
            row.quote.vendor.code,
        )
    )
    return Comparison(request=request, on=day, company_currency=company, rows=rows)


# -- the vendor scorecard ----------------------------------------------------------------------
@dataclass
class ScoreRow:
    """One vendor across recalls: quoted against actual (company currency) and timeliness."""

    vendor_id: int
    code: str = ""
    name: str = ""
    recalls: set[int] = field(default_factory=set)
    awarded_recalls: set[int] = field(default_factory=set)
    # The chosen quotes' company prices per recall; those of a recall where no cost with this
    # vendor is posted yet move to ``awaiting_cost`` and stay out of quoted, actual and variance.
    awarded_prices: dict[int, Decimal] = field(default_factory=dict)
    awaiting_cost: dict[int, Decimal] = field(default_factory=dict)
    quoted: Decimal = Decimal(0)
    actual_on_awarded: Decimal = Decimal(0)
    actual: Decimal = Decimal(0)
    returns_measured: int = 0
    returns_on_time: int = 0
    work_orders_done: int = 0
    work_orders_on_time: int = 0

    @property
    def compared_recalls(self) -> set[int]:
        """The recalls where this vendor's quote was chosen and a cost with it is posted."""
        return self.awarded_recalls - set(self.awaiting_cost)

    @property
    def no_cost_yet(self) -> bool:
        """Quotes were chosen, but no cost with the vendor is posted on any of their recalls."""
        return bool(self.awaiting_cost) and not self.compared_recalls

    @property
    def variance(self) -> Decimal | None:
        """Actual minus quoted on the recalls where this vendor's quote was chosen and a cost
        is posted (a quote just awarded is not a −100 % variance)."""
        return self.actual_on_awarded - self.quoted if self.compared_recalls else None

    @property
    def quoted_without_cost(self) -> Decimal:
        return sum(self.awaiting_cost.values(), Decimal(0))

    @property
    def variance_percent(self) -> Decimal | None:
        if self.variance is None or not self.quoted:
            return None
        return (self.variance * 100 / self.quoted).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def on_time_percent(self) -> Decimal | None:
        measured = self.returns_measured + self.work_orders_done
        if not measured:
            return None
        on_time = self.returns_on_time + self.work_orders_on_time
        return (Decimal(on_time) * 100 / measured).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def as_dict(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        def money(value: Decimal | None) -> str | None:
            return None if value is None else str(Decimal(value).quantize(CENT))

        return {
            "vendor": self.code,
            "vendor_name": self.name,
            "recalls": len(self.recalls),
            "awarded_recalls": len(self.awarded_recalls),
            "awarded_without_cost": len(self.awaiting_cost),
            "quoted_without_cost": money(self.quoted_without_cost),
            "quoted": money(self.quoted),
            "actual_on_awarded": money(self.actual_on_awarded),
            "actual": money(self.actual),
            "variance": money(self.variance),
            "no_cost_yet": self.no_cost_yet,
            "variance_percent": text(self.variance_percent),
            "returns_measured": self.returns_measured,
            "returns_on_time": self.returns_on_time,
            "work_orders_done": self.work_orders_done,
            "work_orders_on_time": self.work_orders_on_time,
            "on_time_percent": text(self.on_time_percent),
        }


def vendor_scorecard(*, vendor: Party | None = None) -> list[ScoreRow]:
    """Every vendor with a chosen quote, a cost entry, a measured return or a done work order,
    across recalls (six queries, whatever the volume). Costs are summed in SQL from the ledger
    (reversals included, so a corrected entry counts once); timeliness compares a carrier's
    pick-up → first receipt with the chosen logistics quote's lead time or else the carrier
    rate's transit days, and a service provider's done work orders with their due time."""
    rows: dict[int, ScoreRow] = {}

    def row(vendor_id: int) -> ScoreRow:
        return rows.setdefault(vendor_id, ScoreRow(vendor_id=vendor_id))

    only = Q(vendor=vendor) if vendor is not None else Q()
    awards = QuoteRequest.objects.filter(
        Q(status=QuoteRequestStatus.AWARDED),
        Q(awarded_quote__vendor=vendor) if vendor is not None else Q(),
    ).values_list("awarded_quote__vendor_id", "recall_id", "award_company_price")
    for vendor_id, recall_id, price in awards:
        score = row(vendor_id)
        score.awarded_prices[recall_id] = score.awarded_prices.get(recall_id, Decimal(0)) + (
            price or Decimal(0)
        )
        score.awarded_recalls.add(recall_id)
        score.recalls.add(recall_id)
    costs = (
        CostEntry.objects.filter(only, vendor__isnull=False)
        .values("vendor_id", "recall_id")
        .annotate(total=Sum("company_amount"))
    )
    costed: set[tuple[int, int]] = set()
    for cost in costs:
        score = row(cost["vendor_id"])
        score.actual += cost["total"]
        score.recalls.add(cost["recall_id"])
        costed.add((cost["vendor_id"], cost["recall_id"]))
        if cost["recall_id"] in score.awarded_recalls:
            score.actual_on_awarded += cost["total"]
    for score in rows.values():
        for recall_id, price in score.awarded_prices.items():
            if (score.vendor_id, recall_id) in costed:
                score.quoted += price
            else:
                score.awaiting_cost[recall_id] = price
    _score_returns(row, vendor)
    _score_work_orders(row, vendor)
    names = Party.objects.filter(pk__in=rows).values("pk", "code", "name", "name_en")
    for party in names:  # the name in the reader's language
        rows[party["pk"]].code, rows[party["pk"]].name = party["code"], party_name(party)
    return sorted(rows.values(), key=lambda r: r.code)


def _score_returns(row: Any, vendor: Party | None) -> None:
    """Carriers: each return picked up and received, on time when the first receipt came within
    the promised days of the pick-up."""
    picked_up = AuditEntry.objects.filter(
        action="execution.return_status",
        target_type="execution.returnauthorisation",
        target_id=Cast(OuterRef("pk"), CharField()),
        changes__status__1=ReturnStatus.PICKED_UP,
    ).order_by("sequence")
    chosen = Quote.objects.filter(
        award_of__recall_id=OuterRef("recall_id"),
        award_of__kind=QuoteKind.LOGISTICS,
        vendor_id=OuterRef("carrier__party_id"),
    )
    rate = CarrierRate.objects.filter(
        carrier_id=OuterRef("carrier_id"), country=OuterRef("location__country")
    )
    returns = (
        ReturnAuthorisation.objects.filter(
            carrier__isnull=False,
            **({"carrier__party": vendor} if vendor is not None else {}),
        )
        .annotate(
            picked_up_at=Subquery(picked_up.values("recorded_at")[:1]),
            received_at=Min("receipts__received_at"),
            quoted_days=Subquery(chosen.values("lead_time_days")[:1]),
            province_days=Subquery(
                rate.filter(province_code=OuterRef("location__province_code"))
                .exclude(province_code="")
                .values("transit_days")[:1]
            ),
            country_days=Subquery(rate.filter(province_code="").values("transit_days")[:1]),
        )
        .filter(picked_up_at__isnull=False, received_at__isnull=False)
        .values_list(
            "carrier__party_id",
            "recall_id",
            "picked_up_at",
            "received_at",
            "quoted_days",
            "province_days",
            "country_days",
        )
    )
    for party_id, recall_id, picked, received, quoted, province, country in returns:
        promised = next((d for d in (quoted, province, country) if d is not None), None)
        if promised is None:
            continue
        score = row(party_id)
        score.recalls.add(recall_id)
        score.returns_measured += 1
        if _elapsed_days(picked, received) <= promised:
            score.returns_on_time += 1


def _elapsed_days(start: datetime, end: datetime) -> Decimal:
    return Decimal((end - start).total_seconds()) / Decimal(86400)


def _score_work_orders(row: Any, vendor: Party | None) -> None:
    """Service providers: work orders done, and how many were done by their due time."""
    done = (
        WorkOrder.objects.filter(
            status=TaskStatus.DONE,
            provider__isnull=False,
            **({"provider__party": vendor} if vendor is not None else {}),
        )
        .values("provider__party_id")
        .annotate(
            done=Count("pk"),
            on_time=Count("pk", filter=Q(done_at__lte=F("due_at"))),
        )
    )
    recalls: dict[int, set[int]] = defaultdict(set)
    for party_id, recall_id in (
        WorkOrder.objects.filter(
            status=TaskStatus.DONE,
            provider__isnull=False,
            **({"provider__party": vendor} if vendor is not None else {}),
        )
        .values_list("provider__party_id", "recall_id")
        .distinct()
    ):
        recalls[party_id].add(recall_id)
    for found in done:
        score = row(found["provider__party_id"])
        score.work_orders_done += found["done"]
        score.work_orders_on_time += found["on_time"]
        score.recalls |= recalls[found["provider__party_id"]]


def quote_request_get(*, pk: int) -> QuoteRequest:
    found = (
        QuoteRequest.objects.select_related("recall", "awarded_quote__vendor", "awarded_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(_("Request for quotes not found."), where="request")
    return found
