"""Holders are named in the reader's language on the notices' pages (the English name on
English pages, the Chinese one on Chinese pages): who to notify by when, the recall's notices,
the overdue queue, the customer-service queue, and the case's impact by holder with its workbook."""

from __future__ import annotations

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
from medrecall.notices.links import reply_path
from medrecall.notices.models import Notice
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from medrecall.reporting.queues import queue_for
from tests.conftest import Bilingual
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = {"en": "Southern Distribution", "zh-hans": "南方分销"}
LETTER = {"en": "Riverside Hospital", "zh-hans": "河畔医院"}  # HOSP: notified by letter


@pytest.fixture
def named(recall: RecallCase, bilingual: Bilingual) -> RecallCase:
    bilingual.name("SUB", zh=NAMES["zh-hans"], en=NAMES["en"])
    bilingual.name("HOSP", zh=LETTER["zh-hans"], en=LETTER["en"])
    return recall


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_notify_by_page_and_case_impact_name_holders_in_the_readers_language(
    named: RecallCase, manager: User, language: str, bilingual: Bilingual
) -> None:
    client = bilingual.client(manager, language)
    other = bilingual.other(language)
    for url in (f"/recalls/{named.pk}/notices/holders/", f"/recalls/{named.pk}/"):
        body = bilingual.page(client, language, url)
        assert f"SUB {NAMES[language]}" in body, url
        assert NAMES[other] not in body, url
    with translation.override(settings.LANGUAGE_CODE):
        workbook = client.get(f"/recalls/{named.pk}/impact.xlsx")
    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(workbook.content))
    cells = {c.value for row in book.worksheets[0].iter_rows() for c in row}
    assert NAMES[language] in cells
    assert NAMES[other] not in cells


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
    named: RecallCase, manager: User, smtp: Any, language: str, bilingual: Bilingual
) -> None:
    send_runs.notice_run_start(recall=named, actor=manager)
    work_off_queue()
    client = bilingual.client(manager, language)
    other = bilingual.other(language)
    notices = bilingual.page(client, language, f"/recalls/{named.pk}/notices/")
    assert f"SUB {NAMES[language]}" in notices
    assert NAMES[other] not in notices
    overdue = bilingual.page(client, language, "/notices/overdue/").split('id="overdue-list"')[1]
    assert f"HOSP {LETTER[language]}" in overdue  # a letter to post
    assert LETTER[other] not in overdue


@pytest.fixture
def sent(named: RecallCase, manager: User, smtp: Any) -> Notice:
    """The recall's notices sent; SUB's initial notice (SUB named in both languages)."""
    send_runs.notice_run_start(recall=named, actor=manager)
    work_off_queue()
    notice = Notice.objects.filter(recall=named, party__code="SUB", kind="initial").first()
    assert notice is not None
    return notice


@pytest.mark.parametrize("language", Bilingual.LANGUAGES)
def test_the_public_reply_form_names_the_holder_in_the_readers_language(
    sent: Notice, bilingual: Bilingual, language: str
) -> None:
    client = Client()  # the holder, not logged in: the language is its browser's
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    body = bilingual.page(client, language, reply_path(sent))
    assert NAMES[language] in body
    assert NAMES[bilingual.other(language)] not in body


@pytest.mark.parametrize("language", Bilingual.LANGUAGES)
def test_the_staff_view_of_a_reply_names_the_holder_in_the_readers_language(
    sent: Notice, manager: User, bilingual: Bilingual, language: str
) -> None:
    body = bilingual.page(manager, language, f"/notices/{sent.pk}/reply/")
    assert NAMES[language] in body
    assert NAMES[bilingual.other(language)] not in body


@pytest.mark.parametrize("language", Bilingual.LANGUAGES)
@pytest.mark.parametrize("page", ["search", "detail"])
def test_customer_service_pages_name_the_customer_in_the_readers_language(
    named: RecallCase, make_user: Any, bilingual: Bilingual, language: str, page: str
) -> None:
    sub = Party.objects.get(code="SUB")
    url = "/customers/?q=SUB" if page == "search" else f"/customers/{sub.pk}/"
    body = bilingual.page(make_user(Role.CUSTOMER_SERVICE), language, url)
    assert NAMES[language] in body
    assert NAMES[bilingual.other(language)] not in body
