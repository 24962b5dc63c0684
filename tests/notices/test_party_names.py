"""Holders are named in the reader's language on the notices' pages (the English name on
English pages, the Chinese one on Chinese pages): who to notify by when, the recall's notices,
the overdue queue, the customer-service queue, and the case's impact by holder with its workbook."""

from __future__ import annotations

import html
import io
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.notices import send_runs
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from medrecall.reporting.queues import queue_for
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = {"en": "Southern Distribution", "zh-hans": "南方分销"}
LETTER = {"en": "Riverside Hospital", "zh-hans": "河畔医院"}  # HOSP: notified by letter


@pytest.fixture
def named(recall: RecallCase) -> RecallCase:
    Party.objects.filter(code="SUB").update(name=NAMES["zh-hans"], name_en=NAMES["en"])
    Party.objects.filter(code="HOSP").update(name=LETTER["zh-hans"], name_en=LETTER["en"])
    return recall


def reader(user: User, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def text(client: Client, url: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):  # the request's language ends with it
        answer = client.get(url)
    assert answer.status_code == 200, url
    return html.unescape(answer.content.decode())


def other(language: str) -> str:
    return "zh-hans" if language == "en" else "en"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_notify_by_page_and_case_impact_name_holders_in_the_readers_language(
    named: RecallCase, manager: User, language: str
) -> None:
    client = reader(manager, language)
    for url in (f"/recalls/{named.pk}/notices/holders/", f"/recalls/{named.pk}/"):
        body = text(client, url)
        assert f"SUB {NAMES[language]}" in body, url
        assert NAMES[other(language)] not in body, url
    with translation.override(settings.LANGUAGE_CODE):
        workbook = client.get(f"/recalls/{named.pk}/impact.xlsx")
    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(workbook.content))
    cells = {c.value for row in book.worksheets[0].iter_rows() for c in row}
    assert NAMES[language] in cells
    assert NAMES[other(language)] not in cells


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_customer_service_queue_names_holders_not_notified_in_the_readers_language(
    named: RecallCase, make_user: Any, language: str
) -> None:
    user = make_user(Role.CUSTOMER_SERVICE)
    with translation.override(language):
        sections = {s.key: s for s in queue_for(viewer=user, role=Role.CUSTOMER_SERVICE)}
        subjects = {i.reference: str(i.subject) for i in sections["not_notified"].items()}
    assert subjects["SUB"] == NAMES[language]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_notice_list_and_overdue_queue_name_holders_in_the_readers_language(
    named: RecallCase, manager: User, smtp: Any, language: str
) -> None:
    send_runs.notice_run_start(recall=named, actor=manager)
    work_off_queue()
    client = reader(manager, language)
    notices = text(client, f"/recalls/{named.pk}/notices/")
    assert f"SUB {NAMES[language]}" in notices
    assert NAMES[other(language)] not in notices
    overdue = text(client, "/notices/overdue/").split('id="overdue-list"')[1]
    assert f"HOSP {LETTER[language]}" in overdue  # a letter to post
    assert LETTER[other(language)] not in overdue
