"""Browser walk of what a new user found, in English and in Chinese: a recall that does not
cover the signal's lot is refused on the page, holders and people by name, "Active" without
the dismissed signal, charts with no data say so, the results table's headers read whole; a
portal user of another party sees none of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.intelligence.importers import FdaEnforcementImporter, FdaRecallImporter
from medrecall.parties.models import Party
from medrecall.quality import signal_services
from medrecall.quality.models import Signal, SignalKind, SignalStatus
from medrecall.recalls.services import recall_open
from tests.e2e.test_browser import log_in
from tests.factories import DeviceModelFactory, PartyFactory
from tests.intelligence.samples import RECALL_CSV
from tests.intelligence.test_walk_fixes import OLD_SHAPE
from tests.quality.signal_world import AS_OF, background, complaints_add, world_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "refused": "does not cover lot EW0-05",
        "name": "Fang Wang",
        "active": "Active: new or under review",
        "no_year": "No data: none of these records has a date.",
        "undated": "100 have no date and are not in the chart.",
        "no_causes": "No data yet: the chart appears once a CAPA records a root cause.",
    },
    "zh-hans": {
        "refused": "未覆盖批号 EW0-05",
        "name": "Wang Fang",  # a Chinese reader's order: family name first
        "active": "活动：新信号或评审中",
        "no_year": "无数据：这些记录都没有日期。",
        "undated": "100 条没有日期，未计入图表。",
        "no_causes": "暂无数据：CAPA 记录根本原因后将显示此图表。",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_signal_fixes_in_the_browser(
    page: Any, live_server: Any, make_user: Callable[..., User], language: str
) -> None:
    built = world_build(models=1)
    background(built)
    complaints_add(built.lots[0][5], [3, 10, 17, 24, 31, 38, 45, 52])
    signal_services.signals_detect(as_of=AS_OF)
    signal = Signal.objects.get(kind=SignalKind.LOT)
    hospital = Party.objects.get(code="EW-H")
    hospital.name = "Ruijin Hospital"
    hospital.save()
    signal.complaints.update(holder=hospital)
    words = WORDS[language]
    manager = make_user(Role.QA_RA_MANAGER, language=language)
    manager.first_name, manager.last_name = "Fang", "Wang"
    manager.save()
    elsewhere = recall_open(
        actor=manager, title="Other", products=[DeviceModelFactory(model_code="XX-7")], reason="x"
    )
    log_in(page, live_server, manager)

    page.goto(f"{live_server.url}/quality/signals/{signal.pk}/")
    assert set(page.locator("#signal-complaints tbody td:nth-child(4)").all_inner_texts()) == {
        "Ruijin Hospital"
    }
    page.fill("#signal-link input[name=recall]", elsewhere.number)
    page.click("#signal-link button")
    page.wait_for_load_state()
    assert words["refused"] in page.content()
    signal.refresh_from_db()
    assert (signal.status, signal.recall_id) == (SignalStatus.NEW, None)

    page.fill("#signal-dismiss textarea", "Counted twice")
    page.click("#signal-dismiss button")
    page.wait_for_load_state()
    assert page.locator("#signal-history tbody td:nth-child(2)").all_inner_texts() == [
        words["name"]
    ]
    page.goto(f"{live_server.url}/quality/signals/")
    assert page.locator("select[name=shown] option:checked").inner_text() == words["active"]
    assert page.locator(f"#signal-table a[href='/quality/signals/{signal.pk}/']").count() == 0
    header = page.locator("#signal-table th").first.bounding_box()
    assert header is not None
    assert header["height"] < 60  # one line or two, not one character per line

    page.goto(f"{live_server.url}/quality/")
    assert page.locator("#chart-root-causes").count() == 0
    assert page.locator("#chart-root-causes-empty").inner_text() == words["no_causes"]

    other = make_user(Role.PORTAL, party=PartyFactory(code=f"OTH-{language}"), language=language)
    page.context.clear_cookies()
    log_in(page, live_server, other)
    response = page.goto(f"{live_server.url}/quality/signals/{signal.pk}/")
    assert response is not None
    assert response.status == 404
    assert "Counted twice" not in page.content()
    response = page.goto(f"{live_server.url}/intelligence/")
    assert response is not None
    assert response.status in (403, 404)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_intelligence_fixes_in_the_browser(
    page: Any, live_server: Any, make_user: Callable[..., User], language: str
) -> None:
    FdaRecallImporter().run(RECALL_CSV, file_name=RECALL_CSV.name)
    words = WORDS[language]
    log_in(page, live_server, make_user(Role.VIEWER, language=language))

    page.goto(f"{live_server.url}/intelligence/")
    assert page.locator("#chart-year").count() == 0
    assert page.locator("#chart-year-empty").inner_text() == words["no_year"]
    assert words["undated"] in page.locator("#chart-year-dates").inner_text()

    FdaEnforcementImporter().run(OLD_SHAPE, file_name=OLD_SHAPE.name)
    page.goto(f"{live_server.url}/intelligence/?q=raw+material+lots")
    page.wait_for_selector("#chart-year canvas")
    heights = [
        box["height"]
        for box in (th.bounding_box() for th in page.locator("#similar-results th").all())
        if box is not None
    ]
    assert len(heights) == 10
    assert max(heights) < 60  # headers keep their words whole
    firms = page.locator("#similar-results tbody td:nth-child(3)").all_inner_texts()
    assert "Advanced Sterilization Products" in firms
