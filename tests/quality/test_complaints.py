"""Complaints: the unit resolved from a barcode or typed values, unknown lots and serials kept
and flagged, refusals that change nothing, triage, reports filed, closing, and the recall link."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import Lot
from medrecall.core.errors import ActionNotAllowed
from medrecall.parties.models import Party
from medrecall.quality import services
from medrecall.quality.errors import (
    ComplaintCloseRefused,
    ComplaintInvalid,
    RecallFromComplaintRefused,
    ReportAlreadySubmitted,
    TriageInvalid,
)
from medrecall.quality.lifecycle import ComplaintStatus
from medrecall.quality.models import Channel, Complaint, ReportDecision, Resolution
from medrecall.recalls.models import ScopeRule
from medrecall.traceability.errors import SerialNotInLot
from tests.quality.conftest import AWARE
from tests.traceability.scenario import CATH, PUMP

FILED = AWARE + timedelta(days=2)

pytestmark = pytest.mark.django_db

NMPA_DEATH = services.Triage("nmpa", True, "nmpa_death", "Patient died during the procedure")
FDA_NO = services.Triage("fda", False, "", "Not sold in the US")


def _audits(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


@pytest.mark.parametrize(
    ("unit", "lot", "serial"),
    [
        pytest.param(services.UnitGiven(barcode=f"(01){CATH}(10)C1"), "C1", None, id="gs1-lot"),
        pytest.param(
            services.UnitGiven(barcode=f"]d2\x1d01{PUMP}21PS-001"),
            "P-L1",
            "PS-001",
            id="gs1-serial",
        ),
        pytest.param(services.UnitGiven(gtin=PUMP, serial="PS-002"), "P-L1", "PS-002", id="typed"),
    ],
)
def test_barcode_or_typed_unit_resolves_to_lot_and_serial(
    receive: Callable[..., Complaint], unit: services.UnitGiven, lot: str, serial: str | None
) -> None:
    complaint = receive(unit=unit)

    assert complaint.resolution == Resolution.RESOLVED
    assert complaint.lot is not None
    assert complaint.lot.number == lot
    assert (complaint.serial.serial if complaint.serial else None) == serial
    assert complaint.lot_text == lot
    assert complaint.number == f"CMP-{timezone.now().year}-00001"
    assert _audits("quality.complaint_received") == 1


@pytest.mark.parametrize(
    ("unit", "resolution", "texts"),
    [
        pytest.param(
            services.UnitGiven(gtin=CATH, lot="C9"),
            Resolution.UNKNOWN_LOT,
            (CATH, "C9", ""),
            id="lot",
        ),
        pytest.param(
            services.UnitGiven(barcode=f"(01){PUMP}(21)PS-999"),
            Resolution.UNKNOWN_SERIAL,
            (PUMP, "", "PS-999"),
            id="serial",
        ),
        pytest.param(
            services.UnitGiven(gtin="06950000000057", lot="X1"),
            Resolution.UNKNOWN_MODEL,
            ("06950000000057", "X1", ""),
            id="model",
        ),
        pytest.param(services.UnitGiven(), Resolution.NOT_GIVEN, ("", "", ""), id="nothing"),
    ],
)
def test_unknown_unit_is_kept_and_flagged(
    receive: Callable[..., Complaint],
    unit: services.UnitGiven,
    resolution: Resolution,
    texts: tuple[str, str, str],
) -> None:
    complaint = receive(unit=unit)

    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.resolution == resolution
    assert stored.needs_resolution is True
    assert (stored.gtin_text, stored.lot_text, stored.serial_text) == texts
    assert stored.lot is None
    assert stored.serial is None


def test_unknown_lot_resolved_later(receive: Callable[..., Complaint], manager: User) -> None:
    complaint = receive(unit=services.UnitGiven(gtin=CATH, lot="C9"))

    resolved = services.complaint_resolve_unit(
        complaint=complaint, actor=manager, unit=services.UnitGiven(gtin=CATH, lot="C1")
    )

    assert resolved.resolution == Resolution.RESOLVED
    assert resolved.lot == Lot.objects.get(number="C1")
    entry = AuditEntry.objects.get(action="quality.complaint_unit_resolved")
    assert entry.changes["lot"] == ["C9", "C1"]
    assert entry.changes["resolution"] == ["unknown_lot", "resolved"]


@pytest.mark.parametrize(
    ("overrides", "error", "where"),
    [
        pytest.param(
            {"unit": services.UnitGiven(barcode="(01)06950000000018(10)C1")},
            ComplaintInvalid,
            "barcode",
            id="barcode-check-digit",
        ),
        pytest.param(
            {"unit": services.UnitGiven(gtin="06950000000018", lot="C1")},
            ComplaintInvalid,
            "gtin",
            id="gtin-check-digit",
        ),
        pytest.param(
            {"unit": services.UnitGiven(barcode=f"(01){CATH}(10)C1", lot="C2")},
            ComplaintInvalid,
            "lot",
            id="typed-contradicts-scan",
        ),
        pytest.param(
            {"unit": services.UnitGiven(gtin=PUMP, lot="C1", serial="PS-001")},
            SerialNotInLot,
            "lot",
            id="serial-of-another-lot",
        ),
        pytest.param({"description": "  "}, ComplaintInvalid, "description", id="no-description"),
        pytest.param(
            {"aware_at": timezone.now() + timedelta(days=1)},
            ComplaintInvalid,
            "aware_at",
            id="aware-in-future",
        ),
        pytest.param(
            {"aware_at": datetime(1763, 7, 24, 7, 47, tzinfo=UTC)},
            ComplaintInvalid,
            "aware_at",
            id="aware-before-1990",
        ),
        pytest.param(
            {"event_date": (AWARE + timedelta(days=2)).date()},
            ComplaintInvalid,
            "event_date",
            id="event-after-awareness",
        ),
        pytest.param({"channel": "fax"}, ComplaintInvalid, "channel", id="unknown-channel"),
    ],
)
def test_bad_complaint_refused_nothing_kept(
    receive: Callable[..., Complaint], overrides: dict[str, object], error: type, where: str
) -> None:
    with pytest.raises(error) as refused:
        receive(**overrides)

    assert refused.value.where == where
    assert Complaint.objects.count() == 0
    assert _audits("quality.complaint_received") == 0


def test_portal_user_enters_for_own_party_only(
    receive: Callable[..., Complaint], portal_user: User
) -> None:
    with pytest.raises(ComplaintInvalid, match="own organisation"):
        receive(actor=portal_user, holder=Party.objects.get(code="HOSP2"), channel=Channel.PORTAL)
    assert Complaint.objects.count() == 0

    complaint = receive(actor=portal_user, channel=Channel.PORTAL)
    assert complaint.holder == portal_user.party
    assert complaint.entered_by == portal_user


def test_death_implies_patient_involved(receive: Callable[..., Complaint]) -> None:
    complaint = receive(death=True)

    assert (complaint.death, complaint.patient_involved) == (True, True)


def test_same_holder_reference_twice_refused(receive: Callable[..., Complaint]) -> None:
    receive(reference="H-77")

    with pytest.raises(ComplaintInvalid, match="H-77"):
        receive(reference="H-77")
    assert Complaint.objects.count() == 1


def test_triage_decides_each_regime_and_moves_to_triaged(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive(death=True)

    triaged = services.complaint_triage(
        complaint=complaint, actor=manager, decisions=[NMPA_DEATH, FDA_NO]
    )

    assert triaged.status == ComplaintStatus.TRIAGED
    rows = list(complaint.decisions.values_list("regime", "reportable", "category"))
    assert rows == [("fda", False, ""), ("nmpa", True, "nmpa_death")]
    entry = AuditEntry.objects.get(action="quality.complaint_triaged")
    assert entry.changes["status"] == ["received", "triaged"]
    assert entry.changes["nmpa"] == [
        None,
        [True, "nmpa_death", "Patient died during the procedure"],
    ]
    assert entry.changes["fda"] == [None, [False, "", "Not sold in the US"]]


@pytest.mark.parametrize(
    ("decisions", "where"),
    [
        pytest.param([], "regime", id="none"),
        pytest.param(
            [services.Triage("nmpa", True, "fda_30_day", "x")], "category", id="other-regime"
        ),
        pytest.param([services.Triage("nmpa", True, "", "x")], "category", id="no-category"),
        pytest.param(
            [services.Triage("fda", False, "fda_5_day", "x")],
            "category",
            id="category-not-reportable",
        ),
        pytest.param(
            [services.Triage("eu_mdr", True, "eu_other", " ")], "rationale", id="no-rationale"
        ),
        pytest.param([services.Triage("pmda", False, "", "x")], "regime", id="unknown-regime"),
        pytest.param([FDA_NO, FDA_NO], "regime", id="twice"),
    ],
)
def test_bad_triage_refused_nothing_changed(
    receive: Callable[..., Complaint], manager: User, decisions: list, where: str
) -> None:
    complaint = receive()

    with pytest.raises(TriageInvalid) as refused:
        services.complaint_triage(complaint=complaint, actor=manager, decisions=decisions)

    assert refused.value.where == where
    assert ReportDecision.objects.count() == 0
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.RECEIVED
    assert _audits("quality.complaint_triaged") == 0


def test_filed_report_stops_retriage_of_that_regime(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive(death=True)
    services.complaint_triage(complaint=complaint, actor=manager, decisions=[NMPA_DEATH])
    services.complaint_mark_reported(
        complaint=complaint, actor=manager, regime="nmpa", reference="AE-1", submitted_at=FILED
    )

    with pytest.raises(ReportAlreadySubmitted):
        services.complaint_triage(
            complaint=complaint,
            actor=manager,
            decisions=[services.Triage("nmpa", False, "", "changed my mind")],
        )
    with pytest.raises(ReportAlreadySubmitted):
        services.complaint_mark_reported(
            complaint=complaint, actor=manager, regime="nmpa", reference="AE-9", submitted_at=FILED
        )

    decision = ReportDecision.objects.get()
    assert (decision.reportable, decision.submission_reference) == (True, "AE-1")
    assert _audits("quality.report_submitted") == 1


def test_close_needs_findings_and_every_report_filed(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive(death=True)
    services.complaint_triage(complaint=complaint, actor=manager, decisions=[NMPA_DEATH])

    with pytest.raises(ComplaintCloseRefused) as refused:
        services.complaint_close(complaint=complaint, actor=manager)
    assert refused.value.details == [
        "Record the investigation findings (or why no investigation is needed).",
        "Reports still to file: China NMPA.",
    ]
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.TRIAGED

    services.complaint_investigate(complaint=complaint, actor=manager, findings="Tip weld weak")
    services.complaint_mark_reported(
        complaint=complaint, actor=manager, regime="nmpa", reference="AE-2", submitted_at=FILED
    )
    closed = services.complaint_close(complaint=complaint, actor=manager)

    assert closed.status == ComplaintStatus.CLOSED
    assert closed.closed_at is not None


def test_closed_complaint_refuses_triage_and_investigation(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive()
    services.complaint_triage(complaint=complaint, actor=manager, decisions=[FDA_NO])
    services.complaint_investigate(complaint=complaint, actor=manager, findings="Use error")
    services.complaint_close(complaint=complaint, actor=manager)
    audits = AuditEntry.objects.count()

    with pytest.raises(ActionNotAllowed):
        services.complaint_investigate(complaint=complaint, actor=manager, findings="more")
    with pytest.raises(ActionNotAllowed):
        services.complaint_triage(complaint=complaint, actor=manager, decisions=[FDA_NO])

    assert Complaint.objects.get(pk=complaint.pk).findings == "Use error"
    assert AuditEntry.objects.count() == audits


def test_start_recall_fills_product_and_lot(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive()

    recall = services.complaint_start_recall(complaint=complaint, actor=manager)

    assert list(recall.products.values_list("udi_di", flat=True)) == [CATH]
    rules = list(recall.scope_rules.values_list("kind", "values"))
    assert rules == [(ScopeRule.Kind.LOTS, ["C1"])]
    assert recall.reason == "Catheter tip broke during insertion"
    assert recall.status == "draft"
    assert Complaint.objects.get(pk=complaint.pk).recall == recall
    assert AuditEntry.objects.get(action="quality.recall_started").changes == {
        "recall": [None, recall.number]
    }


def test_start_recall_from_serial_scopes_the_serial(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive(unit=services.UnitGiven(gtin=PUMP, serial="PS-001"))

    recall = services.complaint_start_recall(complaint=complaint, actor=manager)

    assert list(recall.scope_rules.values_list("kind", "values")) == [
        (ScopeRule.Kind.SERIALS, ["PS-001"])
    ]


def test_start_recall_without_device_model_refused(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive(unit=services.UnitGiven())

    with pytest.raises(RecallFromComplaintRefused):
        services.complaint_start_recall(complaint=complaint, actor=manager)

    assert Complaint.objects.get(pk=complaint.pk).recall is None
    assert _audits("recalls.recall_opened") == 0


def test_complaint_status_received_has_its_own_chinese_label() -> None:
    with translation.override("zh-hans"):
        assert str(ComplaintStatus.RECEIVED.label) == "已接收"
        assert str(ComplaintStatus("received").label) == "已接收"
        assert translation.gettext("Received") == "收货"  # traceability's stays as it was
