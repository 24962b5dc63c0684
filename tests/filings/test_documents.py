"""The NMPA documents: the figures printed in the PDF and the Word file (Chinese and English)
are the recall's data; progress reports carry the cockpit's counts; each document is owed per
level and fulfils its own deadline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from pypdf import PdfReader

from medrecall.filings import services
from medrecall.filings.documents import DOCUMENT_TYPES, required
from medrecall.filings.models import Filing
from medrecall.filings.selectors import due_note, filings_overview
from medrecall.recalls.models import RecallCase
from medrecall.reporting.progress import compute_progress
from tests.filings.conftest import ACK, PLAN_SECTIONS, signed_plan, signing_clock
from tests.traceability.scenario import CATH


def pdf_text(field) -> str:
    """The PDF's text with the spaces a text extractor puts between glyph runs removed."""
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


@pytest.mark.parametrize(
    ("pdf", "docx", "words"),
    [
        pytest.param(
            "pdf_zh",
            "docx_zh",
            [
                "召回计划",
                "广东省药品监督管理局",
                "质量部组织，7日内收回全部批次C1。",
                "导管尖端断裂",
            ],
            id="zh",
        ),
        pytest.param(
            "pdf_en",
            "docx_en",
            [
                "Recall plan",
                "Guangdong Medical Products Administration",
                "QA organises; lot C1 back in 7 days.",
                "Catheter tip fracture",
            ],
            id="en",
        ),
    ],
)
def test_the_plans_figures_in_the_pdf_and_word_file_equal_the_data(
    recall, manager, pdf, docx, words
):
    filing = signed_plan(recall, manager)
    values = filing.content
    expected = [
        recall.number,
        "国械注准20203030001",
        f"(01){CATH}(10)C1",
        str(values["distribution"]["units"]),  # 970 in scope
        str(values["distribution"]["units_sold"]),  # 570 at holders
        str(values["lots"][0]["quantity_produced"]),  # 1000
        filing.signature.signer_name,
        *words,
    ]

    for text in (pdf_text(getattr(filing, pdf)), docx_text(getattr(filing, docx))):
        for value in expected:
            assert _squeeze(value) in text, value
    assert values["distribution"]["units"] == 970
    assert values["distribution"]["units_sold"] == 570


def test_the_signature_manifestation_is_printed_with_time_zone_and_meaning(recall, manager):
    filing = signed_plan(recall, manager)
    local = filing.signature.signed_at.astimezone(ZoneInfo("Asia/Shanghai"))
    # As people write it, with the zone's name and offset (the PDF text has no spaces).
    written = local.strftime("%Y-%m-%d%H:%M") + "CST(UTC+08:00)"

    zh, en = pdf_text(filing.pdf_zh), pdf_text(filing.pdf_en)

    assert written in zh
    assert written in en
    assert "签名含义编写" in zh
    assert "MeaningAuthored" in en


def test_an_unsigned_filing_says_so_in_its_files(recall, manager):
    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)

    assert "Notsigned" in pdf_text(filing.pdf_en)
    assert "未签名" in docx_text(filing.docx_zh)


def test_the_event_report_identifies_lots_and_udis_from_the_frozen_scope(recall, manager):
    filing = services.filing_generate(recall=recall, doc_type="nmpa.event_report", actor=manager)

    text = pdf_text(filing.pdf_zh)

    assert "医疗器械召回事件报告表" in text
    assert f"CATHC1(01){CATH}(10)C12025-01-102028-01-09970" in text
    assert f"CATHC1(01){CATH}(10)C12025-01-102028-01-09970" in docx_text(filing.docx_zh)


