"""Device models by the GTINs a user types (``catalog.selectors.device_models_with_gtins``), one
look-up for the command line and the API; and a frozen scope in brief
(``recalls.selectors.scope_baseline``), one builder for the recall summary and the signed record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.catalog.models import DeviceModel
from medrecall.catalog.selectors import device_models_with_gtins
from medrecall.core.errors import NotFound
from medrecall.recalls import services
from medrecall.recalls.approvals import approval_content
from medrecall.recalls.models import RecallCase, ScopeRule, ScopeSnapshot
from medrecall.recalls.selectors import scope_baseline
from tests.factories import DeviceModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def model(db: None) -> DeviceModel:
    return cast(DeviceModel, DeviceModelFactory(udi_di="06950000000019"))


def test_device_models_are_found_by_gtin_with_or_without_the_leading_zero(
    model: DeviceModel,
) -> None:
    assert device_models_with_gtins(gtins=["6950000000019"]) == [model]
    assert device_models_with_gtins(gtins=["06950000000019", " 6950000000019"]) == [model]


def test_a_gtin_that_is_no_models_is_refused_with_every_such_gtin_named(
    model: DeviceModel,
) -> None:
    with pytest.raises(NotFound) as missing:
        device_models_with_gtins(gtins=["6950000000019", "222", "111"], where="gtin")
    assert (missing.value.message, missing.value.where) == (
        "No device model has GTIN 00000000000111, 00000000000222.",
        "gtin",
    )


def test_the_command_refuses_an_unknown_gtin_and_opens_nothing(
    model: DeviceModel, manager: User
) -> None:
    with pytest.raises(CommandError) as refused:
        call_command(
            "recall", "open", "--title", "Tip", "--gtin", "999", "--user", manager.username
        )
    assert (str(refused.value), refused.value.returncode) == (
        "No device model has GTIN 00000000000999.",
        1,
    )
    assert RecallCase.objects.count() == 0


def test_the_command_refuses_a_scope_rule_on_an_unknown_gtin(
    model: DeviceModel, manager: User
) -> None:
    recall = services.recall_open(
        actor=manager, title="Tip", products=[model], reason="tip", regimes=["nmpa"]
    )
    with pytest.raises(CommandError) as refused:
        call_command(
            "recall",
            "scope",
            recall.number,
            "--kind",
            "lots",
            "--gtin",
            "999",
            "--values",
            "C1",
            "--user",
            manager.username,
        )
    assert (str(refused.value), refused.value.returncode) == (
        "No device model has GTIN 00000000000999.",
        1,
    )
    assert ScopeRule.objects.count() == 0


def test_the_api_answers_an_unknown_gtin_as_an_invalid_body(
    model: DeviceModel, manager: User, api_as: Callable[[User], Any]
) -> None:
    response = api_as(manager).post(
        "/api/recalls/",
        {"title": "Tip", "products": ["999"], "reason": "tip", "regimes": ["nmpa"]},
        format="json",
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "invalid",
            "message": "No device model has GTIN 00000000000999.",
            "where": "products",
        },
    )
    assert RecallCase.objects.count() == 0


def test_scope_baseline_is_none_before_a_freeze_and_the_snapshot_in_brief_after(
    model: DeviceModel, manager: User
) -> None:
    recall = services.recall_open(
        actor=manager, title="Tip", products=[model], reason="tip", regimes=["nmpa"]
    )
    assert (scope_baseline(recall.current_snapshot), approval_content(recall)["scope"]) == (
        None,
        None,
    )
    frozen = ScopeSnapshot(recall=recall, sequence=2, total_units=40, total_holders=3)
    assert scope_baseline(frozen) == {"snapshot": 2, "units": 40, "holders": 3}
