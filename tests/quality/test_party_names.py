"""Complaint lists name the holder in the reader's language: the English name on English
pages, the Chinese one on Chinese pages (the staff list, the complaint, the portal's list)."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.parties.models import Party
from medrecall.quality.models import Complaint

pytestmark = pytest.mark.django_db

NAMES = {"en": "Harbour Hospital", "zh-hans": "港湾医院"}


def page(user: User, language: str, url: str) -> str:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with translation.override(settings.LANGUAGE_CODE):  # the request's language ends with it
        return html.unescape(client.get(url).content.decode())


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_complaint_lists_name_the_holder_in_the_readers_language(
    receive: Callable[..., Complaint],
    manager: User,
    portal_user: User,
    hospital: Party,
    language: str,
) -> None:
    Party.objects.filter(pk=hospital.pk).update(name="港湾医院", name_en="Harbour Hospital")
    complaint = receive()
    other = NAMES["zh-hans" if language == "en" else "en"]
    for user, url in (
        (manager, "/quality/complaints/"),
        (manager, f"/quality/complaints/{complaint.pk}/"),
        (portal_user, "/portal/complaints/"),
    ):
        text = page(user, language, url)
        assert NAMES[language] in text, url
        assert other not in text, url
