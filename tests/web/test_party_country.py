"""The party list (also a portal user's view of its own party) names the country in the
reader's language — China / 中国 — not by its ISO code "CN"; so do the party's page and the
locations' list."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from tests.factories import LocationFactory, PartyFactory

pytestmark = pytest.mark.django_db


def cells(user: User, language: str, url: str) -> list[str]:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with translation.override(settings.LANGUAGE_CODE):  # the request's language ends with it
        answer = client.get(url)
    assert answer.status_code == 200
    text = html.unescape(answer.content.decode())
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", text, re.S)]


@pytest.mark.parametrize(
    ("language", "china", "singapore"),
    [("en", "China", "Singapore"), ("zh-hans", "中国", "新加坡")],
)
def test_a_portal_user_reads_its_partys_country_by_name(
    make_user: Callable[..., User], language: str, china: str, singapore: str
) -> None:
    hospital = PartyFactory(
        code="H-SIN-01", name="新加坡中央医院", party_type="hospital", country="SG"
    )
    PartyFactory(code="H-CD-01", party_type="hospital")  # another party: not listed
    portal = make_user(Role.PORTAL, party=hospital)
    listed = cells(portal, language, "/data/party/")
    assert listed[0] == "H-SIN-01"
    assert singapore in listed
    assert "SG" not in listed
    assert "H-CD-01" not in listed
    manager = make_user(Role.QA_RA_MANAGER)
    LocationFactory(code="LOC-GZ", party=hospital, country="CN")
    assert china in cells(manager, language, "/data/location/")
    assert "CN" not in cells(manager, language, "/data/location/")
