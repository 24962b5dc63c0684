"""Early warning through the API, the pages and the command: who may read and act, the
complaints behind a signal, and list pages whose query count does not grow with the signals."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.parties.models import Party
from medrecall.quality import signal_services
from medrecall.quality.models import Signal, SignalKind, SignalStatus
from tests.conftest import PASSWORD
from tests.factories import PartyFactory
from tests.quality.signal_world import AS_OF, background, complaints_add, world_build

pytestmark = pytest.mark.django_db
PROBLEM = [3, 10, 17, 24, 31, 38, 45, 52]


@pytest.fixture
def raised() -> Signal:
    built = world_build(models=1)
    background(built)
    complaints_add(built.lots[0][5], PROBLEM)
    signal_services.signals_detect(as_of=AS_OF)
    return Signal.objects.get(kind=SignalKind.LOT)


def _more_signals(n: int) -> None:
    """``n`` more models, each with one problem lot: ``2n`` more signals (lot and model)."""
    for i in range(n):
        built = world_build(models=1, lots=6, prefix=f"MORE{i}")
        background(built)
        complaints_add(built.lots[0][1], PROBLEM)
    signal_services.signals_detect(as_of=AS_OF)


def _client(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _count(client: Client | APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_api_list_and_detail_explain_the_signal_with_its_complaints(
    raised: Signal, api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    client = api_as(make_user(Role.VIEWER))

    listed = client.get("/api/quality/signals/").json()
    detail = client.get(f"/api/quality/signals/{raised.pk}/").json()

    assert [(r["kind"], r["lot"]) for r in listed["results"]] == [
        ("lot", "EW0-05"),
        ("model", None),
    ] or [(r["kind"], r["lot"]) for r in listed["results"]] == [("model", None), ("lot", "EW0-05")]
    assert detail["complaints_count"] == 10
    assert len(detail["complaints"]) == 10
    assert {c["lot"] for c in detail["complaints"]} == {"EW0-05"}
    assert detail["explanation"].startswith("Lot EW0-05 of EW-M0 ")
    assert "4.9 times the baseline" in detail["explanation"]
    assert detail["actions"] == ["review", "dismiss", "link"]


def test_api_explanation_in_chinese(
    raised: Signal, api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    client = api_as(make_user(Role.VIEWER))

    detail = client.get(f"/api/quality/signals/{raised.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()

    assert detail["explanation"].startswith("EW-M0 ")
    assert "批号 EW0-05" in detail["explanation"]
    assert "是基线的 4.9 倍" in detail["explanation"]


@pytest.mark.parametrize(
    ("who", "read", "act"),
    [
        ("anonymous", 401, 401),
        ("portal", 403, 403),
        (Role.VIEWER, 200, 403),
        (Role.CUSTOMER_SERVICE, 200, 403),
        (Role.QA_RA_MANAGER, 200, 200),
    ],
)
def test_api_permissions(
    raised: Signal,
    api_client: APIClient,
    make_user: Callable[..., User],
    who: str,
    read: int,
    act: int,
) -> None:
    if who == "portal":
        api_client.force_authenticate(make_user(Role.PORTAL, party=PartyFactory()))
    elif who != "anonymous":
        api_client.force_authenticate(make_user(who))

    assert api_client.get("/api/quality/signals/").status_code == read
    assert api_client.get(f"/api/quality/signals/{raised.pk}/").status_code == read
    response = api_client.post(f"/api/quality/signals/{raised.pk}/review/")

    assert response.status_code == act
    expected = SignalStatus.UNDER_REVIEW if act == 200 else SignalStatus.NEW
    assert Signal.objects.get(pk=raised.pk).status == expected


def test_api_dismiss_without_reason_is_refused_and_changes_nothing(
    raised: Signal, api_as: Callable[[User | None], APIClient], manager: User
) -> None:
    client = api_as(manager)

    refused = client.post(f"/api/quality/signals/{raised.pk}/dismiss/", {"reason": ""})
    done = client.post(
        f"/api/quality/signals/{raised.pk}/dismiss/", {"reason": "Returns entered twice"}
    )
    again = client.post(f"/api/quality/signals/{raised.pk}/dismiss/", {"reason": "x"})

    assert (refused.status_code, refused.json()["code"]) == (400, "signal_invalid")
    assert done.json()["status"] == "dismissed"
    assert (again.status_code, again.json()["code"]) == (409, "signal_action_refused")
    assert AuditEntry.objects.filter(action="quality.signal_dismissed").count() == 1


def test_api_link_to_an_unknown_capa_is_invalid(
    raised: Signal, api_as: Callable[[User | None], APIClient], manager: User
) -> None:
    response = api_as(manager).post(
        f"/api/quality/signals/{raised.pk}/link/", {"capa": "CAPA-2026-9999"}
    )

    assert response.status_code == 400
    assert Signal.objects.get(pk=raised.pk).status == SignalStatus.NEW


def test_api_detect_and_policy(api_as: Callable[[User | None], APIClient], manager: User) -> None:
    built = world_build(models=1)
    background(built)
    client = api_as(manager)

    run = client.post("/api/quality/signals/detect/").json()
    policy = client.get("/api/quality/signals/policy/").json()

    assert (run["raised"], run["active"], run["lots"]) == (0, 0, 8)
    assert (policy["min_complaints"], policy["significance"], policy["min_ratio"]) == (
        3,
        "0.0100",
        "2.00",
    )


@pytest.mark.parametrize("url", ["/api/quality/signals/", "/api/quality/dashboard/"])
def test_api_list_query_count_constant(
    raised: Signal, api_as: Callable[[User | None], APIClient], manager: User, url: str
) -> None:
    client = api_as(manager)
    client.get(url)  # the user's permissions are read once, then cached on the user
    few = _count(client, url)

    _more_signals(3)

    assert Signal.objects.filter(active=True).count() == 8
    assert _count(client, url) == few


@pytest.mark.parametrize("name", ["web:quality-signals", "web:quality-dashboard"])
def test_pages_query_count_constant(raised: Signal, manager: User, name: str) -> None:
    client = _client(manager)
    few = _count(client, reverse(name))

    _more_signals(3)

    assert _count(client, reverse(name)) == few


def test_page_dismiss_with_reason(raised: Signal, manager: User) -> None:
    client = _client(manager)
    page = client.get(reverse("web:quality-signal", args=[raised.pk])).content.decode()

    client.post(
        reverse("web:quality-signal-action", args=[raised.pk, "dismiss"]),
        {"reason": "Known labelling error"},
    )

    assert len(re.findall(r'href="/quality/complaints/[0-9]+/"', page)) == 10
    signal = Signal.objects.get(pk=raised.pk)
    assert (signal.status, signal.dismissed_reason) == ("dismissed", "Known labelling error")


def test_pages_hidden_from_portal_users_and_read_only_for_viewers(
    raised: Signal, make_user: Callable[..., User]
) -> None:
    portal = _client(make_user(Role.PORTAL, party=Party.objects.get(code="EW-H")))
    viewer = _client(make_user(Role.VIEWER))

    assert portal.get(reverse("web:quality-signals")).status_code == 404
    assert portal.get(reverse("web:quality-signal", args=[raised.pk])).status_code == 404
    page = viewer.get(reverse("web:quality-signal", args=[raised.pk])).content.decode()
    refused = viewer.post(
        reverse("web:quality-signal-action", args=[raised.pk, "dismiss"]), {"reason": "x"}
    )

    assert 'id="signal-dismiss"' not in page
    assert refused.status_code == 403
    assert Signal.objects.get(pk=raised.pk).status == SignalStatus.NEW


def test_command_detects_and_lists(make_user: Callable[..., User]) -> None:
    built = world_build(models=1)
    background(built)
    complaints_add(built.lots[0][2], PROBLEM)
    out = StringIO()

    call_command("quality", "signals", "--detect", "--json", stdout=out)

    answer = json.loads(out.getvalue())
    assert answer["detection"]["lots"] == 8
    assert [(s["kind"], s["lot"], s["complaints"]) for s in answer["signals"]] in (
        [("lot", "EW0-02", 10), ("model", None, 16)],
        [("model", None, 16), ("lot", "EW0-02", 10)],
    )


@pytest.mark.parametrize(
    ("method", "url"),
    [
        pytest.param("get", "/quality/signals/999999/", id="detail"),
        pytest.param("post", "/quality/signals/999999/dismiss/", id="dismiss"),
    ],
)
def test_a_missing_signal_page_is_404(
    method: str, url: str, client: Client, make_user: Callable[..., User]
) -> None:
    client.force_login(make_user(Role.QA_RA_MANAGER))
    response = getattr(client, method)(url, {"reason": "x"} if method == "post" else None)
    assert response.status_code == 404
