"""The command line's look-ups (``cli.lookups``) answer what the contexts' selectors answer and
turn their ``NotFound`` into a command error: the same translated message, exit status 1."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from medrecall.accounts import selectors as accounts
from medrecall.accounts.models import User
from medrecall.catalog.models import DeviceModel
from medrecall.cli import lookups
from medrecall.core.errors import NotFound
from medrecall.parties.models import Party
from medrecall.recalls import selectors as recalls
from medrecall.recalls import services
from medrecall.recalls.models import RecallCase
from tests.factories import DeviceModelFactory, PartyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def recall(manager: User) -> RecallCase:
    return services.recall_open(
        actor=manager,
        title="Tip fracture",
        products=[cast(DeviceModel, DeviceModelFactory())],
        reason="tip",
        regimes=["nmpa"],
        decision_at=datetime(2025, 3, 1, tzinfo=UTC),
    )


def test_the_commands_find_what_the_selectors_find(recall: RecallCase, manager: User) -> None:
    party = cast(Party, PartyFactory(code="HOSP"))
    assert lookups.party_coded("HOSP") == party
    assert lookups.recall_numbered(recall.number) == recall
    assert lookups.user_named(manager.username) == manager


@pytest.mark.parametrize(
    ("lookup", "key", "message"),
    [
        (lookups.party_coded, "NOPE", "There is no party with code NOPE."),
        (lookups.recall_numbered, "R-NOPE", "There is no recall numbered R-NOPE."),
        (lookups.user_named, "nobody", "Give --user: the account this action is recorded under."),
        (lookups.user_named, "", "Give --user: the account this action is recorded under."),
    ],
)
def test_a_miss_is_a_command_error_with_exit_status_1(lookup: Any, key: str, message: str) -> None:
    with pytest.raises(CommandError) as refused:
        lookup(key)
    assert (str(refused.value), refused.value.returncode) == (message, 1)
    assert isinstance(refused.value.__cause__, NotFound)


def test_a_miss_is_told_in_the_language_of_the_command() -> None:
    with translation.override("zh-hans"), pytest.raises(CommandError) as refused:
        lookups.party_coded("NOPE")
    assert str(refused.value) == "没有代码为 NOPE 的相关方。"


def test_recall_numbered_refuses_with_the_number(recall: RecallCase) -> None:
    assert recalls.recall_numbered(number=recall.number) == recall
    with pytest.raises(NotFound) as missing:
        recalls.recall_numbered(number=recall.number.lower())
    assert missing.value.as_dict() == {
        "code": "not_found",
        "message": f"There is no recall numbered {recall.number.lower()}.",
        "where": "recall",
    }


def test_user_named_refuses_with_the_user_name(manager: User) -> None:
    assert accounts.user_named(username=manager.username) == manager
    with pytest.raises(NotFound) as missing:
        accounts.user_named(username="nobody")
    assert missing.value.as_dict() == {
        "code": "not_found",
        "message": "There is no user nobody.",
        "where": "user",
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["recall", "show"], "Give the recall number (e.g. RC-2026-0001)."),
        (["recall", "deadlines"], "Give the recall number (e.g. RC-2026-0001)."),
        (["notices", "timeline"], "Give the party code."),
    ],
)
def test_a_command_given_no_number_or_code_asks_for_it(arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError) as refused:
        call_command(*arguments)

    assert (str(refused.value), refused.value.returncode) == (message, 1)
