"""The export of paid refunds to the ERP's accounts payable: the columns an AP import reads,
batches that take each payment once and export again identically, text never a formula."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from medrecall.accounts.models import Signature, User
from medrecall.audit.models import AuditEntry
from medrecall.finance import payables_export, refunds
from medrecall.finance.errors import PaymentRefused
from medrecall.finance.models_payables import ApExportBatch, RefundPayment
from medrecall.finance.refunds import PaymentTerms
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.finance.payables_world import *  # noqa: F403
from tests.finance.payables_world import DAY, claim

pytestmark = pytest.mark.django_db


def paid(
    finance: User, finance2: User, recall: RecallCase, holder: Party, **fields: object
) -> RefundPayment:
    request = refunds.refund_request(
        actor=finance,
        recall=recall,
        claim=claim(holder, **({"quantity": 1, "unit_price": "800", "amount": "800"} | fields)),
    )
    request = refunds.refund_approve(actor=finance2, request=request)
    return refunds.refund_pay(
        actor=finance,
        request=request,
        terms=PaymentTerms(
            paid_on=DAY, amount=request.amount, method="bank_transfer", reference="T-9"
        ),
    )


def rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_ap_file_has_the_columns_an_ap_import_reads_with_the_signatures(
    finance: User, finance2: User, finance3: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_request(
        actor=finance,
        recall=recall,
        claim=claim(holder, quantity=8, unit_price="1250.00", amount="10000.00"),
    )
    refunds.refund_approve(actor=finance2, request=request)
    request = refunds.refund_approve(
        actor=finance3, request=request, password=PASSWORD, username=finance3.username
    )
    payment = refunds.refund_pay(
        actor=finance,
        request=request,
        terms=PaymentTerms(
            paid_on=DAY, amount="10000.00", method="credit_note", credit_note_number="CN-2026-7"
        ),
    )
    batch = payables_export.ap_export(actor=finance)
    header, row = rows(payables_export.ap_csv(batch))
    assert header == list(payables_export.COLUMNS)
    exported = dict(zip(header, row, strict=True))
    signature = Signature.objects.get()
    assert exported == {
        "batch_number": batch.number,
        "payment_number": payment.number,
        "document_type": "credit_note",
        "document_number": "CN-2026-7",
        "document_date": "2026-11-30",
        "payee_code": "HOSP-A",
        "payee_name": "市第一医院",
        "payee_name_en": "",
        "payee_country": "CN",
        "payee_city": holder.city,
        "payee_address": "",
        "payee_postal_code": "",
        "amount": "10000.00",
        "currency": "CNY",
        "exchange_rate": "1.00000000",
        "company_amount": "10000.00",
        "company_currency": "CNY",
        "gl_category": "compensation",
        "cost_entry_number": payment.cost_entry.number,  # type: ignore[union-attr]
        "recall_number": "RC-2026-0201",
        "refund_request_number": request.number,
        "invoice_reference": "INV-2025-0042",
        "quantity": "8",
        "payment_method": "credit_note",
        "payment_reference": "",
        "requested_by": "fin-anna",
        "first_approver": "fin-bo",
        "first_approved_at": exported["first_approved_at"],
        "second_approver": "fin-chen",
        "second_approved_at": exported["second_approved_at"],
        "second_signature_meaning": "approved",
        "second_signature_hash": signature.content_hash,
    }
    assert exported["first_approved_at"].endswith("+08:00")
    assert exported["second_approved_at"] != ""


def test_an_export_takes_each_payment_once_and_a_batch_exports_again_identically(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    first_payment = paid(finance, finance2, recall, holder)
    batch = payables_export.ap_export(actor=finance)
    data = payables_export.ap_csv(batch)
    with pytest.raises(PaymentRefused, match="No payment is waiting") as refused:
        payables_export.ap_export(actor=finance)
    assert refused.value.where == "batch"
    assert ApExportBatch.objects.count() == 1
    second_payment = paid(finance, finance2, recall, holder)
    later = payables_export.ap_export(actor=finance)
    assert payables_export.ap_csv(batch) == data
    assert [r[1] for r in rows(payables_export.ap_csv(later))[1:]] == [second_payment.number]
    assert [r[1] for r in rows(data)[1:]] == [first_payment.number]
    assert (batch.payment_count, later.payment_count) == (1, 1)
    assert AuditEntry.objects.filter(action="finance.ap_exported").count() == 2


def test_text_that_looks_like_a_formula_stays_text_in_csv_and_excel(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    Party.objects.filter(pk=holder.pk).update(name='=HYPERLINK("http://x","y")')
    holder.refresh_from_db()
    paid(finance, finance2, recall, holder, invoice_reference="@SUM(A1)")
    batch = payables_export.ap_export(actor=finance)
    row = dict(zip(payables_export.COLUMNS, rows(payables_export.ap_csv(batch))[1], strict=True))
    assert (row["payee_name"], row["invoice_reference"]) == (
        '\'=HYPERLINK("http://x","y")',
        "'@SUM(A1)",
    )
    sheet = load_workbook(io.BytesIO(payables_export.ap_xlsx(batch))).active
    name = sheet.cell(row=2, column=payables_export.COLUMNS.index("payee_name") + 1)
    assert (name.value, name.data_type, name.quotePrefix) == (
        '=HYPERLINK("http://x","y")',
        "s",
        True,
    )
    assert sheet.cell(row=1, column=1).value == "batch_number"
    assert sheet.title == batch.number


def test_the_export_reads_a_fixed_number_of_queries(
    finance: User,
    finance2: User,
    recall: RecallCase,
    holder: Party,
    django_assert_num_queries: object,
) -> None:
    paid(finance, finance2, recall, holder)
    one = payables_export.ap_export(actor=finance)
    for _ in range(4):
        paid(finance, finance2, recall, holder)
    four = payables_export.ap_export(actor=finance)
    with django_assert_num_queries(1):  # type: ignore[operator]
        payables_export.ap_csv(one)
    with django_assert_num_queries(1):  # type: ignore[operator]
        data = payables_export.ap_csv(four)
    assert len(rows(data)) == 5


def test_the_excel_amounts_are_numbers_with_two_decimals_and_the_currency_apart(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    paid(finance, finance2, recall, holder, unit_price="1234.5", amount="1234.50")
    batch = payables_export.ap_export(actor=finance)
    sheet = load_workbook(io.BytesIO(payables_export.ap_xlsx(batch))).active

    def cell(name: str) -> tuple[object, str, str]:
        found = sheet.cell(row=2, column=payables_export.COLUMNS.index(name) + 1)
        return (found.value, found.data_type, found.number_format)

    assert cell("amount") == (1234.5, "n", "#,##0.00")
    assert cell("company_amount") == (1234.5, "n", "#,##0.00")
    assert cell("exchange_rate") == (1, "n", "0.00######")
    assert cell("currency") == ("CNY", "s", "General")
    assert cell("company_currency") == ("CNY", "s", "General")
    assert cell("quantity") == (1, "n", "General")
    assert cell("invoice_reference") == ("INV-2025-0042", "s", "General")
    row = dict(zip(payables_export.COLUMNS, rows(payables_export.ap_csv(batch))[1], strict=True))
    assert (row["amount"], row["exchange_rate"], row["company_amount"]) == (
        "1234.50",
        "1.00000000",
        "1234.50",
    )
