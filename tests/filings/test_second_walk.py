"""Findings of the second browser walk of filings, effectiveness and closure: a deadline met by
a filing submitted before it started, the closure blockers while executing, an FDA regime with
no US consignee, the NMPA regime needed for Chinese holders, submission times, both languages
checked, one "notified", the SRN taken in, the EU and FDA pages, the 806 number's counter and
the deadline's history line."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.core.models import NumberSequence
from medrecall.core.presentation import written_time
from medrecall.filings import selectors, services
from medrecall.filings.closure import termination_findings
from medrecall.filings.errors import FilingIncomplete, SubmissionIncomplete
from medrecall.filings.models import Filing, FilingStatus
from medrecall.notices.models import Notice
from medrecall.notices.notify_by import holders_notify_by
from medrecall.parties.models import Contact, Location, Party
from medrecall.recalls import closure, deadlines
from medrecall.recalls.models import DeadlineDone, RecallCase, RecallRegime
from medrecall.recalls.selectors import sold_in_china_warning
from tests.conftest import PASSWORD
from tests.filings.conftest import (
    ACK,
    PLAN_SECTIONS,
    REPORT_806_SECTIONS,
    signed_plan,
    signing_clock,
)

pytestmark = pytest.mark.django_db

SUBMITTED_AT = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)


def _page(user: User, url: str, language: str = "en", status: int = 200) -> str:
    client = Client()
    client.force_login(user)
    answer = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    translation.activate("en")
    assert answer.status_code == status
    return answer.content.decode()


def _signed_806(recall: RecallCase, actor: User) -> Filing:
    Contact.objects.create(
        party=Party.objects.get(code="HOSP"), name="Dr Lin", phone="+86 20 8888 0000"
    )
    filing = services.filing_generate(recall=recall, doc_type="fda.report_806", actor=actor)
    filing = services.filing_enter(filing=filing, actor=actor, sections=REPORT_806_SECTIONS)
    filing = services.filing_check(filing=filing, actor=actor)
    with signing_clock():
        return services.filing_sign(
            filing=filing, actor=actor, password=PASSWORD, username=actor.username
        )


def _submit(filing: Filing, actor: User, when: datetime | None = SUBMITTED_AT) -> Filing:
    return services.filing_submit(
        filing=filing,
        actor=actor,
        authority="FDA CDRH",
        reference="CDRH-806-0001",
        acknowledgement=ACK,
        acknowledgement_name="ack.pdf",
        submitted_at=when,
    )


# --- 1. a deadline that starts after its document was submitted ------------------------------


def test_an_806_report_submitted_before_the_first_notice_meets_the_deadline_once_it_starts(
    fda_recall: RecallCase, manager: User
) -> None:
    RecallCase.objects.filter(pk=fda_recall.pk).update(initiated_at=None)
    recall = RecallCase.objects.get(pk=fda_recall.pk)
    filing = _submit(_signed_806(recall, manager), manager)

    assert (filing.status, filing.deadline_key) == (FilingStatus.SUBMITTED, "")
    assert selectors.deadline_note(filing) == (
        "There is no deadline for this document yet: it will count as met when it starts."
    )
    assert not DeadlineDone.objects.filter(recall=recall).exists()
    rows, _missing = deadlines.deadlines_for(recall)
    assert "fda.report_806" not in {row.key for row in rows}

    RecallCase.objects.filter(pk=recall.pk).update(initiated_at=datetime(2025, 3, 3, tzinfo=UTC))
    rows, _missing = deadlines.deadlines_for(RecallCase.objects.get(pk=recall.pk))
    row = next(r for r in rows if r.key == "fda.report_806")
    assert (row.status, row.done_at, row.from_records) == ("done", SUBMITTED_AT, True)


def test_the_submission_message_says_what_happened_to_the_deadline(
    fda_recall: RecallCase, manager: User
) -> None:
    RecallCase.objects.filter(pk=fda_recall.pk).update(initiated_at=None)
    recall = RecallCase.objects.get(pk=fda_recall.pk)
    filing = _signed_806(recall, manager)
    client = Client()
    client.force_login(manager)
    answer = client.post(
        f"/recalls/{recall.pk}/filings/{filing.pk}/submit/",
        {
            "authority": "FDA CDRH",
            "reference": "CDRH-806-0001",
            "submitted_at": "2025-03-02T09:00:00+00:00",
            "acknowledgement": SimpleUploadedFile("ack.pdf", ACK, "application/pdf"),
        },
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    translation.activate("en")
    body = answer.content.decode()
    assert (
        "Submission recorded. There is no deadline for this document yet: it will count as met "
        "when it starts."
    ) in body
    assert "the deadline is marked done" not in body


def test_a_submission_on_an_open_deadline_says_it_is_marked_done(
    fda_recall: RecallCase, manager: User
) -> None:
    filing = _submit(_signed_806(fda_recall, manager), manager)
    assert filing.deadline_key == "fda.report_806"
    assert selectors.deadline_note(filing) == (
        f"The deadline due {timezone.localtime(filing.deadline_due_at):%Y-%m-%d %H:%M} CST is "
        "marked done."
    )


# --- 2. the closure blockers on the effectiveness page while executing -------------------------


def test_the_effectiveness_page_lists_the_closure_blockers_while_executing(
    recall: RecallCase, manager: User
) -> None:
    assert recall.status == "in_execution"
    lines = closure.blocker_lines(closure.closure_report(recall))
    assert lines
    body = _page(manager, f"/recalls/{recall.pk}/effectiveness/")
    assert '<ul id="close-blockers">' in body
    information = set(closure.information_lines(closure.closure_report(recall)))
    assert information  # shown beside the reasons, in a neutral style
    for line in lines:
        style = "step-info" if line in information else "step-blocked"
        assert f'<li class="{style}">{line}</li>' in body


# --- 3. an FDA regime with no US consignee owes FDA nothing -----------------------------------


def _fda_beside_nmpa(recall: RecallCase, manager: User) -> RecallCase:
    """The recall's holders are all in China; the FDA regime is added beside NMPA."""
    RecallRegime.objects.create(recall=recall, regime="fda", recall_class="II")
    return RecallCase.objects.get(pk=recall.pk)


