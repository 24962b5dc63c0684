"""The master-data pages of parties name a party in the reader's language: the party list (also
a portal user's view of its own party), the party's page heading, and a location's party. The
party's own page still lists both names as recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.parties.models import Party
from tests.conftest import Bilingual
from tests.factories import LocationFactory, PartyFactory

pytestmark = pytest.mark.django_db

NAMES = {"en": "West China Hospital", "zh-hans": "华西医院"}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("role", [Role.QA_RA_MANAGER, Role.PORTAL])
def test_party_pages_name_the_party_in_the_readers_language(
    make_user: Callable[..., User], language: str, role: str, bilingual: Bilingual
) -> None:
    hospital = cast(
        Party,
        PartyFactory(
            code="H-CD-01", name=NAMES["zh-hans"], name_en=NAMES["en"], party_type="hospital"
        ),
    )
    LocationFactory(code="LOC-CD", party=hospital)
    user = make_user(role, party=hospital if role == Role.PORTAL else None)
    other = NAMES[bilingual.other(language)]
    listed = bilingual.page(user, language, "/data/party/").split('id="results"')[1]
    assert NAMES[language] in listed
    assert other not in listed
    page = bilingual.page(user, language, f"/data/party/{hospital.pk}/")
    assert f"<title>H-CD-01 {NAMES[language]}" in page
    assert f"<h1>H-CD-01 {NAMES[language]}" in page
    assert NAMES["zh-hans"] in page  # both names as recorded
    assert NAMES["en"] in page
    if role == Role.QA_RA_MANAGER:
        locations = bilingual.page(user, language, "/data/location/").split('id="results"')[1]
        assert f"H-CD-01 {NAMES[language]}" in locations
        assert other not in locations


REPORTER = {"en": "Southern Distribution", "zh-hans": "南方分销"}
TARGET = {"en": "Chengdu First Hospital", "zh-hans": "成都第一医院"}


@pytest.mark.parametrize("language", Bilingual.LANGUAGES)
@pytest.mark.parametrize("page", ["list", "detail", "merge"])
def test_review_pages_name_parties_in_the_readers_language(
    manager: User, bilingual: Bilingual, language: str, page: str
) -> None:
    """The review of reported sub-consignees: the reported party, the holder that reported it
    (the marker) and the party it would be merged into, each in the reader's language."""
    reporter = cast(Party, PartyFactory(code="SUB", party_type="distributor"))
    bilingual.name(reporter, zh=REPORTER["zh-hans"], en=REPORTER["en"])
    reported = cast(
        Party,
        PartyFactory(
            code="SC-1",
            name=NAMES["zh-hans"],
            name_en=NAMES["en"],
            party_type="hospital",
            review="unverified",
            reported_by=reporter,
        ),
    )
    LocationFactory(code="SC-1-1", party=reported, location_type="customer_site")
    target = cast(Party, PartyFactory(code="H-1", party_type="hospital"))
    bilingual.name(target, zh=TARGET["zh-hans"], en=TARGET["en"])
    if page == "merge":  # the confirm step, before anything moves
        body = bilingual.page(
            manager,
            language,
            f"/parties/reported/{reported.pk}/merge/",
            data={"target": "H-1", "reason": "same hospital"},
        )
    else:
        url = "/parties/reported/" if page == "list" else f"/parties/reported/{reported.pk}/"
        body = bilingual.page(manager, language, url)
    other = bilingual.other(language)
    named = {"list": (NAMES, REPORTER), "detail": (NAMES, REPORTER), "merge": (NAMES, TARGET)}
    for names in named[page]:
        assert names[language] in body, page
        assert names[other] not in body, page
