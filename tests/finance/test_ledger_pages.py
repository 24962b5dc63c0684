"""The ledger's pages: a recall's ledger with its totals (constant queries), posting with an
attachment, reversing, no editing, exchange rates entered and imported, disposition costs,
provider rates, the policy; who may do what, and portal users see nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.finance import ledger
from medrecall.finance.ledger import CostLine
from medrecall.finance.models import (
    CostEntry,
    DispositionCost,
    ExchangeRate,
    FinancePolicy,
    ProviderRate,
)
from medrecall.recalls.models import RecallCase
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 30)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE)


@pytest.fixture
def recall(manager: User) -> RecallCase:
    return RecallCase.objects.create(
        number="RC-2026-0201", title="泵召回", owner=manager, status="in_execution"
    )


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_entries(recall: RecallCase, finance: User, count: int) -> list[CostEntry]:
    vendor = PartyFactory(code=f"V{count}", party_type="carrier")
    return [
        ledger.cost_post(
            actor=finance,
            recall=recall,
            line=CostLine(
                category=("logistics", "repair")[n % 2],
                amount=Decimal("10.50") + n,
                currency="CNY",
                incurred_on=DAY,
                vendor=vendor,
            ),
        )
        for n in range(count)
    ]


def test_the_ledger_shows_entries_and_totals_per_category_in_sql(
    recall: RecallCase, finance: User, make_user: Callable[..., User]
) -> None:
    ledger.rate_set(actor=finance, currency="USD", rate_on=DAY, rate="7")
    post_entries(recall, finance, 3)  # 10.50 logistics, 11.50 repair, 12.50 logistics
    ledger.cost_post(
        actor=finance,
        recall=recall,
        line=CostLine(category="logistics", amount="2.00", currency="USD", incurred_on=DAY),
    )
    page = as_user(make_user(Role.VIEWER)).get(reverse("web:finance-ledger", args=[recall.pk]))
    assert page.status_code == 200
    totals = page.context["totals"]
    assert [
        (c.category, c.company_amount, c.entries, c.by_currency) for c in totals.categories
    ] == [
        ("logistics", Decimal("37.00"), 3, (("CNY", Decimal("23.00")), ("USD", Decimal("2.00")))),
        ("repair", Decimal("11.50"), 1, (("CNY", Decimal("11.50")),)),
    ]
    assert (totals.company_amount, totals.entries) == (Decimal("48.50"), 4)
    assert b"48.50 CNY" in page.content
    assert b"Post an entry" not in page.content  # a viewer reads


def test_the_ledger_filters_by_category_source_and_vendor(
    recall: RecallCase, finance: User
) -> None:
    entries = post_entries(recall, finance, 3)
    client = as_user(finance)
    url = reverse("web:finance-ledger", args=[recall.pk])
    repair = client.get(url, {"category": "repair"})
    assert [e.number for e in repair.context["entries"]] == [entries[1].number]
    assert repair.context["totals"].company_amount == Decimal("11.50")
    assert len(client.get(url, {"vendor": "V3"}).context["entries"]) == 3
    assert len(client.get(url, {"vendor": "NOPE"}).context["entries"]) == 0
    assert len(client.get(url, {"source": "waybill"}).context["entries"]) == 0
    bad = client.get(url, {"category": "travel"}, follow=True)
    assert "travel is not a cost category." in bad.content.decode()


@pytest.mark.parametrize("count", [1, 30])
def test_the_ledger_page_takes_the_same_queries_for_one_entry_and_thirty(
    recall: RecallCase,
    finance: User,
    count: int,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    post_entries(recall, finance, count)
    client = as_user(finance)
    url = reverse("web:finance-ledger", args=[recall.pk])
    client.get(url)  # warm the session and the policy row
    with django_assert_max_num_queries(22):  # type: ignore[operator]
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("count", [1, 30])
def test_the_recall_costs_list_takes_the_same_queries_for_any_number_of_entries(
    recall: RecallCase,
    finance: User,
    count: int,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    post_entries(recall, finance, count)
    client = as_user(finance)
    client.get(reverse("web:finance-ledgers"))
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        page = client.get(reverse("web:finance-ledgers"))
    row = next(iter(page.context["recalls"]))
    assert row.entries == count


def test_finance_posts_an_entry_with_an_attachment_and_staff_download_it(
    recall: RecallCase, finance: User, make_user: Callable[..., User]
) -> None:
    PartyFactory(code="VEOLIA", party_type="supplier")
    client = as_user(finance)
    answer = client.post(
        reverse("web:finance-entry-post", args=[recall.pk]),
        {
            "category": "destruction",
            "amount": "880.00",
            "currency": "cny",
            "incurred_on": "2026-11-30",
            "units": "40",
            "vendor": "VEOLIA",
            "document_reference": "INV-77",
            "attachment": SimpleUploadedFile("invoice 77.pdf", PDF),
        },
    )
    entry = CostEntry.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("web:finance-entry", args=[entry.pk])
    assert (entry.category, entry.amount, entry.currency, entry.units, entry.vendor.code) == (  # type: ignore[union-attr]
        "destruction",
        Decimal("880.00"),
        "CNY",
        40,
        "VEOLIA",
    )
    assert entry.attachment_name == "invoice 77.pdf"
    download = as_user(make_user(Role.VIEWER)).get(
        reverse("web:finance-entry-attachment", args=[entry.pk])
    )
    assert download.status_code == 200
    assert (download["Content-Type"], download["X-Content-Type-Options"]) == (
        "application/pdf",
        "nosniff",
    )
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert 'filename="invoice 77.pdf"' in download["Content-Disposition"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "-5", "The amount must be more than zero"),
        ("currency", "XYZ", "XYZ is not an ISO 4217 currency code"),
        ("incurred_on", "30.11.2026", "30.11.2026 is not a date in the form YYYY-MM-DD."),
        ("vendor", "NOPE", "There is no party with code NOPE."),
    ],
)
def test_a_bad_manual_entry_is_refused_with_a_message_and_posts_nothing(
    recall: RecallCase, finance: User, field: str, value: str, message: str
) -> None:
    form = {"category": "other", "amount": "10", "currency": "CNY", "incurred_on": "2026-11-30"}
    page = as_user(finance).post(
        reverse("web:finance-entry-post", args=[recall.pk]), {**form, field: value}
    )
    assert page.status_code == 200
    assert message in page.content.decode()
    assert CostEntry.objects.count() == 0
    assert not AuditEntry.objects.filter(action="finance.cost_posted").exists()


def test_a_missing_rate_is_refused_naming_currency_and_day(
    recall: RecallCase, finance: User
) -> None:
    page = as_user(finance).post(
        reverse("web:finance-entry-post", args=[recall.pk]),
        {"category": "other", "amount": "10", "currency": "USD", "incurred_on": "2026-11-30"},
    )
    assert "There is no exchange rate for USD on 2026-11-30." in page.content.decode()
    assert CostEntry.objects.count() == 0


def test_an_entry_is_reversed_once_with_a_reason_through_the_page(
    recall: RecallCase, finance: User
) -> None:
    (entry,) = post_entries(recall, finance, 1)
    client = as_user(finance)
    url = reverse("web:finance-entry-reverse", args=[entry.pk])
    blank = client.post(url, {"reason": " "}, follow=True)
    assert "Say why the entry is reversed." in blank.content.decode()
    assert CostEntry.objects.count() == 1
    client.post(url, {"reason": "Invoice cancelled"})
    reversal = CostEntry.objects.get(reverses=entry)
    assert (reversal.amount, reversal.company_amount, reversal.reason) == (
        Decimal("-10.50"),
        Decimal("-10.50"),
        "Invoice cancelled",
    )
    again = client.post(url, {"reason": "twice"}, follow=True)
    assert f"{entry.number} is already reversed." in again.content.decode()
    assert CostEntry.objects.count() == 2
    detail = client.get(reverse("web:finance-entry", args=[entry.pk]))
    assert detail.context["reversal"] == reversal
    assert b"reverse-form" not in detail.content


def test_editing_a_posted_entry_through_a_page_is_refused_and_changes_nothing(
    recall: RecallCase, finance: User
) -> None:
    (entry,) = post_entries(recall, finance, 1)
    page = as_user(finance).post(
        reverse("web:finance-entry-edit", args=[entry.pk]), {"amount": "1"}, follow=True
    )
    assert (
        f"{entry.number} is posted and cannot be changed. Reverse it (with a reason) and post "
        "the correct entry." in page.content.decode()
    )
    entry.refresh_from_db()
    assert entry.amount == Decimal("10.50")
    assert AuditEntry.objects.filter(action__startswith="finance.").count() == 1


def test_a_viewer_cannot_post_or_reverse(
    recall: RecallCase, finance: User, make_user: Callable[..., User]
) -> None:
    (entry,) = post_entries(recall, finance, 1)
    viewer = as_user(make_user(Role.VIEWER))
    assert viewer.get(reverse("web:finance-entry-post", args=[recall.pk])).status_code == 403
    assert (
        viewer.post(
            reverse("web:finance-entry-reverse", args=[entry.pk]), {"reason": "x"}
        ).status_code
        == 403
    )
    assert CostEntry.objects.count() == 1


def test_portal_users_see_nothing_of_finance(
    recall: RecallCase, finance: User, make_user: Callable[..., User]
) -> None:
    (entry,) = post_entries(recall, finance, 1)
    portal = make_user(Role.PORTAL, party=PartyFactory(code="HOSP-P"))
    # A portal user given every finance permission still sees nothing.
    from django.contrib.auth.models import Permission

    portal.user_permissions.add(*Permission.objects.filter(content_type__app_label="finance"))
    client = as_user(User.objects.get(pk=portal.pk))
    for url in (
        reverse("web:finance-ledgers"),
        reverse("web:finance-ledger", args=[recall.pk]),
        reverse("web:finance-entry", args=[entry.pk]),
        reverse("web:finance-entry-attachment", args=[entry.pk]),
        reverse("web:finance-rates"),
        reverse("web:finance-unit-costs"),
        reverse("web:finance-provider-rates"),
        reverse("web:finance-policy"),
    ):
        assert client.get(url).status_code == 404, url


def test_the_sidebar_shows_finance_entries_by_permission(
    finance: User, make_user: Callable[..., User]
) -> None:
    page = as_user(finance).get(reverse("web:finance-rates"))
    areas = {str(a["label"]): a for a in page.context["nav_areas"]}
    assert "live" not in areas["Finance"]  # every area is live: no "coming" entries any more
    assert [str(i["label"]) for i in areas["Finance"]["items"]] == [
        "Recall costs",
        "Exchange rates",
        "Disposition costs",
        "Service provider rates",
        "Finance policy",
        "Cost reports",
        "Refunds and compensation",
        "Vendor scorecard",
        "Accounts payable export",
    ]


# --- rates ----------------------------------------------------------------------------------


def test_a_rate_is_entered_on_the_page(finance: User) -> None:
    as_user(finance).post(
        reverse("web:finance-rates"), {"currency": "eur", "rate_on": "2026-12-01", "rate": "7.75"}
    )
    assert list(ExchangeRate.objects.values_list("currency", "rate_on", "rate", "source")) == [
        ("EUR", date(2026, 12, 1), Decimal("7.75000000"), "entered")
    ]


def test_rates_are_imported_from_a_csv_and_a_bad_file_is_refused_whole(finance: User) -> None:
    client = as_user(finance)
    ledger.rate_set(actor=finance, currency="USD", rate_on=DAY, rate="7.0")
    good = b"currency,date,rate\nUSD,2026-11-30,7.12\nEUR,2026-11-30,7.80\nUSD,2026-12-01,7.10\n"
    page = client.post(
        reverse("web:finance-rates"),
        {"file": SimpleUploadedFile("rates.csv", good)},
        follow=True,
    )
    assert "Rates imported: 2 new, 1 changed, 0 unchanged." in page.content.decode()
    assert sorted(ExchangeRate.objects.values_list("currency", "rate_on", "rate", "source")) == [
        ("EUR", DAY, Decimal("7.80000000"), "imported"),
        ("USD", DAY, Decimal("7.12000000"), "imported"),
        ("USD", date(2026, 12, 1), Decimal("7.10000000"), "imported"),
    ]
    bad = b"currency,date,rate\nGBP,2026-12-02,9.1\nXYZ,2026-12-02,1\nGBP,02.12.2026,-1\n"
    refused = client.post(
        reverse("web:finance-rates"),
        {"file": SimpleUploadedFile("bad.csv", bad)},
        follow=True,
    ).content.decode()
    assert "The file was refused: 3 problem(s)." in refused
    assert ExchangeRate.objects.filter(currency="GBP").count() == 0
    assert AuditEntry.objects.filter(action="finance.rates_imported").count() == 1


def test_the_rates_parser_names_row_and_column_of_every_problem(finance: User) -> None:
    from medrecall.core.errors import ImportRejected

    content = (
        b"currency,date,rate\nXYZ,2026-12-02,1\nUSD,2026-13-02,1\nUSD,2026-12-02,abc\n"
        b"CNY,2026-12-02,1\nUSD,2026-12-03,1\nUSD,2026-12-03,2\n"
    )
    with pytest.raises(ImportRejected) as refused:
        ledger.rates_parse(content, file_name="r.csv")
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [
        (2, "currency", "invalid"),
        (3, "date", "invalid"),
        (4, "rate", "invalid"),
        (5, "currency", "invalid"),
        (7, "date", "duplicate"),
    ]
    assert refused.value.errors[3].message == "CNY is the company currency: its rate is always 1."
    with pytest.raises(ImportRejected) as missing:
        ledger.rates_parse(b"currency,day,rate\n", file_name="r.csv")
    assert missing.value.errors[0].message == "Missing column(s): date."


# --- unit costs, provider rates, policy -----------------------------------------------------


def test_disposition_costs_are_kept_on_their_page_with_audit_entries(finance: User) -> None:
    client = as_user(finance)
    url = reverse("web:finance-unit-costs")
    client.post(url, {"kind": "repair", "device_model": "", "unit_cost": "35.2", "currency": "CNY"})
    client.post(url, {"kind": "repair", "device_model": "", "unit_cost": "40", "currency": "CNY"})
    cost = DispositionCost.objects.get()
    assert (cost.kind, cost.device_model_id, cost.unit_cost) == ("repair", None, Decimal("40.00"))
    bad = client.post(
        url, {"kind": "repair", "unit_cost": "-1", "currency": "CNY"}, follow=True
    ).content.decode()
    assert "The amount cannot be negative." in bad
    assert AuditEntry.objects.filter(action="finance.unit_cost_set").count() == 2
    client.post(reverse("web:finance-unit-cost-delete", args=[cost.pk]))
    assert DispositionCost.objects.count() == 0
    assert AuditEntry.objects.filter(action="finance.unit_cost_deleted").count() == 1


def test_provider_rates_are_kept_on_their_page(
    finance: User, make_user: Callable[..., User]
) -> None:
    from medrecall.execution.models import ServiceProvider

    provider = ServiceProvider.objects.create(
        name="广州服务商",
        party=PartyFactory(party_type="service_partner"),
        latitude=Decimal(23),
        longitude=Decimal(113),
    )
    as_user(finance).post(
        reverse("web:finance-provider-rates"),
        {
            "provider": str(provider.pk),
            "hourly_rate": "180",
            "hours_per_work_order": "1.5",
            "per_km": "2.4",
            "currency": "CNY",
        },
    )
    rate = ProviderRate.objects.get()
    assert (rate.hourly_rate, rate.hours_per_work_order, rate.per_km) == (
        Decimal("180.00"),
        Decimal("1.50"),
        Decimal("2.40"),
    )
    viewer = as_user(make_user(Role.VIEWER))
    assert viewer.get(reverse("web:finance-provider-rates")).status_code == 200
    assert (
        viewer.post(
            reverse("web:finance-provider-rates"), {"provider": str(provider.pk)}
        ).status_code
        == 403
    )


def test_the_administrator_keeps_the_policy_and_finance_only_reads_it(
    finance: User, make_user: Callable[..., User]
) -> None:
    admin = as_user(make_user(Role.ADMINISTRATOR))
    admin.post(
        reverse("web:finance-policy"),
        {
            "company_currency": "CNY",
            "four_eyes_threshold": "5000",
            "alert_thresholds": "100, 80，90",
            "postage_per_letter": "8.50",
        },
    )
    policy = FinancePolicy.objects.get()
    assert (policy.four_eyes_threshold, policy.alert_thresholds, policy.postage_per_letter) == (
        Decimal("5000.00"),
        [80, 90, 100],
        Decimal("8.50"),
    )
    entry = AuditEntry.objects.get(action="finance.policy_updated")
    assert entry.changes["postage_per_letter"] == ["0.00", "8.50"]
    assert as_user(finance).post(reverse("web:finance-policy"), {}).status_code == 403


def test_the_company_currency_cannot_change_once_entries_are_posted(
    recall: RecallCase, finance: User
) -> None:
    post_entries(recall, finance, 1)
    admin = User.objects.create_superuser("root", password="x-Long-passw0rd")
    with pytest.raises(ledger.CostRefused, match="cannot change once entries are posted in CNY"):
        ledger.policy_update(
            actor=admin,
            company_currency="USD",
            four_eyes_threshold="1",
            alert_thresholds=[80],
            postage_per_letter="0",
        )
    assert ledger.policy().company_currency == "CNY"


def _reference_data(count: int, finance: User) -> None:
    from medrecall.execution.models import ServiceProvider

    for n in range(count):
        ledger.rate_set(actor=finance, currency="USD", rate_on=date(2026, 1, 1 + n % 28), rate=7)
        provider = ServiceProvider.objects.create(
            name=f"P{n}",
            party=PartyFactory(party_type="service_partner"),
            latitude=Decimal(1),
            longitude=Decimal(1),
        )
        ledger.provider_rate_set(
            actor=finance,
            provider=provider,
            hourly_rate="100",
            hours_per_work_order="2",
            per_km="1",
            currency="CNY",
        )
    for kind in ("repair", "destroy", "replace", "return_to_supplier", "release")[:count]:
        ledger.unit_cost_set(
            actor=finance, kind=kind, device_model=None, unit_cost="1", currency="CNY"
        )


@pytest.mark.parametrize("count", [1, 5])
@pytest.mark.parametrize(
    "url",
    [
        "web:finance-rates",
        "web:finance-unit-costs",
        "web:finance-provider-rates",
        "/api/finance/rates/",
        "/api/finance/unit-costs/",
        "/api/finance/provider-rates/",
    ],
)
def test_the_reference_lists_take_the_same_queries_for_one_row_and_five(
    finance: User,
    count: int,
    url: str,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    _reference_data(count, finance)
    client = as_user(finance)
    path = url if url.startswith("/") else reverse(url)
    client.get(path)
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        assert client.get(path).status_code == 200


def test_a_portal_user_without_finance_rights_gets_404_not_403_on_finance_pages(
    recall: RecallCase, finance: User, make_user: Callable[..., User]
) -> None:
    (entry,) = post_entries(recall, finance, 1)
    client = as_user(make_user(Role.PORTAL, party=PartyFactory(code="HOSP-Q")))
    for url in (
        reverse("web:finance-ledgers"),
        reverse("web:finance-ledger", args=[recall.pk]),
        reverse("web:finance-entry", args=[entry.pk]),
        reverse("web:finance-report", args=[recall.pk]),
        reverse("web:finance-budget", args=[recall.pk]),
        reverse("web:finance-reports"),
        f"/recalls/{recall.pk}/finance/payables/",
        "/finance/refunds/",
    ):
        assert client.get(url).status_code == 404, url
