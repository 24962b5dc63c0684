"""Dispositions of quarantined units (each kind, the destruction certificate and its PDF, the
release signature), refusals for units not in quarantine, and the accounting invariant
after every step of a full walk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.signatures import SignatureRefused
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import Lot, Serial
from medrecall.execution import services
from medrecall.execution.errors import DispositionRefused
from medrecall.execution.models import Disposition, Hold
from medrecall.execution.selectors import recall_accounting
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from medrecall.traceability.models import Position, TraceEvent
from tests.conftest import PASSWORD
from tests.execution.conftest import loc, pdf_text
from tests.traceability.scenario import CATH, run_events

pytestmark = pytest.mark.django_db

PUMP_SCAN = "010695000000002621{}"


def received_pump(recall: RecallCase, manager: Any, user: Any, serial: str = "PS-001") -> Serial:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    services.return_receive(ra=ra, actor=user, barcode=PUMP_SCAN.format(serial))
    return Serial.objects.get(serial=serial)


def totals(recall: RecallCase) -> dict[str, int]:
    accounting = recall_accounting(recall)
    assert accounting.balanced, accounting.as_dict()
    return {k: v for k, v in accounting.total.as_dict().items() if k != "lot" and v}


def test_destroy_with_certificate_and_pdf(
    pump_recall: RecallCase, manager: Any, warehouse_user: Any, tmp_path: Path
) -> None:
    unit = received_pump(pump_recall, manager, warehouse_user)
    d = services.disposition_create(
        recall=pump_recall,
        kind="destroy",
        lot=unit.lot,
        serial=unit,
        actor=warehouse_user,
        location=loc("QUAR"),
        reason="Cracked housing",
    )
    with pytest.raises(DispositionRefused, match="at least one witness"):
        services.disposition_complete(
            disposition=d,
            actor=warehouse_user,
            method="Shredding",
            place="苏州",
            performed_by="Veolia",
        )
    done = services.disposition_complete(
        disposition=d,
        actor=warehouse_user,
        method="Shredding 粉碎",
        place="苏州工厂 Suzhou plant",
        performed_by="Veolia 威立雅",
        witnesses=["张伟", "Li Na"],
    )
    assert done.status == "done"
    event = TraceEvent.objects.get(document_ref=d.number)
    assert (event.event_type, event.from_location.code, event.serial_id) == (
        "destroyed",
        "QUAR",
        unit.pk,
    )  # type: ignore[union-attr]
    certificate = done.certificate
    assert (certificate.method, certificate.witnesses) == ("Shredding 粉碎", ["张伟", "Li Na"])
    data = certificate.pdf.read()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data, tmp_path)
    for expected in (certificate.number, "PS-001", "张伟", "Li Na", "Veolia", "Shredding"):
        assert expected in text
    assert (
        AuditEntry.objects.filter(action="execution.disposition_done", target_id=str(d.pk)).count()
        == 1
    )
    assert totals(pump_recall) == {
        "affected": 3,
        "at_holders": 1,
        "own_stock": 1,
        "dispositioned": 1,
    }


@pytest.fixture
def release(pump_recall: RecallCase, manager: Any, warehouse_user: Any) -> Disposition:
    """Pump PS-001 returned into quarantine and an open release of it, decided by the manager."""
    unit = received_pump(pump_recall, manager, warehouse_user)
    return services.disposition_create(
        recall=pump_recall,
        kind="release",
        lot=unit.lot,
        serial=unit,
        actor=manager,
        location=loc("QUAR"),
    )


def test_release_needs_reason_and_signature_and_frees_the_serial(
    pump_recall: RecallCase, manager: Any, release: Disposition, tmp_path: Path
) -> None:
    d, unit = release, release.serial
    with pytest.raises(DispositionRefused, match="Record the outcome"):
        services.disposition_complete(
            disposition=d, actor=manager, password=PASSWORD, username=manager.username
        )
    with pytest.raises(SignatureRefused):
        services.disposition_complete(
            disposition=d,
            actor=manager,
            outcome="Passed inspection",
            password="wrong",
            username=manager.username,
        )
    assert not TraceEvent.objects.filter(document_ref=d.number).exists()
    done = services.disposition_complete(
        disposition=d,
        actor=manager,
        outcome="Passed inspection: unit not affected",
        password=PASSWORD,
        username=manager.username,
    )
    assert done.signature is not None
    assert done.signature.meaning == "approved"
    assert Position.objects.get(serial=unit, location__code="FAC").on_hand == 1
    assert not Hold.objects.get(recall=pump_recall, serial=unit).active
    assert totals(pump_recall) == {
        "affected": 3,
        "at_holders": 1,
        "own_stock": 1,
        "dispositioned": 1,
    }
    ship = "R1,shipped,2025-05-01T08:00:00+08:00,06950000000026,P-L1,PS-001,1,FAC,H2,DN-R,,,,\n"
    assert run_events(tmp_path, ship, "r.csv").accepted  # released: it may ship again
    assert totals(pump_recall) == {
        "affected": 3,
        "at_holders": 1,
        "own_stock": 1,
        "dispositioned": 1,
    }


def test_return_to_supplier_and_repair(
    pump_recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    ra = services.return_create(
        recall=pump_recall, party=Party.objects.get(code="HOSP"), actor=manager
    )
    for serial in ("PS-001", "PS-002"):
        services.return_receive(ra=ra, actor=warehouse_user, barcode=PUMP_SCAN.format(serial))
    one, two = Serial.objects.get(serial="PS-001"), Serial.objects.get(serial="PS-002")
    with pytest.raises(DispositionRefused, match="supplier"):
        services.disposition_create(
            recall=pump_recall,
            kind="return_to_supplier",
            lot=one.lot,
            serial=one,
            actor=warehouse_user,
            location=loc("QUAR"),
            target=loc("FAC"),
        )
    back = services.disposition_create(
        recall=pump_recall,
        kind="return_to_supplier",
        lot=one.lot,
        serial=one,
        actor=warehouse_user,
        location=loc("QUAR"),
        target=loc("SUPP-1"),
    )
    services.disposition_complete(disposition=back, actor=warehouse_user)
    repair = services.disposition_create(
        recall=pump_recall,
        kind="repair",
        lot=two.lot,
        serial=two,
        actor=warehouse_user,
        location=loc("QUAR"),
    )
    services.disposition_start(disposition=repair, actor=warehouse_user)
    services.disposition_complete(
        disposition=repair, actor=warehouse_user, outcome="Board replaced, tested"
    )
    assert totals(pump_recall) == {"affected": 3, "own_stock": 1, "dispositioned": 2}


def test_replace_ships_a_traced_replacement(
    recall: RecallCase, manager: Any, warehouse_user: Any, tmp_path: Path
) -> None:
    assert run_events(
        tmp_path,
        f"NEW,produced,2025-04-01T08:00:00+08:00,{CATH},C7,,50,,FAC,WO-7,2025-04-01,2028-01-01,,\n",
        "c7.csv",
    ).accepted
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    services.return_receive(
        ra=ra, actor=warehouse_user, barcode="010695000000001910C1", quantity=10
    )
    c1, c7 = Lot.objects.get(number="C1"), Lot.objects.get(number="C7")
    d = services.disposition_create(
        recall=recall,
        kind="replace",
        lot=c1,
        quantity=10,
        actor=warehouse_user,
        location=loc("QUAR"),
        replacement_lot=c7,
        replacement_from=loc("FAC"),
        replacement_to=loc("H1"),
    )
    services.disposition_complete(disposition=d, actor=warehouse_user, outcome="Replaced by C7")
    shipped = TraceEvent.objects.get(document_ref=d.number, lot=c7)
    assert (shipped.event_type, shipped.quantity, shipped.to_location.code) == ("shipped", 10, "H1")  # type: ignore[union-attr]
    assert totals(recall)["dispositioned"] == 10


@pytest.mark.parametrize(
    ("case", "kwargs", "message"),
    [
        ("unit still at the hospital", {"serial": "PS-002"}, "Not in quarantine"),
        ("not a quarantine location", {"location": "FAC"}, "not a quarantine location"),
        # A unit gets one open disposition: the second decision finds nothing free.
        (
            "already under an open disposition",
            {"open": "destroy", "kind": "release"},
            "Not in quarantine",
        ),
    ],
)
def test_disposition_of_a_unit_not_in_quarantine_is_refused(
    pump_recall: RecallCase,
    manager: Any,
    warehouse_user: Any,
    case: str,
    kwargs: dict[str, str],
    message: str,
) -> None:
    received_pump(pump_recall, manager, warehouse_user)
    serial = Serial.objects.get(serial=kwargs.get("serial", "PS-001"))
    if "open" in kwargs:
        services.disposition_create(
            recall=pump_recall,
            kind=kwargs["open"],
            lot=serial.lot,
            serial=serial,
            actor=warehouse_user,
            location=loc("QUAR"),
        )
    before = (Disposition.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DispositionRefused, match=message):
        services.disposition_create(
            recall=pump_recall,
            kind=kwargs.get("kind", "destroy"),
            lot=serial.lot,
            serial=serial,
            actor=warehouse_user,
            location=loc(kwargs.get("location", "QUAR")),
        )
    assert (Disposition.objects.count(), AuditEntry.objects.count()) == before
    assert before[0] == (1 if "open" in kwargs else 0)


def test_every_unit_accounted_for_at_each_step(
    recall: RecallCase, manager: Any, warehouse_user: Any, tmp_path: Path
) -> None:
    """affected = at holders + own stock + in transit + in quarantine + dispositioned + used, after each step."""
    start = {"affected": 970, "at_holders": 470, "own_stock": 400, "in_transit": 100}
    assert totals(recall) == start  # hold placed on approval
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    assert totals(recall) == start
    services.return_transition(ra=ra, target="picked_up", actor=manager)
    services.return_receive(
        ra=ra, actor=warehouse_user, barcode="010695000000001910C1", quantity=50
    )  # short
    assert totals(recall) == {**start, "at_holders": 420, "in_quarantine": 50}
    services.return_transition(
        ra=ra, target="received", actor=manager
    )  # closed short: 20 stay at the hospital
    # Our own stock moves into quarantine (allowed under the hold).
    moved = (
        f"M1,shipped,2025-04-01T08:00:00+08:00,{CATH},C1,,100,FAC,QUAR,TR-1,,,,\n"
        f"M2,received,2025-04-01T09:00:00+08:00,{CATH},C1,,100,FAC,QUAR,TR-1,,,,\n"
    )
    assert run_events(tmp_path, moved, "move.csv").accepted
    assert totals(recall) == {**start, "at_holders": 420, "own_stock": 300, "in_quarantine": 150}
    c1 = Lot.objects.get(number="C1")
    d = services.disposition_create(
        recall=recall,
        kind="destroy",
        lot=c1,
        quantity=120,
        actor=warehouse_user,
        location=loc("QUAR"),
    )
    assert totals(recall) == {**start, "at_holders": 420, "own_stock": 300, "in_quarantine": 150}
    services.disposition_complete(
        disposition=d,
        actor=warehouse_user,
        method="Incineration",
        place="Suzhou",
        performed_by="Veolia",
        witnesses=["QA"],
    )
    release = services.disposition_create(
        recall=recall, kind="release", lot=c1, quantity=30, actor=manager, location=loc("QUAR")
    )
    services.disposition_complete(
        disposition=release,
        actor=manager,
        outcome="Inspected",
        password=PASSWORD,
        username=manager.username,
    )
    assert totals(recall) == {
        "affected": 970,
        "at_holders": 420,
        "own_stock": 300,
        "in_transit": 100,
        "dispositioned": 150,
    }
    # The hospital reports 5 more implanted: used up as reported.
    assert run_events(
        tmp_path, f"U1,consumed,2025-04-05T08:00:00+08:00,{CATH},C1,,5,H1,,,,,,\n", "u.csv"
    ).accepted
    assert totals(recall) == {
        "affected": 970,
        "at_holders": 415,
        "own_stock": 300,
        "in_transit": 100,
        "dispositioned": 150,
        "used": 5,
    }


def test_release_through_the_api_needs_the_user_id_typed(
    manager: Any, release: Disposition, api_as: Any
) -> None:
    d = release
    client = api_as(manager)
    url = f"/api/execution/dispositions/{d.pk}/complete/"
    refused = client.post(url, {"outcome": "Passed", "password": PASSWORD}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (400, "signature_credentials_required")
    d.refresh_from_db()
    assert (d.status, d.signature_id) == ("open", None)
    done = client.post(
        url,
        {"outcome": "Passed", "password": PASSWORD, "username": manager.username},
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "done"


def test_release_from_the_cli_reads_the_password_file(
    manager: Any,
    release: Disposition,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    d = release
    monkeypatch.setenv("MEDRECALL_SIGN_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="MEDRECALL_SIGN_PASSWORD is no longer read"):
        call_command(
            "execution",
            "disposition",
            "complete",
            d.number,
            "--outcome",
            "Passed",
            "--user",
            manager.username,
            stdin=io.StringIO(""),
        )
    monkeypatch.delenv("MEDRECALL_SIGN_PASSWORD")
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD)
    secret.chmod(0o600)
    call_command(
        "execution",
        "disposition",
        "complete",
        d.number,
        "--outcome",
        "Passed",
        "--user",
        manager.username,
        "--password-file",
        str(secret),
        stdout=io.StringIO(),
    )
    d.refresh_from_db()
    assert d.status == "done"
    assert d.signature is not None
