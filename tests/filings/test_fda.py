"""The FDA documents: the 806 report (every item of 806.10(c), its report number, the consignee
list from the trace, amendments when lots are added), the 806.20 record (a reviewed
justification), recall status reports (the six counts of 7.53(b), reconciling), the request to
terminate (7.55) and its gate on termination; FDA's own record of the recall."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from docx import Document
from pypdf import PdfReader
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.filings import services
from medrecall.filings.closure import termination_findings
from medrecall.filings.documents import FDA_CDRH
from medrecall.filings.errors import FilingIncomplete
from medrecall.filings.models import Filing, FilingStatus
from medrecall.filings.rendering import party_address, party_name
from medrecall.parties.models import Contact, Party
from medrecall.recalls import deadlines
from medrecall.recalls import services as recall_services
from medrecall.recalls.errors import FdaRecordInvalid, TransitionRefused
from medrecall.recalls.fda import fda_record
from medrecall.recalls.lifecycle import Status
from medrecall.recalls.models import HazardEvaluation, RecallCase, RecallRegime
from tests.conftest import PASSWORD
from tests.filings.conftest import ACK, FDA_REGISTRATION, REPORT_806_SECTIONS, signing_clock

SUBMITTED_AT = datetime(2025, 3, 12, 15, tzinfo=UTC)


def pdf_text(field) -> str:
    with field.open("rb") as handle:
        text = "".join(page.extract_text() for page in PdfReader(handle).pages)
    return re.sub(r"\s+", "", text)


def docx_text(field) -> str:
    with field.open("rb") as handle:
        word = Document(handle)
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    return re.sub(r"\s+", "", "".join([p.text for p in word.paragraphs] + cells))


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _today_us() -> str:
    today = timezone.now().astimezone(ZoneInfo("America/New_York")).date()
    return f"{today.month}/{today.day}/{today:%y}"


def _phone_for_hosp() -> None:
    Contact.objects.create(
        party=Party.objects.get(code="HOSP"), name="Dr Lin", phone="+86 20 8888 0000"
    )


def _report(recall: RecallCase, actor: User, sections: dict | None = None) -> Filing:
    filing = services.filing_generate(recall=recall, doc_type="fda.report_806", actor=actor)
    return services.filing_enter(
        filing=filing, actor=actor, sections=sections or REPORT_806_SECTIONS
    )


def _signed(filing: Filing, actor: User) -> Filing:
    filing = services.filing_check(filing=filing, actor=actor)
    with signing_clock():
        return services.filing_sign(
            filing=filing, actor=actor, password=PASSWORD, username=actor.username
        )


def _submit(filing: Filing, actor: User, reference: str = "CDRH-806-0001") -> Filing:
    return services.filing_submit(
        filing=filing,
        actor=actor,
        authority="FDA CDRH",
        reference=reference,
        acknowledgement=ACK,
        acknowledgement_name="ack.pdf",
        submitted_at=SUBMITTED_AT,
    )


# --- the 806 report -------------------------------------------------------------------------


def test_the_806_report_number_is_registration_date_sequence_and_r_for_a_removal(
    fda_recall, manager
):
    filing = services.filing_generate(recall=fda_recall, doc_type="fda.report_806", actor=manager)

    assert filing.content["report_number"] == f"{FDA_REGISTRATION}-{_today_us()}-001-R"
    assert filing.addressees == [FDA_CDRH]


def test_a_second_recall_reported_the_same_day_takes_the_next_sequence_and_c_for_a_correction(
    fda_recall, manager
):
    services.filing_generate(recall=fda_recall, doc_type="fda.report_806", actor=manager)
    other = recall_services.recall_open(
        actor=manager,
        title="第二个",
        products=list(fda_recall.products.all()),
        reason="r",
        regimes=["fda"],
        action_type="correction",
    )
    RecallRegime.objects.filter(recall=other).update(recall_class="II")

    second = services.filing_generate(recall=other, doc_type="fda.report_806", actor=manager)

    assert second.content["report_number"] == f"{FDA_REGISTRATION}-{_today_us()}-002-C"


def test_the_806_check_names_the_missing_phone_and_every_empty_section_and_changes_nothing(
    fda_recall, manager
):
    filing = services.filing_generate(recall=fda_recall, doc_type="fda.report_806", actor=manager)
    audited = AuditEntry.objects.count()

    with pytest.raises(FilingIncomplete) as refused:
        services.filing_check(filing=filing, actor=manager)

    assert refused.value.details == [
        "Consignee HOSP has no phone number (no contact with a phone).",
        "Section “Person responsible for the correction or removal: name, title, address, "
        "phone” is empty.",
        "Section “Brand, common and classification name, product code” is empty.",
        "Section “Intended use of the device” is empty.",
        "Section “Marketing status (510(k), PMA, preamendment) and listing number” is empty.",
        "Section “The event and the corrective or removal actions taken and planned” is empty.",
        "Section “Illnesses or injuries and the MDR report numbers (or: none)” is empty.",
        "Section “Copies of all communications and any further recipients” is empty.",
    ]
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT
    assert AuditEntry.objects.count() == audited


def _no_registration(recall, settings):
    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "fda_registration": ""}


def _no_english_reason(recall, settings):
    RecallCase.objects.filter(pk=recall.pk).update(reason_en="")


def _no_evaluation(recall, settings):
    HazardEvaluation.objects.filter(recall=recall).delete()


def _no_expiry(recall, settings):
    from medrecall.catalog.models import Lot

    Lot.objects.filter(number="C1").update(expires_on=None)


def _no_quantity_produced(recall, settings):
    from medrecall.catalog.models import Lot

    Lot.objects.filter(number="C1").update(quantity_produced=None)


def _no_address(recall, settings):
    Party.objects.filter(code="SUB").update(address="", city="", province="", country="")


@pytest.mark.parametrize(
    ("breaks", "message"),
    [
        pytest.param(
            _no_registration,
            "The firm's FDA establishment registration number is not set: the report number "
            "needs it. Set it under Administration → Company.",
            id="registration",
        ),
        pytest.param(
            _no_english_reason,
            "The reason for the recall (English) is empty: FDA reads English.",
            id="reason",
        ),
        pytest.param(
            _no_evaluation,
            "The health hazard evaluation is not recorded: the illnesses and injuries are unknown.",
            id="injuries",
        ),
        pytest.param(
            _no_expiry, "Lot C1 of CATH has no expiry date (or expected life).", id="expiry"
        ),
        pytest.param(
            _no_quantity_produced, "Lot C1 of CATH has no quantity produced.", id="produced"
        ),
        pytest.param(_no_address, "Consignee SUB has no address.", id="address"),
    ],
)
def test_each_item_of_806_10_c_missing_is_named(fda_recall, manager, settings, breaks, message):
    _phone_for_hosp()
    breaks(fda_recall, settings)
    filing = _report(RecallCase.objects.get(pk=fda_recall.pk), manager)

    assert services.filing_problems(filing) == [message]
    with pytest.raises(FilingIncomplete):
        services.filing_check(filing=filing, actor=manager)
    assert Filing.objects.get(pk=filing.pk).status == FilingStatus.DRAFT


@pytest.mark.parametrize(
    ("pdf", "docx", "words"),
    [
        pytest.param(
            "pdf_zh", "docx_zh", ["医疗器械纠正和移除报告", "质量总监李明", "电子签名"], id="zh"
        ),
        pytest.param(
            "pdf_en",
            "docx_en",
            ["Report of correction or removal", "Li Ming, QA Director", "Electronic signature"],
            id="en",
        ),
    ],
)
def test_the_806_values_in_the_pdf_and_word_file_equal_the_data(
    fda_recall, manager, pdf, docx, words
):
    _phone_for_hosp()
    filing = _signed(_report(fda_recall, manager), manager)
    values = filing.content
    sub = next(c for c in values["consignees"] if c["code"] == "SUB")
    expected = [
        values["report_number"],
        FDA_REGISTRATION,
        "(01)06950000000019(10)C1",
        "2028-01-09",
        str(values["distribution"]["units"]),
        "1000",
        # The name and address as the document's language writes them (rendering).
        party_name(sub, "zh-hans" if pdf.endswith("zh") else "en"),
        party_address(sub, "zh-hans" if pdf.endswith("zh") else "en"),
        sub["phone"],
        "2025-01-20C1×200",
        manager.get_full_name() or manager.username,
        *words,
    ]
    pdf_found, docx_found = pdf_text(getattr(filing, pdf)), docx_text(getattr(filing, docx))
    for word in expected:
        assert _squeeze(word) in pdf_found, word
        assert _squeeze(word) in docx_found, word
    assert [c["code"] for c in values["consignees"]] == ["DIST", "HOSP", "HOSP2", "SUB"]
    assert [c["units"] for c in values["consignees"]] == [350, 70, 50, 100]


def test_submitting_the_806_report_marks_its_deadline_done(fda_recall, manager):
    _phone_for_hosp()
    filing = _submit(_signed(_report(fda_recall, manager), manager), manager)

    rows, _missing = deadlines.deadlines_for(RecallCase.objects.get(pk=fda_recall.pk))
    row = next(r for r in rows if r.key == "fda.report_806")
    assert (row.status, row.done_at) == ("done", SUBMITTED_AT)
    assert (filing.deadline_key, filing.status) == ("fda.report_806", FilingStatus.SUBMITTED)


def test_an_amendment_keeps_the_report_number_and_names_the_lots_added(
    fda_recall, manager, tmp_path: Path
):
    from medrecall.catalog.models import DeviceModel
    from tests.traceability.scenario import CATH, run_events

    _phone_for_hosp()
    first = _submit(_signed(_report(fda_recall, manager), manager), manager)
    run_events(
        tmp_path,
        f"X1,produced,2025-01-11T08:00:00+08:00,{CATH},C2,,40,,FAC,WO-2,2025-01-11,2028-01-10,,\n"
        f"X2,shipped,2025-01-14T08:00:00+08:00,{CATH},C2,,40,FAC,D1,DN-9,,,,\n",
    )
    from medrecall.catalog.models import Lot

    Lot.objects.filter(number="C2").update(quantity_produced=40)
    recall_services.scope_rule_add(
        recall=fda_recall,
        actor=manager,
        kind="lots",
        device_model=DeviceModel.objects.get(udi_di=CATH),
        values=["C2"],
    )
    recall_services.scope_freeze(recall=fda_recall, actor=manager)

    amended = services.filing_revise(
        filing=first, actor=manager, change_note="Lot C2 added to the recall."
    )

    assert (amended.version, amended.change_note) == (2, "Lot C2 added to the recall.")
    assert amended.content["report_number"] == first.content["report_number"]
    assert amended.content["added_lots"] == ["CATH C2"]
    assert "CATHC2" in pdf_text(amended.pdf_en)
    assert [lot["lot"] for lot in amended.content["lots"]] == ["C1", "C2"]


# --- the 806.20 record ----------------------------------------------------------------------


def test_the_806_20_record_needs_the_justification_and_is_signed_as_reviewed(fda_recall, manager):
    record = services.filing_generate(
        recall=fda_recall, doc_type="fda.record_806_20", actor=manager
    )
    record = services.filing_enter(
        filing=record,
        actor=manager,
        sections={"actions": {"zh": "更换标签。", "en": "Labels replaced."}},
    )
    with pytest.raises(FilingIncomplete) as refused:
        services.filing_check(filing=record, actor=manager)
    assert refused.value.details == [
        "Section “Why the correction or removal is not reported (the justification)” is empty."
    ]

    record = services.filing_enter(
        filing=record,
        actor=manager,
        sections={
            "justification": {
                "zh": "仅改进标签，不降低健康风险。",
                "en": "A labelling improvement that does not reduce a risk to health.",
            }
        },
    )
    record = _signed(record, manager)

    assert record.signature.meaning == "reviewed"
    text = pdf_text(record.pdf_en)
    assert "Meaning" in text
    assert "Reviewed" in text
    assert _squeeze("A labelling improvement that does not reduce a risk to health.") in text
    assert "审核" in pdf_text(record.pdf_zh) or "已审核" in pdf_text(record.pdf_zh)


# --- status reports -------------------------------------------------------------------------


def _notified(recall: RecallCase) -> None:
    """Notices created for every holder, sent and delivered (as the worker and the mail system
    would mark them) on 3 March; HOSP2 acknowledged."""
    from medrecall.notices import send_runs
    from medrecall.notices.models import Notice

    run = send_runs.notice_run_start(recall=recall, actor=recall.owner, kind="initial")
    send_runs.notice_run_execute(run.pk)
    at = datetime(2025, 3, 3, 9, tzinfo=UTC)
    # Sent and delivered: a notice only sent would not notify (21 CFR 7.53(b)(1) counts the
    # consignees that have it).
    Notice.objects.filter(recall=recall).update(sent_at=at, delivered_at=at)
    Notice.objects.filter(recall=recall, party__code="HOSP2").update(
        acknowledged_at=datetime(2025, 3, 4, 9, tzinfo=UTC)
    )


def test_the_status_report_counts_reconcile_and_are_printed(fda_recall, manager):
    _notified(fda_recall)
    report = services.filing_generate(
        recall=fda_recall, doc_type="fda.status_report", actor=manager
    )

    counts = report.content["counts"]
    assert counts == {
        "consignees": 4,
        "notified": 4,
        "not_notified": 0,
        "responding": 1,
        "not_responding": 3,
        "on_hand_at_response": 0,
        "units": 570,
        "returned": 0,
        "corrected": 0,
        "accounted": 0,
    }
    report = services.filing_enter(
        filing=report,
        actor=manager,
        sections={"estimated_completion": {"zh": "2025年4月底", "en": "End of April 2025"}},
    )
    assert services.filing_problems(report) == []
    text = pdf_text(_signed(report, manager).pdf_en)
    assert _squeeze("(1) Consignees notified4 / 4") in text
    assert _squeeze("(3) Consignees not responding3") in text


def test_a_status_report_whose_counts_do_not_reconcile_is_refused_naming_each(fda_recall, manager):
    report = services.filing_generate(
        recall=fda_recall, doc_type="fda.status_report", actor=manager
    )
    report = services.filing_enter(
        filing=report,
        actor=manager,
        sections={"estimated_completion": {"zh": "四月", "en": "April"}},
    )
    content = dict(report.content)
    content["counts"] = {**content["counts"], "notified": 3, "responding": 1}
    content["execution"] = {**content["execution"], "returned_all": 20}
    Filing.objects.filter(pk=report.pk).update(content=content)
    report.refresh_from_db()

    with pytest.raises(FilingIncomplete) as refused:
        services.filing_check(filing=report, actor=manager)

    assert refused.value.details == [
        "Consignees notified (3) and not notified (4) do not add up to the 4 consignees of the "
        "frozen scope.",
        "Consignees responding (1) and not responding (0) do not add up to the 3 notified.",
        "Units returned do not reconcile with execution: 0 by the consignees listed and 0 "
        "elsewhere, but 20 on the recall.",
    ]
    assert Filing.objects.get(pk=report.pk).status == FilingStatus.DRAFT


def test_status_reports_fall_due_at_the_cases_interval(fda_recall, manager):
    RecallCase.objects.filter(pk=fda_recall.pk).update(fda_status_interval_days=7)
    recall = RecallCase.objects.get(pk=fda_recall.pk)

    rows, _missing = deadlines.deadlines_for(recall, now=datetime(2025, 3, 20, tzinfo=UTC))

    due = [r.due_at for r in rows if r.key == "fda.status_report"][:3]
    assert due == [
        datetime(2025, 3, 10, 9, tzinfo=UTC),
        datetime(2025, 3, 17, 9, tzinfo=UTC),
        datetime(2025, 3, 24, 9, tzinfo=UTC),
    ]


def test_the_status_interval_is_edited_through_the_api_and_refused_below_one(
    fda_recall, manager, api_as
):
    client = api_as(manager)
    body = client.get(f"/api/recalls/{fda_recall.pk}/").json()
    refused = client.patch(
        f"/api/recalls/{fda_recall.pk}/",
        {"version": body["version"], "fda_status_interval_days": 0},
        format="json",
    )
    changed = client.patch(
        f"/api/recalls/{fda_recall.pk}/",
        {"version": body["version"], "fda_status_interval_days": 21, "reason": "FDA letter"},
        format="json",
    )

    assert refused.status_code == 400
    assert changed.status_code == 200, changed.json()
    assert RecallCase.objects.get(pk=fda_recall.pk).fda_status_interval_days == 21


# --- termination ----------------------------------------------------------------------------


def test_the_termination_request_names_what_keeps_the_recall_from_terminating(fda_recall, manager):
    request = services.filing_generate(
        recall=fda_recall, doc_type="fda.termination_request", actor=manager
    )

    assert services.filing_problems(request) == [
        "Not every unit of the frozen scope is accounted: 470 still at holders, 0 in "
        "quarantine, 100 in transit, 400 in our stock, 0 unexplained.",
        "No effectiveness-check level is set for the FDA regime.",
        "No recall status report is submitted: the request attaches the latest one.",
        "Section “Description of the disposition of the recalled product” is empty.",
        "Section “The request (why the recall can be terminated)” is empty.",
    ]


def test_terminating_from_execution_is_refused_with_the_closure_reasons_and_changes_nothing(
    fda_recall, manager
):
    audited = AuditEntry.objects.count()

    with pytest.raises(TransitionRefused) as refused:
        recall_services.recall_transition(
            recall=fda_recall, target="terminated", actor=manager, reason="FDA terminated"
        )

    reasons = refused.value.details
    assert reasons[0] == "Record when the last affected unit was dealt with."
    assert (
        "The request to terminate the FDA recall (21 CFR 7.55) is not submitted: generate it, "
        "check, sign and submit it."
    ) in reasons
    assert RecallCase.objects.get(pk=fda_recall.pk).status == Status.IN_EXECUTION
    assert AuditEntry.objects.count() == audited


def test_the_termination_finding_goes_once_the_request_is_submitted(fda_recall, manager):
    assert [f.message for f in termination_findings(fda_recall)] == [
        "The request to terminate the FDA recall (21 CFR 7.55) is not submitted: generate it, "
        "check, sign and submit it."
    ]
    request = services.filing_generate(
        recall=fda_recall, doc_type="fda.termination_request", actor=manager
    )
    Filing.objects.filter(pk=request.pk).update(status=FilingStatus.SIGNED)
    assert len(termination_findings(fda_recall)) == 1

    Filing.objects.filter(pk=request.pk).update(status=FilingStatus.SUBMITTED)

    assert termination_findings(fda_recall) == []


def test_a_recall_without_the_fda_regime_needs_no_termination_request(recall):
    assert termination_findings(recall) == []


# --- FDA's own record -----------------------------------------------------------------------


def test_fdas_record_is_saved_audited_and_printed(fda_recall, manager):
    from datetime import date

    regime = fda_record(
        recall=fda_recall,
        actor=manager,
        classification="ii",
        event_id="95123",
        z_numbers={"CATH": "z-1234-2025"},
        classified_on=date(2025, 3, 20),
    )

    assert (regime.fda_class, regime.fda_event_id, regime.fda_z_numbers) == (
        "II",
        "95123",
        [{"model_code": "CATH", "z_number": "Z-1234-2025"}],
    )
    entry = AuditEntry.objects.filter(action="recalls.fda_recorded").get()
    assert entry.changes["fda_event_id"] == ["", "95123"]
    filing = services.filing_generate(
        recall=fda_recall, doc_type="fda.status_report", actor=manager
    )
    assert filing.content["fda"]["z_numbers"] == [{"model_code": "CATH", "z_number": "Z-1234-2025"}]
    text = pdf_text(filing.pdf_en)
    assert "95123" in text
    assert "CATH:Z-1234-2025" in text


def test_a_wrong_fda_record_is_refused_with_every_problem_and_changes_nothing(fda_recall, manager):
    with pytest.raises(FdaRecordInvalid) as refused:
        fda_record(
            recall=fda_recall,
            actor=manager,
            classification="IV",
            event_id="E-1",
            z_numbers={"PUMP": "1234"},
        )

    assert refused.value.details == [
        "FDA classification IV is unknown; use I, II or III.",
        "The FDA recall event id E-1 is not a number (e.g. 95123).",
        f"PUMP is not a device model of recall {fda_recall.number}.",
        "Z-number 1234 of PUMP is not in FDA's form Z-NNNN-YYYY.",
    ]
    regime = RecallRegime.objects.get(recall=fda_recall, regime="fda")
    assert (regime.fda_class, regime.fda_event_id, regime.fda_z_numbers) == ("", "", [])
    assert not AuditEntry.objects.filter(action="recalls.fda_recorded").exists()


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        pytest.param(None, 401, 401, id="anonymous"),
        pytest.param(Role.PORTAL, 404, 404, id="portal-of-a-holder"),
        pytest.param(Role.VIEWER, 200, 403, id="viewer-reads-only"),
        pytest.param(Role.QA_RA_MANAGER, 200, 200, id="qa-ra-manager"),
    ],
)
def test_who_reads_and_records_fdas_record_through_the_api(
    fda_recall,
    make_user: Callable[..., User],
    api_as: Callable[[User | None], APIClient],
    role,
    read,
    write,
):
    party = Party.objects.get(code="HOSP") if role == Role.PORTAL else None
    client = api_as(make_user(role, party=party) if role else None)
    url = f"/api/recalls/{fda_recall.pk}/fda-record/"

    got = client.get(url)
    put = client.put(
        url,
        {"fda_class": "I", "fda_z_numbers": [{"model_code": "CATH", "z_number": "Z-0001-2025"}]},
        format="json",
    )

    assert (got.status_code, put.status_code) == (read, write)
    regime = RecallRegime.objects.get(recall=fda_recall, regime="fda")
    assert regime.fda_class == ("I" if write == 200 else "")
    if write == 200:
        assert put.json()["fda_z_numbers"] == [{"model_code": "CATH", "z_number": "Z-0001-2025"}]


def test_fdas_record_from_the_command(fda_recall, manager, capsys):
    import json

    call_command(
        "filings",
        "fda-record",
        fda_recall.number,
        "--class",
        "III",
        "--event-id",
        "90001",
        "--z",
        "CATH=Z-0002-2025",
        "--user",
        manager.username,
        "--json",
    )

    assert json.loads(capsys.readouterr().out) == {
        "recall": fda_recall.number,
        "fda_class": "III",
        "fda_event_id": "90001",
        "fda_z_numbers": [{"model_code": "CATH", "z_number": "Z-0002-2025"}],
        "fda_classified_on": None,
        "case_class": "II",
        "class_warning": "FDA classified this recall Class III; the case says Class II: "
        "re-classify the case or record why.",
        "fda_class_kept_reason": "",
        "class_note": "",
    }


def test_fdas_record_on_the_filings_page_and_the_case(fda_recall, manager, client):
    client.force_login(manager)
    posted = client.post(
        f"/recalls/{fda_recall.pk}/filings/fda-record/",
        {"fda_class": "II", "event_id": "95123", "z_numbers": "CATH=Z-1234-2025"},
    )
    page = client.get(f"/recalls/{fda_recall.pk}/filings/").content.decode()
    case = client.get(f"/recalls/{fda_recall.pk}/").content.decode()

    assert posted.status_code == 302
    assert "Z-1234-2025" in page
    assert "95123" in case


def test_a_portal_user_never_reaches_the_fda_record_page(fda_recall, make_user, client):
    client.force_login(make_user(Role.PORTAL, party=Party.objects.get(code="HOSP")))

    posted = client.post(
        f"/recalls/{fda_recall.pk}/filings/fda-record/", {"fda_class": "I", "event_id": "1"}
    )

    assert posted.status_code == 404
    assert RecallRegime.objects.get(recall=fda_recall, regime="fda").fda_class == ""


def test_the_806_consignee_list_holds_domestic_and_foreign_consignees(fda_recall, manager):
    """806.10(c)(11) asks for "all domestic and foreign consignees": a holder abroad is listed
    (marked foreign) though its notice goes under no FDA clock; the status report's 7.53(b)
    counts stay with the FDA regime's consignees."""
    from medrecall.parties.models import Location

    _phone_for_hosp()
    Location.objects.filter(party__code="SUB").update(country="SG")
    report = _report(fda_recall, manager)

    rows = report.content["consignees"]
    assert [(c["code"], c["domestic"]) for c in rows] == [
        ("DIST", True),
        ("HOSP", True),
        ("HOSP2", True),
        ("SUB", False),
    ]
    status = services.filing_generate(
        recall=fda_recall, doc_type="fda.status_report", actor=manager
    )
    assert status.content["counts"]["consignees"] == 3
    text = pdf_text(_signed(report, manager).pdf_en)
    assert _squeeze("Consignees (domestic / foreign)4 (3 / 1)") in text
    assert _squeeze("Foreign") in text
