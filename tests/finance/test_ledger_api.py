"""The ledger's API: list (constant queries) and totals, post with an attachment, reverse, no
changing a posted entry (409), rates set and imported, unit costs, provider rates, the sweep;
a permission matrix per endpoint and portal users refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.finance import ledger
from medrecall.finance.ledger import CostLine
from medrecall.finance.models import CostEntry, DispositionCost, ExchangeRate, ProviderRate
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
        number="RC-2026-0301", title="导管召回", owner=manager, status="in_execution"
    )


def entries(recall: RecallCase, finance: User, count: int) -> list[CostEntry]:
    return [
        ledger.cost_post(
            actor=finance,
            recall=recall,
            line=CostLine(
                category="logistics", amount=Decimal(10 + n), currency="CNY", incurred_on=DAY
            ),
        )
        for n in range(count)
    ]


def test_finance_posts_an_entry_with_an_attachment_by_multipart(
    recall: RecallCase, finance: User, api_as: Callable[[User | None], APIClient]
) -> None:
    answer = api_as(finance).post(
        f"/api/finance/recalls/{recall.pk}/entries/",
        {
            "category": "legal",
            "amount": "1200.00",
            "currency": "CNY",
            "incurred_on": "2026-11-30",
            "document_reference": "LAW-3",
            "attachment": SimpleUploadedFile("opinion.pdf", PDF),
        },
        format="multipart",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (body["category"], body["amount"], body["company_amount"], body["has_attachment"]) == (
        "legal",
        "1200.00",
        "1200.00",
        True,
    )
    download = api_as(finance).get(f"/api/finance/entries/{body['id']}/attachment/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        ({"amount": "0"}, 400, "amount"),
        ({"currency": "USD"}, 400, "currency"),  # no rate that day
        ({"vendor": "NOPE"}, 400, "vendor"),
        ({"category": "travel"}, 400, "category"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_field_and_posts_nothing(
    recall: RecallCase,
    finance: User,
    api_as: Callable[[User | None], APIClient],
    body: dict[str, str],
    status: int,
    where: str,
) -> None:
    base = {"category": "other", "amount": "5", "currency": "CNY", "incurred_on": "2026-11-30"}
    answer = api_as(finance).post(
        f"/api/finance/recalls/{recall.pk}/entries/", {**base, **body}, format="json"
    )
    assert answer.status_code == status
    payload = answer.json()
    assert payload.get("where") == where or where in payload.get("errors", {})
    assert CostEntry.objects.count() == 0


def test_a_posted_entry_cannot_be_changed_by_put_or_patch(
    recall: RecallCase, finance: User, api_as: Callable[[User | None], APIClient]
) -> None:
    (entry,) = entries(recall, finance, 1)
    client = api_as(finance)
    for method in (client.put, client.patch):
        answer = method(f"/api/finance/entries/{entry.pk}/", {"amount": "1"}, format="json")
        assert answer.status_code == 409
        assert answer.json()["code"] == "entry_posted"
        assert "cannot be changed. Reverse it" in answer.json()["message"]
    entry.refresh_from_db()
    assert entry.amount == Decimal("10.00")
    assert AuditEntry.objects.filter(action__startswith="finance.").count() == 1


def test_an_entry_is_reversed_once_through_the_api(
    recall: RecallCase, finance: User, api_as: Callable[[User | None], APIClient]
) -> None:
    (entry,) = entries(recall, finance, 1)
    client = api_as(finance)
    url = f"/api/finance/entries/{entry.pk}/reverse/"
    first = client.post(url, {"reason": "Duplicate invoice"}, format="json")
    assert first.status_code == 201
    assert (first.json()["amount"], first.json()["reverses"]) == ("-10.00", entry.number)
    again = client.post(url, {"reason": "again"}, format="json")
    assert (again.status_code, again.json()["message"]) == (
        400,
        f"{entry.number} is already reversed.",
    )
    assert (
        client.get(f"/api/finance/entries/{entry.pk}/").json()["reversed_by"]
        == (first.json()["number"])
    )
    totals = client.get(f"/api/finance/recalls/{recall.pk}/totals/").json()
    assert (totals["company_amount"], totals["entries"]) == ("0.00", 2)


@pytest.mark.parametrize("count", [1, 40])
def test_the_entry_list_takes_the_same_queries_for_one_entry_and_forty(
    recall: RecallCase,
    finance: User,
    api_as: Callable[[User | None], APIClient],
    count: int,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    entries(recall, finance, count)
    client = api_as(finance)
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        answer = client.get(f"/api/finance/recalls/{recall.pk}/entries/?category=logistics")
    assert answer.json()["count"] == count


def test_rates_are_set_listed_and_imported(
    finance: User, api_as: Callable[[User | None], APIClient]
) -> None:
    client = api_as(finance)
    assert (
        client.post(
            "/api/finance/rates/",
            {"currency": "usd", "rate_on": "2026-11-30", "rate": "7.1"},
            format="json",
        ).status_code
        == 201
    )
    imported = client.post(
        "/api/finance/rates/import/",
        {"file": SimpleUploadedFile("r.csv", b"currency,date,rate\nUSD,2026-11-30,7.2\n")},
        format="multipart",
    )
    assert imported.json() == {"created": 0, "updated": 1, "unchanged": 0}
    refused = client.post(
        "/api/finance/rates/import/",
        {"file": SimpleUploadedFile("r.csv", b"currency,date,rate\nUSD,2026-12-01,x\n")},
        format="multipart",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "import_rejected"
    assert [(d["row"], d["column"]) for d in refused.json()["details"]] == [(2, "rate")]
    listed = client.get("/api/finance/rates/?currency=USD").json()
    assert [(r["currency"], r["rate_on"], r["rate"]) for r in listed["results"]] == [
        ("USD", "2026-11-30", "7.20000000")
    ]
    assert ExchangeRate.objects.count() == 1


def test_unit_costs_and_provider_rates_through_the_api(
    finance: User, api_as: Callable[[User | None], APIClient]
) -> None:
    from medrecall.execution.models import ServiceProvider

    client = api_as(finance)
    made = client.post(
        "/api/finance/unit-costs/",
        {"kind": "destroy", "unit_cost": "4.05", "currency": "CNY"},
        format="json",
    )
    assert made.status_code == 201
    assert made.json() == {
        "id": made.json()["id"],
        "kind": "destroy",
        "device_model": None,
        "unit_cost": "4.05",
        "currency": "CNY",
    }
    unknown = client.post(
        "/api/finance/unit-costs/",
        {"kind": "destroy", "device_model": "00000000000000", "unit_cost": "1", "currency": "CNY"},
        format="json",
    )
    assert (unknown.status_code, unknown.json()["where"]) == (400, "device_model")
    assert client.delete(f"/api/finance/unit-costs/{made.json()['id']}/").status_code == 204
    assert DispositionCost.objects.count() == 0
    provider = ServiceProvider.objects.create(
        name="SZ team",
        party=PartyFactory(party_type="service_partner"),
        latitude=Decimal(22),
        longitude=Decimal(114),
    )
    rate = client.post(
        "/api/finance/provider-rates/",
        {"provider": provider.pk, "hourly_rate": "200", "per_km": "3", "currency": "CNY"},
        format="json",
    )
    assert rate.status_code == 201
    assert ProviderRate.objects.get().hours_per_work_order == Decimal("2.00")


def test_the_sweep_and_the_due_list_through_the_api(
    recall: RecallCase, finance: User, api_as: Callable[[User | None], APIClient]
) -> None:
    client = api_as(finance)
    assert client.get(f"/api/finance/recalls/{recall.pk}/due/").json() == []
    assert client.post("/api/finance/postings/sweep/").json() == {"posted": [], "waiting": []}


ROUTES = [
    ("get", "/api/finance/recalls/{recall}/entries/", "read"),
    ("post", "/api/finance/recalls/{recall}/entries/", "post"),
    ("get", "/api/finance/recalls/{recall}/totals/", "read"),
    ("get", "/api/finance/recalls/{recall}/due/", "read"),
    ("get", "/api/finance/entries/{entry}/", "read"),
    ("post", "/api/finance/entries/{entry}/reverse/", "post"),
    ("post", "/api/finance/postings/sweep/", "post"),
    ("get", "/api/finance/rates/", "read"),
    ("post", "/api/finance/rates/", "rates"),
    ("get", "/api/finance/unit-costs/", "read"),
    ("post", "/api/finance/unit-costs/", "costs"),
    ("get", "/api/finance/provider-rates/", "read"),
    ("post", "/api/finance/provider-rates/", "costs"),
]

# who may: "read" every staff role with the ledger's view; the rest as the roles say.
ALLOWED = {
    "read": {Role.FINANCE, Role.VIEWER, Role.QA_RA_MANAGER, Role.ADMINISTRATOR},
    "post": {Role.FINANCE},
    "rates": {Role.FINANCE, Role.ADMINISTRATOR},
    "costs": {Role.FINANCE, Role.ADMINISTRATOR},
}


@pytest.mark.parametrize(("method", "route", "need"), ROUTES)
@pytest.mark.parametrize(
    "role",
    [None, Role.PORTAL, Role.WAREHOUSE, Role.VIEWER, Role.FINANCE, Role.ADMINISTRATOR],
)
def test_permission_matrix(
    recall: RecallCase,
    finance: User,
    make_user: Callable[..., User],
    api_as: Callable[[User | None], APIClient],
    method: str,
    route: str,
    need: str,
    role: str | None,
) -> None:
    (entry,) = entries(recall, finance, 1)
    user = None
    if role == Role.PORTAL:
        user = make_user(Role.PORTAL, party=PartyFactory(code="HOSP-X"))
    elif role is not None:
        user = make_user(role)
    before = AuditEntry.objects.count()
    answer = getattr(api_as(user), method)(
        route.format(recall=recall.pk, entry=entry.pk), {}, format="json"
    )
    if role is None:
        assert answer.status_code == 401
    elif role in ALLOWED[need]:
        assert answer.status_code not in (401, 403, 404), answer.content
    else:
        assert answer.status_code == 403, answer.content
    if role not in ALLOWED[need]:
        assert AuditEntry.objects.count() == before
