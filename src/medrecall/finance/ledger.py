"""Posting to a recall's cost ledger (F1): exchange rates, entries, reversals.

Each function is one business action in one transaction with its audit entry. An entry caused
by a source record (``CostSource`` other than manual) is posted at most once per source key:
a second call, from a retried task or a worker that died after committing, returns the entry
already posted and writes nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.catalog.models import DeviceModel
from medrecall.core import files
from medrecall.core.errors import ImportRejected, RowError, UploadRefused
from medrecall.core.numbering import next_number
from medrecall.core.types import ActorOrSystem
from medrecall.execution.lifecycle import DispositionKind
from medrecall.execution.models import ServiceProvider
from medrecall.notices.models import Offer
from medrecall.parties.models import Party
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import RecallCase

from .errors import CostRefused, RateMissing
from .models import (
    CostCategory,
    CostEntry,
    CostSource,
    DispositionCost,
    ExchangeRate,
    FinancePolicy,
    ProviderRate,
    RateSource,
)
from .rollup import rollup_add

CENT = Decimal("0.01")
# What the ledger's columns hold (14 digits, 2 decimals; 16 in the company currency): a larger
# amount would be refused by PostgreSQL and stored unreadable by SQLite.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_COMPANY_AMOUNT = Decimal("99999999999999.99")
MAX_RATE = Decimal("9999999999.99999999")


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


def _decimal(value: Any, *, where: str, not_a: str) -> Decimal:
    """``value`` as a finite decimal; NaN, sNaN or text that is not a number is refused with
    ``not_a`` (which names ``%(value)s``)."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if number.is_nan():
        raise CostRefused(not_a % {"value": value}, where=where)
    return number


def _too_large(number: Decimal, limit: Decimal) -> bool:
    """Whether ``number`` is above ``limit`` (Infinity and 1e40 included), compared before any
    rounding: rounding 1e40 to cents overflows the decimal context."""
    return number.is_infinite() or abs(number) > limit


def amount_checked(value: Any, *, where: str = "amount", not_positive: str = "") -> Decimal:
    """A positive amount with at most two decimals, within what the columns hold.
    ``not_positive`` is the message for zero or less (the ledger's, by default)."""
    amount = _decimal(value, where=where, not_a=_("%(value)s is not an amount."))
    if _too_large(amount, MAX_AMOUNT) and amount > 0:
        raise CostRefused(
            _("An amount is at most %(limit)s.") % {"limit": f"{MAX_AMOUNT:,}"}, where=where
        )
    if amount <= 0:
        raise CostRefused(
            not_positive or _("The amount must be more than zero (a correction is a reversal)."),
            where=where,
        )
    if amount != amount.quantize(CENT):
        raise CostRefused(_("An amount has at most two decimals."), where=where)
    return amount + 0  # '+ 0' drops an exponent: 1E+3 is kept as 1000


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
    rate = _decimal(value, where="rate", not_a=_("%(value)s is not a rate."))
    if _too_large(rate, MAX_RATE):
        raise CostRefused(_("A rate has at most eight decimals and ten digits."), where="rate")
    if rate <= 0:
        raise CostRefused(_("A rate must be more than zero."), where="rate")
    if rate != rate.quantize(Decimal("0.00000001")):
        raise CostRefused(_("A rate has at most eight decimals and ten digits."), where="rate")
    return rate + 0


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
    offer: Offer | None = None  # the offer the entry pays (once: ``offer_paid_by``)


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


def company_today() -> date:
    """Today in the company's time zone (``TIME_ZONE``), whatever zone the user reads in."""
    return timezone.localdate(timezone=ZoneInfo(settings.TIME_ZONE))


def check_not_future(day: date, *, where: str, what: str) -> None:
    """Refuse a date after today (company time zone): the ledger records costs incurred and
    payments made, not accruals or plans (those are the budget and the forecast)."""
    today = company_today()
    if day > today:
        raise CostRefused(
            _(
                "%(what)s %(day)s is in the future (today is %(today)s): record a cost or "
                "payment once it has happened; planned costs belong in the budget."
            )
            % {"what": what, "day": day.isoformat(), "today": today.isoformat()},
            where=where,
        )


def _checked(line: CostLine, source: str = CostSource.MANUAL) -> tuple[Decimal, str]:
    if source == CostSource.MANUAL:
        check_not_future(line.incurred_on, where="incurred_on", what=_("The date incurred"))
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
            if line.offer is not None and (paid := offer_paid_by(line.offer)) is not None:
                raise _offer_paid_refusal(line.offer, paid) from None
            raise
        return posted


