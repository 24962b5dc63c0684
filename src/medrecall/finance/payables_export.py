"""The export of paid refunds and compensation to the ERP's accounts payable (CSV and Excel).

An export takes every payment not yet exported into a new batch (AP-YYYY-NNNNN) and marks
them with it; the same batch can be exported again, byte for byte the same rows, without
taking any payment twice. Text a user typed stays text in the spreadsheet (``core.exports``).
The columns are fixed (``COLUMNS``), one row per payment, in the order of the payment
numbers; in Excel the amounts and the rate are numbers (``#,##0.00``), each currency in its
own column; the rows are read with one query whatever their number."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.errors import NotFound
from medrecall.core.exports import csv_row, sheet_title
from medrecall.core.numbering import next_number

from .errors import PaymentRefused
from .models_payables import ApExportBatch, PaymentMethod, RefundPayment
from .xlsx import RATE_FORMAT, append_typed_row, money

COLUMNS = (
    "batch_number",
    "payment_number",
    "document_type",
    "document_number",
    "document_date",
    "payee_code",
    "payee_name",
    "payee_name_en",
    "payee_country",
    "payee_city",
    "payee_address",
    "payee_postal_code",
    "amount",
    "currency",
    "exchange_rate",
    "company_amount",
    "company_currency",
    "gl_category",
    "cost_entry_number",
    "recall_number",
    "refund_request_number",
    "invoice_reference",
    "quantity",
    "payment_method",
    "payment_reference",
    "requested_by",
    "first_approver",
    "first_approved_at",
    "second_approver",
    "second_approved_at",
    "second_signature_meaning",
    "second_signature_hash",
)


def _stamp(value: Any) -> str:
    return "" if value is None else timezone.localtime(value).isoformat(timespec="seconds")


def _name(user: User | None) -> str:
    return "" if user is None else (user.get_full_name() or user.get_username())


@transaction.atomic
def ap_export(*, actor: User) -> ApExportBatch:
    """Put every payment not yet exported into a new batch; none waiting is refused."""
    waiting = list(
        RefundPayment.objects.select_for_update()
        .filter(batch__isnull=True)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    if not waiting:
        raise PaymentRefused(
            _("No payment is waiting to be exported; export an earlier batch again instead."),
            where="batch",
        )
    batch = ApExportBatch.objects.create(
        number=next_number(ApExportBatch, "AP"), payment_count=len(waiting), created_by=actor
    )
    RefundPayment.objects.filter(pk__in=waiting).update(batch=batch)
    audit.record(
        actor=actor,
        action="finance.ap_exported",
        target=batch,
        changes={"payments": [None, len(waiting)]},
    )
    return batch


def ap_batches() -> QuerySet[ApExportBatch]:
    return ApExportBatch.objects.select_related("created_by").order_by("-created_at", "-pk")


def ap_batch_numbered(*, number: str) -> ApExportBatch:
    found = ApExportBatch.objects.filter(number=number.strip()).first()
    if found is None:
        raise NotFound(
            _("There is no AP export batch numbered %(number)s.") % {"number": number},
            where="batch",
        )
    return found


def ap_payments(batch: ApExportBatch) -> QuerySet[RefundPayment]:
    return (
        RefundPayment.objects.filter(batch=batch)
        .select_related(
            "request__recall",
            "request__holder",
            "request__requested_by",
            "request__first_approver",
            "request__second_approver",
            "request__second_signature",
            "cost_entry",
        )
        .order_by("number")
    )


def ap_rows(batch: ApExportBatch) -> Iterator[list[Any]]:
    """The batch's rows, in ``COLUMNS`` order."""
    for payment in ap_payments(batch):
        request, entry = payment.request, payment.cost_entry
        holder, signature = request.holder, request.second_signature
        credit = payment.method == PaymentMethod.CREDIT_NOTE
        yield [
            batch.number,
            payment.number,
            "credit_note" if credit else "payment",
            payment.credit_note_number if credit else payment.number,
            payment.paid_on.isoformat(),
            holder.code,
            holder.name,
            holder.name_en,
            holder.country,
            holder.city,
            holder.address,
            holder.postal_code,
            money(payment.amount),
            payment.currency,
            None if entry is None else entry.rate,
            None if entry is None else money(entry.company_amount),
            "" if entry is None else entry.company_currency,
            "" if entry is None else entry.category,
            "" if entry is None else entry.number,
            request.recall.number,
            request.number,
            request.invoice_reference,
            request.quantity,
            payment.method,
            payment.reference,
            _name(request.requested_by),
            _name(request.first_approver),
            _stamp(request.first_approved_at),
            _name(request.second_approver),
            _stamp(request.second_approved_at),
            "" if signature is None else signature.meaning,
            "" if signature is None else signature.content_hash,
        ]


def ap_csv(batch: ApExportBatch) -> bytes:
    """The batch as UTF-8 CSV with a byte-order mark (Excel opens Chinese names right)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in ap_rows(batch):
        writer.writerow(csv_row(row))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def ap_xlsx(batch: ApExportBatch) -> bytes:
    """The batch as an Excel workbook (one sheet named after the batch)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(batch.number)
    sheet.append(list(COLUMNS))
    rate = COLUMNS.index("exchange_rate")
    for row in ap_rows(batch):
        append_typed_row(sheet, row, {rate: RATE_FORMAT})
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ap_batch_get(*, pk: int) -> ApExportBatch:
    found = ApExportBatch.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("AP export batch not found."), where="batch")
    return found
