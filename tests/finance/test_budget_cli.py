"""``medrecall finance budget|forecast|report|alerts``: the same services as the pages and API,
``--json`` for scripts, refusals as one clear message (exit status 1), nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance import budgets, ledger
from medrecall.finance.ledger import CostLine
from medrecall.finance.models_budget import BudgetAlert, RecallBudget
from medrecall.recalls.models import RecallCase
from tests.factories import PartyFactory


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE, username="cfo")


@pytest.fixture
def recall(manager: User) -> RecallCase:
    return RecallCase.objects.create(
        number="RC-2026-0601", title="导管召回", owner=manager, status="in_execution"
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("finance", *args, stdout=out)
    return out.getvalue()


def post(finance: User, recall: RecallCase, amount: str, **fields: object) -> None:
    line = CostLine(
        category=str(fields.pop("category", "logistics")),
        amount=amount,
        currency="CNY",
        incurred_on=date(2026, 11, 30),
        **fields,  # type: ignore[arg-type]
    )
    ledger.cost_post(actor=finance, recall=recall, line=line)


def test_budget_set_and_show(finance: User, recall: RecallCase) -> None:
    answer = run(
        "budget",
        "set",
        "RC-2026-0601",
        "--total",
        "1000",
        "--line",
        "logistics=400",
        "--planned-disposition",
        "destroy",
        "--user",
        "cfo",
    )
    assert answer.strip() == "Budget of RC-2026-0601: 1000.00 CNY (version 1)."
    post(finance, recall, "250.00")
    body = json.loads(run("budget", "show", "RC-2026-0601", "--json"))
    assert {k: body[k] for k in ("budget", "lines", "actual", "actual_percent")} == {
        "budget": "1000.00",
        "lines": {"logistics": "400.00"},
        "actual": "250.00",
        "actual_percent": "25.0",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--total", "1000", "--line", "logistics"], "Give a line as CATEGORY=AMOUNT"),
        (["--total", "0"], "A budget must be more than zero."),
        (["--total", "10", "--planned-provider", "999999"], "There is no service provider 999999."),
    ],
    ids=["line", "zero", "provider"],
)
def test_a_refused_budget_is_one_message_and_nothing_is_written(
    finance: User, recall: RecallCase, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run("budget", "set", "RC-2026-0601", *args, "--user", "cfo")
    assert RecallBudget.objects.count() == 0


def test_the_owner_sets_a_budget_from_the_command_line(recall: RecallCase) -> None:
    run("budget", "set", "RC-2026-0601", "--total", "10", "--user", recall.owner.username)
    assert RecallBudget.objects.get(recall=recall).total == Decimal("10.00")


def test_a_viewer_cannot_set_a_budget_from_the_command_line(
    recall: RecallCase, make_user: Callable[..., User]
) -> None:
    viewer = make_user(Role.VIEWER)
    with pytest.raises(CommandError, match="Only finance or the recall's owner sets"):
        run("budget", "set", "RC-2026-0601", "--total", "10", "--user", viewer.username)
    assert RecallBudget.objects.count() == 0


def test_forecast_and_report(finance: User, recall: RecallCase) -> None:
    vendor = PartyFactory(code="SF", name="顺丰速运", party_type="carrier")
    post(finance, recall, "100.00", vendor=vendor)
    post(finance, recall, "30.00", category="labour")
    assert run("forecast", "RC-2026-0601").splitlines() == [
        "RC-2026-0601: actual 130.00 + remaining 0.00 = forecast 130.00 CNY",
        "  The scope is not frozen yet: nothing to forecast from.",
    ]
    assert json.loads(run("report", "RC-2026-0601", "--by", "vendor", "--json"))["vendors"] == [
        {"key": "SF", "label": "顺丰速运", "entries": 1, "amount": "100.00"},
        {"key": "", "label": "No vendor", "entries": 1, "amount": "30.00"},
    ]
    assert run("report", "--by", "category").splitlines() == [
        "All recalls (CNY)",
        "  Logistics: 100.00",
        "  Labour: 30.00",
    ]


def test_alerts_check_raises_once(finance: User, recall: RecallCase) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="100")
    post(finance, recall, "85.00")
    assert run("alerts", "check").strip() == "Budget alerts raised: 2"
    assert json.loads(run("alerts", "check", "--recall", "RC-2026-0601", "--json"))["raised"] == []
    assert BudgetAlert.objects.count() == 2
