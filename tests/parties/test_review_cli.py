"""``medrecall parties reported|show|verify|merge``: the review from the command line, with
JSON output, a check that changes nothing, and refusals as clear command errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from typing import cast

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.parties.models import Party
from tests.factories import PartyFactory
from tests.parties.test_review_pages import reported_party


def _party(**fields: object) -> Party:
    return cast(Party, PartyFactory(**fields))


pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("parties", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def holder() -> Party:
    return _party(code="B", name="Holder B", party_type="distributor")


@pytest.fixture
def existing() -> Party:
    return _party(code="A", name="Existing A", party_type="hospital")


def test_list_and_show_as_json(holder: Party, existing: Party) -> None:
    first, second = reported_party(holder, 1), reported_party(existing, 2)
    rows = json.loads(run("reported", "--json"))
    assert sorted(
        (r["code"], r["reported_by"], r["review"], r["locations"], r["contacts"]) for r in rows
    ) == [(second.code, "A", "unverified", 1, 1), (first.code, "B", "unverified", 1, 1)]
    assert [r["code"] for r in json.loads(run("reported", "--reported-by", "A", "--json"))] == [
        second.code
    ]
    shown = json.loads(run("show", first.code, "--json"))
    assert (shown["code"], shown["units"], [c["email"] for c in shown["contacts"]]) == (
        first.code,
        [],
        ["typed1@example.com"],
    )


def test_verify_and_merge(holder: Party, existing: Party, manager: User) -> None:
    first, second = reported_party(holder, 1), reported_party(holder, 2)
    assert (
        json.loads(run("verify", first.code, "--user", manager.username, "--json"))["review"]
        == "verified"
    )
    check = json.loads(
        run("merge", second.code, "--into", "A", "--check", "--user", manager.username, "--json")
    )
    assert (
        check["possible"],
        check["blockers"],
        check["locations"],
        check["contacts_not_moved"],
    ) == (True, [], [f"{second.code}-1"], 1)
    second.refresh_from_db()
    assert second.review == "unverified"  # the check changed nothing
    merged = json.loads(
        run(
            "merge",
            second.code,
            "--into",
            "A",
            "--user",
            manager.username,
            "--reason",
            "Same",
            "--json",
        )
    )
    assert (merged["review"], merged["merged_into"]) == ("merged", "A")
    assert AuditEntry.objects.filter(action="parties.reported_merged").count() == 1


def test_refusals_are_command_errors_and_change_nothing(
    holder: Party, existing: Party, manager: User, make_user: Callable[..., User]
) -> None:
    party = reported_party(holder, 1)
    with pytest.raises(CommandError, match="cannot be merged into itself"):
        run("merge", party.code, "--into", party.code, "--user", manager.username)
    with pytest.raises(CommandError, match="There is no party with code NOPE"):
        run("merge", party.code, "--into", "NOPE", "--user", manager.username)
    with pytest.raises(CommandError, match="may not review parties"):
        run("verify", party.code, "--user", make_user(Role.FINANCE).username)
    with pytest.raises(CommandError, match="Party not found"):
        run("verify", "A", "--user", manager.username)
    check = json.loads(
        run("merge", party.code, "--into", "B", "--check", "--user", manager.username, "--json")
    )
    assert check["possible"] is True
    party.refresh_from_db()
    assert party.review == "unverified"
    assert AuditEntry.objects.filter(action__startswith="parties.reported").count() == 0
