"""The compliance clock on the case page reads naturally in Chinese: full-width brackets
around "company policy", as around the titles' own abbreviations."""

from typing import Any

import pytest
from django.utils import translation
from freezegun import freeze_time

from medrecall.recalls import services
from medrecall.recalls.models import RecallCase
from tests.recalls.test_calendar_provisional import DECISION, logged_in

pytestmark = pytest.mark.django_db


def recall_decided(manager: Any) -> RecallCase:
    """An FDA recall decided on DECISION: its letters to holders are due by company policy."""
    recall = services.recall_open(
        actor=manager,
        title="Infusion pump alarm",
        products=[],
        reason="r",
        regimes=["fda"],
        decision_at=DECISION,
    )
    services.hazard_evaluate(
        recall=recall, actor=manager, severity="serious", likelihood="probable"
    )
    RecallCase.objects.filter(pk=recall.pk).update(status="in_execution")
    recall.refresh_from_db()
    return recall


def test_a_company_policy_deadline_is_marked_with_full_width_brackets_in_chinese(
    manager: Any, make_user: Any
) -> None:
    recall = recall_decided(manager)
    reader = make_user("qa_ra_manager", language="zh-hans")

    # override: the user's language, activated by the middleware, stays on after the request
    with freeze_time(DECISION), translation.override("en"):
        page = logged_in(reader).get(f"/recalls/{recall.pk}/").content.decode()

    assert "（公司政策）" in page
    assert "(公司政策)" not in page


def test_a_company_policy_deadline_is_marked_with_brackets_in_english(manager: Any) -> None:
    recall = recall_decided(manager)

    with freeze_time(DECISION):
        page = logged_in(manager).get(f"/recalls/{recall.pk}/").content.decode()

    assert "(company policy)" in page


def test_a_label_ends_with_a_full_width_colon_in_chinese(manager: Any, make_user: Any) -> None:
    recall = recall_decided(manager)
    reader = make_user("qa_ra_manager", language="zh-hans")

    with translation.override("en"):
        page = logged_in(reader).get(f"/recalls/{recall.pk}/").content.decode()

    assert "本召回所需的审批步骤：" in page
    assert "本召回所需的审批步骤:" not in page