def test_an_fda_regime_without_us_consignees_owes_no_fda_filings(
    recall: RecallCase, manager: User
) -> None:
    recall = _fda_beside_nmpa(recall, manager)
    frozen = recall.current_snapshot.created_at

    assert selectors.without_us_consignees([recall]) == {recall.pk: frozen}
    assert termination_findings(recall)[0].message == "No US consignees: no FDA filings owed."
    assert not termination_findings(recall)[0].blocking
    owed = {row.kind.code: row.owed for row in selectors.filings_overview(recall)}
    assert {code: owed[code] for code in owed if code.startswith("fda.")} == {
        "fda.report_806": False,
        "fda.record_806_20": False,
        "fda.status_report": False,
        "fda.termination_request": False,
    }
    body = _page(manager, f"/recalls/{recall.pk}/filings/")
    assert (
        '<p class="message info" id="no-fda-filings">No US consignees: no FDA filings owed.</p>'
    ) in body
    chinese = _page(manager, f"/recalls/{recall.pk}/filings/", "zh-hans")
    assert "无美国收货方：无需向 FDA 提交文件。" in chinese


def test_a_us_consignee_makes_the_fda_filings_owed_again(recall: RecallCase, manager: User) -> None:
    recall = _fda_beside_nmpa(recall, manager)
    Location.objects.filter(party__code="HOSP2").update(country="US")
    assert selectors.without_us_consignees([recall]) == {}
    assert selectors.fda_owed(recall)
    assert termination_findings(recall)[0].blocking


