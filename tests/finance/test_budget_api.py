"""The budget and report API: finance sets, others read, portal users and roles without the
ledger are refused; answers carry exact figures; lists keep their query count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.finance import budgets, ledger
from medrecall.finance.ledger import CostLine
from medrecall.finance.models_budget import RecallBudget
from medrecall.recalls.models import RecallCase
from tests.factories import PartyFactory


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE)


@pytest.fixture
def recall(manager: User) -> RecallCase:
    return RecallCase.objects.create(
        number="RC-2026-0501", title="导管召回", owner=manager, status="in_execution"
    )


def post(finance: User, recall: RecallCase, amount: str, **fields: object) -> None:
    line = CostLine(
        category=str(fields.pop("category", "logistics")),
        amount=amount,
        currency="CNY",
        incurred_on=date(2026, 11, 30),
        **fields,  # type: ignore[arg-type]
    )
    ledger.cost_post(actor=finance, recall=recall, line=line)


def test_finance_sets_the_budget_and_reads_it_back(
    api_as: Callable[[User | None], APIClient], finance: User, recall: RecallCase
) -> None:
    post(finance, recall, "300.00")
    url = f"/api/finance/recalls/{recall.pk}/budget/"
    answer = api_as(finance).put(
        url,
        {"total": "1000", "lines": {"logistics": "600"}, "planned_disposition": "destroy"},
        format="json",
    )
    assert answer.status_code == 200
    body = answer.json()
    assert {
        k: body[k] for k in ("budget", "version", "lines", "actual", "forecast", "actual_percent")
    } == {
        "budget": "1000.00",
        "version": 1,
        "lines": {"logistics": "600.00"},
        "actual": "300.00",
        "forecast": "300.00",
        "actual_percent": "30.0",
    }
    assert api_as(recall.owner).get(url).json()["budget"] == "1000.00"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"total": "0"}, "A budget must be more than zero."),
        ({"total": "10", "lines": {"fuel": "1"}}, "fuel is not a cost category."),
        ({"total": "10", "planned_disposition": "burn"}, "burn is not a disposition."),
        ({"total": "10", "planned_provider": 999999}, "There is no service provider 999999."),
    ],
    ids=["zero", "category", "disposition", "provider"],
)
def test_a_bad_budget_is_a_clear_400_and_nothing_is_written(
    api_as: Callable[[User | None], APIClient],
    finance: User,
    recall: RecallCase,
    body: dict[str, object],
    where: str,
) -> None:
    answer = api_as(finance).put(f"/api/finance/recalls/{recall.pk}/budget/", body, format="json")
    assert answer.status_code == 400
    assert where in str(answer.json())
    assert (
        RecallBudget.objects.count(),
        AuditEntry.objects.filter(action="finance.budget_set").count(),
    ) == (0, 0)


@pytest.mark.parametrize(
    "path",
    [
        "budget/",
        "forecast/",
        "report/",
        "budget-alerts/",
        "/api/finance/reports/recalls/",
        "/api/finance/reports/by/vendor/",
    ],
)
def test_portal_users_and_roles_without_the_ledger_are_refused(
    api_as: Callable[[User | None], APIClient],
    make_user: Callable[..., User],
    recall: RecallCase,
    path: str,
) -> None:
    url = path if path.startswith("/") else f"/api/finance/recalls/{recall.pk}/{path}"
    portal = make_user(Role.PORTAL, party=PartyFactory(party_type="hospital"))
    assert api_as(portal).get(url).status_code == 403
    assert api_as(make_user(Role.WAREHOUSE)).get(url).status_code == 403
    assert api_as(None).get(url).status_code == 401
    assert api_as(make_user(Role.VIEWER)).get(url).status_code == 200


@pytest.mark.parametrize("role", [Role.VIEWER, Role.QA_RA_MANAGER, Role.PORTAL])
def test_only_finance_puts_a_budget(
    api_as: Callable[[User | None], APIClient],
    make_user: Callable[..., User],
    recall: RecallCase,
    role: str,
) -> None:
    party = PartyFactory(party_type="hospital") if role == Role.PORTAL else None
    answer = api_as(make_user(role, party=party)).put(
        f"/api/finance/recalls/{recall.pk}/budget/", {"total": "10"}, format="json"
    )
    assert answer.status_code == 403
    assert RecallBudget.objects.count() == 0


def test_the_costs_by_vendor_across_recalls(
    api_as: Callable[[User | None], APIClient], finance: User, recall: RecallCase
) -> None:
    vendor = PartyFactory(code="SF", name="顺丰速运", party_type="carrier")
    post(finance, recall, "100.00", vendor=vendor)
    post(finance, recall, "20.50", vendor=vendor)
    post(finance, recall, "5.00")
    assert api_as(finance).get("/api/finance/reports/by/vendor/").json()["groups"] == [
        {"key": "SF", "label": "顺丰速运", "entries": 2, "amount": "120.50"},
        {"key": "", "label": "No vendor", "entries": 1, "amount": "5.00"},
    ]
    answer = api_as(finance).get("/api/finance/reports/by/fuel/")
    assert (
        answer.status_code,
        "Choose one of category, region, vendor." in str(answer.json()),
    ) == (400, True)


@pytest.mark.parametrize(
    "path",
    [
        "budget/",
        "forecast/",
        "report/",
        "budget-alerts/",
        "/api/finance/reports/recalls/",
        "/api/finance/reports/by/region/",
    ],
)
def test_answers_keep_their_query_count_as_the_ledger_grows(
    api_as: Callable[[User | None], APIClient],
    finance: User,
    manager: User,
    recall: RecallCase,
    path: str,
) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="10000")
    url = path if path.startswith("/") else f"/api/finance/recalls/{recall.pk}/{path}"
    client = api_as(finance)
    post(
        finance,
        recall,
        "1.00",
        holder=PartyFactory(party_type="hospital"),
        vendor=PartyFactory(party_type="carrier"),
    )
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(10):
        post(
            finance,
            recall,
            f"{n + 2}.00",
            holder=PartyFactory(party_type="hospital", province_code=f"CN-{n}"),
            vendor=PartyFactory(party_type="carrier"),
        )
    RecallCase.objects.create(
        number="RC-2026-0502", title="另一", owner=manager, status="in_execution"
    )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
