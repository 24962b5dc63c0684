"""Findings of the browser walk of the filings: the document's name instead of its code, times
as people write them, signing with another user's log-in, no repeated title, the generated
figures shown before signing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.core.errors import DomainError
from medrecall.core.presentation import written_time
from medrecall.filings import services
from medrecall.filings.models import FilingStatus
from medrecall.filings.rendering import blocks
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.filings.conftest import PLAN_SECTIONS, signed_plan

pytestmark = pytest.mark.django_db

WRITTEN = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d CST \(UTC\+08:00\)$")


def page(user: User, url: str, language: str = "en") -> str:
    client = Client()
    client.force_login(user)
    answer = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    translation.activate("en")
    assert answer.status_code == 200
    return answer.content.decode()


def test_a_time_is_written_with_its_zone_name_and_offset() -> None:
    moment = datetime(2026, 12, 6, 6, 3, 59, tzinfo=UTC)
    assert written_time(moment) == "2026-12-06 14:03 CST (UTC+08:00)"
    assert written_time(moment, zone="UTC") == "2026-12-06 06:03 UTC (UTC+00:00)"


def test_the_signature_time_is_written_as_people_write_it(
    recall: RecallCase, manager: User
) -> None:
    filing = signed_plan(recall, manager)
    when = written_time(filing.signature.signed_at)
    assert WRITTEN.match(when)
    for language in ("zh-hans", "en"):
        rows = dict(blocks(filing, language)["signature"])
        assert when in rows.values()  # PDF and Word print these rows
    body = page(manager, f"/recalls/{recall.pk}/filings/{filing.pk}/")
    name = filing.signature.signer_name
    assert f'<p id="signature-statement">Signed by {name} on {when}. Meaning: Authored.</p>' in body


def test_signing_with_another_users_log_in_says_to_use_your_own_and_is_audited(
    recall: RecallCase, manager: User, make_user: Callable[..., User]
) -> None:
    other = make_user(Role.QA_RA_MANAGER)
    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)
    filing = services.filing_enter(filing=filing, actor=manager, sections=PLAN_SECTIONS)
    filing = services.filing_check(filing=filing, actor=manager)
    with pytest.raises(DomainError) as refused:
        services.filing_sign(
            filing=filing, actor=manager, password=PASSWORD, username=other.username
        )
    assert refused.value.message == (
        "That is another user's log-in. Sign with your own user ID and password (you are "
        f"logged in as {manager.username}). The record was not signed."
    )
    filing.refresh_from_db()
    assert (filing.status, filing.signature_id) == (FilingStatus.CHECKED, None)
    entry = AuditEntry.objects.filter(action="accounts.signature_refused").get()
    assert (entry.actor_id, entry.changes["problem"]) == (manager.pk, "other_user")
    with pytest.raises(DomainError) as wrong:
        services.filing_sign(filing=filing, actor=manager, password="nope", username=other.username)
    assert (
        wrong.value.message == "The user ID or password is not correct. The record was not signed."
    )


def test_the_document_is_named_not_coded_and_its_title_not_repeated(
    recall: RecallCase, manager: User
) -> None:
    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)
    listed = page(manager, f"/recalls/{recall.pk}/filings/")
    assert (
        f'<a href="/recalls/{recall.pk}/filings/{filing.pk}/" data-doc-type="nmpa.recall_plan">'
        "Recall plan</a>"
    ) in listed
    assert ">nmpa.recall_plan<" not in listed
    chinese = page(manager, f"/recalls/{recall.pk}/filings/{filing.pk}/", "zh-hans")
    assert '<h1 id="filing-title">召回计划</h1>' in chinese
    english = page(manager, f"/recalls/{recall.pk}/filings/{filing.pk}/")
    assert '<h1 id="filing-title">Recall plan</h1>' in english  # the English title only


def test_the_command_lists_titles_in_the_readers_language(
    recall: RecallCase, manager: User, make_user: Callable[..., User]
) -> None:
    services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)
    reader = make_user(Role.VIEWER, language="zh-hans")
    for args, title in (
        (["--language", "zh-hans"], "召回计划"),
        (["--user", reader.username], "召回计划"),
        ([], "Recall plan"),
    ):
        out = StringIO()
        call_command("filings", "list", recall.number, "--json", *args, stdout=out)
        rows = json.loads(out.getvalue())
        assert [(r["doc_type"], r["title"]) for r in rows] == [("nmpa.recall_plan", title)]


def _row(found: dict[str, Any], label: str) -> str:
    rows = [r for block in [found, *found["blocks"]] for r in block.get("rows", [])]
    return next(value for name, value in rows if name == label)


@pytest.mark.usefixtures("elsewhere")
def test_the_registrant_and_provinces_are_named_in_the_documents_language(
    recall: RecallCase, manager: User
) -> None:
    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)
    chinese, english = blocks(filing, "zh-hans"), blocks(filing, "en")
    assert (
        _row(chinese, "生产企业（注册人）") == "MedRecall 演示医疗器械有限公司，中国苏州市演示路1号"
    )
    assert _row(english, "Manufacturer (registrant)") == (
        "MedRecall Demo Medical Co., Ltd., 1 Demo Road, Suzhou, China"
    )
    assert "Beijing" in _row(english, "Provinces in China")
    assert not re.search(r"[\u4e00-\u9fff]", _row(english, "Provinces in China"))
    assert "北京市" in _row(chinese, "涉及省份")


def test_the_filing_page_shows_the_generated_figures_before_signing(
    recall: RecallCase, manager: User
) -> None:
    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)
    body = page(manager, f"/recalls/{recall.pk}/filings/{filing.pk}/")
    assert filing.status == FilingStatus.DRAFT
    assert '<section class="block" id="filing-generated">' in body
    d = filing.content["distribution"]
    assert f"<tr><th>Units in scope (quantity to recall)</th><td>{d['units']}</td></tr>" in body
    assert "<h3>Identification (lots, serials, UDI) from the frozen scope</h3>" in body
    first = filing.content["identification"][0]
    assert f"<td>{first['lot']}</td>" in body
    assert f"<td>{first['units']}</td>" in body
