"""Vendor quotes: requests for quotes, quotes side by side in the company currency (a missing
rate shown as missing), the award with its reason and its state checks, and the vendor
scorecard from the ledger and execution's records."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.audit.models import AuditEntry
from medrecall.core.errors import ActionNotAllowed
from medrecall.execution.models import (
    Carrier,
    CarrierRate,
    Receipt,
    ReturnAuthorisation,
    ReturnLine,
    ServiceProvider,
    WorkOrder,
)
from medrecall.finance import ledger, quotes
from medrecall.finance.errors import AwardRefused, CostRefused, QuoteRefused, RateMissing
from medrecall.finance.ledger import CostLine
from medrecall.finance.models_payables import Quote, QuoteRequest
from medrecall.finance.quotes import QuoteTerms
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.factories import LocationFactory, LotFactory, PartyFactory
from tests.finance.payables_world import *  # noqa: F403

pytestmark = pytest.mark.django_db

TODAY = ledger.company_today()  # quotes and their validity are judged against today
DUE = ledger.company_today() + timedelta(days=14)  # quotes are not due in the past


@pytest.fixture
def rfq(finance: User, recall: RecallCase) -> QuoteRequest:
    return quotes.quote_request_open(
        actor=finance,
        recall=recall,
        kind="logistics",
        description="取回 11 台导管",
        quantity=11,
        region="广东省",
        due_on=DUE,
    )


@pytest.fixture
def vendors(db: None) -> dict[str, Party]:
    return {
        code: PartyFactory(code=code, party_type=kind)
        for code, kind in (("SF", "carrier"), ("DHL", "carrier"), ("VEO", "supplier"))
    }


def terms(
    vendor: Party, price: str = "900.00", currency: str = "CNY", **fields: object
) -> QuoteTerms:
    values: dict[str, object] = {
        "vendor": vendor,
        "price": price,
        "currency": currency,
        "lead_time_days": 3,
        "quoted_on": TODAY - timedelta(days=1),
        "valid_until": TODAY + timedelta(days=30),
        "coverage": "广东省全境",
    }
    values.update(fields)
    return QuoteTerms(**values)  # type: ignore[arg-type]


def test_a_request_for_quotes_is_numbered_and_audited(rfq: QuoteRequest) -> None:
    assert (rfq.number[:9], rfq.status, rfq.quantity, rfq.region) == (
        "RFQ-2026-",
        "open",
        11,
        "CN-GD",
    )
    with translation.override("zh-hans"):
        assert rfq.region_label == "广东省"
    assert rfq.region_label == "Guangdong"
    assert AuditEntry.objects.filter(
        action="finance.quote_request_opened", target_id=str(rfq.pk)
    ).exists()


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        pytest.param({"kind": "catering"}, "kind", id="kind"),
        pytest.param({"quantity": 0}, "quantity", id="zero quantity"),
        pytest.param({"quantity": "many"}, "quantity", id="not a number"),
        pytest.param({"region": " "}, "region", id="no region"),
        pytest.param({"region": "Mars"}, "region", id="not a region"),
        pytest.param({"region": "CN-SC, Mars"}, "region", id="one part not a region"),
        pytest.param({"due_on": date(2026, 1, 1)}, "due_on", id="due in the past"),
        pytest.param({"description": ""}, "description", id="no description"),
    ],
)
def test_a_bad_request_for_quotes_is_refused(
    finance: User, recall: RecallCase, fields: dict[str, object], where: str
) -> None:
    values: dict[str, object] = {
        "kind": "repair",
        "description": "返修",
        "quantity": 3,
        "region": "CN",
        "due_on": DUE,
    }
    values.update(fields)
    with pytest.raises(QuoteRefused) as refused:
        quotes.quote_request_open(actor=finance, recall=recall, **values)  # type: ignore[arg-type]
    assert refused.value.where == where
    assert not QuoteRequest.objects.exists()


def test_quotes_side_by_side_in_the_company_currency_with_a_missing_rate_shown_as_missing(
    finance: User, rfq: QuoteRequest, vendors: dict[str, Party]
) -> None:
    ledger.rate_set(actor=finance, currency="USD", rate_on=TODAY, rate="7.1")
    quotes.quote_add(actor=finance, request=rfq, terms=terms(vendors["SF"], "900.00"))
    quotes.quote_add(
        actor=finance, request=rfq, terms=terms(vendors["DHL"], "120.00", "USD", lead_time_days=2)
    )
    quotes.quote_add(actor=finance, request=rfq, terms=terms(vendors["VEO"], "100.00", "EUR"))
    compared = quotes.quotes_compare(rfq, on=TODAY)
    assert [
        (r.quote.vendor.code, r.rate, r.company_price, r.cheapest, r.fastest) for r in compared.rows
    ] == [
        ("DHL", Decimal("7.1"), Decimal("852.00"), True, True),
        ("SF", Decimal(1), Decimal("900.00"), False, False),
        ("VEO", None, None, False, False),
    ]
    assert compared.as_dict()["quotes"][2]["rate_missing"] is True
    assert compared.as_dict()["quotes"][2]["company_price"] is None


def test_the_comparison_reads_a_fixed_number_of_queries(
    finance: User,
    rfq: QuoteRequest,
    vendors: dict[str, Party],
    django_assert_num_queries: object,
) -> None:
    quotes.quote_add(actor=finance, request=rfq, terms=terms(vendors["SF"], currency="USD"))
    with django_assert_num_queries(3):  # type: ignore[operator]
        one = quotes.quotes_compare(rfq, on=TODAY)
    for code, currency in (("DHL", "EUR"), ("VEO", "CNY")):
        quotes.quote_add(actor=finance, request=rfq, terms=terms(vendors[code], currency=currency))
    with django_assert_num_queries(3):  # type: ignore[operator]
        three = quotes.quotes_compare(rfq, on=TODAY)
    assert (len(one.rows), len(three.rows)) == (1, 3)


@pytest.mark.parametrize(
    ("fields", "error", "where"),
    [
        pytest.param({"price": "-5"}, CostRefused, "price", id="negative price"),
        pytest.param({"price": "0"}, CostRefused, "price", id="zero price"),
        pytest.param({"currency": "ABC"}, CostRefused, "currency", id="unknown currency"),
        pytest.param({"lead_time_days": -1}, QuoteRefused, "lead_time_days", id="lead time"),
        pytest.param(
            {"valid_until": TODAY - timedelta(days=2)}, QuoteRefused, "valid_until", id="validity"
        ),
    ],
)
def test_a_bad_quote_is_refused_naming_the_field(
    finance: User,
    rfq: QuoteRequest,
    vendors: dict[str, Party],
    fields: dict[str, object],
    error: type[Exception],
    where: str,
) -> None:
    with pytest.raises(error) as refused:
        quotes.quote_add(actor=finance, request=rfq, terms=terms(vendors["SF"], **fields))
    assert refused.value.where == where  # type: ignore[attr-defined]
    assert not Quote.objects.exists()
    assert not AuditEntry.objects.filter(action="finance.quote_added").exists()


def test_a_hospital_is_not_a_vendor_and_a_vendor_quotes_once(
    finance: User, rfq: QuoteRequest, vendors: dict[str, Party], holder: Party
) -> None:
    with pytest.raises(QuoteRefused, match="not a carrier, service partner or supplier"):
        quotes.quote_add(actor=finance, request=rfq, terms=terms(holder))
    quotes.quote_add(actor=finance, request=rfq, terms=terms(vendors["SF"]))
    with pytest.raises(QuoteRefused, match="SF has quoted"):
        quotes.quote_add(actor=finance, request=rfq, terms=terms(vendors["SF"], "1.00"))
    assert Quote.objects.count() == 1


def test_the_award_keeps_the_quote_the_reason_and_the_company_price(
    finance: User, rfq: QuoteRequest, vendors: dict[str, Party]
) -> None:
    ledger.rate_set(actor=finance, currency="USD", rate_on=TODAY, rate="7.1")
    quote = quotes.quote_add(
        actor=finance, request=rfq, terms=terms(vendors["DHL"], "120.00", "USD")
    )
    awarded = quotes.quote_award(
        actor=finance, request=rfq, quote=quote, reason="最便宜且最快", on=TODAY
    )
    assert (
        awarded.status,
        awarded.awarded_quote,
        awarded.award_reason,
        awarded.award_company_price,
        awarded.award_expired,
    ) == ("awarded", quote, "最便宜且最快", Decimal("852.00"), False)
    entry = AuditEntry.objects.get(action="finance.quote_awarded")
    assert (entry.reason, entry.changes["vendor"]) == ("最便宜且最快", [None, "DHL"])


def test_an_award_without_a_reason_is_refused_and_nothing_changes(
    finance: User, rfq: QuoteRequest, vendors: dict[str, Party]
) -> None:
    quote = quotes.quote_add(actor=finance, request=rfq, terms=terms(vendors["SF"]))
    with pytest.raises(QuoteRefused, match="Say why this quote is chosen") as refused:
        quotes.quote_award(actor=finance, request=rfq, quote=quote, reason="  ", on=TODAY)
    assert refused.value.where == "reason"
    rfq.refresh_from_db()
    assert (rfq.status, rfq.awarded_quote) == ("open", None)
    assert not AuditEntry.objects.filter(action="finance.quote_awarded").exists()


def test_an_award_without_the_days_rate_is_refused(
    finance: User, rfq: QuoteRequest, vendors: dict[str, Party]
) -> None:
    quote = quotes.quote_add(actor=finance, request=rfq, terms=terms(vendors["VEO"], "9", "EUR"))
    with pytest.raises(RateMissing, match=f"EUR on {TODAY.isoformat()}"):
        quotes.quote_award(actor=finance, request=rfq, quote=quote, reason="唯一报价", on=TODAY)
    rfq.refresh_from_db()
    assert rfq.status == "open"


def test_an_expired_quote_is_awarded_only_when_the_user_says_so(
    finance: User, rfq: QuoteRequest, vendors: dict[str, Party]
) -> None:
    quote = quotes.quote_add(
        actor=finance,
        request=rfq,
        terms=terms(
            vendors["SF"],
            quoted_on=TODAY - timedelta(days=40),
            valid_until=TODAY - timedelta(days=1),
        ),
    )
    with pytest.raises(
        AwardRefused, match=f"valid until {(TODAY - timedelta(days=1)).isoformat()}"
    ) as refused:
        quotes.quote_award(actor=finance, request=rfq, quote=quote, reason="价格", on=TODAY)
    assert refused.value.where == "accept_expired"
    rfq.refresh_from_db()
    assert rfq.status == "open"
    awarded = quotes.quote_award(
        actor=finance,
        request=rfq,
        quote=quote,
        reason="供应商书面确认价格不变",
        accept_expired=True,
        on=TODAY,
    )
    assert (awarded.status, awarded.award_expired) == ("awarded", True)


def test_an_awarded_request_takes_no_quote_and_no_second_award(
    finance: User, rfq: QuoteRequest, vendors: dict[str, Party]
) -> None:
    quote = quotes.quote_add(actor=finance, request=rfq, terms=terms(vendors["SF"]))
    quotes.quote_award(actor=finance, request=rfq, quote=quote, reason="价格", on=TODAY)
    with pytest.raises(AwardRefused, match="is awarded: it takes no more quotes"):
        quotes.quote_add(actor=finance, request=rfq, terms=terms(vendors["DHL"]))
    with pytest.raises(AwardRefused, match="is awarded"):
        quotes.quote_award(actor=finance, request=rfq, quote=quote, reason="再次", on=TODAY)
    assert (
        Quote.objects.count(),
        AuditEntry.objects.filter(action="finance.quote_awarded").count(),
    ) == (1, 1)


def test_a_cancelled_request_takes_no_quote(
    finance: User, rfq: QuoteRequest, vendors: dict[str, Party]
) -> None:
    with pytest.raises(QuoteRefused, match="Say why"):
        quotes.quote_request_cancel(actor=finance, request=rfq, reason="")
    quotes.quote_request_cancel(actor=finance, request=rfq, reason="改由自有车辆取回")
    with pytest.raises(AwardRefused, match="is cancelled"):
        quotes.quote_add(actor=finance, request=rfq, terms=terms(vendors["SF"]))
    assert not Quote.objects.exists()


def test_a_quote_of_another_request_is_not_awarded(
    finance: User, recall: RecallCase, rfq: QuoteRequest, vendors: dict[str, Party]
) -> None:
    other = quotes.quote_request_open(
        actor=finance,
        recall=recall,
        kind="destruction",
        description="销毁",
        quantity=5,
        region="CN",
        due_on=DUE,
    )
    quote = quotes.quote_add(actor=finance, request=other, terms=terms(vendors["VEO"]))
    with pytest.raises(AwardRefused, match="belongs to another request"):
        quotes.quote_award(actor=finance, request=rfq, quote=quote, reason="x", on=TODAY)


def test_a_draft_recall_takes_no_request_for_quotes(finance: User, recall: RecallCase) -> None:
    RecallCase.objects.filter(pk=recall.pk).update(status="draft")
    recall.refresh_from_db()
    with pytest.raises(ActionNotAllowed):
        quotes.quote_request_open(
            actor=finance,
            recall=recall,
            kind="repair",
            description="返修",
            quantity=1,
            region="CN",
            due_on=DUE,
        )


# -- the scorecard ------------------------------------------------------------------------------
def picked_up_and_received(
    recall: RecallCase, carrier: Carrier, actor: User, days: float
) -> ReturnAuthorisation:
    """A return with ``carrier`` picked up now and first received ``days`` later."""
    holder = Party.objects.get(code="HOSP-A")
    site = LocationFactory(party=holder, province_code="CN-GD")
    quarantine = LocationFactory(code=f"Q-{ReturnAuthorisation.objects.count()}")
    ra = ReturnAuthorisation.objects.create(
        number=f"RA-2026-{ReturnAuthorisation.objects.count() + 1:05d}",
        recall=recall,
        party=holder,
        location=site,
        quarantine=quarantine,
        weight_kg=Decimal(2),
        carrier=carrier,
        status="received",
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="execution.return_status",
        target=ra,
        changes={"status": ["authorised", "picked_up"]},
    )
    picked = AuditEntry.objects.filter(target_id=str(ra.pk)).latest("sequence").recorded_at
    lot = LotFactory()
    line = ReturnLine.objects.create(ra=ra, lot=lot, expected=1, received=1)
    receipt = Receipt.objects.create(
        recall=recall,
        ra=ra,
        line=line,
        lot=lot,
        quantity=1,
        location=quarantine,
        event_id=f"ev-{ra.number}",
        received_by=actor,
    )
    Receipt.objects.filter(pk=receipt.pk).update(received_at=picked + timedelta(days=days))
    return ra


def test_the_scorecard_compares_actual_with_quoted_and_measures_timeliness(
    finance: User, manager: User, recall: RecallCase, rfq: QuoteRequest, vendors: dict[str, Party]
) -> None:
    sf = vendors["SF"]
    carrier = Carrier.objects.create(party=sf, code="SF", name="SF Express")
    CarrierRate.objects.create(
        carrier=carrier, country="CN", base_fee=Decimal(20), per_kg=Decimal(1), transit_days=5
    )
    quote = quotes.quote_add(
        actor=finance, request=rfq, terms=terms(sf, "900.00", lead_time_days=2)
    )
    quotes.quote_award(actor=finance, request=rfq, quote=quote, reason="价格", on=TODAY)
    for amount in ("600.00", "450.00"):
        ledger.cost_post(
            actor=finance,
            recall=recall,
            line=CostLine(
                category="logistics", amount=amount, currency="CNY", incurred_on=TODAY, vendor=sf
            ),
        )
    picked_up_and_received(recall, carrier, manager, days=1.5)  # within the quoted 2 days
    picked_up_and_received(recall, carrier, manager, days=3)  # late against the quote
    provider = ServiceProvider.objects.create(
        name="维修站", party=vendors["VEO"], latitude=Decimal(23), longitude=Decimal(113)
    )
    now = timezone.now()
    for done_at in (now - timedelta(days=2), now + timedelta(days=1)):
        WorkOrder.objects.create(
            number=f"WO-2026-{WorkOrder.objects.count() + 1:05d}",
            recall=recall,
            party=Party.objects.get(code="HOSP-A"),
            location=LocationFactory(),
            action="inspection",
            provider=provider,
            status="done",
            due_at=now,
            done_at=done_at,
            created_by=manager,
        )
    card = {row.code: row.as_dict() for row in quotes.vendor_scorecard()}
    assert card["SF"] == {
        "vendor": "SF",
        "vendor_name": sf.name,
        "recalls": 1,
        "awarded_recalls": 1,
        "awarded_without_cost": 0,
        "quoted_without_cost": "0.00",
        "quoted": "900.00",
        "actual_on_awarded": "1050.00",
        "actual": "1050.00",
        "variance": "150.00",
        "no_cost_yet": False,
        "variance_percent": "16.7",
        "returns_measured": 2,
        "returns_on_time": 1,
        "work_orders_done": 0,
        "work_orders_on_time": 0,
        "on_time_percent": "50.0",
    }
    assert (
        card["VEO"]["work_orders_done"],
        card["VEO"]["work_orders_on_time"],
        card["VEO"]["variance"],
        card["VEO"]["on_time_percent"],
    ) == (2, 1, None, "50.0")


def test_without_a_chosen_quote_a_return_is_measured_against_the_rate_tables_transit_days(
    finance: User, manager: User, recall: RecallCase, vendors: dict[str, Party]
) -> None:
    carrier = Carrier.objects.create(party=vendors["DHL"], code="DHL", name="DHL")
    CarrierRate.objects.create(
        carrier=carrier, country="CN", base_fee=Decimal(20), per_kg=Decimal(1), transit_days=5
    )
    CarrierRate.objects.create(
        carrier=carrier,
        country="CN",
        province_code="CN-GD",
        base_fee=Decimal(20),
        per_kg=Decimal(1),
        transit_days=2,
    )
    picked_up_and_received(recall, carrier, manager, days=3)  # late for Guangdong's 2 days
    picked_up_and_received(recall, carrier, manager, days=1)
    (row,) = quotes.vendor_scorecard(vendor=vendors["DHL"])
    assert (row.returns_measured, row.returns_on_time, row.quoted, row.variance) == (
        2,
        1,
        Decimal(0),
        None,
    )


def test_the_scorecard_reads_a_fixed_number_of_queries(
    finance: User,
    manager: User,
    recall: RecallCase,
    vendors: dict[str, Party],
    django_assert_num_queries: object,
) -> None:
    carrier = Carrier.objects.create(party=vendors["SF"], code="SF", name="SF")
    CarrierRate.objects.create(
        carrier=carrier, country="CN", base_fee=Decimal(1), per_kg=Decimal(1), transit_days=2
    )
    picked_up_and_received(recall, carrier, manager, days=1)
    with django_assert_num_queries(6):  # type: ignore[operator]
        quotes.vendor_scorecard()
    for _ in range(3):
        picked_up_and_received(recall, carrier, manager, days=1)
    with django_assert_num_queries(6):  # type: ignore[operator]
        rows = quotes.vendor_scorecard()
    assert rows[0].returns_measured == 4


def test_a_quote_keeps_its_document_and_refuses_one_that_is_not_a_document(
    finance: User, rfq: QuoteRequest, vendors: dict[str, Party]
) -> None:
    from medrecall.finance.ledger import Attachment

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    with pytest.raises(CostRefused) as refused:
        quotes.quote_add(
            actor=finance,
            request=rfq,
            terms=terms(vendors["SF"]),
            attachment=Attachment(name="quote.exe", content=b"MZ\x90\x00 not a document"),
        )
    assert refused.value.where == "attachment"
    assert not Quote.objects.exists()
    quote = quotes.quote_add(
        actor=finance,
        request=rfq,
        terms=terms(vendors["SF"]),
        attachment=Attachment(name="顺丰报价.pdf", content=pdf),
    )
    assert quote.attachment_name == "顺丰报价.pdf"
    assert quote.attachment.read() == pdf


def test_a_price_of_zero_is_refused_with_the_quotes_own_words(
    finance: User, rfq: QuoteRequest, vendors: dict[str, Party]
) -> None:
    with pytest.raises(CostRefused) as refused:
        quotes.quote_add(actor=finance, request=rfq, terms=terms(vendors["SF"], "0"))
    assert (refused.value.where, refused.value.message) == (
        "price",
        "A quoted price must be more than zero.",
    )
    assert not Quote.objects.exists()
