"""The grouping period, the minimum number of holders and the baseline prior are fields of the
early-warning policy (they were settings): their defaults, the detector reading them, changing
them in the admin, the API and the command, and refusals naming the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.quality import signal_services, signals
from medrecall.quality.errors import SignalInvalid
from medrecall.quality.models import SignalPolicy
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_FIELDS = ("cluster_days", "min_holders", "prior_complaints")


def _stored() -> tuple[int, int, Decimal]:
    policy = SignalPolicy.objects.get(pk=signals.policy().pk)
    return (policy.cluster_days, policy.min_holders, policy.prior_complaints)


def test_defaults_are_the_former_settings_defaults_and_the_settings_are_gone() -> None:
    limits = signals.Thresholds.of(signals.policy())

    assert _stored() == (3, 1, Decimal("1.00"))
    assert (limits.cluster_days, limits.min_holders, limits.prior_complaints) == (3, 1, 1.0)
    assert not [name for name in dir(settings) if name.startswith("MEDRECALL_SIGNAL_")]


def test_the_detector_reads_the_policy_fields() -> None:
    SignalPolicy.objects.filter(pk=signals.policy().pk).update(
        cluster_days=0, min_holders=4, prior_complaints=Decimal("2.50")
    )

    limits = signals.Thresholds.of(signals.policy())

    assert (limits.cluster_days, limits.min_holders, limits.prior_complaints) == (0, 4, 2.5)


def test_update_changes_them_with_one_audit_entry(manager: User) -> None:
    signal_services.signal_policy_update(
        actor=manager, cluster_days=7, min_holders=2, prior_complaints="0.5"
    )

    assert _stored() == (7, 2, Decimal("0.50"))
    entry = AuditEntry.objects.get(action="quality.signal_policy_changed")
    assert entry.changes == {
        "cluster_days": ["3", "7"],
        "min_holders": ["1", "2"],
        "prior_complaints": ["1.00", "0.50"],
    }


@pytest.mark.parametrize(
    ("values", "where", "message"),
    [
        pytest.param(
            {"min_holders": 0},
            "min_holders",
            "minimum holders: Ensure this value is greater than or equal to 1.",
            id="holders-zero",
        ),
        pytest.param(
            {"min_holders": 2.5},
            "min_holders",
            "minimum holders: 2.5 is not a whole number.",
            id="holders-fraction",
        ),
        pytest.param(
            {"cluster_days": -1},
            "cluster_days",
            "grouping period (days): Ensure this value is greater than or equal to 0.",
            id="days-negative",
        ),
        pytest.param(
            {"cluster_days": "three"},
            "cluster_days",
            "grouping period (days): three is not a whole number.",
            id="days-text",
        ),
        pytest.param(
            {"prior_complaints": "-1"},
            "prior_complaints",
            "baseline prior (complaints): Ensure this value is greater than or equal to 0.00.",
            id="prior-negative",
        ),
        pytest.param(
            {"prior_complaints": "lots"},
            "prior_complaints",
            "baseline prior (complaints): lots is not a number.",
            id="prior-text",
        ),
    ],
)
def test_bad_values_refused_naming_the_field_nothing_changed(
    manager: User, values: dict[str, object], where: str, message: str
) -> None:
    signals.policy()

    with pytest.raises(SignalInvalid) as refused:
        signal_services.signal_policy_update(actor=manager, **values)

    assert (refused.value.where, refused.value.message) == (where, message)
    assert _stored() == (3, 1, Decimal("1.00"))
    assert not AuditEntry.objects.filter(action="quality.signal_policy_changed").exists()


def test_bad_value_refused_in_chinese(manager: User) -> None:
    with translation.override("zh-hans"), pytest.raises(SignalInvalid) as refused:
        signal_services.signal_policy_update(actor=manager, min_holders="x")

    assert refused.value.message == "最少持有方数：x 不是整数。"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        pytest.param(Role.ADMINISTRATOR, 200, id="administrator"),
        pytest.param(Role.QA_RA_MANAGER, 200, id="qa-ra-manager"),
        pytest.param(Role.TRACEABILITY_ANALYST, 403, id="analyst-reads-only"),
        pytest.param(Role.VIEWER, 403, id="viewer"),
        pytest.param(Role.PORTAL, 403, id="portal"),
    ],
)
def test_api_patch_changes_the_new_fields(
    make_user: Callable[..., User], role: str, status: int
) -> None:
    api = APIClient()
    api.force_authenticate(make_user(role))

    response = api.patch(
        "/api/quality/signals/policy/",
        {"cluster_days": 5, "min_holders": 2, "prior_complaints": "0.50"},
        format="json",
    )

    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert (body["cluster_days"], body["min_holders"], body["prior_complaints"]) == (
            5,
            2,
            "0.50",
        )
        assert "within 5 days" in body["description"]
        assert "at least 2 holders" in body["description"]
        assert _stored() == (5, 2, Decimal("0.50"))
    else:
        assert _stored() == (3, 1, Decimal("1.00"))


def test_api_patch_refuses_a_bad_value_400_naming_the_field(
    make_user: Callable[..., User],
) -> None:
    api = APIClient()
    api.force_authenticate(make_user(Role.ADMINISTRATOR))

    response = api.patch("/api/quality/signals/policy/", {"min_holders": 0}, format="json")

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["where"]) == ("signal_invalid", "min_holders")
    assert response.json()["message"] == (
        "minimum holders: Ensure this value is greater than or equal to 1."
    )
    assert _stored() == (3, 1, Decimal("1.00"))


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.QA_RA_MANAGER])
def test_command_shows_and_changes_the_policy(make_user: Callable[..., User], role: str) -> None:
    admin = make_user(role)
    out = StringIO()

    call_command(
        "quality",
        "signal-policy",
        "--cluster-days",
        "0",
        "--min-holders",
        "2",
        "--prior-complaints",
        "1.5",
        "--user",
        admin.username,
        "--json",
        stdout=out,
    )

    answer = json.loads(out.getvalue())
    assert {name: answer["policy"][name] for name in NEW_FIELDS} == {
        "cluster_days": 0,
        "min_holders": 2,
        "prior_complaints": "1.50",
    }
    assert answer["changed"] == ["cluster_days", "min_holders", "prior_complaints"]
    assert _stored() == (0, 2, Decimal("1.50"))


@pytest.mark.parametrize("role", [Role.VIEWER, Role.TRACEABILITY_ANALYST])
def test_command_refuses_a_user_who_may_not_change_it(
    make_user: Callable[..., User], role: str
) -> None:
    user = make_user(role)
    with pytest.raises(CommandError, match=r"needs the permission quality\.change_signalpolicy"):
        call_command("quality", "signal-policy", "--min-holders", "2", "--user", user.username)

    assert _stored() == (3, 1, Decimal("1.00"))


def test_command_refuses_a_bad_value_naming_the_field(make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMINISTRATOR)

    with pytest.raises(CommandError, match=r"^minimum holders: 0\.5 is not a whole number\.$"):
        call_command("quality", "signal-policy", "--min-holders", "0.5", "--user", admin.username)

    assert _stored() == (3, 1, Decimal("1.00"))


def test_admin_change_form_edits_the_new_fields(make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client = Client()
    assert client.login(username=admin.username, password=PASSWORD)
    pk = signals.policy().pk

    page = client.get(f"/admin/quality/signalpolicy/{pk}/change/").content.decode()

    for name in NEW_FIELDS:
        assert f'name="{name}"' in page
