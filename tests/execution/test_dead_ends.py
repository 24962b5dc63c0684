"""Dead ends found by a new user in the warehouse and the demo: an open redirect, units sent
over what was expected, returns that never showed as received."""

from __future__ import annotations

from typing import Any

import pytest

from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import Lot
from medrecall.execution import services
from medrecall.execution.errors import ReceiptRefused
from medrecall.execution.models import Disposition
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.execution.test_pages import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("case", "target", "lands_on"),
    [
        ("scheme-relative URL to another host", "//evil.example/login", "/execution/"),
        ("absolute URL to another host", "https://evil.example/login", "/execution/"),
        ("back-slash trick", "/\\evil.example", "/execution/"),
        ("a page of this site", "/execution/warehouse/", "/execution/warehouse/"),
    ],
)
def test_disposition_next_only_redirects_within_the_site(
    recall: RecallCase, manager: Any, warehouse_user: Any, case: str, target: str, lands_on: str
) -> None:
    client = client_for(warehouse_user)
    response = client.post(
        "/execution/dispositions/new/", {"recall": recall.pk, "kind": "destroy", "next": target}
    )
    assert (response.status_code, response["Location"]) == (302, lands_on)
    assert Disposition.objects.count() == 0


# -- receiving more than expected; a return's status follows from its lines -----------------
CATH_LOT = "010695000000001910C1"


def test_more_than_expected_is_received_and_flagged_over(
    recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    from medrecall.catalog.models import Lot
    from medrecall.execution.selectors import recall_accounting, return_reconciliation
    from medrecall.traceability.models import Position, TraceEvent

    c1 = Lot.objects.get(number="C1")
    ra = services.return_create(
        recall=recall, party=Party.objects.get(code="HOSP"), actor=manager, lines=[(c1, None, 30)]
    )
    result = services.return_receive(ra=ra, actor=warehouse_user, barcode=CATH_LOT, quantity=35)
    assert (result.outcome, result.expected, result.received) == ("over", 30, 35)
    assert (
        result.message
        == "Lot C1 received: 35 of 30 — 5 more than expected. Keep them in quarantine and check "
        "the holder's records."
    )
    [line] = return_reconciliation(ra)
    assert (line.outcome, line.expected, line.received, line.over, line.missing) == (
        "over",
        30,
        35,
        5,
        0,
    )
    assert TraceEvent.objects.get(document_ref=ra.number, event_type="returned").quantity == 35
    on_hand = dict(
        Position.objects.filter(lot__number="C1").values_list("location__code", "on_hand")
    )
    assert (on_hand["H1"], on_hand["QUAR"]) == (35, 35)
    assert recall_accounting(recall).balanced
    entry = AuditEntry.objects.get(action="execution.return_received")
    assert entry.changes["outcome"] == [None, "over"]


def test_return_is_received_when_every_line_is(
    recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    # The hospital holds 70 units of C1; the return asks for 60 of them.
    ra = services.return_create(
        recall=recall,
        party=Party.objects.get(code="HOSP"),
        actor=manager,
        lines=[(Lot.objects.get(number="C1"), None, 60)],
    )
    services.return_transition(ra=ra, target="picked_up", actor=manager)
    services.return_receive(ra=ra, actor=warehouse_user, barcode=CATH_LOT, quantity=59)
    ra.refresh_from_db()
    assert ra.status == "picked_up"
    assert AuditEntry.objects.filter(action="execution.return_status").count() == 1
    services.return_receive(ra=ra, actor=warehouse_user, barcode=CATH_LOT, quantity=1)
    ra.refresh_from_db()
    assert (ra.status, ra.version) == ("received", 3)
    entry = AuditEntry.objects.filter(action="execution.return_status").latest("pk")
    assert (entry.changes, entry.reason, entry.actor_id) == (
        {"status": ["picked_up", "received"]},
        "Every line received.",
        warehouse_user.pk,
    )
    extra = services.return_receive(
        ra=ra, actor=warehouse_user, barcode=CATH_LOT, quantity=2
    )  # same box, 2 more
    ra.refresh_from_db()
    assert (extra.outcome, extra.received, ra.status) == ("over", 62, "received")
    # More than our records put at the hospital at all: its history must be corrected first.
    with pytest.raises(ReceiptRefused) as refused:
        services.return_receive(ra=ra, actor=warehouse_user, barcode=CATH_LOT, quantity=9)
    assert refused.value.code == "not_at_holder"
    assert ra.lines.get().received == 62


def test_serial_return_is_received_with_its_last_serial(
    pump_recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    ra = services.return_create(
        recall=pump_recall, party=Party.objects.get(code="HOSP"), actor=manager
    )
    services.return_receive(ra=ra, actor=warehouse_user, barcode="010695000000002621PS-001")
    ra.refresh_from_db()
    assert ra.status == "authorised"
    services.return_receive(ra=ra, actor=warehouse_user, barcode="010695000000002621PS-002")
    ra.refresh_from_db()
    assert ra.status == "received"


def test_return_page_flags_the_over_line(
    recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    from medrecall.catalog.models import Lot

    ra = services.return_create(
        recall=recall,
        party=Party.objects.get(code="HOSP"),
        actor=manager,
        lines=[(Lot.objects.get(number="C1"), None, 30)],
    )
    services.return_receive(ra=ra, actor=warehouse_user, barcode=CATH_LOT, quantity=32)
    page = client_for(manager).get(f"/execution/returns/{ra.pk}/").content.decode()
    assert 'data-outcome="over">over by 2</span>' in page


def test_warehouse_page_warns_on_an_over_scan(
    recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    from medrecall.catalog.models import Lot

    ra = services.return_create(
        recall=recall,
        party=Party.objects.get(code="HOSP"),
        actor=manager,
        lines=[(Lot.objects.get(number="C1"), None, 3)],
    )
    panel = (
        client_for(warehouse_user)
        .post(
            f"/execution/warehouse/{ra.pk}/",
            {"barcode": CATH_LOT, "quantity": "4"},
            HTTP_HX_REQUEST="true",
        )
        .content.decode()
    )
    assert (
        '<div id="scan-feedback" class="over" data-outcome="over" role="alert">⚠ Lot C1 received: 4 of 3'
        in panel
    )