def test_the_progress_report_carries_the_cockpits_counts(recall, manager):
    filing = services.filing_generate(recall=recall, doc_type="nmpa.progress_report", actor=manager)
    cockpit = compute_progress(recall)
    stages = {stage.key: stage for stage in cockpit.funnel}
    figures = filing.content["progress"]

    assert (figures["units"], figures["holders"]) == (cockpit.units, cockpit.holders)
    assert figures["holders_notified"] == stages["notified"].holders
    assert figures["holders_acknowledged"] == stages["acknowledged"].holders
    assert figures["units_recovered"] == stages["recovered"].units
    assert figures["units_dispositioned"] == stages["dispositioned"].units
    assert figures["still_at_holders"] == cockpit.still_at_holders
    assert (figures["units"], figures["holders"], figures["still_at_holders"]) == (970, 4, 470)
    text = docx_text(filing.docx_en)
    assert "Holderstonotify4" in text
    assert "Unitstorecall970" in text
    assert "Unitsstillatholders470" in text


def _submit(filing: Filing, manager, reference: str) -> Filing:
    from tests.conftest import PASSWORD

    for key in ("notification_method", "effectiveness", "handling", "estimated_completion"):
        filing = services.filing_enter(
            filing=filing,
            actor=manager,
            sections={key: {"zh": "见附件", "en": "See the attachment."}},
        )
    filing = services.filing_check(filing=filing, actor=manager)
    with signing_clock():
        filing = services.filing_sign(
            filing=filing, actor=manager, password=PASSWORD, username=manager.username
        )
    return services.filing_submit(
        filing=filing,
        actor=manager,
        authority="广东省药品监督管理局",
        reference=reference,
        acknowledgement=ACK,
        acknowledgement_name="ack.pdf",
        submitted_at=datetime(2025, 3, 4, tzinfo=UTC),
    )


def test_each_progress_report_is_a_report_of_its_own_fulfilling_the_oldest_open_period(
    recall, manager
):
    first = _submit(
        services.filing_generate(recall=recall, doc_type="nmpa.progress_report", actor=manager),
        manager,
        "P-1",
    )
    second = _submit(
        services.filing_generate(recall=recall, doc_type="nmpa.progress_report", actor=manager),
        manager,
        "P-2",
    )

    assert [(f.sequence, f.version) for f in (first, second)] == [(1, 1), (2, 1)]
    assert second.deadline_due_at - first.deadline_due_at == timedelta(days=3)


def test_the_summary_reports_due_date_waits_for_the_completion(recall, manager):
    overview = {row.kind.code: row for row in filings_overview(recall)}
    summary = overview["nmpa.summary_report"]

    assert summary.due is None
    assert due_note(summary) == "When the completion is recorded: 10 working days after it."
    filing = services.filing_generate(recall=recall, doc_type="nmpa.summary_report", actor=manager)
    assert (
        "The recall's completion is not recorded yet: the summary reports on a completed recall."
        in (services.filing_problems(filing))
    )

    RecallCase.objects.filter(pk=recall.pk).update(completed_at=datetime(2025, 6, 2, 2, tzinfo=UTC))
    summary = {
        row.kind.code: row for row in filings_overview(RecallCase.objects.get(pk=recall.pk))
    }["nmpa.summary_report"]
    assert summary.due is not None
    assert summary.due.key == "nmpa.summary_report"


@pytest.mark.parametrize(("level", "owed"), [("I", True), ("II", True), ("III", False)])
def test_the_publication_record_is_owed_at_levels_i_and_ii(level, owed):
    assert required(DOCUMENT_TYPES.get("nmpa.publication"), level) is owed


def test_the_overview_lists_every_nmpa_document_with_its_deadline(recall, manager):
    signed_plan(recall, manager)

    rows = filings_overview(recall)

    assert [(r.kind.code, r.status, r.due.key if r.due else None) for r in rows] == [
        ("nmpa.event_report", "missing", "nmpa.event_report"),
        ("nmpa.assessment_report", "missing", "nmpa.assessment_report"),
        ("nmpa.recall_plan", "signed", "nmpa.recall_plan"),
        ("nmpa.progress_report", "missing", "nmpa.progress_report"),
        ("nmpa.summary_report", "missing", None),
        ("nmpa.publication", "missing", None),
    ]
    assert PLAN_SECTIONS
