"""Early warning as a reviewer reads it: the sidebar entry, a lot already under recall, the
status history, one p-value format, the exposure in words, the thresholds for administrators,
and complaints named by lot alone counting for their lot."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.parties.models import Party
from medrecall.quality import complaints as complaint_services
from medrecall.quality import signal_services, signals
from medrecall.quality.models import Channel, Complaint, Resolution, Signal, SignalKind
from medrecall.recalls.models import ScopeSnapshot
from medrecall.recalls.services import recall_open
from tests.conftest import PASSWORD
from tests.factories import PartyFactory
from tests.quality.signal_world import (
    AS_OF,
    PROBLEM_WEEKS,
    background,
    recall_frozen_on,
    world_build,
)

pytestmark = pytest.mark.django_db
PROBLEM = PROBLEM_WEEKS


def _client(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_sidebar_links_the_signals_page_and_highlights_one_item(manager: User) -> None:
    client = _client(manager)

    page = client.get(reverse("web:quality-signals")).content.decode()

    assert '<a href="/quality/signals/" aria-current="page">Early-warning signals</a>' in page
    assert page.count('aria-current="page"') == 1


def test_sidebar_on_complaints_highlights_complaints_only(manager: User) -> None:
    page = _client(manager).get(reverse("web:quality-complaints")).content.decode()

    assert page.count('aria-current="page"') == 1
    assert '<a href="/quality/complaints/" aria-current="page">' in page


def test_sidebar_hides_signals_from_portal_users(make_user: Callable[..., User]) -> None:
    portal = _client(make_user(Role.PORTAL, party=PartyFactory()))

    page = portal.get(reverse("web:portal-complaints")).content.decode()

    assert "/quality/signals/" not in page


def test_lot_signal_says_the_lot_is_already_under_recall(raised: Signal, manager: User) -> None:
    number = recall_frozen_on(raised, manager, raised.lot, units=420).number
    client = _client(manager)

    page = client.get(reverse("web:quality-signal", args=[raised.pk])).content.decode()
    api = APIClient()
    api.force_authenticate(manager)
    detail = api.get(f"/api/quality/signals/{raised.pk}/").json()

    assert "This lot is already under recall:" in page
    recall_pk = ScopeSnapshot.objects.get().recall_id
    assert f'<a href="/recalls/{recall_pk}/">{number}</a>' in page
    assert detail["under_recall"] == [number]


def test_lot_signal_without_recall_says_nothing_of_one(raised: Signal, manager: User) -> None:
    page = _client(manager).get(reverse("web:quality-signal", args=[raised.pk])).content.decode()

    assert 'id="signal-under-recall"' not in page


def test_status_history_lists_who_did_what_when_and_why(raised: Signal, manager: User) -> None:
    signal_services.signal_review(signal=raised, actor=manager)
    signal_services.signal_dismiss(signal=raised, actor=manager, reason="Known labelling error")
    signal_services.signal_reopen(signal=raised, actor=manager, reason="Two more complaints")

    rows = signals.history(raised)
    api = APIClient()
    api.force_authenticate(manager)
    detail = api.get(f"/api/quality/signals/{raised.pk}/").json()
    page = _client(manager).get(reverse("web:quality-signal", args=[raised.pk])).content.decode()

    assert [(r["code"], r["from"], r["to"], r["reason"], r["by"]) for r in rows] == [
        ("quality.signal_reviewed", "New", "Under review", "", manager.username),
        (
            "quality.signal_dismissed",
            "Under review",
            "Dismissed",
            "Known labelling error",
            manager.username,
        ),
        (
            "quality.signal_reopened",
            "Dismissed",
            "Under review",
            "Two more complaints",
            manager.username,
        ),
    ]
    assert [h["status_to"] for h in detail["history"]] == [
        "Under review",
        "Dismissed",
        "Under review",
    ]
    assert [h["reason"] for h in detail["history"]] == [
        "",
        "Known labelling error",
        "Two more complaints",
    ]
    assert page.count("Two more complaints") == 1
    assert "Early-warning signal dismissed" in page


def test_status_history_names_the_recall_linked(raised: Signal, manager: User) -> None:
    recall = recall_open(actor=manager, title="Leak", products=[raised.device_model], reason="x")

    signal_services.signal_link(signal=raised, actor=manager, recall=recall)

    assert [(r["code"], r["recall"], r["capa"]) for r in signals.history(raised)] == [
        ("quality.signal_linked", recall.number, None)
    ]


def test_new_signal_has_an_empty_history(raised: Signal, manager: User) -> None:
    page = _client(manager).get(reverse("web:quality-signal", args=[raised.pk])).content.decode()

    assert signals.history(raised) == []
    assert "Nobody has changed the signal's status yet." in page


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0123456, "0.012"), (0.5, "0.500"), (0.000012345, "1.2e-05"), (0.001, "0.001")],
)
def test_p_value_text(value: float, text: str) -> None:
    assert signals.p_text(value) == text


def test_p_values_read_the_same_on_page_list_and_explanation(raised: Signal, manager: User) -> None:
    raised.p_value, raised.q_value = 0.000012345, 0.0004321
    raised.save()
    client = _client(manager)

    page = client.get(reverse("web:quality-signal", args=[raised.pk])).content.decode()
    listed = client.get(reverse("web:quality-signals")).content.decode()
    out = StringIO()
    call_command("quality", "signals", "--json", stdout=out)
    answer = json.loads(out.getvalue())["signals"]

    assert '<td id="signal-p">4.3e-04 (raw p 1.2e-05)</td>' in page
    assert "<td>4.3e-04</td>" in listed
    assert "Adjusted p = 4.3e-04 (for the number of lots and models tested; raw p = 1.2e-05)" in (
        signals.explain(raised)
    )
    with translation.override("zh-hans"):
        assert "校正 p 值 = 4.3e-04（按受检批号和型号数量校正；原始 p 值 = 1.2e-05）" in (
            signals.explain(raised)
        )
        chinese = client.get(
            reverse("web:quality-signal", args=[raised.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
    assert "4.3e-04（原始 p 值 1.2e-05）" in chinese
    assert [s["p_value"] for s in answer if s["kind"] == "lot"] == [0.000012345]


def test_exposure_is_explained_in_words(raised: Signal, manager: User) -> None:
    api = APIClient()
    api.force_authenticate(manager)

    page = _client(manager).get(reverse("web:quality-signal", args=[raised.pk])).content.decode()
    detail = api.get(f"/api/quality/signals/{raised.pk}/").json()

    assert detail["exposure"].startswith(
        "Units shipped (500) are the units in the field at the end of the window: shipped from "
        "our own sites to customers, minus those returned to our own sites."
    )
    assert "unit-week" in detail["exposure"]
    assert 'id="signal-exposure"' in page
    assert "A recall&#x27;s scope counts something else" in page


def test_exposure_in_chinese(raised: Signal, make_user: Callable[..., User]) -> None:
    api = APIClient()
    api.force_authenticate(make_user(Role.VIEWER))

    detail = api.get(f"/api/quality/signals/{raised.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()

    assert detail["exposure"].startswith("已发货数量（500）")
    assert detail["history"] == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ADMINISTRATOR, 200),
        (Role.QA_RA_MANAGER, 200),
        (Role.VIEWER, 200),
        ("portal", 403),
    ],
)
def test_policy_api_answers_administrators(
    make_user: Callable[..., User], role: str, status: int
) -> None:
    user = make_user(Role.PORTAL, party=PartyFactory()) if role == "portal" else make_user(role)
    api = APIClient()
    api.force_authenticate(user)

    response = api.get("/api/quality/signals/policy/")

    assert response.status_code == status
    if status == 200:
        assert response.json()["min_complaints"] == 3


def test_administrator_still_may_not_read_signals(make_user: Callable[..., User]) -> None:
    api = APIClient()
    api.force_authenticate(make_user(Role.ADMINISTRATOR))

    assert api.get("/api/quality/signals/").status_code == 403


def _by_lot_alone(lot_number: str, days_before: list[int]) -> list[Complaint]:
    return [
        complaint_services.complaint_receive(
            actor="test",
            channel=Channel.EMAIL,
            description="Leak at the hub",
            holder=Party.objects.get(code="EW-H"),
            reference=f"LOT-ONLY-{d}",
            aware_at=datetime.combine(AS_OF - timedelta(days=d), time(3), tzinfo=UTC),
            unit=complaint_services.UnitGiven(lot=lot_number),
        )
        for d in days_before
    ]


def test_complaint_named_by_lot_alone_resolves_its_device_model() -> None:
    built = world_build(models=1, lots=2)
    lot = built.lots[0][1]

    [complaint] = _by_lot_alone(lot.number, [3])

    assert complaint.resolution == Resolution.RESOLVED
    assert (complaint.device_model, complaint.lot) == (lot.device_model, lot)
    assert (complaint.gtin_text, complaint.lot_text) == ("", lot.number)


def test_complaint_named_by_a_lot_number_two_models_share_stays_unknown() -> None:
    first = world_build(models=1, lots=1, prefix="A")
    second = world_build(models=1, lots=1, prefix="B")
    shared = second.lots[0][0]
    shared.number = first.lots[0][0].number
    shared.save()

    [complaint] = _by_lot_alone(shared.number, [3])

    assert complaint.resolution == Resolution.UNKNOWN_MODEL
    assert (complaint.device_model, complaint.lot, complaint.lot_text) == (None, None, "A0-00")


def test_complaints_by_lot_alone_raise_the_lot_signal() -> None:
    built = world_build(models=1)
    background(built)
    _by_lot_alone(built.lots[0][5].number, PROBLEM)

    signal_services.signals_detect(as_of=AS_OF)

    lot_signal = Signal.objects.get(kind=SignalKind.LOT)
    assert (lot_signal.lot, lot_signal.complaints_count) == (built.lots[0][5], 10)