def test_the_demo_recall_can_close_without_fda_filings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from medrecall.recalls import services as recall_services
    from medrecall.recalls.hooks import CLOSURE_CHECKS

    call_command("demo", "--json", stdout=StringIO(), stderr=StringIO())
    recall = RecallCase.objects.get()
    assert {r.regime for r in recall.regimes.all()} == {"nmpa", "fda"}
    report = closure.closure_report(recall)
    assert "No US consignees: no FDA filings owed." in report.information
    assert not [line for line in report.blocking if "FDA" in line or "7.55" in line]
    actor = User.objects.get(username="qa_ra_manager")
    # The other conditions met (units, effectiveness, the NMPA summary and the closing
    # signature are each tested on their own): only the filings' FDA check is left to run.
    monkeypatch.setattr(
        CLOSURE_CHECKS,
        "_items",
        {"filings.termination_request": CLOSURE_CHECKS.get("filings.termination_request")},
    )
    RecallCase.objects.filter(pk=recall.pk).update(completed_at=timezone.now())
    recall = recall_services.recall_transition(
        recall=RecallCase.objects.get(pk=recall.pk), target="effectiveness_check", actor=actor
    )
    closed = recall_services.recall_transition(recall=recall, target="closed", actor=actor)
    assert closed.status == "closed"


# --- 4. Chinese holders in an FDA-only recall need the NMPA regime ---------------------------


def test_chinese_holders_of_an_fda_only_recall_need_the_nmpa_regime_said_once(
    recall: RecallCase, manager: User
) -> None:
    RecallRegime.objects.filter(recall=recall).update(regime="fda")
    warning = (
        "4 holders in China are in the frozen scope (570 units): the recall needs the NMPA regime "
        "(医疗器械召回管理办法). Add the NMPA regime."
    )
    assert sold_in_china_warning(recall) == warning
    body = _page(manager, f"/recalls/{recall.pk}/")
    assert body.count(warning) == 1
    assert "even with no units in China" not in body


# --- 5. the submission time ------------------------------------------------------------------


def _nothing_submitted(filing: Filing) -> None:
    filing.refresh_from_db()
    assert (filing.status, filing.submitted_at, filing.reference) == (
        FilingStatus.SIGNED,
        None,
        "",
    )
    assert not AuditEntry.objects.filter(action="filings.submitted").exists()
    assert not DeadlineDone.objects.exists()


def test_a_submission_before_the_signature_is_refused_naming_the_signature_time(
    recall: RecallCase, manager: User
) -> None:
    filing = signed_plan(recall, manager)
    early = filing.signature.signed_at - timedelta(hours=1)
    with pytest.raises(SubmissionIncomplete) as refused:
        _submit(filing, manager, early)
    assert refused.value.message == (
        f"The submission time {written_time(early)} is before the signature "
        f"({written_time(filing.signature.signed_at)}): a filing is submitted after it is signed."
    )
    _nothing_submitted(filing)


def test_a_submission_in_the_signatures_minute_is_accepted(
    recall: RecallCase, manager: User
) -> None:
    """The page's field is to the minute: the minute of the signature itself is not refused."""
    filing = signed_plan(recall, manager)
    minute = filing.signature.signed_at.replace(second=0, microsecond=0)
    assert _submit(filing, manager, minute).submitted_at == minute


def test_a_submission_in_the_future_is_refused_naming_the_time(
    recall: RecallCase, manager: User
) -> None:
    filing = signed_plan(recall, manager)
    later = timezone.now() + timedelta(days=1)
    with pytest.raises(SubmissionIncomplete) as refused:
        _submit(filing, manager, later)
    assert refused.value.message == f"The submission time {written_time(later)} is in the future."
    _nothing_submitted(filing)