def offer_paid_by(offer: Offer) -> CostEntry | None:
    """The entry that paid the offer (its fulfilment or a refund from it), if one did."""
    return CostEntry.objects.filter(offer=offer, reverses__isnull=True).order_by("pk").first()


def _offer_paid_refusal(offer: Offer, paid: CostEntry) -> CostRefused:
    return CostRefused(
        _(
            "Offer %(offer)s is already paid by cost entry %(entry)s (%(source)s %(key)s): "
            "nothing is paid twice."
        )
        % {
            "offer": offer.pk,
            "entry": paid.number,
            "source": paid.get_source_display(),
            "key": paid.source_key,
        },
        where="offer",
    )


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
    amount, currency = _checked(line, source)
    if line.offer is not None and (paid := offer_paid_by(line.offer)) is not None:
        raise _offer_paid_refusal(line.offer, paid)
    rate = rate_for(currency, line.incurred_on)
    if (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP) > MAX_COMPANY_AMOUNT:
        raise CostRefused(
            _("In the company currency the amount would exceed %(limit)s.")
            % {"limit": f"{MAX_COMPANY_AMOUNT:,}"},
            where="amount",
        )
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
        offer=line.offer,
        posted_by=actor if isinstance(actor, User) else None,
    )
    if attachment is not None:
        kind = _attachment_type(attachment)
        entry.attachment_name = attachment.name[:255]
        entry.attachment.save(files.stored_name(kind), ContentFile(attachment.content), save=False)
    with transaction.atomic():  # a savepoint: a lost race leaves the outer transaction usable
        entry.save(force_insert=True)
    rollup_add([entry.pk])
    _alert_check_on_commit(recall.pk)
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


class _AlertCheck:
    """The budget alert check of one recall, queued once the posting commits; equal for the
    same recall, so many postings in one transaction queue one check."""

    def __init__(self, recall_id: int) -> None:
        self.recall_id = recall_id
        self.__qualname__ = "budget_alerts_check.enqueue"  # named in the log if it fails
        self.queued = False

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _AlertCheck)
            and other.recall_id == self.recall_id
            and not (other.queued or self.queued)
        )

    def __hash__(self) -> int:
        return hash(self.recall_id)

    def __call__(self) -> None:
        from .budget_tasks import budget_alerts_check  # the tasks import the alerts, above here

        self.queued = True
        budget_alerts_check.enqueue(self.recall_id)


def _alert_check_on_commit(recall_id: int) -> None:
    """After any posting, automatic or by hand, the task queue checks the recall's budget
    alerts (``budget_tasks.budget_alerts_check``; an alert is raised once however often)."""
    check = _AlertCheck(recall_id)
    pending = getattr(transaction.get_connection(), "run_on_commit", [])
    if any(check == queued[1] for queued in pending):
        return
    transaction.on_commit(check, robust=True)


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
        offer=locked.offer,
        document_reference=locked.document_reference,
        description=locked.description,
        source=CostSource.REVERSAL,
        source_key=locked.number,
        reverses=locked,
        reason=reason.strip(),
        posted_by=actor,
    )
    rollup_add([reversal.pk])
    audit.record(
        actor=actor,
        action="finance.cost_reversed",
        target=reversal,
        changes={"reverses": [None, locked.number], "amount": [None, str(reversal.amount)]},
        reason=reason.strip(),
    )
    return reversal


# --- exchange rates imported from a file ------------------------------------------------------

RATE_COLUMNS = ("currency", "date", "rate")


@dataclass(frozen=True)
class RateRow:
    """One checked row of a rates file (``row`` as a spreadsheet counts: the header is 1)."""

    currency: str
    rate_on: date
    rate: Decimal
    row: int


