"""``medrecall finance quotes …`` and ``medrecall finance refunds …``: the whole path from the
command line with ``--json``, the signed second approval reading ``--password-file``, and
refusals as one clear line with exit status 1."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.finance.models import CostEntry
from medrecall.finance.models_payables import RefundRequest
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.factories import PartyFactory
from tests.finance.payables_world import *  # noqa: F403

pytestmark = pytest.mark.django_db


def finance_cli(*args: str) -> Any:
    out = io.StringIO()
    call_command("finance", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_quotes_from_request_to_award_and_scorecard(finance: User, recall: RecallCase) -> None:
    PartyFactory(code="SF", party_type="carrier")
    PartyFactory(code="DB", party_type="carrier")
    today = timezone.localdate()
    rfq = finance_cli(
        "quotes", "request", recall.number, "--kind", "logistics", "--description", "取回",
        "--quantity", "11", "--region", "广东省", "--due", today.isoformat(), "--user", finance.username,
    )  # fmt: skip
    for vendor, price in (("SF", "900"), ("DB", "700")):
        finance_cli(
            "quotes", "add", rfq["number"], "--vendor", vendor, "--price", price, "--currency", "CNY",
            "--lead-time", "2", "--valid-until", (today + timedelta(days=9)).isoformat(),
            "--user", finance.username,
        )  # fmt: skip
    compared = finance_cli("quotes", "compare", rfq["number"])
    assert [(q["vendor"], q["company_price"]) for q in compared["quotes"]] == [
        ("DB", "700.00"),
        ("SF", "900.00"),
    ]
    with pytest.raises(CommandError, match="Say why this quote is chosen"):
        finance_cli(
            "quotes",
            "award",
            rfq["number"],
            "--vendor",
            "DB",
            "--reason",
            " ",
            "--user",
            finance.username,
        )
    awarded = finance_cli(
        "quotes",
        "award",
        rfq["number"],
        "--vendor",
        "DB",
        "--reason",
        "最便宜",
        "--user",
        finance.username,
    )
    assert (awarded["status"], awarded["awarded_vendor"], awarded["award_reason"]) == (
        "awarded",
        "DB",
        "最便宜",
    )
    card = finance_cli("quotes", "scorecard")
    assert [
        (v["vendor"], v["quoted"], v["quoted_without_cost"], v["actual"], v["no_cost_yet"])
        for v in card["vendors"]
    ] == [("DB", "0.00", "700.00", "0.00", True)]


def test_refunds_from_request_to_a_signed_approval_payment_and_export(
    finance: User, finance2: User, finance3: User, recall: RecallCase, holder: Party, tmp_path: Path
) -> None:
    request = finance_cli(
        "refunds", "request", recall.number, "--holder", holder.code, "--quantity", "8",
        "--unit-price", "1250", "--invoice", "INV-1", "--amount", "10000", "--currency", "CNY",
        "--user", finance.username,
    )  # fmt: skip
    assert (request["status"], request["needs_second_approval"]) == ("requested", True)
    first = finance_cli("refunds", "approve", request["number"], "--user", finance2.username)
    assert first["status"] == "awaiting_second"
    password = tmp_path / "password"
    password.write_text(PASSWORD, encoding="utf-8")
    password.chmod(0o600)
    second = finance_cli(
        "refunds",
        "approve",
        request["number"],
        "--password-file",
        str(password),
        "--user",
        finance3.username,
    )
    assert (second["status"], second["second_approver"]) == ("approved", finance3.username)
    paid = finance_cli(
        "refunds", "pay", request["number"], "--paid-on", "2026-11-30", "--amount", "10000",
        "--method", "bank_transfer", "--reference", "T-1", "--user", finance.username,
    )  # fmt: skip
    assert paid["cost_entry"] == CostEntry.objects.get().number
    output = tmp_path / "ap.csv"
    exported = finance_cli("refunds", "export", "--output", str(output), "--user", finance.username)
    assert exported["payments"] == 1
    again = tmp_path / "again.xlsx"
    finance_cli(
        "refunds", "export", "--batch", exported["batch"], "--format", "xlsx", "--output", str(again),
        "--user", finance.username,
    )  # fmt: skip
    assert again.read_bytes()[:2] == b"PK"
    assert output.read_text(encoding="utf-8-sig").splitlines()[1].split(",")[1] == paid["payment"]
    listed = finance_cli("refunds", "list", "--recall", recall.number, "--status", "paid")
    assert [r["payment"] for r in listed["requests"]] == [paid["payment"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("--quantity", "11"),
            "HOSP-A holds 10 units in the frozen scope of RC-2026-0201; 0 already requested or compensated; 11 asked",
            id="above bought",
        ),
        pytest.param(("--amount", "-1"), "more than zero", id="negative"),
        pytest.param(("--currency", "XXY"), "XXY is not an ISO 4217", id="currency"),
    ],
)
def test_a_refused_request_is_one_clear_line_and_nothing_is_written(
    finance: User, recall: RecallCase, holder: Party, args: tuple[str, ...], message: str
) -> None:
    base = {
        "--quantity": "2",
        "--unit-price": "10",
        "--invoice": "INV-1",
        "--amount": "20",
        "--currency": "CNY",
    }
    base[args[0]] = args[1]
    words = [w for pair in base.items() for w in pair]
    with pytest.raises(CommandError, match=message):
        finance_cli(
            "refunds",
            "request",
            recall.number,
            "--holder",
            holder.code,
            *words,
            "--user",
            finance.username,
        )
    assert not RefundRequest.objects.exists()


def test_an_approval_by_the_requester_is_refused_on_the_command_line(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    request = finance_cli(
        "refunds", "request", recall.number, "--holder", holder.code, "--quantity", "1",
        "--unit-price", "10", "--invoice", "INV-1", "--amount", "10", "--currency", "CNY",
        "--user", finance.username,
    )  # fmt: skip
    with pytest.raises(CommandError, match="another finance user approves it"):
        finance_cli("refunds", "approve", request["number"], "--user", finance.username)
    assert RefundRequest.objects.get().status == "requested"
