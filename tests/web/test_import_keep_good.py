""" "Keep the good rows" is offered only for imports that honour it; for the all-or-nothing kinds
(trace events, EPCIS) the page does not offer it and the import run, the API and the command
refuse it with a message, creating nothing."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils.html import escape

from medrecall.accounts.models import User
from medrecall.core.models import ImportRun
from medrecall.core.registry import keeps_good_rows
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

EVENTS = "event_id,event_type,event_time,gtin,lot\nE1,produced,2025-01-10T08:00:00+08:00,06950000000019,L1\n"
REFUSAL = (
    "Trace events are imported whole or not at all (a trace with holes is worse than no trace): "
    '"keep the good rows" is not available for them. Correct the bad rows and import the file again.'
)


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize(
    ("kind", "offered"),
    [
        ("products", True),
        ("lots", True),
        ("serials", True),
        ("parties", True),
        ("locations", True),
        ("contacts", True),
        ("gudid", True),
        ("events", False),
        ("epcis", False),
    ],
)
def test_which_kinds_keep_good_rows(kind: str, offered: bool) -> None:
    assert keeps_good_rows(kind) is offered


def test_the_page_offers_the_box_per_kind(analyst: User) -> None:
    client = client_for(analyst)
    events = client.get("/imports/?kind=events").content.decode()
    assert '<label id="keep-good" hidden>' in events
    assert 'name="keep_good" value="1" disabled' in events
    assert '<option value="events" selected>' in events  # no data-keep-good on the events option
    products = client.get("/imports/?kind=products").content.decode()
    assert '<label id="keep-good">' in products
    assert 'value="products" selected data-keep-good="1"' in products


def test_the_page_refuses_keep_good_for_events(analyst: User) -> None:
    client = client_for(analyst)
    response = client.post(
        "/imports/",
        {"kind": "events", "keep_good": "1", "file": SimpleUploadedFile("e.csv", EVENTS.encode())},
        follow=True,
    )
    assert escape(REFUSAL) in response.content.decode()
    assert ImportRun.objects.count() == 0


def test_the_api_refuses_keep_good_for_events(analyst: User) -> None:
    response = client_for(analyst).post(
        "/api/imports/start/",
        {
            "kind": "events",
            "policy": "keep_good",
            "file": SimpleUploadedFile("e.csv", EVENTS.encode()),
        },
    )
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["message"]) == (
        "keep_good_not_offered",
        REFUSAL,
    )
    assert ImportRun.objects.count() == 0


def test_the_command_refuses_keep_good_for_events(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(EVENTS, encoding="utf-8")
    with pytest.raises(CommandError, match="imported whole or not at all"):
        call_command(
            "import", "events", str(path), "--keep-good", stdout=StringIO(), stderr=StringIO()
        )
    from medrecall.traceability.models import TraceEvent

    assert TraceEvent.objects.count() == 0
