"""The cost ledger's foundation: exact company amounts, rates by day, postings once per source
record, reversals instead of edits, and the recall's state checked."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.core.errors import ActionNotAllowed
from medrecall.finance import ledger
from medrecall.finance.errors import CostRefused, RateMissing
from medrecall.finance.ledger import Attachment, CostLine
from medrecall.finance.models import CostEntry, CostSource
from medrecall.recalls.models import RecallCase

DAY = date(2026, 11, 30)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE)


@pytest.fixture
def recall(manager: User) -> RecallCase:
    return RecallCase.objects.create(
        number="RC-2026-0101", title="导管召回", owner=manager, status="in_execution"
    )


def line(amount: object = "120.50", currency: str = "CNY", **fields: object) -> CostLine:
    return CostLine(
        category=str(fields.pop("category", "logistics")),
        amount=amount,
        currency=currency,
        incurred_on=DAY,
        **fields,  # type: ignore[arg-type]
    )


def test_an_entry_in_the_company_currency_has_rate_one_and_the_same_company_amount(
    finance: User, recall: RecallCase
) -> None:
    entry = ledger.cost_post(actor=finance, recall=recall, line=line())
    assert (entry.number[:8], entry.amount, entry.rate, entry.company_amount) == (
        "CE-2026-",
        Decimal("120.50"),
        Decimal(1),
        Decimal("120.50"),
    )
    assert (entry.currency, entry.company_currency, entry.posted_by) == ("CNY", "CNY", finance)
    assert (
        AuditEntry.objects.filter(action="finance.cost_posted", target_id=str(entry.pk)).count()
        == 1
    )


def test_a_foreign_amount_uses_the_days_rate_rounded_half_up(
    finance: User, recall: RecallCase
) -> None:
    ledger.rate_set(actor=finance, currency="usd", rate_on=DAY, rate="7.12345678")
    entry = ledger.cost_post(actor=finance, recall=recall, line=line("10.05", "USD"))
    assert (entry.rate, entry.company_amount) == (Decimal("7.12345678"), Decimal("71.59"))


def test_a_missing_rate_for_the_day_is_refused_and_nothing_is_posted(
    finance: User, recall: RecallCase
) -> None:
    ledger.rate_set(actor=finance, currency="USD", rate_on=date(2026, 11, 29), rate="7.1")
    with pytest.raises(RateMissing, match="USD on 2026-11-30"):
        ledger.cost_post(actor=finance, recall=recall, line=line("10", "USD"))
    assert CostEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("amount", "currency", "where", "message"),
    [
        ("0", "CNY", "amount", "more than zero"),
        ("-5", "CNY", "amount", "more than zero"),
        ("1.005", "CNY", "amount", "two decimals"),
        ("abc", "CNY", "amount", "abc is not an amount"),
        ("NaN", "CNY", "amount", "NaN is not an amount"),
        ("10", "XYZ", "currency", "XYZ is not an ISO 4217"),
        ("99999999999999999", "CNY", "amount", "at most 999,999,999,999.99"),
        ("1000000000000.00", "CNY", "amount", "at most 999,999,999,999.99"),
        ("10", "", "currency", "is not an ISO 4217"),
    ],
)
def test_bad_amounts_and_currencies_are_refused_naming_the_field(
    finance: User, recall: RecallCase, amount: str, currency: str, where: str, message: str
) -> None:
    with pytest.raises(CostRefused, match=message) as refused:
        ledger.cost_post(actor=finance, recall=recall, line=line(amount, currency))
    assert refused.value.where == where
    assert CostEntry.objects.count() == 0


def test_an_unknown_category_is_refused(finance: User, recall: RecallCase) -> None:
    with pytest.raises(CostRefused, match="travel is not a cost category"):
        ledger.cost_post(actor=finance, recall=recall, line=line(category="travel"))


def test_a_source_record_posts_once_and_the_repeat_returns_the_first_entry(
    finance: User, recall: RecallCase
) -> None:
    first = ledger.cost_post(
        actor="task", recall=recall, line=line(), source=CostSource.WAYBILL, source_key="RA-1"
    )
    again = ledger.cost_post(
        actor="task",
        recall=recall,
        line=line("999"),
        source=CostSource.WAYBILL,
        source_key="RA-1",
    )
    assert again.pk == first.pk
    assert list(CostEntry.objects.values_list("amount", flat=True)) == [Decimal("120.50")]
    assert AuditEntry.objects.filter(action="finance.cost_posted").count() == 1


def test_an_automatic_posting_without_its_source_key_is_refused(
    finance: User, recall: RecallCase
) -> None:
    with pytest.raises(CostRefused, match="names its source record"):
        ledger.cost_post(actor="task", recall=recall, line=line(), source=CostSource.WAYBILL)


def test_a_reversal_posts_the_opposite_once_with_its_reason(
    finance: User, recall: RecallCase
) -> None:
    entry = ledger.cost_post(actor=finance, recall=recall, line=line())
    with pytest.raises(CostRefused, match="Say why"):
        ledger.cost_reverse(actor=finance, entry=entry, reason=" ")
    reversal = ledger.cost_reverse(actor=finance, entry=entry, reason="Wrong invoice")
    assert (reversal.amount, reversal.company_amount, reversal.reverses, reversal.source_key) == (
        Decimal("-120.50"),
        Decimal("-120.50"),
        entry,
        entry.number,
    )
    with pytest.raises(CostRefused, match="already reversed"):
        ledger.cost_reverse(actor=finance, entry=entry, reason="again")
    with pytest.raises(CostRefused, match="itself a reversal"):
        ledger.cost_reverse(actor=finance, entry=reversal, reason="undo")
    assert CostEntry.objects.count() == 2
    entry.refresh_from_db()
    assert entry.amount == Decimal("120.50")


def test_a_draft_has_no_ledger_but_a_closed_recall_takes_late_invoices(
    finance: User, recall: RecallCase
) -> None:
    RecallCase.objects.filter(pk=recall.pk).update(status="draft")
    with pytest.raises(ActionNotAllowed):
        ledger.cost_post(actor=finance, recall=recall, line=line())
    RecallCase.objects.filter(pk=recall.pk).update(status="closed")
    assert ledger.cost_post(actor=finance, recall=recall, line=line()).amount == Decimal("120.50")


def test_an_attachment_is_kept_by_content_and_a_disguised_one_refused(
    finance: User, recall: RecallCase
) -> None:
    entry = ledger.cost_post(
        actor=finance,
        recall=recall,
        line=line(),
        attachment=Attachment(name="invoice.pdf", content=PDF),
    )
    assert (entry.attachment_name, entry.attachment.name.endswith(".pdf")) == ("invoice.pdf", True)
    with pytest.raises(CostRefused) as refused:
        ledger.cost_post(
            actor=finance,
            recall=recall,
            line=line(),
            attachment=Attachment(name="invoice.pdf", content=b"<html>x</html>"),
        )
    assert refused.value.where == "attachment"
    assert CostEntry.objects.count() == 1


def test_the_company_currency_has_no_rate(finance: User) -> None:
    with pytest.raises(CostRefused, match="CNY is the company currency"):
        ledger.rate_set(actor=finance, currency="CNY", rate_on=DAY, rate="1")


@pytest.mark.django_db(transaction=True)
def test_two_workers_posting_the_same_source_record_post_it_once(
    make_user: Callable[..., User],
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    owner = make_user(Role.QA_RA_MANAGER)
    recall = RecallCase.objects.create(
        number="RC-2026-0102", title="t", owner=owner, status="in_execution"
    )
    results: list[int] = []

    def post() -> None:
        try:
            entry = ledger.cost_post(
                actor="worker",
                recall=recall,
                line=line(),
                source=CostSource.DISPOSITION,
                source_key="DS-2026-00001",
            )
            results.append(entry.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert len(set(results)) == 1
    assert CostEntry.objects.count() == 1


def test_an_amount_too_large_in_the_company_currency_is_refused(
    finance: User, recall: RecallCase
) -> None:
    ledger.rate_set(actor=finance, currency="IDR", rate_on=DAY, rate="1000")
    with pytest.raises(CostRefused, match="company currency the amount would exceed"):
        ledger.cost_post(actor=finance, recall=recall, line=line("999999999999.99", "IDR"))
    assert CostEntry.objects.count() == 0
    largest = ledger.cost_post(actor=finance, recall=recall, line=line("999999999999.99"))
    largest.refresh_from_db()
    assert largest.amount == Decimal("999999999999.99")
