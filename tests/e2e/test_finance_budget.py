"""Browser, in both languages: finance sets a recall's budget with its planned disposition, a
return is picked up and its waybill's cost posted, the forecast crosses 80 % of the budget and
the alert raised by the task queue's sweep shows on the budget page."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.execution import returns
from medrecall.finance import ledger
from medrecall.finance.budget_tasks import budget_alerts_sweep
from medrecall.finance.ledger import CostLine
from medrecall.finance.models import CostSource, DispositionCost
from medrecall.finance.models_budget import BudgetAlert
from medrecall.parties.models import Party
from tests.e2e.test_browser import log_in
from tests.execution.conftest import approve, open_recall, seed_carriers
from tests.traceability.scenario import network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {"link": "Budget and forecast", "alert": "Forecast reached"},
    "zh-hans": {"link": "预算与预测", "alert": "预测达到"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_budget_is_set_a_cost_posted_and_the_80_percent_alert_shows(
    page: Any, live_server: Any, make_user: Callable[..., User], tmp_path: Path, language: str
) -> None:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    seed_carriers()
    manager = make_user(Role.QA_RA_MANAGER)
    recall = approve(open_recall(manager), make_user)
    DispositionCost.objects.create(kind="destroy", unit_cost=Decimal("12.50"), currency="CNY")
    finance = make_user(Role.FINANCE, language=language)
    log_in(page, live_server, finance)

    page.goto(f"{live_server.url}/recalls/{recall.pk}/")
    page.click("#budget-link")
    expect(page.locator("h1")).to_contain_text(WORDS[language]["link"])
    page.fill("#budget-input", "16200")
    page.select_option("select[name=planned_disposition]", "destroy")
    page.click("#budget-save")
    # 970 units × 12.50 + 4 shipments × 30 + 570 units × 0.5 kg × 2 = 12,815.00: 79.1 %
    expect(page.locator("#budget-total")).to_have_text("16200.00 CNY")
    expect(page.locator("#forecast-total")).to_contain_text("12815.00 CNY")
    expect(page.locator("#forecast-percent")).to_have_text("(79.1 %)")
    expect(page.locator("#chart-burn-up canvas")).to_have_count(1)

    ra = returns.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    returns.return_transition(ra=ra, target="picked_up", actor=manager)
    ledger.cost_post(
        actor=finance,
        recall=recall,
        line=CostLine(
            category="logistics",
            amount=ra.expected_cost,
            currency=ra.currency,
            incurred_on=ra.updated_at.date(),
            vendor=ra.carrier.party if ra.carrier else None,
            holder=ra.party,
            document_reference=ra.waybill_number,
        ),
        source=CostSource.WAYBILL,
        source_key=ra.number,
    )
    assert budget_alerts_sweep.call() == 1  # the worker's sweep: forecast ≥ 80 %
    assert budget_alerts_sweep.call() == 0  # and only once

    page.reload()
    # 300.00 posted + 12,125.00 + 3 shipments × 30 + 500 units × 0.5 kg × 2 = 13,015.00: 80.3 %
    expect(page.locator("#actual-total")).to_contain_text("300.00 CNY")
    expect(page.locator("#forecast-percent")).to_have_text("(80.3 %)")
    alert = page.locator(".budget-alert")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text(WORDS[language]["alert"])
    expect(alert).to_contain_text("80 %")
    assert list(BudgetAlert.objects.values_list("kind", "threshold")) == [("forecast", 80)]
