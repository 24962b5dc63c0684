"""Budget and report pages and exports: finance sets budgets, other roles read, portal users
see nothing; user text stays text in Excel; query counts do not grow with the ledger."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.finance import budgets, ledger
from medrecall.finance.ledger import CostLine
from medrecall.finance.models_budget import BudgetAlert, RecallBudget
from medrecall.recalls.models import RecallCase
from tests.factories import PartyFactory

DAY = date(2026, 11, 30)


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE)


@pytest.fixture
def recall(manager: User) -> RecallCase:
    return RecallCase.objects.create(
        number="RC-2026-0401", title="导管召回", owner=manager, status="in_execution"
    )


def as_user(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post(finance: User, recall: RecallCase, amount: str, **fields: object) -> None:
    line = CostLine(
        category=str(fields.pop("category", "logistics")),
        amount=amount,
        currency="CNY",
        incurred_on=DAY,
        **fields,  # type: ignore[arg-type]
    )
    ledger.cost_post(actor=finance, recall=recall, line=line)


def test_finance_sets_the_budget_on_the_page(finance: User, recall: RecallCase) -> None:
    url = reverse("web:finance-budget", args=[recall.pk])
    answer = as_user(finance).post(
        url, {"total": "1000", "line_logistics": "400", "planned_disposition": "destroy"}
    )
    assert (answer.status_code, answer["Location"]) == (302, url)
    budget = RecallBudget.objects.get()
    assert (budget.total, budget.planned_disposition) == (Decimal("1000.00"), "destroy")
    page = as_user(finance).get(url).content.decode()
    assert 'id="budget-total">1000.00 CNY' in page
    assert 'id="budget-save"' in page


def test_a_refused_budget_on_the_page_says_why_and_writes_nothing(
    finance: User, recall: RecallCase
) -> None:
    url = reverse("web:finance-budget", args=[recall.pk])
    answer = as_user(finance).post(url, {"total": "-3"}, follow=True)
    text = answer.content.decode()
    assert "A budget must be more than zero." in text
    assert "reversal" not in text  # a budget is changed by a new version, not reversed
    assert (
        RecallBudget.objects.count(),
        AuditEntry.objects.filter(action="finance.budget_set").count(),
    ) == (0, 0)


@pytest.mark.parametrize("role", [Role.QA_RA_MANAGER, Role.VIEWER])
def test_other_roles_read_the_budget_but_cannot_set_it(
    make_user: Callable[..., User], recall: RecallCase, role: str
) -> None:
    reader = make_user(role)  # a QA/RA manager who does not own this recall, too
    url = reverse("web:finance-budget", args=[recall.pk])
    page = as_user(reader).get(url)
    assert page.status_code == 200
    assert 'id="budget-save"' not in page.content.decode()
    assert as_user(reader).post(url, {"total": "1000"}).status_code == 403
    assert RecallBudget.objects.count() == 0


def test_the_recall_owner_sets_the_budget_on_the_page(recall: RecallCase) -> None:
    url = reverse("web:finance-budget", args=[recall.pk])
    owner = as_user(recall.owner)
    assert 'id="budget-save"' in owner.get(url).content.decode()
    assert owner.post(url, {"total": "1000"}).status_code == 302
    assert RecallBudget.objects.get(recall=recall).total == 1000


@pytest.mark.parametrize(
    "name",
    [
        "finance-budget",
        "finance-report",
        "finance-report-xlsx",
        "finance-reports",
        "finance-reports-xlsx",
    ],
)
def test_portal_users_and_roles_without_the_ledger_see_nothing(
    make_user: Callable[..., User], recall: RecallCase, name: str
) -> None:
    args = [] if name.startswith("finance-reports") else [recall.pk]
    url = reverse(f"web:{name}", args=args)
    portal = make_user(Role.PORTAL, party=PartyFactory(party_type="hospital"))
    assert as_user(portal).get(url).status_code == 404  # finance does not exist for the portal
    assert as_user(make_user(Role.WAREHOUSE)).get(url).status_code == 403
    assert as_user(None).get(url).status_code == 302
    assert (
        as_user(portal)
        .post(reverse("web:finance-budget", args=[recall.pk]), {"total": "9"})
        .status_code
        == 404
    )
    assert RecallBudget.objects.count() == 0


def test_an_unknown_recall_is_not_found(finance: User) -> None:
    assert as_user(finance).get(reverse("web:finance-budget", args=[987654])).status_code == 404


def test_the_budget_page_shows_the_alerts_raised(finance: User, recall: RecallCase) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="1000")
    post(finance, recall, "850.00")
    from medrecall.finance import alerts

    alerts.budget_alerts_check(recall)
    page = (
        as_user(recall.owner).get(reverse("web:finance-budget", args=[recall.pk])).content.decode()
    )
    assert page.count('class="budget-alert"') == BudgetAlert.objects.count() == 2
    assert 'id="forecast-percent">(85.0 %)' in page


def test_the_report_export_keeps_user_text_as_text(finance: User, recall: RecallCase) -> None:
    vendor = PartyFactory(name='=HYPERLINK("http://x","Click")', party_type="carrier")
    post(finance, recall, "120.50", vendor=vendor)
    answer = as_user(finance).get(reverse("web:finance-report-xlsx", args=[recall.pk]))
    sheet = load_workbook(io.BytesIO(answer.content))["By vendor"]
    cell = sheet.cell(row=2, column=1)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (
        '=HYPERLINK("http://x","Click")',
        "s",
        True,
    )
    assert [c.value for c in sheet[2]][2:] == [1, 120.5, "CNY"]


def test_the_report_export_writes_amounts_as_numbers_with_two_decimals(
    finance: User, recall: RecallCase
) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="1000")
    post(finance, recall, "1234.50")
    answer = as_user(finance).get(reverse("web:finance-report-xlsx", args=[recall.pk]))
    book = load_workbook(io.BytesIO(answer.content))
    summary = {row[0].value: row for row in book["Summary"].iter_rows(min_row=2)}
    budget, actual = summary["Budget"], summary["Actual"]
    assert [(c.value, c.data_type, c.number_format) for c in budget] == [
        ("Budget", "s", "General"),
        (1000, "n", "#,##0.00"),
        ("CNY", "s", "General"),
    ]
    assert (actual[1].value, actual[1].data_type, actual[1].number_format) == (
        1234.5,
        "n",
        "#,##0.00",
    )
    vendor = book["By vendor"][2]
    assert [(c.value, c.number_format) for c in vendor][2:] == [
        (1, "General"),
        (1234.5, "#,##0.00"),
        ("CNY", "General"),
    ]
    assert not any(
        isinstance(c.value, str) and c.value.startswith("1234")
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for c in row
    )


def test_the_cross_recall_export_lists_each_recall(finance: User, recall: RecallCase) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="1000")
    post(finance, recall, "250.00")
    answer = as_user(finance).get(reverse("web:finance-reports-xlsx"))
    sheet = load_workbook(io.BytesIO(answer.content))["Recalls"]
    assert [c.value for c in sheet[2]] == [
        "RC-2026-0401",
        "导管召回",
        "Approved / in execution",
        0,
        1000,
        250,
        None,
        "CNY",
        25,
    ]
    assert [c.number_format for c in sheet[2]][4:6] == ["#,##0.00", "#,##0.00"]
    assert (sheet.cell(row=2, column=9).data_type, sheet.cell(row=2, column=9).number_format) == (
        "n",
        "0.0",
    )


def fill(finance: User, recall: RecallCase, count: int) -> None:
    for n in range(count):
        holder = PartyFactory(party_type="hospital", country="CN", province_code=f"CN-{n:02d}")
        post(
            finance,
            recall,
            f"{n + 1}.00",
            vendor=PartyFactory(party_type="carrier"),
            holder=holder,
            category=["logistics", "labour", "other"][n % 3],
        )


@pytest.mark.parametrize(
    "name",
    [
        "finance-budget",
        "finance-report",
        "finance-report-xlsx",
        "finance-reports",
        "finance-reports-xlsx",
    ],
)
def test_pages_and_exports_keep_their_query_count_as_the_ledger_grows(
    finance: User, manager: User, recall: RecallCase, name: str
) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="1000")
    args = [] if name.startswith("finance-reports") else [recall.pk]
    client = as_user(finance)
    url = reverse(f"web:{name}", args=args)
    fill(finance, recall, 1)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    fill(finance, recall, 12)
    other = RecallCase.objects.create(
        number="RC-2026-0402", title="另一", owner=manager, status="in_execution"
    )
    fill(finance, other, 5)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


@pytest.mark.parametrize("provider", ["x", "99999999999999999999", "424242"])
def test_an_unknown_planned_provider_on_the_page_is_refused(
    finance: User, recall: RecallCase, provider: str
) -> None:
    url = reverse("web:finance-budget", args=[recall.pk])
    answer = as_user(finance).post(url, {"total": "10", "planned_provider": provider}, follow=True)
    assert "Choose a service provider from the list." in answer.content.decode()
    assert RecallBudget.objects.count() == 0