def test_the_page_and_the_command_refuse_a_submission_before_the_signature(
    recall: RecallCase, manager: User, tmp_path: Path
) -> None:
    filing = signed_plan(recall, manager)
    signed = written_time(filing.signature.signed_at)
    client = Client()
    client.force_login(manager)
    answer = client.post(
        f"/recalls/{recall.pk}/filings/{filing.pk}/submit/",
        {
            "authority": "广东省药品监督管理局",
            "reference": "YJZH-2025-017",
            "submitted_at": "2025-02-01T10:00",
            "acknowledgement": SimpleUploadedFile("ack.pdf", ACK, "application/pdf"),
        },
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    translation.activate("en")
    assert f"is before the signature ({signed})" in answer.content.decode()
    ack = tmp_path / "ack.pdf"
    ack.write_bytes(ACK)
    with pytest.raises(CommandError, match=r"is before the signature"):
        call_command(
            "filings",
            "submit",
            recall.number,
            "--type",
            "nmpa.recall_plan",
            "--user",
            manager.username,
            "--authority",
            "广东省药品监督管理局",
            "--reference",
            "YJZH-2025-017",
            "--submitted-at",
            "2025-02-01T10:00:00+08:00",
            "--acknowledgement",
            str(ack),
        )
    _nothing_submitted(filing)


# --- 6. both languages checked ---------------------------------------------------------------


def test_the_check_names_a_section_empty_in_english(recall: RecallCase, manager: User) -> None:
    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)
    chinese_only = {key: {"zh": text["zh"], "en": ""} for key, text in PLAN_SECTIONS.items()}
    chinese_only["measures"] = PLAN_SECTIONS["measures"]
    english_only = {"after_recall": {"zh": "", "en": "Destroyed under supervision."}}
    filing = services.filing_enter(
        filing=filing, actor=manager, sections={**chinese_only, **english_only}
    )
    with pytest.raises(FilingIncomplete) as refused:
        services.filing_check(filing=filing, actor=manager)
    assert refused.value.details == [
        "Section “3. How and where the recall is published” is empty in English.",
        "Section “4. The expected effect of the recall” is empty in English.",
        "Section “5. Handling of the devices after the recall” is empty in Chinese.",
    ]
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT
    assert not AuditEntry.objects.filter(action="filings.checked").exists()


# --- 7. one "notified" -----------------------------------------------------------------------


def test_the_progress_report_counts_notified_holders_as_the_notify_by_page(
    recall: RecallCase, manager: User
) -> None:
    now = timezone.now()
    # Two holders were sent their notice (as the worker records it); one of them has it.
    notices = [
        Notice.objects.create(
            recall=recall,
            party=Party.objects.get(code=code),
            recipient_key=f"party:{code}",
            kind="initial",
            regime="nmpa",
            language="zh-hans",
            channel="email",
            status="sent",
            sent_at=now,
        )
        for code in ("DIST", "HOSP")
    ]
    Notice.objects.filter(pk=notices[0].pk).update(delivered_at=now, status="delivered")
    filing = services.filing_generate(recall=recall, doc_type="nmpa.progress_report", actor=manager)

    notified = [h for h in holders_notify_by([recall])[recall.pk] if h.in_scope and h.notified_at]
    progress = filing.content["progress"]
    assert progress["holders_notified"] == len(notified) == 1
    assert progress["holders_sent"] == len({n.party_id for n in notices}) == 2


# --- 8. the SRN set after the document was generated ------------------------------------------


def test_an_srn_set_after_generation_asks_to_generate_again(
    tmp_path: Path, manager: User, make_user: Callable[..., User], settings: Any
) -> None:
    from tests.notices.conftest import approved_recall

    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "srn": ""}
    recall = approved_recall(tmp_path, manager, make_user, regimes=("eu_mdr",), recall_class="fsca")
    filing = services.filing_generate(recall=recall, doc_type="eu_mdr.fsca_report", actor=manager)
    missing = (
        "The manufacturer's single registration number (SRN) is not set: set it under "
        "Administration → Company."
    )
    assert missing in services.filing_problems(filing)

    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "srn": "CN-MF-000012345"}
    again = (
        "The manufacturer's single registration number (SRN) is set now, but this document was "
        "generated before: generate the document again to take the SRN in."
    )
    problems = services.filing_problems(filing)
    assert again in problems
    assert missing not in problems
    filing = services.filing_generate(recall=recall, doc_type="eu_mdr.fsca_report", actor=manager)
    assert again not in services.filing_problems(filing)


