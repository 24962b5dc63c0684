"""The cockpit's lists name holders in the reader's language (the English name on English
pages, the Chinese one on Chinese pages): the silent holders, open returns and work orders on
the page, the holders' drill-down, the records' lists and the workbook's open work."""

from __future__ import annotations

import html
import io
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from medrecall.accounts.models import User
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = {"en": "Southern Distribution", "zh-hans": "南方分销"}


def reader(user: User, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def get(client: Client, url: str) -> Any:
    with translation.override(settings.LANGUAGE_CODE):  # the request's language ends with it
        return client.get(url)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_cockpit_lists_name_holders_in_the_readers_language(
    progressed: RecallCase, manager: User, language: str
) -> None:
    Party.objects.filter(code="SUB").update(name="南方分销", name_en="Southern Distribution")
    cache.clear()
    client = reader(manager, language)
    other = NAMES["zh-hans" if language == "en" else "en"]
    pk = progressed.pk
    for url in (
        reverse("web:recall-cockpit", args=[pk]),
        reverse("web:recall-cockpit-holders", args=[pk]),
        reverse("web:recall-cockpit-records", args=[pk, "returns"]),
    ):
        text = html.unescape(get(client, url).content.decode())
        assert NAMES[language] in text, url
        assert other not in text, url
    book = load_workbook(
        io.BytesIO(get(client, reverse("web:recall-cockpit-xlsx", args=[pk])).content)
    )
    cells = {c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row}
    assert NAMES[language] in cells
    assert other not in cells
