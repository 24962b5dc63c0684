"""Automatic postings (F1): the costs that source records in the lower contexts cause, posted
once each.

| event | source | key | amount |
|---|---|---|---|
| a return picked up (leaves *authorised* for anything but *cancelled*) | waybill | RA number | the return's expected cost from the carrier's rate table |
| a disposition done (repair, destroy, return to supplier) | disposition | DSP number | quantity × the disposition cost of the lot's model, else of any model |
| a disposition of kind *replace* done (the replacement shipped) | replacement | DSP number | quantity × the replacement cost per unit |
| a work order done | work order | ``WO-…:labour``, ``WO-…:travel`` | hours per work order × hourly rate; distance × 2 × rate per km |
| an offer fulfilled | offer | the offer's id | the offer's value |
| letters posted (a batch of a send run) | notice run | ``NR-<run>/L-<first letter>`` | postage per letter × letters |

How they get here: execution and notices call ``hooks.happened`` in the service that made the
change; finance's hook (``tasks.on_happened``) enqueues :func:`post_happened` once the change has
committed. A worker killed before the task ran loses nothing: :func:`postings_sweep` finds every
source record in a posting state without its entry (one query per kind of source) and posts it.
Both go through ``ledger.cost_post``, unique per ``(source, key)``: whichever comes second
posts nothing. Letters are paid per letter (``PostedLetter``), under a lock on their log entries.

A posting that cannot be made yet (no exchange rate for its currency on its day, no unit cost,
no rate for the service provider, no postage) is not lost and not guessed: it is *waiting*
(:func:`waiting_for` lists it on the recall's ledger) until the sweep after an administrator
fills the gap."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.audit.models import AuditEntry
from medrecall.execution import hooks as execution_hooks
from medrecall.execution.lifecycle import DispositionKind, ReturnStatus, TaskStatus
from medrecall.execution.models import Disposition, ReturnAuthorisation, WorkOrder
from medrecall.notices import hooks as notices_hooks
from medrecall.notices.models import NoticeEvent, Offer
from medrecall.recalls.models import RecallCase

from . import ledger
from .errors import CostRefused, RateMissing
from .models import (
    CostCategory,
    CostEntry,
    CostSource,
    DispositionCost,
    ExchangeRate,
    PostedLetter,
)
from .models_payables import RefundRequest, RefundStatus

ACTOR = "finance postings"  # the audit log's name for the work no person started
CENT = Decimal("0.01")

WAITING_RATE = "rate"  # no exchange rate for the currency on the day
WAITING_COST = "unit_cost"  # no unit cost, provider rate, postage or expected cost

PICKED_UP = (ReturnStatus.PICKED_UP, ReturnStatus.IN_TRANSIT, ReturnStatus.RECEIVED)

# What a done disposition costs, by its kind: (source, category). A release after inspection
# posts nothing (the inspection is a work order's labour or an entry by hand).
DISPOSITION_POSTS: dict[str, tuple[str, str]] = {
    DispositionKind.REPAIR: (CostSource.DISPOSITION, CostCategory.REPAIR),
    DispositionKind.DESTROY: (CostSource.DISPOSITION, CostCategory.DESTRUCTION),
    DispositionKind.RETURN_TO_SUPPLIER: (CostSource.DISPOSITION, CostCategory.LOGISTICS),
    DispositionKind.REPLACE: (CostSource.REPLACEMENT, CostCategory.REPLACEMENT),
}


@dataclass(frozen=True)
class Due:
    """One posting a source record owes the ledger: its line, or why it is waiting."""

    source: str
    key: str
    recall_id: int
    record: str  # the record as a person names it (RA-…, DSP-…, WO-…, an offer, letters)
    line: ledger.CostLine | None
    waiting: str = ""  # WAITING_RATE or WAITING_COST when it cannot be posted yet
    problem: str = ""  # what is missing, in words
    letters: tuple[int, ...] = ()  # postage: the letters' log entries it pays for

    @property
    def ready(self) -> bool:
        return self.line is not None and not self.waiting


@dataclass
class PostingResult:
    posted: list[CostEntry] = field(default_factory=list)
    waiting: list[Due] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "posted": [entry.number for entry in self.posted],
            "waiting": [
                {"source": d.source, "key": d.key, "record": d.record, "problem": d.problem}
                for d in self.waiting
            ],
        }


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _day(moment: datetime | None) -> date:
    return timezone.localdate(moment or timezone.now())


def _unposted(source: str | Iterable[str], key: Any) -> Exists:
    sources = [source] if isinstance(source, str) else list(source)
    return Exists(CostEntry.objects.filter(source__in=sources, source_key=key))


def _scoped(queryset: QuerySet[Any], recall_id: int | None, ids: Iterable[int] | None) -> Any:
    if recall_id is not None:
        queryset = queryset.filter(recall_id=recall_id)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    return queryset


# --- what each kind of source record owes ---------------------------------------------------


def _pick_up_days(ra_ids: list[int]) -> dict[int, date]:
    """The day each return left *authorised* (picked up, or received before its pick-up was
    recorded), from its first status change in the audit log: one query for all."""
    days: dict[int, date] = {}
    entries = AuditEntry.objects.filter(
        action="execution.return_status",
        target_type=ReturnAuthorisation._meta.label_lower,
        target_id__in=[str(pk) for pk in ra_ids],
    ).order_by("sequence")
    for target_id, at, changes in entries.values_list("target_id", "recorded_at", "changes"):
        status = (changes or {}).get("status") or [None, None]
        if status[0] == ReturnStatus.AUTHORISED and int(target_id) not in days:
            days[int(target_id)] = _day(at)
    return days


def _waybills(recall_id: int | None, ids: Iterable[int] | None) -> list[Due]:
    returns = list(
        _scoped(ReturnAuthorisation.objects.all(), recall_id, ids)
        .filter(status__in=PICKED_UP)
        .exclude(_unposted(CostSource.WAYBILL, OuterRef("number")))
        .select_related("carrier__party", "party")
        .order_by("pk")
    )
    days = _pick_up_days([ra.pk for ra in returns])
    due = []
    for ra in returns:
        base = Due(CostSource.WAYBILL, ra.number, ra.recall_id, ra.number, None)
        if ra.expected_cost is None or ra.carrier is None:
            due.append(
                replace(
                    base,
                    waiting=WAITING_COST,
                    problem=_("Return %(ra)s has no carrier cost: set its carrier rate.")
                    % {"ra": ra.number},
                )
            )
            continue
        if ra.expected_cost <= 0:
            continue  # a free pick-up costs nothing to post
        line = ledger.CostLine(
            category=CostCategory.LOGISTICS,
            amount=_money(ra.expected_cost),
            currency=ra.currency,
            incurred_on=days.get(ra.pk) or _day(ra.updated_at),
            units=0,
            vendor=ra.carrier.party,
            holder=ra.party,
            document_reference=ra.waybill_number,
            description=_("Return %(ra)s picked up by %(carrier)s")
            % {"ra": ra.number, "carrier": ra.carrier.name},
        )
        due.append(replace(base, line=line))
    return due


def _unit_costs() -> dict[tuple[str, int | None], DispositionCost]:
    return {(c.kind, c.device_model_id): c for c in DispositionCost.objects.all()}


def _dispositions(recall_id: int | None, ids: Iterable[int] | None) -> list[Due]:
    done = list(
        _scoped(Disposition.objects.all(), recall_id, ids)
        .filter(status=TaskStatus.DONE, kind__in=list(DISPOSITION_POSTS))
        .exclude(_unposted((CostSource.DISPOSITION, CostSource.REPLACEMENT), OuterRef("number")))
        .select_related("lot__device_model", "target__party")
        .order_by("pk")
    )
    costs = _unit_costs() if done else {}
    due = []
    for d in done:
        source, category = DISPOSITION_POSTS[d.kind]
        base = Due(source, d.number, d.recall_id, d.number, None)
        model = d.lot.device_model
        cost = costs.get((d.kind, model.pk)) or costs.get((d.kind, None))
        if cost is None:
            due.append(
                replace(
                    base,
                    waiting=WAITING_COST,
                    problem=_("No cost per unit for %(kind)s of %(model)s: enter it.")
                    % {"kind": d.get_kind_display(), "model": model.name},
                )
            )
            continue
        amount = _money(cost.unit_cost * d.quantity)
        if amount <= 0:
            continue
        vendor = (
            d.target.party if d.kind == DispositionKind.RETURN_TO_SUPPLIER and d.target else None
        )
        line = ledger.CostLine(
            category=category,
            amount=amount,
            currency=cost.currency,
            incurred_on=_day(d.done_at),
            units=d.quantity,
            vendor=vendor,
            document_reference=d.number,
            description=_("%(kind)s: %(quantity)s × %(unit_cost)s %(currency)s")
            % {
                "kind": d.get_kind_display(),
                "quantity": d.quantity,
                "unit_cost": cost.unit_cost,
                "currency": cost.currency,
            },
        )
        due.append(replace(base, line=line))
    return due


def _work_orders(recall_id: int | None, ids: Iterable[int] | None) -> list[Due]:
    done = list(
        _scoped(WorkOrder.objects.all(), recall_id, ids)
        .filter(status=TaskStatus.DONE)
        .annotate(
            labour_posted=_unposted(
                CostSource.WORK_ORDER, Concat(OuterRef("number"), Value(":labour"))
            ),
            travel_posted=_unposted(
                CostSource.WORK_ORDER, Concat(OuterRef("number"), Value(":travel"))
            ),
        )
        .filter(Q(labour_posted=False) | Q(travel_posted=False))
        .select_related("provider__party", "provider__rate", "party")
        .order_by("pk")
    )
    due = []
    for order in done:
        rate = getattr(order.provider, "rate", None) if order.provider else None
        if rate is None:
            due.append(
                Due(
                    CostSource.WORK_ORDER,
                    f"{order.number}:labour",
                    order.recall_id,
                    order.number,
                    None,
                    waiting=WAITING_COST,
                    problem=_("No rates for the service provider of %(wo)s: enter them.")
                    % {"wo": order.number},
                )
            )
            continue
        parts = (
            ("labour", order.labour_posted, rate.hours_per_work_order * rate.hourly_rate),
            (
                "travel",
                order.travel_posted,
                (order.distance_km or 0) * 2 * rate.per_km,
            ),
        )
        for part, posted, amount in parts:
            if posted or _money(amount) <= 0:
                continue
            line = ledger.CostLine(
                category=CostCategory.LABOUR,
                amount=_money(amount),
                currency=rate.currency,
                incurred_on=_day(order.done_at),
                vendor=order.provider.party if order.provider else None,
                holder=order.party,
                document_reference=order.number,
                description=(
                    _("Labour: %(hours)s h × %(rate)s %(currency)s")
                    % {
                        "hours": rate.hours_per_work_order,
                        "rate": rate.hourly_rate,
                        "currency": rate.currency,
                    }
                    if part == "labour"
                    else _("Travel: %(km)s km there and back × %(rate)s %(currency)s per km")
                    % {"km": order.distance_km, "rate": rate.per_km, "currency": rate.currency}
                ),
            )
            due.append(
                Due(
                    CostSource.WORK_ORDER,
                    f"{order.number}:{part}",
                    order.recall_id,
                    order.number,
                    line,
                )
            )
    return due


def _offers(recall_id: int | None, ids: Iterable[int] | None) -> list[Due]:
    from django.db.models import CharField
    from django.db.models.functions import Cast

    fulfilled = (
        _scoped(Offer.objects.all(), recall_id, ids)
        .filter(status=Offer.Status.FULFILLED, amount__gt=0)
        .exclude(_unposted(CostSource.OFFER, Cast(OuterRef("pk"), CharField())))
        # Paid otherwise: by a refund requested from the offer (its payment posts the cost) or
        # an entry that names the offer. Nothing is paid twice.
        .exclude(
            Exists(
                RefundRequest.objects.filter(offer_id=OuterRef("pk")).exclude(
                    status=RefundStatus.REJECTED
                )
            )
        )
        .exclude(Exists(CostEntry.objects.filter(offer_id=OuterRef("pk"))))
        .select_related("party")
        .order_by("pk")
    )
    return [
        Due(
            CostSource.OFFER,
            str(offer.pk),
            offer.recall_id,
            _("offer %(id)s") % {"id": offer.pk},
            ledger.CostLine(
                category=CostCategory.COMPENSATION,
                amount=_money(offer.amount),
                currency=offer.currency,
                incurred_on=_day(offer.fulfilled_at),
                holder=offer.party,
                description=f"{offer.get_kind_display()}: {offer.description}"[:500],
                offer=offer,
            ),
        )
        for offer in fulfilled
    ]


def _letters(recall_id: int | None, ids: Iterable[int] | None) -> list[Due]:
    """Posted letters without postage, one posting per recall, send run and day."""
    rows = (
        _scoped(NoticeEvent.objects.all(), recall_id, ids)
        .filter(type=NoticeEvent.Type.LETTER)
        .exclude(Exists(PostedLetter.objects.filter(event_id=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", "recall_id", "recall__number", "notice__run_id", "at")
    )
    groups: dict[tuple[int, str, int | None, date], list[int]] = defaultdict(list)
    for pk, recall, number, run, at in rows:
        groups[(recall, number, run, _day(at))].append(pk)
    if not groups:
        return []
    policy = ledger.policy()
    return [
        _postage(recall, number, run, day, tuple(letters), policy)
        for (recall, number, run, day), letters in groups.items()
    ]


def _postage(
    recall: int, number: str, run: int | None, day: date, letters: tuple[int, ...], policy: Any
) -> Due:
    key = f"NR-{run}/L-{letters[0]}" if run else f"{number}/L-{letters[0]}"
    record = (
        _("%(count)s letter(s) of send run %(run)s") % {"count": len(letters), "run": run}
        if run
        else _("%(count)s letter(s)") % {"count": len(letters)}
    )
    base = Due(CostSource.NOTICE_RUN, key, recall, record, None, letters=letters)
    if policy.postage_per_letter <= 0:
        return replace(
            base,
            waiting=WAITING_COST,
            problem=_("No postage per letter in the finance policy: enter it."),
        )
    line = ledger.CostLine(
        category=CostCategory.COMMUNICATION,
        amount=_money(policy.postage_per_letter * len(letters)),
        currency=policy.company_currency,
        incurred_on=day,
        units=len(letters),
        description=_("Postage: %(count)s letter(s) × %(postage)s %(currency)s")
        % {
            "count": len(letters),
            "postage": policy.postage_per_letter,
            "currency": policy.company_currency,
        },
    )
    return replace(base, line=line)


SOURCES: dict[str, Callable[[int | None, Iterable[int] | None], list[Due]]] = {
    CostSource.WAYBILL: _waybills,
    CostSource.DISPOSITION: _dispositions,
    CostSource.WORK_ORDER: _work_orders,
    CostSource.OFFER: _offers,
    CostSource.NOTICE_RUN: _letters,
}

# What a lower context told (``hooks.happened``) → which kind of source record to read.
HAPPENINGS: dict[str, str] = {
    execution_hooks.RETURN_PICKED_UP: CostSource.WAYBILL,
    execution_hooks.DISPOSITION_DONE: CostSource.DISPOSITION,
    execution_hooks.WORK_ORDER_DONE: CostSource.WORK_ORDER,
    notices_hooks.OFFER_FULFILLED: CostSource.OFFER,
    notices_hooks.LETTERS_POSTED: CostSource.NOTICE_RUN,
}


def _with_rates(due: list[Due]) -> list[Due]:
    """Mark the postings whose currency has no rate on their day as waiting (one query)."""
    company = ledger.policy().company_currency if due else ""
    foreign = {
        (d.line.currency, d.line.incurred_on)
        for d in due
        if d.ready and d.line is not None and d.line.currency != company
    }
    known: set[tuple[str, date]] = set()
    if foreign:
        known = set(
            ExchangeRate.objects.filter(
                currency__in={c for c, _d in foreign}, rate_on__in={d for _c, d in foreign}
            ).values_list("currency", "rate_on")
        )
    marked = []
    for d in due:
        if (
            d.ready
            and d.line is not None
            and d.line.currency != company
            and (d.line.currency, d.line.incurred_on) not in known
        ):
            d = replace(
                d,
                waiting=WAITING_RATE,
                problem=_("No exchange rate for %(currency)s on %(day)s: enter it.")
                % {"currency": d.line.currency, "day": d.line.incurred_on.isoformat()},
            )
        marked.append(d)
    return marked


def postings_due(
    *, recall_id: int | None = None, source: str | None = None, ids: Iterable[int] | None = None
) -> list[Due]:
    """What source records owe the ledger (optionally of one recall, one kind, some records):
    each ready to post or waiting, with why. One query per kind of source, one for rates."""
    kinds = [source] if source else list(SOURCES)
    due = [item for kind in kinds for item in SOURCES[kind](recall_id, ids)]
    return _with_rates(due)


def waiting_for(recall: RecallCase) -> list[Due]:
    """The recall's source records whose cost is not posted yet, ready or waiting."""
    return postings_due(recall_id=recall.pk)


