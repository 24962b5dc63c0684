"""Posting to a recall's cost ledger (F1): exchange rates, entries, reversals.

Each function is one business action in one transaction with its audit entry. An entry caused
by a source record (``CostSource`` other than manual) is posted at most once per source key:
a second call, from a retried task or a worker that died after committing, returns the entry
already posted and writes nothing."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core import files
from medrecall.core.errors import UploadRefused
from medrecall.core.numbering import next_number
from medrecall.core.types import ActorOrSystem
from medrecall.parties.models import Party
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import RecallCase

from .errors import CostRefused, RateMissing
from .models import CostCategory, CostEntry, CostSource, ExchangeRate, FinancePolicy, RateSource

CENT = Decimal("0.01")


def policy() -> FinancePolicy:
    """The company's finance settings (created with the defaults the first time)."""
    found, _created = FinancePolicy.objects.get_or_create(
        pk=1, defaults={"alert_thresholds": [80, 100]}
    )
    return found


def currency_checked(code: str, *, where: str = "currency") -> str:
    """``code`` as an ISO 4217 currency (upper case), or a refusal naming it."""
    import pycountry

    cleaned = (code or "").strip().upper()
    if len(cleaned) != 3 or pycountry.currencies.get(alpha_3=cleaned) is None:
        raise CostRefused(
            _("%(code)s is not an ISO 4217 currency code (e.g. CNY, USD, EUR).")
            % {"code": code or "''"},
            where=where,
        )
    return cleaned


def amount_checked(value: Any, *, where: str = "amount") -> Decimal:
    """A positive amount with at most two decimals."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise CostRefused(
            _("%(value)s is not an amount.") % {"value": value}, where=where
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise CostRefused(
            _("The amount must be more than zero (a correction is a reversal)."), where=where
        )
    if amount != amount.quantize(CENT):
        raise CostRefused(_("An amount has at most two decimals."), where=where)
    return amount


def rate_for(currency: str, on: date) -> Decimal:
    """Company-currency units per unit of ``currency`` on ``on``: 1 for the company currency,
    otherwise the rate entered or imported for that very day (no guessing from another day)."""
    if currency == policy().company_currency:
        return Decimal(1)
    found = ExchangeRate.objects.filter(currency=currency, rate_on=on).values_list(
        "rate", flat=True
    )
    for rate in found:
        return Decimal(rate)
    raise RateMissing(
        _(
            "There is no exchange rate for %(currency)s on %(day)s. Enter it (Finance → "
            "Exchange rates) or import the day's rates, then post again."
        )
        % {"currency": currency, "day": on.isoformat()},
        where="currency",
    )


@transaction.atomic
def rate_set(
    *, actor: User, currency: str, rate_on: date, rate: Any, source: str = RateSource.ENTERED
) -> ExchangeRate:
    """Enter (or correct) the rate of one currency on one day. Entries already posted keep the
    rate they used: it is stored on each entry."""
    code = currency_checked(currency)
    if code == policy().company_currency:
        raise CostRefused(
            _("%(code)s is the company currency: its rate is always 1.") % {"code": code},
            where="currency",
        )
    value = amount_rate_checked(rate)
    existing = ExchangeRate.objects.select_for_update().filter(currency=code, rate_on=rate_on)
    before = existing.values("rate").first()
    found, _created = ExchangeRate.objects.update_or_create(
        currency=code,
        rate_on=rate_on,
        defaults={"rate": value, "source": source, "entered_by": actor},
    )
    audit.record(
        actor=actor,
        action="finance.rate_set",
        target=found,
        changes={"rate": [str(before["rate"]) if before else None, str(value)]},
    )
    return found


def amount_rate_checked(value: Any) -> Decimal:
    """An exchange rate: a positive decimal with at most eight decimals."""
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise CostRefused(_("%(value)s is not a rate.") % {"value": value}, where="rate") from None
    if not rate.is_finite() or rate <= 0:
        raise CostRefused(_("A rate must be more than zero."), where="rate")
    if rate != rate.quantize(Decimal("0.00000001")) or rate >= Decimal("1e10"):
        raise CostRefused(_("A rate has at most eight decimals and ten digits."), where="rate")
    return rate


@dataclass(frozen=True)
class CostLine:
    """What an entry says, before it is posted."""

    category: str
    amount: Any
    currency: str
    incurred_on: date
    units: int = 0
    vendor: Party | None = None
    holder: Party | None = None
    document_reference: str = ""
    description: str = ""


@dataclass(frozen=True)
class Attachment:
    """An invoice or receipt kept with an entry: the client's file name (shown only) and bytes."""

    name: str
    content: bytes


