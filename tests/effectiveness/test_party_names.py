"""The effectiveness page names holders in the reader's language (the English name on English
pages, the Chinese one on Chinese pages): the sample, the open escalations and the units still
outstanding at holders."""

from __future__ import annotations

import pytest

from medrecall.accounts.models import User
from medrecall.effectiveness import services
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import Bilingual

pytestmark = pytest.mark.django_db

NAMES = {"en": "Second People's Hospital", "zh-hans": "第二人民医院"}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_effectiveness_page_names_holders_in_the_readers_language(
    class_i: RecallCase, manager: User, language: str, bilingual: Bilingual
) -> None:
    hospital = Party.objects.get(code="HX02")
    bilingual.name(hospital, zh=NAMES["zh-hans"], en=NAMES["en"])
    services.plan_set(recall=class_i, regime="nmpa", level="A", actor=manager)
    services.sample_draw(recall=class_i, regime="nmpa", actor=manager, seed=2026)
    services.check_record(
        recall=class_i,
        party=hospital,
        actor=manager,
        contacted_how="phone",
        notice_received=False,
        instructions_followed=False,
    )
    body = bilingual.page(manager, language, f"/recalls/{class_i.pk}/effectiveness/")
    other = NAMES[bilingual.other(language)]
    # The sample, the escalation and the outstanding units each name the hospital.
    assert body.count(f"HX02 · {NAMES[language]}") == 3
    assert other not in body