def _post_letters(due: Due, recall: RecallCase) -> CostEntry | None:
    """Post the postage of the letters not yet paid for, under a lock on their log entries (a
    task and the sweep grouping them differently still pay each letter once)."""
    with transaction.atomic():
        locked = list(
            NoticeEvent.objects.select_for_update()
            .filter(pk__in=due.letters)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        paid = set(
            PostedLetter.objects.filter(event_id__in=locked).values_list("event_id", flat=True)
        )
        fresh = tuple(pk for pk in locked if pk not in paid)
        if not fresh:
            return None
        if fresh != due.letters:
            due = _postage(
                due.recall_id,
                recall.number,
                _run_of(fresh[0]),
                due.line.incurred_on if due.line else _day(None),
                fresh,
                ledger.policy(),
            )
        assert due.line is not None  # noqa: S101 - _postage made a line: the postage is set
        entry = ledger.cost_post(
            actor=ACTOR, recall=recall, line=due.line, source=due.source, source_key=due.key
        )
        PostedLetter.objects.bulk_create(
            [PostedLetter(event_id=pk, entry=entry) for pk in fresh], ignore_conflicts=True
        )
        return entry


def _run_of(event_id: int) -> int | None:
    run: int | None = (
        NoticeEvent.objects.filter(pk=event_id).values_list("notice__run_id", flat=True).first()
    )
    return run


def post_due(due: list[Due]) -> PostingResult:
    """Post what is ready, each in its own transaction (``cost_post`` answers a repeat with the
    entry already posted); keep what is waiting. A rate deleted meanwhile leaves it waiting."""
    result = PostingResult()
    recalls = RecallCase.objects.in_bulk({d.recall_id for d in due if d.ready})
    for item in due:
        if not item.ready or item.line is None:
            result.waiting.append(item)
            continue
        recall = recalls[item.recall_id]
        try:
            if item.letters:
                entry = _post_letters(item, recall)
            else:
                entry = ledger.cost_post(
                    actor=ACTOR,
                    recall=recall,
                    line=item.line,
                    source=item.source,
                    source_key=item.key,
                )
        except RateMissing as missing:
            result.waiting.append(replace(item, waiting=WAITING_RATE, problem=missing.message))
            continue
        except CostRefused as refused:  # an offer paid meanwhile by a refund: not twice
            result.waiting.append(replace(item, problem=refused.message))
            continue
        if entry is not None:
            result.posted.append(entry)
    return result


def post_happened(what: str, ids: Iterable[int]) -> PostingResult:
    """Post the costs of what a lower context told (the task of ``tasks.on_happened``): safe to
    run twice, and after the sweep posted them already (nothing is posted again)."""
    source = HAPPENINGS.get(what)
    if source is None:
        return PostingResult()
    return post_due(postings_due(source=source, ids=list(ids)))


def postings_sweep() -> PostingResult:
    """Post every cost a source record owes and that is not posted: what a lost task missed and
    what was waiting for a rate or unit cost that has been entered since."""
    return post_due(postings_due())
