"""English filing pages name each document by its English title only (the Chinese title stays
on Chinese pages and in the Chinese document): the filings list, the filing's page and the
case's compliance clock."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.filings import services
from medrecall.filings.documents import DOCUMENT_TYPES
from medrecall.recalls.models import RecallCase

pytestmark = pytest.mark.django_db

NMPA_TITLES = [kind.title_zh for kind in DOCUMENT_TYPES if kind.regime == "nmpa"]


def page(client: Client, url: str, language: str) -> str:
    answer = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    translation.activate("en")
    assert answer.status_code == 200
    return answer.content.decode()


def test_english_filing_pages_show_the_english_title_only(
    recall: RecallCase, manager: User, client: Client
) -> None:
    filing = services.filing_generate(recall=recall, doc_type="nmpa.event_report", actor=manager)
    client.force_login(manager)
    listed = page(client, f"/recalls/{recall.pk}/filings/", "en")
    overview = listed.split('id="filing-overview"')[1].split("</table>")[0]
    assert "Recall event report" in overview
    assert [t for t in NMPA_TITLES if t in overview] == []
    detail = page(client, f"/recalls/{recall.pk}/filings/{filing.pk}/", "en")
    heading = re.search(r'<h1 id="filing-title">(.*?)</h1>', detail, re.S)
    assert heading is not None
    assert heading.group(1) == "Recall event report"
    case = page(client, f"/recalls/{recall.pk}/", "en")
    clock = case.split('id="deadline-list"')[1].split("</table>")[0]
    assert "Submit the recall event report" in clock
    assert "召回事件报告表" not in clock


def test_chinese_filing_pages_keep_the_chinese_title(
    recall: RecallCase, manager: User, client: Client
) -> None:
    filing = services.filing_generate(recall=recall, doc_type="nmpa.event_report", actor=manager)
    client.force_login(manager)
    detail = page(client, f"/recalls/{recall.pk}/filings/{filing.pk}/", "zh-hans")
    assert '<h1 id="filing-title">医疗器械召回事件报告表</h1>' in detail
    case = page(client, f"/recalls/{recall.pk}/", "zh-hans")
    assert "提交召回事件报告表" in case.split('id="deadline-list"')[1]