def max_attachment_bytes() -> int:
    return int(getattr(settings, "MEDRECALL_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))


def _attachment_type(attachment: Attachment) -> files.FileType:
    """The attachment's type by content (PDF, image, Excel or Word), within the size limit."""
    limit = max_attachment_bytes()
    if len(attachment.content) > limit:
        raise CostRefused(
            _("%(name)s is %(size)s bytes; attachments may be at most %(limit)s bytes.")
            % {"name": attachment.name, "size": len(attachment.content), "limit": limit},
            where="attachment",
        )
    try:
        return files.check_type(
            io.BytesIO(attachment.content), name=attachment.name, allowed=files.EVIDENCE_TYPES
        )
    except UploadRefused as refused:
        raise CostRefused(refused.message, where="attachment") from refused


def _checked(line: CostLine) -> tuple[Decimal, str]:
    if line.category not in CostCategory.values:
        raise CostRefused(
            _("%(category)s is not a cost category.") % {"category": line.category},
            where="category",
        )
    if line.units < 0:
        raise CostRefused(_("Units cannot be negative."), where="units")
    return amount_checked(line.amount), currency_checked(line.currency)


def cost_post(
    *,
    actor: ActorOrSystem,
    recall: RecallCase,
    line: CostLine,
    source: str = CostSource.MANUAL,
    source_key: str = "",
    attachment: Attachment | None = None,
) -> CostEntry:
    """Post one entry. For a source record, posted once per ``source_key``: a repeat returns the
    entry posted first, unchanged, and writes nothing (also when two workers race)."""
    if source != CostSource.MANUAL:
        if source not in CostSource.values or source == CostSource.REVERSAL or not source_key:
            raise CostRefused(_("An automatic posting names its source record."), where="source")
        posted = CostEntry.objects.filter(source=source, source_key=source_key).first()
        if posted is not None:
            return posted
    try:
        return _post(
            actor=actor,
            recall=recall,
            line=line,
            source=source,
            source_key=source_key,
            attachment=attachment,
        )
    except IntegrityError:
        posted = CostEntry.objects.filter(source=source, source_key=source_key).first()
        if source == CostSource.MANUAL or posted is None:
            raise
        return posted


@transaction.atomic
def _post(
    *,
    actor: ActorOrSystem,
    recall: RecallCase,
    line: CostLine,
    source: str,
    source_key: str,
    attachment: Attachment | None,
) -> CostEntry:
    require_action(recall, Action.POST_COST)
    amount, currency = _checked(line)
    rate = rate_for(currency, line.incurred_on)
    company = policy().company_currency
    entry = CostEntry(
        number=next_number(CostEntry, "CE"),
        recall=recall,
        category=line.category,
        amount=amount,
        currency=currency,
        rate=rate,
        company_amount=(amount * rate).quantize(CENT, rounding=ROUND_HALF_UP),
        company_currency=company,
        incurred_on=line.incurred_on,
        units=line.units,
        vendor=line.vendor,
        holder=line.holder,
        document_reference=line.document_reference.strip(),
        description=line.description.strip(),
        source=source,
        source_key=source_key,
        posted_by=actor if isinstance(actor, User) else None,
    )
    if attachment is not None:
        kind = _attachment_type(attachment)
        entry.attachment_name = attachment.name[:255]
        entry.attachment.save(files.stored_name(kind), ContentFile(attachment.content), save=False)
    with transaction.atomic():  # a savepoint: a lost race leaves the outer transaction usable
        entry.save(force_insert=True)
    audit.record(
        actor=actor,
        action="finance.cost_posted",
        target=entry,
        changes={
            "recall": [None, recall.number],
            "category": [None, entry.category],
            "amount": [None, str(amount)],
            "currency": [None, currency],
            "company_amount": [None, str(entry.company_amount)],
            "source": [None, f"{source}:{source_key}" if source_key else source],
        },
    )
    return entry


@transaction.atomic
def cost_reverse(*, actor: User, entry: CostEntry, reason: str) -> CostEntry:
    """Correct a posted entry by posting its opposite (same category, currency and rate) with a
    reason. An entry is reversed once; a reversal is not reversed (post a new entry instead)."""
    locked = CostEntry.objects.select_for_update().select_related("recall").get(pk=entry.pk)
    require_action(locked.recall, Action.POST_COST)
    if not reason.strip():
        raise CostRefused(_("Say why the entry is reversed."), where="reason")
    if locked.reverses_id is not None:
        raise CostRefused(
            _("%(number)s is itself a reversal; post a new entry instead.")
            % {"number": locked.number},
            where="entry",
        )
    if CostEntry.objects.filter(reverses=locked).exists():
        raise CostRefused(
            _("%(number)s is already reversed.") % {"number": locked.number}, where="entry"
        )
    reversal = CostEntry.objects.create(
        number=next_number(CostEntry, "CE"),
        recall=locked.recall,
        category=locked.category,
        amount=-locked.amount,
        currency=locked.currency,
        rate=locked.rate,
        company_amount=-locked.company_amount,
        company_currency=locked.company_currency,
        incurred_on=locked.incurred_on,
        units=locked.units,
        vendor=locked.vendor,
        holder=locked.holder,
        document_reference=locked.document_reference,
        description=locked.description,
        source=CostSource.REVERSAL,
        source_key=locked.number,
        reverses=locked,
        reason=reason.strip(),
        posted_by=actor,
    )
    audit.record(
        actor=actor,
        action="finance.cost_reversed",
        target=reversal,
        changes={"reverses": [None, locked.number], "amount": [None, str(reversal.amount)]},
        reason=reason.strip(),
    )
    return reversal
