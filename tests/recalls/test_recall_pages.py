"""Recall pages: open, evaluate, classify, scope, freeze, impact export and transitions."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from medrecall.catalog.models import DeviceModel
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.traceability.scenario import CATH, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = pytest.mark.django_db


def test_manager_runs_the_case_through_the_pages(tmp_path: Path, manager: object) -> None:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    client = Client()
    client.login(username=manager.username, password=PASSWORD)  # type: ignore[attr-defined]
    catheter = DeviceModel.objects.get(udi_di=CATH)
    response = client.post(
        "/recalls/new/",
        {
            "title": "Tip fracture",
            "products": [catheter.pk],
            "reason": "tip",
            "regimes": ["nmpa"],
            "action_type": "removal",
            "initiation": "voluntary",
            "depth": "user",
        },
    )
    recall = RecallCase.objects.get()
    assert response["Location"] == f"/recalls/{recall.pk}/"
    page = client.get(f"/recalls/{recall.pk}/").content.decode()
    assert "recall-pipeline" in page
    assert "Tip fracture" in page
    client.post(
        f"/recalls/{recall.pk}/hazard/",
        {
            "severity": "reversible",
            "likelihood": "remote",
            "injuries_reported": 0,
            "deaths_reported": 0,
        },
    )
    assert recall.regimes.get().recall_class == "II"
    refused = client.post(
        f"/recalls/{recall.pk}/classify/", {"regime": "nmpa", "recall_class": "I"}, follow=True
    )
    assert "proposes II" in refused.content.decode()
    client.post(
        f"/recalls/{recall.pk}/scope/rules/",
        {"kind": "lots", "device_model": catheter.pk, "values": "C1"},
    )
    frozen = client.post(f"/recalls/{recall.pk}/scope/freeze/", follow=True).content.decode()
    assert "970" in frozen
    assert "impact-holders-table" in frozen
    export = client.get(f"/recalls/{recall.pk}/impact.xlsx")
    assert export.status_code == 200
    assert export.content[:2] == b"PK"
    blocked = client.post(
        f"/recalls/{recall.pk}/transition/", {"target": "closed"}, follow=True
    ).content.decode()
    assert "cannot go from Draft to Closed" in blocked
    client.post(f"/recalls/{recall.pk}/transition/", {"target": "assessment"})
    recall.refresh_from_db()
    assert recall.status == "assessment"
    assert "recalls.transition" in client.get(f"/recalls/{recall.pk}/").content.decode()


def test_viewer_sees_but_cannot_act(make_user: object, manager: object) -> None:
    from medrecall.accounts.roles import Role
    from medrecall.recalls import services

    recall = services.recall_open(actor=manager, title="t", products=[])
    viewer = make_user(Role.VIEWER)  # type: ignore[operator]
    client = Client()
    client.login(username=viewer.username, password=PASSWORD)
    page = client.get(f"/recalls/{recall.pk}/").content.decode()
    assert "recall-next" not in page
    client.post(f"/recalls/{recall.pk}/transition/", {"target": "cancelled", "reason": "x"})
    recall.refresh_from_db()
    assert recall.status == "draft"
