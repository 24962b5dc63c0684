"""``medrecall finance ledger|rates|unitcosts|providerrates``: the same services as the pages,
``--json`` answers, refusals as exit status 1 with the message and nothing changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance.models import CostEntry, DispositionCost, ExchangeRate, ProviderRate
from medrecall.recalls.models import RecallCase
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE)


@pytest.fixture
def recall(manager: User) -> RecallCase:
    return RecallCase.objects.create(
        number="RC-2026-0401", title="召回", owner=manager, status="in_execution"
    )


def run(*args: str) -> Any:
    out = StringIO()
    call_command("finance", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_post_list_and_reverse_from_the_command_line(
    recall: RecallCase, finance: User, tmp_path: Path
) -> None:
    PartyFactory(code="SF-X", party_type="carrier")
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(PDF)
    posted = run(
        "ledger",
        "post",
        recall.number,
        "--category=logistics",
        "--amount=88.80",
        "--currency=CNY",
        "--date=2026-11-30",
        "--vendor=SF-X",
        "--attachment",
        str(invoice),
        "--user",
        finance.username,
    )
    assert (posted["amount"], posted["company_amount"], posted["vendor"]) == (
        "88.80",
        "88.80",
        "SF-X",
    )
    assert CostEntry.objects.get().attachment_name == "invoice.pdf"
    listed = run("ledger", "list", recall.number, "--user", finance.username)
    assert [e["number"] for e in listed["entries"]] == [posted["number"]]
    assert listed["totals"]["company_amount"] == "88.80"
    reversed_ = run(
        "ledger", "reverse", posted["number"], "--reason", "wrong", "--user", finance.username
    )
    assert (reversed_["amount"], reversed_["reverses"]) == ("-88.80", posted["number"])
    with pytest.raises(CommandError, match="is already reversed"):
        run("ledger", "reverse", posted["number"], "--reason", "x", "--user", finance.username)
    assert CostEntry.objects.count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--amount=-1",), "The amount must be more than zero"),
        (("--currency=USD",), "There is no exchange rate for USD on 2026-11-30."),
        (("--vendor=NOPE",), "There is no party with code NOPE."),
        (("--date=yesterday",), "yesterday is not a date in the form YYYY-MM-DD."),
    ],
)
def test_a_refused_posting_exits_with_the_message_and_posts_nothing(
    recall: RecallCase, finance: User, args: tuple[str, ...], message: str
) -> None:
    base = ["--category=other", "--amount=5", "--currency=CNY", "--date=2026-11-30"]
    with pytest.raises(CommandError, match=message):
        run("ledger", "post", recall.number, *base, *args, "--user", finance.username)
    assert CostEntry.objects.count() == 0


def test_rates_set_import_and_list(finance: User, tmp_path: Path) -> None:
    run("rates", "set", "USD", "2026-11-30", "7.1", "--user", finance.username)
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,date,rate\nUSD,2026-11-30,7.2\nEUR,2026-11-30,7.9\n")
    assert run("rates", "import", str(rates), "--user", finance.username) == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "message": "Rates imported: 1 new, 1 changed, 0 unchanged.",
    }
    bad = tmp_path / "bad.csv"
    bad.write_text("currency,date,rate\nGBP,2026-11-30,abc\n")
    with pytest.raises(CommandError, match=r"bad\.csv, row 2, column rate: abc is not a rate\."):
        run("rates", "import", str(bad), "--user", finance.username)
    assert [r["currency"] for r in run("rates", "list")["rates"]] == ["EUR", "USD"]
    assert ExchangeRate.objects.filter(currency="GBP").count() == 0


def test_unit_costs_and_provider_rates(finance: User) -> None:
    from medrecall.execution.models import ServiceProvider

    run("unitcosts", "set", "repair", "35.20", "--currency=CNY", "--user", finance.username)
    assert run("unitcosts", "list")["unit_costs"] == [
        {"kind": "repair", "model": None, "unit_cost": "35.20", "currency": "CNY"}
    ]
    with pytest.raises(CommandError, match="travel is not a disposition"):
        run("unitcosts", "set", "travel", "1", "--currency=CNY", "--user", finance.username)
    run("unitcosts", "delete", "repair", "--user", finance.username)
    assert DispositionCost.objects.count() == 0
    provider = ServiceProvider.objects.create(
        name="GZ", party=PartyFactory(party_type="service_partner"), latitude=1, longitude=1
    )
    run(
        "providerrates",
        "set",
        str(provider.pk),
        "--hourly=150",
        "--per-km=2",
        "--currency=CNY",
        "--user",
        finance.username,
    )
    assert ProviderRate.objects.get().hourly_rate == Decimal("150.00")
    assert run("providerrates", "list")["provider_rates"][0]["name"] == "GZ"


def test_the_sweep_from_the_command_line(recall: RecallCase, finance: User) -> None:
    assert run("ledger", "sweep") == {
        "posted": [],
        "waiting": [],
        "message": "0 posted, 0 waiting.",
    }
    assert run("ledger", "due", recall.number, "--user", finance.username)["due"] == []
