"""A portal user reaches none of a recall's staff pages: each answers 404, as other records
outside their party do (a 403 told them the recall exists), whether their party holds units of
the recall or not; staff still see the case."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.notices.conftest import approved_recall

pytestmark = pytest.mark.django_db

# The recall's own pages (cockpit and similar-recall pages belong to other contexts).
PAGES = [
    "",
    "impact.xlsx",
    "effectiveness/",
    "filings/",
    "notices/",
    "notices/holders/",
    "execution/",
    "timeline/",
]


@pytest.fixture
def recall(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> RecallCase:
    return approved_recall(tmp_path, manager, make_user)


@pytest.mark.parametrize("holder", ["HOSP", "ELSE"], ids=["holder-of-the-recall", "another"])
def test_a_portal_user_gets_404_on_every_page_of_the_recall(
    recall: RecallCase, make_user: Callable[..., User], holder: str
) -> None:
    party = Party.objects.filter(code=holder).first() or Party.objects.create(
        code=holder, name="另一家医院", party_type="hospital"
    )
    client = Client()
    client.force_login(make_user(Role.PORTAL, party=party))
    answers = {page: client.get(f"/recalls/{recall.pk}/{page}").status_code for page in PAGES}
    assert answers == dict.fromkeys(PAGES, 404)


def test_staff_still_see_the_case(recall: RecallCase, make_user: Callable[..., User]) -> None:
    client = Client()
    client.force_login(make_user(Role.VIEWER))
    assert client.get(f"/recalls/{recall.pk}/").status_code == 200
    assert client.get(f"/recalls/{recall.pk}/impact.xlsx").status_code == 200
