"""The execution pages name the holder in the reader's language (the English name on English
pages, the Chinese one on Chinese pages): the recall's execution page, a return, the warehouse
(receiving) and one of its returns, the work orders and one work order."""

from __future__ import annotations

import pytest

from medrecall.accounts.models import User
from medrecall.execution import services
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import Bilingual
from tests.execution.test_fieldwork import partner_setup

pytestmark = pytest.mark.django_db

NAMES = {"en": "Riverside Hospital", "zh-hans": "河畔医院"}


@pytest.fixture
def pages(recall: RecallCase, manager: User, bilingual: Bilingual) -> dict[str, str]:
    hospital = Party.objects.get(code="HOSP")
    bilingual.name(hospital, zh=NAMES["zh-hans"], en=NAMES["en"])
    ra = services.return_create(recall=recall, party=hospital, actor=manager)
    partner_setup()
    order = services.work_order_create(
        recall=recall, party=hospital, action="inspection", actor=manager
    )
    return {
        "execution": f"/execution/recalls/{recall.pk}/",
        "return": f"/execution/returns/{ra.pk}/",
        "warehouse": "/execution/warehouse/",
        "warehouse-return": f"/execution/warehouse/{ra.pk}/",
        "work-orders": "/execution/work-orders/",
        "work-order": f"/execution/work-orders/{order.pk}/",
    }


@pytest.mark.parametrize("language", Bilingual.LANGUAGES)
@pytest.mark.parametrize(
    "page", ["execution", "return", "warehouse", "warehouse-return", "work-orders", "work-order"]
)
def test_execution_pages_name_the_holder_in_the_readers_language(
    pages: dict[str, str], manager: User, bilingual: Bilingual, language: str, page: str
) -> None:
    body = bilingual.page(manager, language, pages[page])
    assert NAMES[language] in body, page
    assert NAMES[bilingual.other(language)] not in body, page
