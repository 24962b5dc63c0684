"""Return authorisations with carrier choice by rules and rate tables, the waybill PDF, and
the status walk; scan-to-receive reconciliation with every outcome; concurrent receipts."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from medrecall.audit.models import AuditEntry
from medrecall.execution import services
from medrecall.execution.carriers import carrier_choose
from medrecall.execution.documents import waybill_pdf
from medrecall.execution.errors import ReceiptRefused, ReturnRefused
from medrecall.execution.models import Carrier, CarrierRule, Receipt, ReturnAuthorisation
from medrecall.execution.selectors import recall_accounting, return_reconciliation
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from medrecall.traceability.models import Position, TraceEvent
from tests.execution.conftest import loc, pdf_text

pytestmark = pytest.mark.django_db

CATH_LOT = "010695000000001910C1"  # GS1 element string: GTIN + lot C1


def hospital_return(recall: RecallCase, manager: Any, **kwargs: Any) -> ReturnAuthorisation:
    return services.return_create(
        recall=recall, party=Party.objects.get(code="HOSP"), actor=manager, **kwargs
    )


# -- carriers -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "weight", "volume", "urgent", "carrier", "cost", "eligible"),
    [
        ("standard: cheapest rate wins", "35", "0", False, "DB", "100.00", 2),
        ("urgent: only carriers fast enough", "35", "0", True, "SF", "300.00", 1),
        ("volume makes it heavier", "1", "60", False, "DB", "50.00", 2),
        ("too heavy for the fast carrier", "120", "0", False, "DB", "270.00", 1),
    ],
)
def test_carrier_choice_by_rates(
    world: Any,
    case: str,
    weight: str,
    volume: str,
    urgent: bool,
    carrier: str,
    cost: str,
    eligible: int,
) -> None:
    choice = carrier_choose(
        country="CN",
        province_code="CN-GD",
        weight_kg=Decimal(weight),
        volume_l=Decimal(volume),
        urgent=urgent,
    )
    assert choice is not None
    assert (choice.carrier.code, str(choice.cost)) == (carrier, cost)
    assert choice.reason == f"Cheapest of {eligible} eligible carriers"


def test_carrier_rule_by_region_overrides_price(world: Any) -> None:
    CarrierRule.objects.create(
        priority=1,
        name="Guangdong uses SF",
        country="CN",
        province_code="CN-GD",
        carrier=Carrier.objects.get(code="SF"),
    )
    choice = carrier_choose(country="CN", province_code="CN-GD", weight_kg=Decimal(35))
    assert (choice.carrier.code, choice.reason) == ("SF", "Rule: Guangdong uses SF")  # type: ignore[union-attr]
    other = carrier_choose(country="CN", province_code="CN-BJ", weight_kg=Decimal(35))
    assert other.carrier.code == "DB"  # type: ignore[union-attr]


def test_no_carrier_for_the_region(world: Any) -> None:
    assert carrier_choose(country="US", province_code="US-CA", weight_kg=Decimal(1)) is None


# -- return authorisations ----------------------------------------------------------------
def test_return_lists_the_holders_units_with_carrier_and_cost(
    recall: RecallCase, manager: Any
) -> None:
    ra = hospital_return(recall, manager)
    assert [(line.lot, line.expected) for line in return_reconciliation(ra)] == [("C1", 70)]
    assert (ra.location.code, ra.quarantine.code, ra.urgent) == (
        "H1",
        "QUAR",
        True,
    )  # NMPA 一级: urgent
    assert (ra.carrier.code, ra.expected_cost, ra.weight_kg) == (
        "SF",
        Decimal("300.00"),
        Decimal("35.00"),
    )
    assert (
        AuditEntry.objects.filter(
            action="execution.return_authorised", target_id=str(ra.pk)
        ).count()
        == 1
    )


def test_return_from_a_reply_with_fewer_units_then_no_double_booking(
    recall: RecallCase, manager: Any
) -> None:
    from medrecall.catalog.models import Lot

    c1 = Lot.objects.get(number="C1")
    first = hospital_return(
        recall, manager, lines=[(c1, None, 30)], source="reply", reply_ref="REPLY-7"
    )
    assert (first.source, first.lines.get().expected) == ("reply", 30)
    with pytest.raises(ReturnRefused, match="only 40 in scope"):
        hospital_return(recall, manager, lines=[(c1, None, 41)])
    assert hospital_return(recall, manager).lines.get().expected == 40  # the rest


def test_return_refused_for_a_party_without_units(recall: RecallCase, manager: Any) -> None:
    with pytest.raises(ReturnRefused, match="holds no affected units"):
        services.return_create(recall=recall, party=Party.objects.get(code="SUPP"), actor=manager)
    assert ReturnAuthorisation.objects.count() == 0


def test_status_walk_and_refused_jumps(
    recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    ra = hospital_return(recall, manager)
    with pytest.raises(ReturnRefused, match="cannot go from Authorised to In transit"):
        services.return_transition(ra=ra, target="in_transit", actor=manager)
    services.return_transition(ra=ra, target="picked_up", actor=manager)
    services.return_transition(ra=ra, target="in_transit", actor=manager)
    with pytest.raises(ReturnRefused, match="Nothing has been received"):
        services.return_transition(ra=ra, target="received", actor=manager)
    services.return_receive(ra=ra, actor=warehouse_user, barcode=CATH_LOT, quantity=30)
    assert services.return_transition(ra=ra, target="received", actor=manager).status == "received"
    late = services.return_receive(
        ra=ra, actor=warehouse_user, barcode=CATH_LOT
    )  # a late parcel is still booked
    assert (late.outcome, late.received) == ("short", 31)


def test_waybill_pdf_has_numbers_carrier_and_chinese(
    recall: RecallCase, manager: Any, tmp_path: Path
) -> None:
    ra = hospital_return(recall, manager)
    data = waybill_pdf(ra)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data, tmp_path)
    for expected in (ra.number, ra.waybill_number, "SF Express", "300.00", "退货运单", "C1"):
        assert expected in text
    english = pdf_text(waybill_pdf(ra, "en"), tmp_path)
    assert "Return waybill" in english


# -- receiving and reconciliation ---------------------------------------------------------
def test_lot_receipts_short_then_matched_post_returned_events(
    recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    ra = hospital_return(recall, manager)
    first = services.return_receive(ra=ra, actor=warehouse_user, barcode=CATH_LOT, quantity=30)
    assert (first.outcome, first.received, first.expected) == ("short", 30, 70)
    assert "40 still to come" in first.message
    assert return_reconciliation(ra)[0].outcome == "short"
    second = services.return_receive(
        ra=ra, actor=warehouse_user, gtin="06950000000019", lot="C1", quantity=40
    )
    assert (second.outcome, second.received) == ("matched", 70)
    events = TraceEvent.objects.filter(document_ref=ra.number, event_type="returned")
    assert sorted(e.quantity for e in events) == [30, 40]
    assert {(e.from_location.code, e.to_location.code) for e in events} == {("H1", "QUAR")}
    on_hand = dict(
        Position.objects.filter(lot__number="C1").values_list("location__code", "on_hand")
    )
    assert (on_hand.get("H1", 0), on_hand["QUAR"]) == (0, 70)


@pytest.mark.parametrize(
    ("case", "kwargs", "code"),
    [
        ("barcode that does not parse", {"barcode": "01069500000000X9"}, "unparseable"),
        ("another product", {"barcode": "010695000000002621PS-001"}, "wrong_item"),
        ("lot outside the scope", {"gtin": "06950000000019", "lot": "C2"}, "wrong_item"),
        ("no quantity", {"barcode": CATH_LOT, "quantity": 0}, "bad_quantity"),
    ],
)
def test_bad_receipts_are_refused_and_change_nothing(
    recall: RecallCase,
    manager: Any,
    warehouse_user: Any,
    case: str,
    kwargs: dict[str, Any],
    code: str,
    tmp_path: Path,
) -> None:
    from tests.traceability.scenario import CATH, run_events

    assert run_events(
        tmp_path,
        f"C2P,produced,2025-02-01T08:00:00+08:00,{CATH},C2,,5,,FAC,WO-2,2025-02-01,2028-01-31,,\n",
        "c2.csv",
    ).accepted
    ra = hospital_return(recall, manager)
    events, audits = TraceEvent.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ReceiptRefused) as refused:
        services.return_receive(ra=ra, actor=warehouse_user, **kwargs)
    assert refused.value.code == code, refused.value.message
    assert (Receipt.objects.count(), TraceEvent.objects.count(), AuditEntry.objects.count()) == (
        0,
        events,
        audits,
    )
    assert ra.lines.get().received == 0


def test_serial_outcomes_unknown_duplicate_and_not_on_this_return(
    pump_recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    ra = services.return_create(
        recall=pump_recall, party=Party.objects.get(code="HOSP"), actor=manager
    )
    assert [(line.serial, line.expected) for line in return_reconciliation(ra)] == [
        ("PS-001", 1),
        ("PS-002", 1),
    ]
    scan = "010695000000002621PS-001"
    result = services.return_receive(ra=ra, actor=warehouse_user, barcode=scan)
    assert (result.outcome, result.receipt.serial.serial) == ("matched", "PS-001")  # type: ignore[union-attr]
    for barcode, code in (
        (scan, "already_received"),
        ("010695000000002621PS-999", "unknown_serial"),
        ("010695000000002621PS-003", "wrong_item"),
        ("0106950000000026", "serial_required"),
    ):
        with pytest.raises(ReceiptRefused) as refused:
            services.return_receive(ra=ra, actor=warehouse_user, barcode=barcode)
        assert refused.value.code == code, barcode
    assert "already received on" in str(_refusal(ra, warehouse_user, scan))
    assert Receipt.objects.count() == 1
    assert [line.outcome for line in return_reconciliation(ra)] == ["matched", "pending"]


def _refusal(ra: ReturnAuthorisation, user: Any, barcode: str) -> str:
    try:
        services.return_receive(ra=ra, actor=user, barcode=barcode)
    except ReceiptRefused as refused:
        return refused.message
    return ""


def test_constraint_refuses_a_second_receipt_of_a_serial(
    pump_recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    """The database backs the lock up: the same serial cannot be booked twice in one recall."""
    from django.db import IntegrityError, transaction

    ra = services.return_create(
        recall=pump_recall, party=Party.objects.get(code="HOSP"), actor=manager
    )
    first = services.return_receive(
        ra=ra, actor=warehouse_user, barcode="010695000000002621PS-001"
    ).receipt
    with pytest.raises(IntegrityError), transaction.atomic():
        Receipt.objects.create(
            recall=pump_recall,
            ra=ra,
            line=first.line,
            lot=first.lot,
            serial=first.serial,
            quantity=1,
            location=first.location,
            event_id="OTHER",
            received_by=warehouse_user,
        )


def test_retried_lot_receipt_with_a_request_id_counts_once(
    recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    ra = hospital_return(recall, manager)
    for _attempt in range(2):
        result = services.return_receive(
            ra=ra, actor=warehouse_user, barcode=CATH_LOT, quantity=5, request_id="abc"
        )
    assert (
        result.received,
        Receipt.objects.count(),
        TraceEvent.objects.filter(document_ref=ra.number).count(),
    ) == (5, 1, 1)


def test_received_units_land_only_in_quarantine(
    recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    ra = hospital_return(recall, manager)
    with pytest.raises(ReceiptRefused) as refused:
        services.return_receive(ra=ra, actor=warehouse_user, barcode=CATH_LOT, location=loc("FAC"))
    assert refused.value.code == "not_quarantine"


@pytest.mark.django_db(transaction=True)
def test_two_users_receiving_the_same_return_at_once_count_once(
    world: Any, manager: Any, make_user: Any
) -> None:
    """Two threads (two connections) scan the same serial and the rest of a lot at the same moment."""
    from tests.execution.conftest import approve, open_recall
    from tests.traceability.scenario import PUMP  # noqa: F401

    if connection.vendor != "postgresql":
        pytest.skip(
            "row locks across connections need PostgreSQL; the constraint is tested on both"
        )
    recall = approve(open_recall(manager, gtin="06950000000026", values=["P-L1"]), make_user)
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    users = [make_user("warehouse"), make_user("warehouse")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def scan(user: Any) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.return_receive(ra=ra, actor=user, barcode="010695000000002621PS-001")
            outcomes.append("ok")
        except ReceiptRefused as refused:
            outcomes.append(refused.code)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=scan, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_received", "ok"]
    assert Receipt.objects.filter(ra=ra).count() == 1
    assert TraceEvent.objects.filter(document_ref=ra.number).count() == 1
    assert recall_accounting(recall).balanced


def test_a_return_is_amended_when_the_holder_sends_more(
    recall: RecallCase, manager: Any, warehouse_user: Any, api_as: Any
) -> None:
    from medrecall.catalog.models import Lot

    c1 = Lot.objects.get(number="C1")
    ra = hospital_return(recall, manager, lines=[(c1, None, 30)])
    with pytest.raises(ReturnRefused, match="Say why"):
        services.return_amend(ra=ra, lot=c1, serial=None, expected=35, actor=manager, reason=" ")
    with pytest.raises(ReturnRefused, match="at most 70 units"):
        services.return_amend(
            ra=ra, lot=c1, serial=None, expected=71, actor=manager, reason="more came"
        )
    ra = services.return_amend(
        ra=ra, lot=c1, serial=None, expected=35, actor=manager, reason="Holder sent 35"
    )
    assert (ra.lines.get().expected, ra.weight_kg) == (35, Decimal("17.50"))
    assert (
        services.return_receive(ra=ra, actor=warehouse_user, barcode=CATH_LOT, quantity=34).outcome
        == "short"
    )
    with pytest.raises(ReturnRefused, match="34 units are already received"):
        services.return_amend(
            ra=ra, lot=c1, serial=None, expected=20, actor=manager, reason="fewer"
        )
    assert AuditEntry.objects.filter(action="execution.return_amended").count() == 1
    client = api_as(manager)
    response = client.post(
        f"/api/execution/returns/{ra.pk}/amend/",
        {"lot": "C1", "expected": 40, "reason": "five more announced"},
        format="json",
    )
    assert response.status_code == 200
    assert ra.lines.get().expected == 40
    assert (
        client.post(
            f"/api/execution/returns/{ra.pk}/amend/",
            {"lot": "NOPE", "expected": 1, "reason": "x"},
            format="json",
        ).status_code
        == 400
    )
