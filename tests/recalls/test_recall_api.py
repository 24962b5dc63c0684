"""The recall API: open → evaluate → scope → freeze → impact → transition, errors as JSON,
and who may do what."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.recalls.models import RecallCase
from tests.traceability.scenario import CATH, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = pytest.mark.django_db


@pytest.fixture
def traced(tmp_path: Path) -> None:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted


def test_manager_walks_a_recall_through_the_api(
    traced: None, api_as: Callable[[User | None], APIClient], manager: User
) -> None:
    client = api_as(manager)
    opened = client.post(
        "/api/recalls/",
        {
            "title": "Tip fracture",
            "products": [CATH],
            "reason": "tip detaches",
            "regimes": ["nmpa"],
        },
        format="json",
    )
    assert opened.status_code == 201, opened.json()
    pk = opened.json()["id"]
    assert opened.json()["blocked"]["assessment"] == []
    assert (
        client.post(
            f"/api/recalls/{pk}/transition/", {"target": "assessment"}, format="json"
        ).status_code
        == 200
    )
    refused = client.post(
        f"/api/recalls/{pk}/transition/", {"target": "pending_approval"}, format="json"
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "transition_refused")
    assert refused.json()["details"][0] == "Classify the recall for: China NMPA."
    hazard = client.post(
        f"/api/recalls/{pk}/hazard-evaluation/",
        {"severity": "serious", "likelihood": "probable"},
        format="json",
    )
    assert hazard.json()["regimes"][0]["recall_class"] == "I"
    bad_rule = client.post(
        f"/api/recalls/{pk}/scope-rules/",
        {"kind": "lots", "gtin": CATH, "values": ["NOPE"]},
        format="json",
    )
    assert (bad_rule.status_code, bad_rule.json()["where"]) == (400, "values")
    rule = client.post(
        f"/api/recalls/{pk}/scope-rules/",
        {"kind": "lots", "gtin": CATH, "values": ["C1"]},
        format="json",
    )
    assert rule.status_code == 201
    frozen = client.post(f"/api/recalls/{pk}/scope/freeze/")
    assert (frozen.status_code, frozen.json()["total_units"], frozen.json()["total_holders"]) == (
        201,
        970,
        5,
    )
    impact = client.get(f"/api/recalls/{pk}/impact/").json()
    assert impact["by_category"]["at_customers"] == 70
    version = client.get(f"/api/recalls/{pk}/").json()["version"]
    stale = client.patch(
        f"/api/recalls/{pk}/", {"version": version - 1, "title": "x"}, format="json"
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "concurrent_edit")
    saved = client.patch(
        f"/api/recalls/{pk}/",
        {"version": version, "decision_at": "2025-03-01T10:00:00+08:00"},
        format="json",
    )
    assert saved.status_code == 200
    moved = client.post(
        f"/api/recalls/{pk}/transition/", {"target": "pending_approval"}, format="json"
    )
    assert moved.json()["status"] == "pending_approval"


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        pytest.param(None, 401, 401, id="anonymous"),
        pytest.param(Role.PORTAL, 404, 403, id="portal"),
        pytest.param(Role.FINANCE, 200, 403, id="finance-reads-only"),
        pytest.param(Role.QA_RA_MANAGER, 200, 200, id="qa-ra-manager"),
    ],
)
def test_permission_matrix(
    traced: None,
    api_as: Callable[[User | None], APIClient],
    make_user: Callable[..., User],
    manager: User,
    role: str | None,
    read: int,
    write: int,
) -> None:
    from medrecall.catalog.models import DeviceModel
    from medrecall.parties.models import Party
    from medrecall.recalls import services

    recall = services.recall_open(
        actor=manager, title="t", products=[DeviceModel.objects.get(udi_di=CATH)], reason="r"
    )
    user = None
    if role == Role.PORTAL:
        user = make_user(role, party=Party.objects.get(code="HOSP"))
    elif role:
        user = make_user(role)
    client = api_as(user)
    got = client.get(f"/api/recalls/{recall.pk}/")
    assert got.status_code == (read if role else got.status_code)
    if role is None:
        assert got.status_code == 401
    moved = client.post(
        f"/api/recalls/{recall.pk}/transition/", {"target": "assessment"}, format="json"
    )
    expected_write = 404 if role == Role.PORTAL else write
    if role is None:
        assert moved.status_code == 401
    else:
        assert moved.status_code == expected_write
    recall.refresh_from_db()
    assert recall.status == ("assessment" if write == 200 else "draft")
    assert RecallCase.objects.count() == 1


def test_sign_and_deadlines_through_the_api(
    traced: None, api_as: Callable[[User | None], APIClient], manager: User
) -> None:
    from datetime import UTC, datetime

    from medrecall.catalog.models import DeviceModel
    from medrecall.recalls import services
    from tests.conftest import PASSWORD

    catheter = DeviceModel.objects.get(udi_di=CATH)
    recall = services.recall_open(
        actor=manager,
        title="t",
        products=[catheter],
        reason="r",
        regimes=["nmpa"],
        decision_at=datetime(2025, 3, 1, tzinfo=UTC),
        progress_interval_days=7,
    )
    services.recall_transition(recall=recall, target="assessment", actor=manager)
    services.hazard_evaluate(
        recall=recall, actor=manager, severity="reversible", likelihood="remote"
    )
    services.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=catheter, values=["C1"]
    )
    services.scope_freeze(recall=recall, actor=manager)
    services.recall_transition(recall=recall, target="pending_approval", actor=manager)
    client = api_as(manager)
    wrong = client.post(
        f"/api/recalls/{recall.pk}/sign/",
        {"step": "qa_head", "password": "nope", "username": manager.username},
        format="json",
    )
    assert wrong.status_code == 400
    signed = client.post(
        f"/api/recalls/{recall.pk}/sign/",
        {"step": "qa_head", "password": PASSWORD, "username": manager.username},
        format="json",
    )
    assert signed.status_code == 201, signed.json()
    assert (signed.json()["missing"], signed.json()["signature"]["meaning"]) == ([], "Approved")
    assert signed.json()["signature"]["signed_at"].endswith("+08:00")
    clock = client.get(f"/api/recalls/{recall.pk}/deadlines/").json()
    keys = {row["key"] for row in clock["deadlines"]}
    assert {
        "nmpa.notify_holders",
        "nmpa.event_report",
        "nmpa.recall_plan",
        "nmpa.progress_report",
    } <= keys
    assert (
        client.post(
            f"/api/recalls/{recall.pk}/transition/", {"target": "in_execution"}, format="json"
        ).json()["status"]
        == "in_execution"
    )
