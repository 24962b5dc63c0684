"""What a new user's walk through the early-warning pages found: a signal linked to a recall
that does not cover its lot or model, party codes and user names where people read names, and
"Active only" listing decided signals."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import Lot
from medrecall.parties.models import Party
from medrecall.quality import signal_services, signals
from medrecall.quality.errors import SignalInvalid
from medrecall.quality.models import Signal, SignalKind, SignalStatus
from medrecall.recalls.services import recall_open
from tests.conftest import PASSWORD
from tests.factories import DeviceModelFactory
from tests.quality.signal_world import (
    AS_OF,
    PROBLEM_WEEKS,
    recall_frozen_on,
    world_build,
)

pytestmark = pytest.mark.django_db
PROBLEM = PROBLEM_WEEKS


def _client(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _lot(signal: Signal, index: int) -> Lot:
    """The signal's device model's lot at ``index`` by number."""
    return signal.device_model.lots.order_by("number")[index]


def _unchanged(signal: Signal) -> tuple[str, int | None, int]:
    fresh = Signal.objects.get(pk=signal.pk)
    return (
        fresh.status,
        fresh.recall_id,
        AuditEntry.objects.filter(action="quality.signal_linked").count(),
    )


def test_link_refuses_a_recall_whose_frozen_scope_lacks_the_lot(
    raised: Signal, manager: User
) -> None:
    assert raised.lot is not None
    assert raised.lot.number == "EW0-05"
    other = recall_frozen_on(raised, manager, _lot(raised, 2))

    with pytest.raises(SignalInvalid) as refused:
        signal_services.signal_link(signal=raised, actor=manager, recall=other)

    assert refused.value.message == (
        f"Recall {other.number} does not cover lot EW0-05: its frozen scope does not hold the lot."
    )
    assert refused.value.where == "recall"
    assert _unchanged(raised) == (SignalStatus.NEW, None, 0)


def test_link_refuses_a_recall_of_another_model(raised: Signal, manager: User) -> None:
    elsewhere = recall_open(
        actor=manager, title="Other", products=[DeviceModelFactory(model_code="XX-9")], reason="x"
    )

    with pytest.raises(SignalInvalid) as refused:
        signal_services.signal_link(signal=raised, actor=manager, recall=elsewhere)

    assert refused.value.message == (
        f"Recall {elsewhere.number} does not cover lot EW0-05: its scope is not frozen yet and "
        "its products do not include EW-M0."
    )
    assert _unchanged(raised) == (SignalStatus.NEW, None, 0)


def test_link_accepts_the_recall_whose_frozen_scope_holds_the_lot(
    raised: Signal, manager: User
) -> None:
    covering = recall_frozen_on(raised, manager, _lot(raised, 5))

    signal_services.signal_link(signal=raised, actor=manager, recall=covering)

    assert _unchanged(raised) == (SignalStatus.LINKED, covering.pk, 1)


def test_model_signal_link_refuses_a_recall_of_another_model(manager: User) -> None:
    built = world_build(models=1)
    signal = Signal.objects.create(
        kind=SignalKind.MODEL,
        device_model=built.models[0],
        complaints_count=9,
        units=4000,
        expected=2.0,
        rate_per_1000=2.25,
        baseline_per_1000=0.5,
        ratio=4.5,
        p_value=0.0001,
        q_value=0.0005,
        since=AS_OF,
        window_start=AS_OF,
        window_end=AS_OF,
        first_detected_at="2026-11-30T00:00:00Z",
        last_detected_at="2026-11-30T00:00:00Z",
    )
    elsewhere = recall_open(
        actor=manager, title="Other", products=[DeviceModelFactory(model_code="XX-8")], reason="x"
    )

    with pytest.raises(SignalInvalid) as refused:
        signal_services.signal_link(signal=signal, actor=manager, recall=elsewhere)

    assert refused.value.message == (
        f"Recall {elsewhere.number} does not cover device model EW-M0: neither its products nor "
        "its frozen scope include it."
    )
    assert _unchanged(signal) == (SignalStatus.NEW, None, 0)


def test_web_link_to_a_recall_not_covering_the_lot_is_refused(
    raised: Signal, manager: User
) -> None:
    other = recall_frozen_on(raised, manager, _lot(raised, 2))

    response = _client(manager).post(
        reverse("web:quality-signal-action", args=[raised.pk, "link"]),
        {"recall": other.number},
        follow=True,
    )

    assert (
        f"Recall {other.number} does not cover lot EW0-05: its frozen scope does not hold the lot."
        in response.content.decode()
    )
    assert "Signal linked." not in response.content.decode()
    assert _unchanged(raised) == (SignalStatus.NEW, None, 0)


def test_api_link_to_a_recall_not_covering_the_lot_is_refused(
    raised: Signal, manager: User, api_as: Callable[[User | None], APIClient]
) -> None:
    other = recall_frozen_on(raised, manager, _lot(raised, 2))

    response = api_as(manager).post(
        f"/api/quality/signals/{raised.pk}/link/", {"recall": other.number}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "signal_invalid"
    assert response.json()["message"] == (
        f"Recall {other.number} does not cover lot EW0-05: its frozen scope does not hold the lot."
    )
    assert _unchanged(raised) == (SignalStatus.NEW, None, 0)


def test_cli_link_to_a_recall_not_covering_the_lot_is_refused(
    raised: Signal, manager: User
) -> None:
    other = recall_frozen_on(raised, manager, _lot(raised, 2))

    with pytest.raises(CommandError) as refused:
        call_command(
            "quality", "signal", str(raised.pk), "link", "--recall", other.number,
            "--user", manager.username,
        )  # fmt: skip

    assert str(refused.value) == (
        f"Recall {other.number} does not cover lot EW0-05: its frozen scope does not hold the lot."
    )
    assert _unchanged(raised) == (SignalStatus.NEW, None, 0)


def test_cli_links_a_covering_recall(raised: Signal, manager: User) -> None:
    covering = recall_frozen_on(raised, manager, _lot(raised, 5))
    out = StringIO()

    call_command(
        "quality", "signal", str(raised.pk), "link", "--recall", covering.number,
        "--user", manager.username, "--json", stdout=out,
    )  # fmt: skip

    answer = json.loads(out.getvalue())
    assert (answer["status"], answer["recall"]) == ("linked", covering.number)
    assert _unchanged(raised) == (SignalStatus.LINKED, covering.pk, 1)


# -- names, not codes ---------------------------------------------------------------------------


def test_signal_complaints_show_the_holder_name(raised: Signal, manager: User) -> None:
    hospital = Party.objects.get(code="EW-H")
    hospital.name = "Ruijin Hospital"
    hospital.save()
    raised.complaints.update(holder=hospital)

    page = _client(manager).get(reverse("web:quality-signal", args=[raised.pk])).content.decode()
    table = page.split('id="signal-complaints"')[1].split("</table>")[0]

    assert table.count("<td>Ruijin Hospital</td>") == raised.complaints.count() == 10
    assert "<td>EW-H</td>" not in table


def test_signal_history_shows_full_name_or_user_name(
    raised: Signal, make_user: Callable[..., User]
) -> None:
    named = make_user("qa_ra_manager", username="wfang")
    named.first_name, named.last_name = "Fang", "Wang"
    named.save()
    plain = make_user("qa_ra_manager", username="reviewer2")

    signal_services.signal_review(signal=raised, actor=named)
    signal_services.signal_dismiss(signal=raised, actor=plain, reason="Counted twice")
    page = _client(plain).get(reverse("web:quality-signal", args=[raised.pk])).content.decode()

    assert [row["by"] for row in signals.history(raised)] == ["Fang Wang", "reviewer2"]
    assert "<td>Fang Wang</td>" in page
    assert "<td>wfang</td>" not in page


# -- "Active only" ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "active", "listed"),
    [
        (SignalStatus.NEW, True, True),
        (SignalStatus.UNDER_REVIEW, True, True),
        (SignalStatus.DISMISSED, True, False),
        (SignalStatus.LINKED, True, False),
        (SignalStatus.NEW, False, False),
        (SignalStatus.UNDER_REVIEW, False, False),
        (SignalStatus.DISMISSED, False, False),
        (SignalStatus.LINKED, False, False),
    ],
)
def test_active_only_lists_open_signals_found_by_the_last_run(
    raised: Signal,
    manager: User,
    api_as: Callable[[User | None], APIClient],
    status: str,
    active: bool,
    listed: bool,
) -> None:
    Signal.objects.filter(pk=raised.pk).update(status=status, active=active)
    link = f'href="/quality/signals/{raised.pk}/"'

    default_page = _client(manager).get(reverse("web:quality-signals")).content.decode()
    active_page = _client(manager).get(reverse("web:quality-signals") + "?shown=active")
    every_page = _client(manager).get(reverse("web:quality-signals") + "?shown=all")
    out = StringIO()
    call_command("quality", "signals", "--json", stdout=out)
    cli_ids = [s["id"] for s in json.loads(out.getvalue())["signals"]]
    api_ids = [
        s["id"] for s in api_as(manager).get("/api/quality/signals/?open=true").json()["results"]
    ]

    assert (link in default_page) is listed
    assert (link in active_page.content.decode()) is listed
    assert link in every_page.content.decode()
    assert (raised.pk in cli_ids) is listed
    assert (raised.pk in api_ids) is listed
    assert signals.signals_active(viewer=manager).filter(pk=raised.pk).exists() is listed


def test_api_signal_complaints_name_the_holder(
    raised: Signal, manager: User, api_as: Callable[[User | None], APIClient]
) -> None:
    hospital = Party.objects.get(code="EW-H")
    hospital.name = "Ruijin Hospital"
    hospital.save()
    raised.complaints.update(holder=hospital)

    detail = api_as(manager).get(f"/api/quality/signals/{raised.pk}/").json()

    assert {(c["holder"], c["holder_code"]) for c in detail["complaints"]} == {
        ("Ruijin Hospital", "EW-H")
    }
