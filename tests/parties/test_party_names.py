"""The master-data pages of parties name a party in the reader's language: the party list (also
a portal user's view of its own party), the party's page heading, and a location's party. The
party's own page still lists both names as recorded."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import cast

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.parties.models import Party
from tests.factories import LocationFactory, PartyFactory

pytestmark = pytest.mark.django_db

NAMES = {"en": "West China Hospital", "zh-hans": "华西医院"}


def body(user: User, language: str, url: str) -> str:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with translation.override(settings.LANGUAGE_CODE):  # the request's language ends with it
        answer = client.get(url)
    assert answer.status_code == 200
    return html.unescape(answer.content.decode())


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("role", [Role.QA_RA_MANAGER, Role.PORTAL])
def test_party_pages_name_the_party_in_the_readers_language(
    make_user: Callable[..., User], language: str, role: str
) -> None:
    hospital = cast(
        Party,
        PartyFactory(
            code="H-CD-01", name=NAMES["zh-hans"], name_en=NAMES["en"], party_type="hospital"
        ),
    )
    LocationFactory(code="LOC-CD", party=hospital)
    user = make_user(role, party=hospital if role == Role.PORTAL else None)
    other = NAMES["zh-hans" if language == "en" else "en"]
    listed = body(user, language, "/data/party/").split('id="results"')[1]
    assert NAMES[language] in listed
    assert other not in listed
    page = body(user, language, f"/data/party/{hospital.pk}/")
    assert f"<title>H-CD-01 {NAMES[language]}" in page
    assert f"<h1>H-CD-01 {NAMES[language]}" in page
    assert NAMES["zh-hans"] in page  # both names as recorded
    assert NAMES["en"] in page
    if role == Role.QA_RA_MANAGER:
        locations = body(user, language, "/data/location/").split('id="results"')[1]
        assert f"H-CD-01 {NAMES[language]}" in locations
        assert other not in locations