# --- 9. labels, pages on other regimes, GET on the FDA record, ISO times, the FSCA clock -----


def test_the_notify_by_page_names_the_regime(
    tmp_path: Path, manager: User, make_user: Callable[..., User]
) -> None:
    from tests.notices.conftest import approved_recall

    recall = approved_recall(tmp_path, manager, make_user, regimes=("eu_mdr",), recall_class="fsca")
    # Holders in Germany: under EU MDR (a holder in China would be outside the recall's regime).
    Location.objects.exclude(party__party_type="own_site").update(country="DE")
    body = _page(manager, f"/recalls/{recall.pk}/notices/holders/")
    assert "<td>EU MDR</td>" in body
    assert "EU_MDR" not in body
    assert "<td>eu_mdr</td>" not in body


def test_the_fsn_gate_of_a_recall_without_the_eu_regime_is_not_found(
    recall: RecallCase, manager: User
) -> None:
    _page(manager, f"/recalls/{recall.pk}/fsn-gate/", status=404)
    client = Client()
    client.force_login(manager)
    answer = client.get(f"/api/recalls/{recall.pk}/fsn-gate/", HTTP_ACCEPT_LANGUAGE="en")
    translation.activate("en")
    assert answer.status_code == 404
    assert answer.json()["message"] == (
        "This recall has no EU MDR regime, so it has no field safety notice gate."
    )
    with pytest.raises(CommandError, match="has no EU MDR regime"):
        call_command("filings", "fsn-gate", recall.number, "--json", stdout=StringIO())


def test_get_on_the_fda_record_shows_the_record(fda_recall: RecallCase, manager: User) -> None:
    client = Client()
    client.force_login(manager)
    answer = client.get(f"/recalls/{fda_recall.pk}/filings/fda-record/")
    assert (answer.status_code, answer["Location"]) == (
        302,
        f"/recalls/{fda_recall.pk}/filings/#fda-record",
    )
    RecallRegime.objects.filter(recall=fda_recall).update(regime="nmpa")
    assert client.get(f"/recalls/{fda_recall.pk}/filings/fda-record/").status_code == 404


def test_the_fsn_gate_json_gives_iso_times_with_their_offset(
    tmp_path: Path, manager: User, make_user: Callable[..., User], settings: Any
) -> None:
    from tests.notices.conftest import approved_recall

    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "srn": "CN-MF-000012345"}
    recall = approved_recall(tmp_path, manager, make_user, regimes=("eu_mdr",), recall_class="fsca")
    filing = services.filing_generate(recall=recall, doc_type="eu_mdr.fsca_report", actor=manager)
    filing = services.filing_enter(
        filing=filing,
        actor=manager,
        sections={
            "justification": {"zh": "尖端粘接强度不足。", "en": "Weak bond at the tip."},
            "advice": {"zh": "隔离并退回。", "en": "Quarantine and return."},
            "time_schedule": {"zh": "30日内完成。", "en": "Done within 30 days."},
        },
        addressees=[{"zh": "德国联邦药品和医疗器械研究所", "en": "BfArM"}],
    )
    Location.objects.update(country="DE")
    filing = services.filing_generate(recall=recall, doc_type="eu_mdr.fsca_report", actor=manager)
    filing = services.filing_check(filing=filing, actor=manager)
    with signing_clock():
        filing = services.filing_sign(
            filing=filing, actor=manager, password=PASSWORD, username=manager.username
        )
    services.filing_submit(
        filing=filing,
        actor=manager,
        authority="BfArM",
        reference="FSCA-1",
        acknowledgement=io.BytesIO(ACK),
        acknowledgement_name="ack.pdf",
        submitted_at=SUBMITTED_AT,
    )
    out = StringIO()
    call_command("filings", "fsn-gate", recall.number, "--json", stdout=out)
    state = json.loads(out.getvalue())
    assert state["fsca_report"]["submitted_at"] == "2025-03-02T09:00:00+00:00"
    assert datetime.fromisoformat(state["fsca_report"]["submitted_at"]) == SUBMITTED_AT


