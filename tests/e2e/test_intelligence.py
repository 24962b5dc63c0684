"""Browser: a QA engineer searches the public FDA recall history in English and in Chinese,
sees the obviously similar recall first, the statistics as charts, and opens the record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.intelligence.importers import FdaRecallImporter
from tests.e2e.test_browser import log_in
from tests.e2e.test_csp import _violations, _watched
from tests.intelligence.samples import RECALL_CSV, download, search_records

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("language", "query", "heading", "cause"),
    [
        (
            "en",
            "infusion pump software miscalculates the dose",
            "Public FDA recall history",
            "Software design",
        ),
        ("zh-hans", "输液泵软件剂量计算错误", "FDA 公开召回记录", "软件设计"),
    ],
    ids=["english", "chinese"],
)
def test_search_the_public_recall_history(
    page: Any,
    live_server: Any,
    make_user: Callable[..., User],
    tmp_path: Path,
    language: str,
    query: str,
    heading: str,
    cause: str,
) -> None:
    importer = FdaRecallImporter()
    importer.run(RECALL_CSV, file_name=RECALL_CSV.name)
    path = download(tmp_path / "search.json", search_records())
    assert importer.run(path, file_name=path.name).created == 6
    console = _watched(page)
    log_in(page, live_server, make_user(Role.QA_RA_MANAGER, language=language))

    page.goto(f"{live_server.url}/intelligence/")
    assert page.locator("h1").inner_text() == heading
    page.fill("#search-q", query)
    page.click("#search-submit")
    page.wait_for_selector("#similar-results")

    first = page.locator("#similar-results tbody tr").first
    assert first.get_attribute("data-key") == "900001"
    assert cause in first.inner_text()
    page.wait_for_selector("#chart-root-cause canvas", state="attached")
    page.wait_for_selector("#chart-duration canvas", state="attached")
    page.wait_for_selector("#chart-device-class canvas", state="attached")
    axes = page.evaluate(
        "() => ['chart-root-cause', 'chart-year', 'chart-device-class', 'chart-duration']"
        ".map(id => { const o = echarts.getInstanceByDom(document.getElementById(id))"
        ".getOption(); return [...o.xAxis, ...o.yAxis].filter(a => a.type === 'value')"
        ".map(a => a.minInterval); })"
    )
    assert axes == [[1], [1], [1], [1]]  # counts: whole ticks only
    assert page.locator("#chart-class").count() == 0  # recall and device classes apart
    assert page.locator("#stats-records").inner_text() == "106"
    assert _violations(page, console) == []
    first.locator("a").first.click()
    page.wait_for_selector("#record-fields")
    assert "IP7-0001" in page.locator("#record-fields").inner_text()
