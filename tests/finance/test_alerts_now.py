"""An alert is raised once and kept, but the budget page shows it next to today's figure: after
the entry that crossed 100 % is reversed the page says the cost is back under the threshold,
not that it is at 100 %; an alert of an earlier budget version says so."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance import alerts, budgets, ledger
from medrecall.finance.ledger import CostLine
from medrecall.finance.models_budget import BudgetAlert
from medrecall.recalls.models import RecallCase

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE)


@pytest.fixture
def recall(manager: User) -> RecallCase:
    return RecallCase.objects.create(
        number="RC-2026-0701", title="导管召回", owner=manager, status="in_execution"
    )


def states(finance: User, recall: RecallCase) -> list[tuple[str, str, str]]:
    client = Client()
    client.force_login(finance)
    text = client.get(f"/finance/recalls/{recall.pk}/budget/").content.decode()
    return re.findall(
        r'<tr class="budget-alert" data-state="(\w+)">.*?<td>(\d+) %</td>.*<td[^>]*>([^<]*)</td></tr>',
        text,
    )


def test_a_reversed_entry_brings_the_alert_back_under_on_the_page(
    finance: User, recall: RecallCase
) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="1000")
    entry = ledger.cost_post(
        actor=finance,
        recall=recall,
        line=CostLine(
            category="logistics", amount="1000", currency="CNY", incurred_on=date(2026, 11, 30)
        ),
    )
    alerts.budget_alerts_check(recall)
    assert sorted(states(finance, recall)) == [
        ("reached", "100", "Still 100.0 %."),
        ("reached", "100", "Still 100.0 %."),
        ("reached", "80", "Still 100.0 %."),
        ("reached", "80", "Still 100.0 %."),
    ]
    ledger.cost_reverse(actor=finance, entry=entry, reason="Wrong recall")
    alerts.budget_alerts_check(recall)
    assert BudgetAlert.objects.count() == 4  # raised once, kept
    assert [s[0] for s in states(finance, recall)] == ["under"] * 4
    assert states(finance, recall)[0][2] == "Now 0.0 %: back under the threshold."
    budgets.budget_set(actor=finance, recall=recall, total="2000")
    assert {s[2] for s in states(finance, recall)} == {
        "Raised against budget version 1; the budget has changed since."
    }