def test_the_fsca_report_is_not_overdue_at_the_decision(
    tmp_path: Path, manager: User, make_user: Callable[..., User]
) -> None:
    from tests.notices.conftest import approved_recall

    recall = approved_recall(tmp_path, manager, make_user, regimes=("eu_mdr",), recall_class="fsca")
    decided = recall.decision_at
    for moment in (decided, decided + timedelta(minutes=1), decided + timedelta(days=1)):
        rows, _missing = deadlines.deadlines_for(recall, now=moment)
        row = next(r for r in rows if r.key == "eu_mdr.fsca_report")
        assert row.status in ("open", "due_soon"), moment
    fsn = next(r for r in rows if r.key == "eu_mdr.fsn")
    assert row.due_at == fsn.due_at == decided + timedelta(days=2)


# --- 10. the 806 number's counter and the deadline's history line ---------------------------


def test_the_806_number_comes_from_the_days_locked_counter(
    fda_recall: RecallCase, manager: User
) -> None:
    filing = services.filing_generate(recall=fda_recall, doc_type="fda.report_806", actor=manager)
    number = filing.content["report_number"]
    counter = NumberSequence.objects.get(series__startswith="filings.fda_806.3001234567.")
    assert number.endswith(f"-{counter.last:03d}-R")
    assert counter.last == 1
    # Generated again the same day: the draft keeps its number; the counter does not move.
    services.filing_generate(recall=fda_recall, doc_type="fda.report_806", actor=manager)
    counter.refresh_from_db()
    assert counter.last == 1


@pytest.mark.django_db(transaction=True)
def test_two_806_reports_generated_at_once_get_distinct_numbers(
    tmp_path: Path, manager: User, make_user: Callable[..., User], settings: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections need PostgreSQL")
    from tests.notices.conftest import approved_recall

    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "fda_registration": "3001234567"}
    first = approved_recall(tmp_path, manager, make_user, regimes=("fda",), recall_class="II")
    second = RecallCase.objects.create(
        number="RC-2025-9999",
        title=first.title,
        title_en=first.title_en,
        reason=first.reason,
        reason_en=first.reason_en,
        owner=manager,
        decision_at=first.decision_at,
        action_type="removal",
    )
    RecallRegime.objects.create(recall=second, regime="fda", recall_class="II")
    barrier = threading.Barrier(2)
    numbers: list[str] = []
    failures: list[str] = []

    def generate(recall: RecallCase) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            filing = services.filing_generate(
                recall=recall, doc_type="fda.report_806", actor=manager
            )
            numbers.append(filing.content["report_number"])
        except Exception as error:
            failures.append(f"{type(error).__name__}: {error}")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=generate, args=(r,)) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(n.rsplit("-", 2)[1] for n in numbers) == ["001", "002"]


def test_the_deadline_history_names_the_deadline_and_writes_the_time(
    recall: RecallCase, manager: User
) -> None:
    filing = signed_plan(recall, manager)
    done_at = datetime(2025, 3, 5, 2, 0, tzinfo=UTC)
    services.filing_submit(
        filing=filing,
        actor=manager,
        authority="广东省药品监督管理局",
        reference="YJZH-2025-017",
        acknowledgement=ACK,
        acknowledgement_name="ack.pdf",
        submitted_at=done_at,
    )
    entry = AuditEntry.objects.get(action="recalls.deadline_done")
    assert entry.changes == {"File the recall plan": [None, "2025-03-05 10:00 CST (UTC+08:00)"]}
    body = _page(manager, f"/recalls/{recall.pk}/")
    assert "nmpa.recall_plan</code>" not in body
    assert "<code>2025-03-05 10:00 CST (UTC+08:00)</code>" in body
