"""EU MDR filings: the FSCA report, the draft FSN to the authority, the final FSCA report with
the reconciliation per country; and what they open in notices (the FSN gate, the sentence
that the competent authority was informed, the SRN)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db.models import F, Sum
from docx import Document

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.filings import services
from medrecall.filings.errors import FilingIncomplete
from medrecall.filings.models import Filing, FilingStatus
from medrecall.notices import send_runs
from medrecall.notices.errors import FsnGateClosed
from medrecall.notices.models import Notice, NoticeRun
from medrecall.parties.models import Party
from medrecall.recalls import deadlines
from medrecall.recalls.models import AffectedLine, RecallCase
from tests.conftest import PASSWORD
from tests.filings.conftest import signing_clock
from tests.notices.conftest import approved_recall

SRN = "CN-MF-000012345"
ACK = b"%PDF-1.4\n% acknowledgement of receipt\n"
SECTIONS = {
    "justification": {"zh": "尖端粘接强度不足。", "en": "Weak bond at the tip."},
    "advice": {"zh": "隔离并退回。", "en": "Quarantine and return."},
    "time_schedule": {"zh": "30日内完成。", "en": "Done within 30 days."},
}
BFARM = [{"zh": "德国联邦药品和医疗器械研究所", "en": "BfArM"}]


@pytest.fixture
def eu_recall(
    tmp_path: Path, manager: User, make_user: Callable[..., User], settings: Any
) -> RecallCase:
    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "srn": SRN}
    found = approved_recall(tmp_path, manager, make_user, regimes=("eu_mdr",), recall_class="fsca")
    Party.objects.filter(code__in=["DIST", "SUB", "HOSP"]).update(country="DE")
    Party.objects.filter(code="HOSP2").update(country="FR")
    AffectedLine.objects.filter(snapshot__recall=found).update()
    from medrecall.parties.models import Location

    Location.objects.filter(party__code__in=["DIST", "SUB", "HOSP", "HOSP2"]).update(country="DE")
    return RecallCase.objects.get(pk=found.pk)


def _fsca(recall: RecallCase, actor: User, doc_type: str = "eu_mdr.fsca_report") -> Filing:
    filing = services.filing_generate(recall=recall, doc_type=doc_type, actor=actor)
    sections = SECTIONS if doc_type == "eu_mdr.fsca_report" else {}
    if doc_type == "eu_mdr.fsca_final":
        sections = {
            "findings": {"zh": "根本原因已确认。", "en": "Root cause confirmed."},
            "effectiveness": {"zh": "全部收回。", "en": "Every unit back."},
        }
    return services.filing_enter(filing=filing, actor=actor, sections=sections, addressees=BFARM)


def _submit(filing: Filing, actor: User, reference: str) -> Filing:
    filing = services.filing_check(filing=filing, actor=actor)
    with signing_clock():
        filing = services.filing_sign(
            filing=filing, actor=actor, password=PASSWORD, username=actor.username
        )
    return services.filing_submit(
        filing=filing,
        actor=actor,
        authority="BfArM",
        reference=reference,
        acknowledgement=io.BytesIO(ACK),
        acknowledgement_name="ack.pdf",
        submitted_at=datetime(2025, 3, 2, 9, 0, tzinfo=UTC),
    )


def _docx_text(data: bytes) -> str:
    word = Document(io.BytesIO(data))
    cells = [c.text for t in word.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in word.paragraphs] + cells)


def _pdf_text(data: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "no_srn",
            "The manufacturer's single registration number (SRN) is not set: set it under "
            "Administration → Company.",
        ),
        ("no_reason_en", "The reason for the recall (English) is empty."),
        ("no_section", "Section “Time schedule of the FSCA” is empty."),
        ("no_authority", "The filing is addressed to no authority."),
    ],
)
def test_fsca_report_names_each_missing_item(
    eu_recall: RecallCase, manager: User, settings: Any, case: str, expected: str
) -> None:
    if case == "no_srn":
        settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "srn": ""}
    if case == "no_reason_en":
        RecallCase.objects.filter(pk=eu_recall.pk).update(reason_en="")
    filing = services.filing_generate(
        recall=eu_recall, doc_type="eu_mdr.fsca_report", actor=manager
    )
    sections = dict(SECTIONS)
    if case == "no_section":
        sections.pop("time_schedule")
    filing = services.filing_enter(
        filing=filing,
        actor=manager,
        sections=sections,
        addressees=[] if case == "no_authority" else BFARM,
    )
    entries = AuditEntry.objects.count()
    with pytest.raises(FilingIncomplete) as refused:
        services.filing_check(filing=filing, actor=manager)
    assert refused.value.details == [expected]
    filing.refresh_from_db()
    assert (filing.status, AuditEntry.objects.count()) == (FilingStatus.DRAFT, entries)


@pytest.mark.django_db
def test_fsca_report_prints_the_data_and_submission_marks_the_deadline_done(
    eu_recall: RecallCase, manager: User
) -> None:
    filing = _submit(_fsca(eu_recall, manager), manager, "DE-FSCA-2025-7")
    units = AffectedLine.objects.filter(snapshot__recall=eu_recall).aggregate(
        n=Sum(F("on_hand") + F("in_transit"))
    )["n"]
    assert filing.content["eu"] == {
        "srn": SRN,
        "aware_at": "",
        "eu_incident": "",
        "eu_countries": ["DE"],
    }
    assert filing.content["distribution"]["units"] == units
    for name in ("pdf_en", "docx_en"):
        data = getattr(filing, name).read()
        text = _pdf_text(data) if name.startswith("pdf") else _docx_text(data)
        assert SRN in text
        assert "The tip may break off during insertion." in text
        assert "(01)" in text  # the UDI of the frozen scope
        assert "Quarantine and return." in text
    docx_zh = _docx_text(filing.docx_zh.read())
    assert "隔离并退回。" in docx_zh
    assert "现场安全纠正措施（FSCA）报告" in docx_zh
    rows, _missing = deadlines.deadlines_for(eu_recall)
    fsca = next(r for r in rows if r.key == "eu_mdr.fsca_report")
    assert (fsca.status, filing.deadline_key) == ("done", "eu_mdr.fsca_report")


@pytest.mark.django_db
def test_fsn_gate_refuses_before_the_fsca_report_and_the_draft_fsn(
    eu_recall: RecallCase, manager: User
) -> None:
    entries = AuditEntry.objects.count()
    with pytest.raises(FsnGateClosed) as refused:
        send_runs.notice_run_start(recall=eu_recall, actor=manager)
    assert refused.value.details == [
        "The FSCA report to the competent authority is not submitted: the first field safety "
        "notice goes out after it (MDR Art. 87(1)(b)). Submit the FSCA report (Regulatory "
        "filings), or sign an urgent override with the reason.",
        "The draft field safety notice has not been sent to the competent authority for comment "
        "(MDR Art. 89(8)). Record it (Regulatory filings: draft FSN to the authority), or sign "
        "an urgent override with the reason.",
    ]
    assert (NoticeRun.objects.count(), Notice.objects.count()) == (0, 0)
    assert AuditEntry.objects.count() == entries
    _submit(_fsca(eu_recall, manager), manager, "DE-FSCA-2025-7")
    with pytest.raises(FsnGateClosed) as still:
        send_runs.notice_run_start(recall=eu_recall, actor=manager)
    assert len(still.value.details) == 1
    assert (NoticeRun.objects.count(), Notice.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_fsn_after_both_records_says_the_authority_was_informed_from_the_record(
    eu_recall: RecallCase, manager: User
) -> None:
    from medrecall.notices import issuing
    from medrecall.notices.rendering import notice_render

    _submit(_fsca(eu_recall, manager), manager, "DE-FSCA-2025-7")
    _submit(_fsca(eu_recall, manager, "eu_mdr.draft_fsn"), manager, "DRAFT-1")
    run = send_runs.notice_run_start(recall=eu_recall, actor=manager)
    issuing.notices_create(
        recall=eu_recall,
        run=run,
        kind="initial",
        party_ids=None or [p.pk for p in Party.objects.filter(code="HOSP2")],
    )
    notice = Notice.objects.get(party__code="HOSP2")
    rendered = notice_render(notice)
    assert (
        "The competent authority (BfArM) was informed of this Field Safety Corrective Action on "
        "March 2, 2025 (reference: DE-FSCA-2025-7)."
    ) in rendered.text
    assert f"(SRN {SRN})" in rendered.text
    assert f"SRN {SRN}" in _pdf_text(rendered.pdf)


@pytest.mark.django_db
def test_final_fsca_report_refuses_when_a_country_does_not_reconcile(
    eu_recall: RecallCase, manager: User
) -> None:
    filing = _fsca(eu_recall, manager, "eu_mdr.fsca_final")
    held = (
        AffectedLine.objects.filter(snapshot__recall=eu_recall)
        .exclude(party__party_type="own_site")
        .values_list("party__country")
        .annotate(n=Sum(F("on_hand") + F("in_transit")))
        .order_by("party__country")
    )
    units = dict(held)
    assert filing.content["reconciliation"] == [
        {
            "country": code,
            "in_scope": units[code],
            "notified": 0,
            "returned": 0,
            "corrected": 0,
            "used_or_destroyed": 0,
            "accounted": 0,
        }
        for code in ("DE", "FR")
    ]
    with pytest.raises(FilingIncomplete) as refused:
        services.filing_check(filing=filing, actor=manager)
    names = {"DE": "Germany", "FR": "France"}
    assert refused.value.details == [
        message
        for code in ("DE", "FR")
        for message in (
            f"{names[code]} ({code}): 0 of {units[code]} units in scope are at holders that "
            "were notified.",
            f"{names[code]} ({code}): {units[code]} units in scope, 0 accounted (returned 0, "
            "corrected 0, used or destroyed 0): the figures do not reconcile.",
        )
    ]
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT
    assert "Reconciliation per country" in _docx_text(filing.docx_en.read())


@pytest.mark.django_db
def test_incident_deadline_from_the_case_fields(eu_recall: RecallCase, manager: User) -> None:
    from medrecall.recalls import services as recall_services

    recall = RecallCase.objects.get(pk=eu_recall.pk)
    recall_services.recall_update(
        recall=recall,
        actor=manager,
        version=recall.version,
        aware_at=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        eu_incident="death_or_serious_deterioration",
    )
    rows, _missing = deadlines.deadlines_for(RecallCase.objects.get(pk=eu_recall.pk))
    incident = next(r for r in rows if r.key == "eu_mdr.incident_report")
    assert incident.due_at == datetime(2025, 3, 11, 8, 0, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        pytest.param(None, 401, 401, id="anonymous"),
        pytest.param("portal", 404, 404, id="portal-of-another-party"),
        pytest.param("viewer", 200, 403, id="viewer-reads-only"),
        pytest.param("qa_ra_manager", 200, 201, id="qa-ra-manager"),
    ],
)
def test_fsn_gate_api_permission_matrix(
    eu_recall: RecallCase,
    make_user: Callable[..., User],
    api_as: Callable[[User | None], Any],
    role: str | None,
    read: int,
    write: int,
) -> None:
    user = None
    if role == "portal":
        user = make_user(role, party=Party.objects.get(code="HOSP"))
    elif role:
        user = make_user(role)
    client = api_as(user)
    url = f"/api/recalls/{eu_recall.pk}/fsn-gate/"
    got = client.get(url)
    assert got.status_code == read
    if read == 200:
        assert got.json()["srn"] == SRN
        assert len(got.json()["blocked_by"]) == 2
    body = {
        "reason": "Patients at risk today.",
        "authority": "BfArM",
        "reference": "phone 2025-03-01",
        "password": PASSWORD,
        "username": user.username if user else "",
    }
    posted = client.post(url, body, format="json")
    assert posted.status_code == write
    if write == 201:
        assert posted.json()["override"]["authority"] == "BfArM"
        assert posted.json()["blocked_by"] == []
    assert FsnOverrideCount() == (1 if write == 201 else 0)


def FsnOverrideCount() -> int:  # noqa: N802 - reads as a count in the asserts above
    from medrecall.notices.models import FsnOverride

    return FsnOverride.objects.count()


@pytest.mark.django_db
def test_fsn_gate_command_json(eu_recall: RecallCase) -> None:
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command("filings", "fsn-gate", eu_recall.number, "--json", stdout=out)
    state = json.loads(out.getvalue())
    assert (state["fsca_report"], state["draft_fsn"], state["override"], state["srn"]) == (
        None,
        None,
        None,
        SRN,
    )
    assert len(state["blocked_by"]) == 2


@pytest.mark.django_db
def test_fsn_gate_page_refuses_an_override_without_a_reason(
    eu_recall: RecallCase, manager: User, client: Any, make_user: Callable[..., User]
) -> None:
    client.force_login(manager)
    url = f"/recalls/{eu_recall.pk}/fsn-gate/"
    page = client.post(
        url,
        {"reason": "", "authority": "BfArM", "reference": "phone", "password": PASSWORD},
        follow=True,
    )
    assert page.status_code == 200
    assert "Say why the field safety notice cannot wait for the FSCA report." in page.text
    assert FsnOverrideCount() == 0
    portal = make_user("portal", party=Party.objects.get(code="HOSP"))
    client.force_login(portal)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_incident_fields_through_the_command_and_the_api(
    eu_recall: RecallCase, manager: User, api_as: Callable[[User | None], Any]
) -> None:
    from django.core.management import call_command

    call_command(
        "recall",
        "update",
        eu_recall.number,
        "--set",
        "aware_at=2025-03-01T08:00:00+00:00",
        "--set",
        "eu_incident=public_health_threat",
        "--user",
        manager.username,
        stdout=io.StringIO(),
    )
    rows, _missing = deadlines.deadlines_for(RecallCase.objects.get(pk=eu_recall.pk))
    incident = next(r for r in rows if r.key == "eu_mdr.incident_report")
    assert incident.due_at == datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    recall = RecallCase.objects.get(pk=eu_recall.pk)
    refused = api_as(manager).patch(
        f"/api/recalls/{recall.pk}/",
        {"version": recall.version, "eu_incident": "", "aware_at": "2025-03-01T08:00:00Z"},
        format="json",
    )
    assert refused.status_code == 400
    assert "Choose the serious-incident category for the awareness date." in str(refused.json())
    assert RecallCase.objects.get(pk=recall.pk).eu_incident == "public_health_threat"