@dataclass(frozen=True)
class RatesImported:
    created: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _rates_text(content: bytes, file_name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    message = _("The file is neither UTF-8 nor GB18030 text.")
    raise ImportRejected(message, [RowError(file_name, 1, "", "encoding", message)])


def _rate_row(
    values: dict[str, str], number: int, file_name: str, company: str
) -> tuple[RateRow | None, list[RowError]]:
    errors: list[RowError] = []
    found: dict[str, Any] = {}
    for column, check in (
        ("currency", currency_checked),
        ("date", date.fromisoformat),
        ("rate", amount_rate_checked),
    ):
        try:
            found[column] = check(values[column])
        except CostRefused as refused:
            errors.append(RowError(file_name, number, column, "invalid", refused.message))
        except ValueError:
            errors.append(
                RowError(
                    file_name,
                    number,
                    column,
                    "invalid",
                    _("%(value)s is not a date in the form YYYY-MM-DD.")
                    % {"value": values[column] or "''"},
                )
            )
    if found.get("currency") == company:
        errors.append(
            RowError(
                file_name,
                number,
                "currency",
                "invalid",
                _("%(code)s is the company currency: its rate is always 1.") % {"code": company},
            )
        )
    if errors:
        return None, errors
    return RateRow(found["currency"], found["date"], found["rate"], number), []


def rates_parse(content: bytes, *, file_name: str) -> list[RateRow]:
    """Every row of a ``currency,date,rate`` file checked; any problem refuses the whole file,
    each problem naming its row and column."""
    reader = csv.reader(io.StringIO(_rates_text(content, file_name)))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        missing = [name for name in RATE_COLUMNS if name not in header]
        if missing:
            message = _("Missing column(s): %(columns)s.") % {"columns": ", ".join(missing)}
            raise ImportRejected(
                _("The file was refused: %(count)s problem(s).") % {"count": 1},
                [RowError(file_name, 1, ", ".join(missing), "missing_column", message)],
            )
        position = {name: header.index(name) for name in RATE_COLUMNS}
        company = policy().company_currency
        rows: list[RateRow] = []
        errors: list[RowError] = []
        seen: dict[tuple[str, date], int] = {}
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            values = {
                name: (cells[index].strip() if index < len(cells) else "")
                for name, index in position.items()
            }
            row, problems = _rate_row(values, number, file_name, company)
            errors += problems
            if row is None:
                continue
            key = (row.currency, row.rate_on)
            if key in seen:
                errors.append(
                    RowError(
                        file_name,
                        number,
                        "date",
                        "duplicate",
                        _("%(currency)s on %(date)s appears again (first in row %(row)s).")
                        % {"currency": row.currency, "date": row.rate_on, "row": seen[key]},
                    )
                )
                continue
            seen[key] = number
            rows.append(row)
    except csv.Error as error:
        message = _("The file %(file)s is not valid CSV near line %(line)s: %(problem)s") % {
            "file": file_name,
            "line": reader.line_num,
            "problem": error,
        }
        raise ImportRejected(
            message, [RowError(file_name, max(reader.line_num, 1), "", "csv", message)]
        ) from None
    if errors:
        raise ImportRejected(
            _("The file was refused: %(count)s problem(s).") % {"count": len(errors)}, errors
        )
    return rows


@transaction.atomic
def rates_import(*, actor: User, content: bytes, file_name: str) -> RatesImported:
    """Import a day's (or many days') rates: all rows or none. A rate already there with another
    value is replaced (entries already posted keep the rate they used); one audit entry lists
    every rate that changed."""
    rows = rates_parse(content, file_name=file_name)
    existing = {
        (r.currency, r.rate_on): r
        for r in ExchangeRate.objects.select_for_update().filter(
            currency__in={row.currency for row in rows}, rate_on__in={row.rate_on for row in rows}
        )
    }
    new, changed, changes = [], [], {}
    for row in rows:
        found = existing.get((row.currency, row.rate_on))
        label = f"{row.currency} {row.rate_on.isoformat()}"
        if found is None:
            new.append(
                ExchangeRate(
                    currency=row.currency,
                    rate_on=row.rate_on,
                    rate=row.rate,
                    source=RateSource.IMPORTED,
                    entered_by=actor,
                )
            )
            changes[label] = [None, str(row.rate)]
        elif found.rate != row.rate:
            changes[label] = [str(found.rate), str(row.rate)]
            found.rate, found.source, found.entered_by = row.rate, RateSource.IMPORTED, actor
            changed.append(found)
    ExchangeRate.objects.bulk_create(new)
    ExchangeRate.objects.bulk_update(changed, ["rate", "source", "entered_by"])
    result = RatesImported(len(new), len(changed), len(rows) - len(new) - len(changed))
    audit.record(
        actor=actor,
        action="finance.rates_imported",
        target_type="finance.exchangerate",
        target_label=file_name[:255],
        changes={"file": [None, file_name], **changes},
    )
    return result


# --- unit costs, provider rates, the policy ---------------------------------------------------


@transaction.atomic
def unit_cost_set(
    *,
    actor: User,
    kind: str,
    device_model: DeviceModel | None,
    unit_cost: Any,
    currency: str,
) -> DispositionCost:
    """Set what one unit costs on a disposition path, for a model or (no model) for any."""
    if kind not in DispositionKind.values:
        raise CostRefused(_("%(kind)s is not a disposition.") % {"kind": kind}, where="kind")
    cost = _not_negative(unit_cost, where="unit_cost", digits=12)
    code = currency_checked(currency)
    before = (
        DispositionCost.objects.select_for_update(of=("self",))
        .filter(kind=kind, device_model=device_model)
        .order_by()
        .values("unit_cost", "currency")
        .first()
    )
    found, _created = DispositionCost.objects.update_or_create(
        kind=kind, device_model=device_model, defaults={"unit_cost": cost, "currency": code}
    )
    audit.record(
        actor=actor,
        action="finance.unit_cost_set",
        target=found,
        changes={
            "unit_cost": [str(before["unit_cost"]) if before else None, str(cost)],
            "currency": [before["currency"] if before else None, code],
        },
    )
    return found


@transaction.atomic
def unit_cost_delete(*, actor: User, cost: DispositionCost) -> None:
    """Remove a unit cost (a disposition done without one waits for it)."""
    audit.record(
        actor=actor,
        action="finance.unit_cost_deleted",
        target=cost,
        changes={"unit_cost": [str(cost.unit_cost), None]},
    )
    cost.delete()


@transaction.atomic
def provider_rate_set(
    *,
    actor: User,
    provider: ServiceProvider,
    hourly_rate: Any,
    hours_per_work_order: Any,
    per_km: Any,
    currency: str,
) -> ProviderRate:
    """Set a service provider's labour and travel rates."""
    values = {
        "hourly_rate": _not_negative(hourly_rate, where="hourly_rate", digits=10),
        "hours_per_work_order": _not_negative(
            hours_per_work_order, where="hours_per_work_order", digits=6
        ),
        "per_km": _not_negative(per_km, where="per_km", digits=8),
        "currency": currency_checked(currency),
    }
    before = (
        ProviderRate.objects.select_for_update(of=("self",))
        .filter(provider=provider)
        .order_by()
        .values(*values)
        .first()
        or {}
    )
    found, _created = ProviderRate.objects.update_or_create(provider=provider, defaults=values)
    audit.record(
        actor=actor,
        action="finance.provider_rate_set",
        target=found,
        changes={
            name: [str(before[name]) if name in before else None, str(value)]
            for name, value in values.items()
            if str(before.get(name)) != str(value)
        },
    )
    return found


def _not_negative(value: Any, *, where: str, digits: int) -> Decimal:
    """Zero or more, two decimals, within a column of ``digits`` digits."""
    number = _decimal(value, where=where, not_a=_("%(value)s is not an amount."))
    limit = Decimal(10) ** (digits - 2) - CENT
    if _too_large(number, limit) and number > 0:
        raise CostRefused(
            _("An amount is at most %(limit)s.") % {"limit": f"{limit:,}"}, where=where
        )
    if number < 0:
        raise CostRefused(_("The amount cannot be negative."), where=where)
    if number != number.quantize(CENT):
        raise CostRefused(_("An amount has at most two decimals."), where=where)
    return number + 0


def _thresholds(values: Any) -> list[int]:
    try:
        found = sorted({int(str(v).strip()) for v in values if str(v).strip()})
    except (TypeError, ValueError):
        raise CostRefused(
            _("Alert thresholds are whole percentages, e.g. 80, 100."), where="alert_thresholds"
        ) from None
    if any(not 1 <= v <= 1000 for v in found):
        raise CostRefused(
            _("An alert threshold is a percentage from 1 to 1000."), where="alert_thresholds"
        )
    return found


@transaction.atomic
def policy_update(
    *,
    actor: User,
    company_currency: str,
    four_eyes_threshold: Any,
    alert_thresholds: Any,
    postage_per_letter: Any,
) -> FinancePolicy:
    """Change the company's finance settings. The company currency cannot change once an entry
    is posted (its company amounts would mix two currencies)."""
    current = FinancePolicy.objects.select_for_update().get(pk=policy().pk)
    values: dict[str, Any] = {
        "company_currency": currency_checked(company_currency, where="company_currency"),
        "four_eyes_threshold": _not_negative(
            four_eyes_threshold, where="four_eyes_threshold", digits=14
        ),
        "alert_thresholds": _thresholds(alert_thresholds),
        "postage_per_letter": _not_negative(
            postage_per_letter, where="postage_per_letter", digits=10
        ),
    }
    if values["company_currency"] != current.company_currency and CostEntry.objects.exists():
        raise CostRefused(
            _("The company currency cannot change once entries are posted in %(code)s.")
            % {"code": current.company_currency},
            where="company_currency",
        )
    changes = {
        name: [_plain(getattr(current, name)), _plain(value)]
        for name, value in values.items()
        if _plain(getattr(current, name)) != _plain(value)
    }
    for name, value in values.items():
        setattr(current, name, value)
    current.updated_by = actor
    current.save()
    audit.record(actor=actor, action="finance.policy_updated", target=current, changes=changes)
    return current


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value
