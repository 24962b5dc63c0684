"""Filings as records: generated from the data, checked (each missing item named), signed
(a change shows the signature as no longer matching), submitted once (the deadline done),
versioned. A refused action changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from medrecall.accounts.models import Signature
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.filings import services
from medrecall.filings.errors import (
    DocumentTypeUnknown,
    FilingAlreadySubmitted,
    FilingIncomplete,
    FilingNotCurrent,
    FilingNotSigned,
    SubmissionIncomplete,
)
from medrecall.filings.models import Filing, FilingStatus
from medrecall.filings.selectors import filings_overview, signature_state
from medrecall.recalls.deadlines import deadline_mark_done, deadlines_for
from medrecall.recalls.models import DeadlineDone
from tests.conftest import PASSWORD
from tests.filings.conftest import ACK, PLAN_SECTIONS, signed_plan, signing_clock
from tests.traceability.scenario import CATH

SUBMITTED_AT = datetime(2025, 3, 5, 2, 0, tzinfo=UTC)


def _actions(filing: Filing) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_type="filings.filing", target_id=str(filing.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def _submit(filing: Filing, actor, **overrides) -> Filing:
    arguments = {
        "filing": filing,
        "actor": actor,
        "authority": "广东省药品监督管理局",
        "reference": "YJZH-2025-017",
        "acknowledgement": ACK,
        "acknowledgement_name": "receipt.pdf",
        "submitted_at": SUBMITTED_AT,
    } | overrides
    return services.filing_submit(**arguments)


def test_the_plan_is_generated_from_the_frozen_scope(recall, manager):
    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)

    assert (filing.status, filing.sequence, filing.version) == (FilingStatus.DRAFT, 1, 1)
    assert filing.content["identification"] == [
        {
            "model_code": "CATH",
            "udi_di": CATH,
            "lot": "C1",
            "serial": "",
            "udi": f"(01){CATH}(10)C1",
            "manufactured_on": "2025-01-10",
            "expires_on": "2028-01-09",
            "units": 970,
        }
    ]
    assert filing.content["distribution"] == {
        "units": 970,
        "units_china": 970,
        "units_sold": 570,
        "holders": 4,
        "countries": ["CN"],
        "provinces": [{"code": "CN-GD", "name": "广东省"}],
    }
    assert filing.content["lots"] == [
        {"model_code": "CATH", "lot": "C1", "quantity_produced": 1000, "units": 970}
    ]
    assert filing.addressees == [
        {
            "zh": "广东省药品监督管理局",
            "en": "Guangdong Medical Products Administration",
            "province": "CN-GD",
        }
    ]
    assert all(getattr(filing, name) for name in ("pdf_zh", "pdf_en", "docx_zh", "docx_en"))
    assert _actions(filing) == ["filings.generated"]


def test_the_check_names_each_empty_section_of_the_plan_and_changes_nothing(recall, manager):
    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)
    filing = services.filing_enter(
        filing=filing, actor=manager, sections={"measures": PLAN_SECTIONS["measures"]}
    )

    with pytest.raises(FilingIncomplete) as refused:
        services.filing_check(filing=filing, actor=manager)

    assert refused.value.details == [
        "Section “3. How and where the recall is published” is empty.",
        "Section “4. The expected effect of the recall” is empty.",
        "Section “5. Handling of the devices after the recall” is empty.",
    ]
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT
    assert _actions(filing) == ["filings.generated", "filings.edited"]


def test_the_check_names_missing_catalogue_data(recall, manager):
    DeviceModel.objects.filter(udi_di=CATH).update(registration_no="")
    Lot.objects.filter(number="C1").update(quantity_produced=None)
    filing = services.filing_generate(recall=recall, doc_type="nmpa.event_report", actor=manager)

    assert services.filing_problems(filing) == [
        "Device model CATH has no NMPA registration number.",
        "Lot C1 of CATH has no quantity produced.",
        "Section “Responsible unit in China, person and contact” is empty.",
        "Section “Recall contact person and contact (mobile phone)” is empty.",
        "Section “Scope of use of the product” is empty.",
        "Section “Brief description of the corrective action” is empty.",
    ]


def test_the_plan_is_addressed_to_the_registrants_mpa_and_that_of_the_recalls_place(
    recall, elsewhere, manager
):
    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)

    assert [a["zh"] for a in filing.addressees] == ["广东省药品监督管理局", "北京市药品监督管理局"]
    assert [a["en"] for a in filing.addressees] == [
        "Guangdong Medical Products Administration",
        "Beijing Medical Products Administration",
    ]


def test_addressees_are_editable_and_none_is_a_missing_item(recall, manager):
    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)
    filing = services.filing_enter(
        filing=filing, actor=manager, sections=PLAN_SECTIONS, addressees=[]
    )

    assert services.filing_problems(filing) == ["The filing is addressed to no authority."]


def test_signing_is_refused_until_the_check_passed(recall, manager):
    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)

    with pytest.raises(FilingIncomplete) as refused:
        services.filing_sign(
            filing=filing, actor=manager, password=PASSWORD, username=manager.username
        )

    assert len(refused.value.details) == 4
    filing.refresh_from_db()
    assert (filing.status, filing.signature_id) == (FilingStatus.DRAFT, None)
    assert not Signature.objects.filter(target_type="filings.filing").exists()


def test_a_signed_filing_prints_the_manifestation(recall, manager):
    filing = signed_plan(recall, manager)

    assert filing.status == FilingStatus.SIGNED
    assert signature_state(filing) == "valid"
    assert (filing.signature.meaning, filing.signature.signer_id) == ("authored", manager.pk)
    assert _actions(filing)[-1] == "filings.signed"


def test_a_change_after_signing_shows_the_signature_no_longer_matching(recall, manager):
    filing = signed_plan(recall, manager)
    signature = filing.signature_id

    filing = services.filing_enter(
        filing=filing, actor=manager, sections={"expected_effect": {"zh": "收回九成。", "en": ""}}
    )

    assert (filing.status, filing.signature_id) == (FilingStatus.DRAFT, signature)
    assert signature_state(filing) == "content_changed"
    with pytest.raises(FilingNotSigned):
        _submit(filing, manager)


def test_submitting_marks_the_recalls_deadline_done(recall, manager):
    filing = _submit(signed_plan(recall, manager), manager)

    assert filing.status == FilingStatus.SUBMITTED
    assert (filing.authority, filing.reference, filing.submitted_at) == (
        "广东省药品监督管理局",
        "YJZH-2025-017",
        SUBMITTED_AT,
    )
    assert filing.acknowledgement.read() == ACK
    assert filing.acknowledgement_type == "application/pdf"
    rows, _missing = deadlines_for(recall)
    plan = [row for row in rows if row.key == "nmpa.recall_plan"]
    assert [(row.status, row.done_at) for row in plan] == [("done", SUBMITTED_AT)]
    assert filing.deadline_key == "nmpa.recall_plan"
    assert filing.deadline_due_at == plan[0].due_at
    assert AuditEntry.objects.filter(action="recalls.deadline_done").count() == 1
    assert _actions(filing)[-1] == "filings.submitted"


def test_submitting_twice_is_refused_and_changes_nothing(recall, manager):
    filing = _submit(signed_plan(recall, manager), manager)
    entries = AuditEntry.objects.count()

    with pytest.raises(FilingAlreadySubmitted):
        _submit(filing, manager, reference="OTHER-1")

    filing.refresh_from_db()
    assert filing.reference == "YJZH-2025-017"
    assert AuditEntry.objects.count() == entries
    assert DeadlineDone.objects.filter(recall=recall).count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param(
            {"authority": " "}, "Say which authority it was submitted to.", id="authority"
        ),
        pytest.param({"reference": ""}, "Give the authority's reference number.", id="reference"),
        pytest.param(
            {"acknowledgement": None},
            "Attach the authority's acknowledgement (PDF, scan or photo).",
            id="acknowledgement",
        ),
        pytest.param(
            {"acknowledgement": b"MZ\x90\x00program"},
            "receipt.pdf is not a file we accept here (its content is not one of: PDF, JPEG "
            "photo, PNG picture, TIFF scan, Word document (.docx)). Web pages, pictures with "
            "scripts (SVG) and programs are never accepted.",
            id="program",
        ),
    ],
)
def test_an_incomplete_submission_is_refused_and_changes_nothing(
    recall, manager, overrides, message
):
    filing = signed_plan(recall, manager)
    entries = AuditEntry.objects.count()

    with pytest.raises(SubmissionIncomplete) as refused:
        _submit(filing, manager, **overrides)

    assert refused.value.message == message
    filing.refresh_from_db()
    assert (filing.status, filing.reference, bool(filing.acknowledgement)) == (
        FilingStatus.SIGNED,
        "",
        False,
    )
    assert AuditEntry.objects.count() == entries
    assert not DeadlineDone.objects.filter(recall=recall).exists()


def test_an_acknowledgement_over_the_size_limit_is_refused(recall, manager, settings):
    settings.MEDRECALL_FILING_ACK_MAX_BYTES = 20
    filing = signed_plan(recall, manager)

    with pytest.raises(SubmissionIncomplete) as refused:
        _submit(filing, manager, acknowledgement=ACK + b"x" * 20)

    assert refused.value.code == "file_too_large"


def test_a_change_after_submission_is_a_new_version_with_what_changed(recall, manager):
    first = _submit(signed_plan(recall, manager), manager)

    with pytest.raises(FilingAlreadySubmitted):
        services.filing_enter(filing=first, actor=manager, sections={"publication": {"zh": "x"}})
    with pytest.raises(SubmissionIncomplete):
        services.filing_revise(filing=first, actor=manager, change_note=" ")
    second = services.filing_revise(filing=first, actor=manager, change_note="收回期限延长至14日。")

    assert (second.version, second.status, second.previous_id) == (2, FilingStatus.DRAFT, first.pk)
    assert second.change_note == "收回期限延长至14日。"
    assert second.entered == first.entered
    assert _actions(second) == ["filings.new_version"]
    with pytest.raises(FilingNotCurrent):
        services.filing_revise(filing=first, actor=manager, change_note="again")
    assert Filing.objects.filter(recall=recall, doc_type="nmpa.recall_plan").count() == 2


def test_submitting_the_new_version_leaves_the_deadline_as_the_first_submission_marked_it(
    recall, manager
):
    first = _submit(signed_plan(recall, manager), manager)
    second = services.filing_revise(
        filing=first, actor=manager, change_note="期限延长。", change_note_en="Time limit longer."
    )
    second = services.filing_check(filing=second, actor=manager)
    with signing_clock():
        second = services.filing_sign(
            filing=second, actor=manager, password=PASSWORD, username=manager.username
        )

    second = _submit(second, manager, reference="YJZH-2025-021")

    assert (second.status, second.deadline_key) == (FilingStatus.SUBMITTED, "")
    assert list(DeadlineDone.objects.filter(recall=recall).values_list("key", "done_at")) == [
        ("nmpa.recall_plan", SUBMITTED_AT)
    ]


def test_a_document_the_recall_does_not_file_is_refused(recall, manager):
    with pytest.raises(DocumentTypeUnknown) as refused:
        services.filing_generate(recall=recall, doc_type="fda.report_806", actor=manager)

    assert "nmpa.recall_plan" in refused.value.message
    assert not Filing.objects.exists()


def test_the_manual_done_stays_possible_with_a_reason(recall, manager):
    rows, _missing = deadlines_for(recall)
    row = next(r for r in rows if r.key == "nmpa.event_report")

    deadline_mark_done(
        recall=recall, key=row.key, due_at=row.due_at, actor=manager, note="Filed on paper."
    )

    filing = services.filing_generate(recall=recall, doc_type="nmpa.event_report", actor=manager)
    overview = {r.kind.code: r for r in filings_overview(recall)}
    assert overview["nmpa.event_report"].due.status == "done"
    assert overview["nmpa.event_report"].filing == filing
    entry = AuditEntry.objects.get(action="recalls.deadline_done")
    assert entry.reason == "Filed on paper."
