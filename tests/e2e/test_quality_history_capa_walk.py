"""Browser walk of the quality fixes, in English and in Chinese: the complaint's history in
words, a CAPA with a past due date asked to be confirmed on its form, owner suggestions by full
name, the dashboard's wording; a portal user of another party sees none of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.quality import services
from medrecall.quality.capas import company_today
from medrecall.quality.models import Capa, Channel
from tests.e2e.test_browser import log_in
from tests.factories import PartyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "history": [
            "Received through: — → E-mail",
            "Holder: — → Ruijin Hospital (RJ-{language})",
            "Device identification: — → No device identified",
            "Awareness date: — → 2026-03-02 17:30 CST",
            "Serious injury: — → No",
            "Death: — → No",
        ],
        "question": "The due date {past} is before today ({today}): the CAPA would start "
        "overdue. Correct the date, or confirm that it is opened overdue.",
        "owner": "Owner: — → Fang Wang",
        "name": "Fang Wang",
        "none_closed": "No recall is closed yet.",
        "no_causes": "No data yet: the chart appears once a CAPA records a root cause.",
    },
    "zh-hans": {
        "history": [
            "接收渠道: — → 电子邮件",
            "持有方: — → 瑞金医院 (RJ-{language})",
            "器械识别: — → 未指明器械",
            "获知日期: — → 2026-03-02 17:30 CST",
            "严重伤害: — → 否",
            "死亡: — → 否",
        ],
        "question": "到期日 {past} 早于今天（{today}）：该 CAPA 一开启即已逾期。"
        "请更正日期，或确认以逾期状态开启。",
        "owner": "负责人: — → 王芳",
        "name": "王芳",
        "none_closed": "尚无已关闭的召回。",
        "no_causes": "暂无数据：CAPA 记录根本原因后将显示此图表。",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_quality_history_and_capa_fixes_in_the_browser(
    page: Any, live_server: Any, make_user: Callable[..., User], language: str
) -> None:
    words = WORDS[language]
    hospital = PartyFactory(
        code=f"RJ-{language}", name="瑞金医院", name_en="Ruijin Hospital", party_type="hospital"
    )
    manager = make_user(Role.QA_RA_MANAGER, language=language)
    manager.first_name, manager.last_name = ("Fang", "Wang") if language == "en" else ("芳", "王")
    manager.save()
    complaint = services.complaint_receive(
        actor=manager,
        channel=Channel.EMAIL,
        description="Tip broke",
        aware_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        holder=hospital,
        unit=services.UnitGiven(),
    )
    log_in(page, live_server, manager)

    page.goto(f"{live_server.url}/quality/complaints/{complaint.pk}/")
    shown = page.locator("#history .history-change").all_inner_texts()
    assert shown == [row.format(language=language) for row in words["history"]]

    page.goto(f"{live_server.url}/quality/capas/new/")
    options = page.locator("#capa-owners option")
    assert [(o.get_attribute("value"), o.inner_text()) for o in options.all()] == [
        (manager.username, words["name"])
    ]
    today = company_today()
    past = (today - timedelta(days=2)).isoformat()
    page.fill("#capa-title", "Tip fracture")
    page.fill("#capa-problem", "Tips break during insertion")
    page.fill("#capa-due", past)
    page.click("#capa-save")
    page.wait_for_selector("#capa-past-due")
    assert page.locator("#capa-past-due").inner_text() == words["question"].format(
        past=past, today=today.isoformat()
    )
    assert Capa.objects.count() == 0
    assert page.input_value("#capa-title") == "Tip fracture"
    page.check("#confirm-past-due")
    page.click("#capa-save")
    page.wait_for_url("**/quality/capas/*/")
    capa = Capa.objects.get()
    assert capa.due_on.isoformat() == past
    assert words["owner"] in page.locator("#history").inner_text()

    page.goto(f"{live_server.url}/quality/")
    assert page.locator("#dashboard-recalls-without-capa").inner_text() == words["none_closed"]
    assert page.locator("#dashboard-root-causes").count() == 0
    assert page.content().count(words["no_causes"]) == 1

    other = make_user(Role.PORTAL, party=PartyFactory(code=f"OTH-{language}"), language=language)
    page.context.clear_cookies()
    log_in(page, live_server, other)
    response = page.goto(f"{live_server.url}/quality/complaints/{complaint.pk}/")
    assert response is not None
    assert response.status == 404
    assert "Tip broke" not in page.content()
    response = page.goto(f"{live_server.url}/portal/complaints/")
    assert response is not None
    assert response.status == 200
    assert complaint.number not in page.content()
    response = page.goto(f"{live_server.url}/quality/capas/{capa.pk}/")
    assert response is not None
    assert response.status in (403, 404)
    assert "Tip fracture" not in page.content()
