"""Cost against budget on the cockpit, its API, its command and its exports: finance's own
figures (``finance.budgets.cost_against_budget``), shown only to those who may read finance,
with what is missing said when there is no budget."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance import budgets, ledger
from medrecall.finance.ledger import CostLine
from medrecall.recalls.models import RecallCase

pytestmark = pytest.mark.django_db(transaction=True)


def _post(finance: User, recall: RecallCase, amount: str) -> None:
    line = CostLine(
        category="logistics", amount=amount, currency="CNY", incurred_on=timezone.localdate()
    )
    ledger.cost_post(actor=finance, recall=recall, line=line)


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE)


@pytest.fixture
def costed(progressed: RecallCase, finance: User) -> RecallCase:
    """The progressed recall with 1,200.50 CNY posted against a budget of 1,000."""
    budgets.budget_set(actor=finance, recall=progressed, total="1000")
    _post(finance, progressed, "1200.50")
    return progressed


def test_the_api_gives_finance_the_cost_against_budget_as_finance_counts_it(
    costed: RecallCase, client: Any, finance: User
) -> None:
    client.force_login(finance)
    cost = client.get(f"/api/recalls/{costed.pk}/progress/").json()["cost"]
    expected = budgets.cost_against_budget(costed)
    actual = expected["actual"]  # the 1,200.50 posted and what the recall posted itself
    assert actual >= Decimal("1200.50")
    assert cost == {
        "currency": "CNY",
        "actual": str(actual),
        "forecast": str(expected["forecast"]),
        "forecast_complete": expected["forecast_complete"],
        "budget": "1000.00",
        "percent_used": str((actual / 10).quantize(Decimal("0.1"))),
        "forecast_percent": str(expected["forecast_percent"]),
        "forecast_over_budget": True,
        "missing": None,
    }
    assert expected["forecast"] >= Decimal("1200.50")


def test_without_a_budget_the_cost_says_what_is_missing(
    progressed: RecallCase, client: Any, finance: User
) -> None:
    _post(finance, progressed, "80")
    client.force_login(finance)
    cost = client.get(f"/api/recalls/{progressed.pk}/progress/").json()["cost"]
    actual = str(budgets.cost_against_budget(progressed)["actual"])
    assert (cost["actual"], cost["budget"], cost["percent_used"]) == (actual, None, None)
    assert cost["forecast_over_budget"] is None
    assert cost["missing"]["code"] == "no_budget"
    assert cost["missing"]["message"].startswith("No budget has been set for this recall")
    page = client.get(reverse("web:recall-cockpit", args=[progressed.pk])).content.decode()
    assert 'id="cost-missing"' in page
    assert reverse("web:finance-budget", args=[progressed.pk]) in page
    assert 'id="cost-over-budget"' not in page


def test_the_cockpit_shows_the_cost_and_links_it_to_the_ledger_and_the_budget(
    costed: RecallCase, client: Any, finance: User
) -> None:
    client.force_login(finance)
    page = client.get(reverse("web:recall-cockpit", args=[costed.pk])).content.decode()
    actual = budgets.cost_against_budget(costed)["actual"]
    ledger_url = reverse("web:finance-ledger", args=[costed.pk])
    assert f'href="{ledger_url}" data-figure="cost-actual">{actual:,.2f}</a>' in page
    budget_url = reverse("web:finance-budget", args=[costed.pk])
    assert f'href="{budget_url}" data-figure="cost-budget">1,000.00</a>' in page
    assert f"{(actual / 10).quantize(Decimal('0.1'))} % of the budget" in page
    assert 'id="cost-over-budget"' in page
    figures = client.get(reverse("web:recall-cockpit-figures", args=[costed.pk])).content.decode()
    assert 'id="cockpit-cost"' in figures


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR])
def test_roles_that_may_not_read_finance_see_no_cost(
    costed: RecallCase, client: Any, make_user: Callable[..., User], role: str
) -> None:
    user = make_user(role)
    client.force_login(user)
    page = client.get(reverse("web:recall-cockpit", args=[costed.pk]))
    if page.status_code == 403:  # a role that may not see recalls at all
        return
    assert 'id="cockpit-cost"' not in page.content.decode()
    assert client.get(f"/api/recalls/{costed.pk}/progress/").json()["cost"] is None
    from openpyxl import load_workbook

    book = load_workbook(
        io.BytesIO(client.get(reverse("web:recall-cockpit-xlsx", args=[costed.pk])).content)
    )
    assert "Cost" not in book.sheetnames


def test_the_command_gives_the_cost_in_its_json(costed: RecallCase) -> None:
    out = io.StringIO()
    call_command("recall", "progress", costed.number, "--json", stdout=out)
    cost = json.loads(out.getvalue())["cost"]
    actual = budgets.cost_against_budget(costed)["actual"]
    assert (cost["actual"], cost["budget"], cost["percent_used"]) == (
        str(actual),
        "1000.00",
        str((actual / 10).quantize(Decimal("0.1"))),
    )
    assert cost["forecast_over_budget"] is True
    text = io.StringIO()
    call_command("recall", "progress", costed.number, stdout=text)
    assert f"{actual} CNY actual" in text.getvalue()


def test_the_excel_export_writes_numbers_with_number_formats_and_the_cost(
    costed: RecallCase, client: Any, finance: User
) -> None:
    from openpyxl import load_workbook

    client.force_login(finance)
    answer = client.get(reverse("web:recall-cockpit-xlsx", args=[costed.pk]))
    book = load_workbook(io.BytesIO(answer.content))
    funnel = book.worksheets[0]
    assert (funnel["B2"].value, funnel["B2"].number_format) == (970, "#,##0")
    assert (funnel["C2"].value, funnel["C2"].number_format) == (1, "0.0%")
    assert (funnel["C3"].value, funnel["C3"].number_format) == (0.515, "0.0%")  # 500 of 970
    assert (funnel["E3"].value, funnel["E3"].number_format) == (0.75, "0.0%")  # 3 of 4 holders
    cost = book["Cost"]
    rows = {row[0].value: row[1] for row in cost.iter_rows(min_row=2) if row[1].value is not None}
    actual = budgets.cost_against_budget(costed)["actual"]
    assert rows["Actual cost"].value == float(actual)
    assert rows["Actual cost"].number_format == "#,##0.00"
    assert (rows["Budget"].value, rows["Budget"].number_format) == (1000, "#,##0.00")
    used = rows["Share of the budget used"]
    assert used.value == float((actual / 10).quantize(Decimal("0.1")) / 100)
    assert used.number_format == "0.0%"
    assert [c.value for c in cost["A"]][-1] == "The forecast exceeds the budget."
    pdf = client.get(reverse("web:recall-cockpit-pdf", args=[costed.pk]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    "name",
    [
        "web:recall-cockpit",
        "web:recall-cockpit-figures",
        "web:recall-cockpit-xlsx",
        "web:recall-cockpit-pdf",
        "api",
    ],
)
def test_the_cost_section_keeps_the_query_count_constant_as_scope_and_ledger_grow(
    costed: RecallCase, client: Any, finance: User, name: str
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.reporting.test_progress_pages import _grow

    client.force_login(finance)
    url = (
        f"/api/recalls/{costed.pk}/progress/" if name == "api" else reverse(name, args=[costed.pk])
    )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(url)
            assert answer.status_code == 200
        if name == "web:recall-cockpit":
            assert 'id="cockpit-cost"' in answer.content.decode()
        return len(captured)

    small = queries()
    _grow(costed, 30)
    for amount in ("10", "20", "30", "40"):
        _post(finance, costed, amount)
    assert queries() == small


def test_the_cost_is_kept_like_the_figures_until_something_is_audited(
    costed: RecallCase, settings: Any, finance: User, django_assert_num_queries: Any
) -> None:
    from django.core.cache import cache

    from medrecall.reporting.cost import kept_cost

    settings.MEDRECALL_COCKPIT_CACHE_SECONDS = 30
    cache.clear()
    first = kept_cost(costed)
    with django_assert_num_queries(1):  # the latest audit entry's id, nothing priced again
        assert kept_cost(costed) == first
    _post(finance, costed, "10")  # a posting is audited: counted at once
    assert kept_cost(costed).actual == first.actual + Decimal("10.00")
