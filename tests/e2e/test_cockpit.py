"""Browser: the recall list opens a recall on its cockpit; the funnel, the maps and the
burn-down are drawn; a figure leads to the holders it counts; the same in Chinese."""

from __future__ import annotations

from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.recalls.models import RecallCase
from tests.e2e.test_browser import log_in
from tests.reporting.conftest import progressed  # noqa: F401 - the fixture, used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_open_the_cockpit_follow_a_figure_and_read_it_in_chinese(
    page: Any,
    live_server: Any,
    progressed: RecallCase,  # noqa: F811 - the imported fixture
    manager: User,
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/recalls/")
    page.click(f"text={progressed.number}")
    page.wait_for_url(f"{live_server.url}/recalls/{progressed.pk}/cockpit/")
    assert page.locator("#funnel-sent a[data-figure=units]").inner_text() == "500"
    assert page.locator("#funnel-sent a[data-figure=holders]").inner_text() == "3"
    # Notified: the holder has the notice (DIST's e-mail, only sent, does not notify).
    assert page.locator("#funnel-notified a[data-figure=units]").inner_text() == "150"
    assert page.locator("#funnel-notified a[data-figure=holders]").inner_text() == "2"
    page.wait_for_selector("#map-china canvas")  # ECharts drew the provinces (vendored GeoJSON)
    page.wait_for_selector("#map-world canvas")
    page.wait_for_selector("#chart-burn-down canvas")
    # The China map (ECharts 4.9.0's, Apache-2.0) is registered with its provinces by ISO code,
    # decoded to coordinates inside China; its credit is under the maps.
    page.wait_for_function("() => echarts.getMap('medrecall-china') !== undefined")
    box = page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.getElementById('map-china'));
          const geo = chart.getModel().getSeriesByIndex(0).coordinateSystem;
          const rect = geo.getRegion('CN-GD').getBoundingRect();
          return [rect.x, rect.y, rect.width, rect.height];
        }"""
    )
    assert 109 < box[0] < 118
    assert 20 < box[1] < 26
    assert "Apache ECharts 4.9.0" in page.locator("#map-credit").inner_text()
    assert errors == []

    page.click("#funnel-notified a[data-figure=holders]")
    page.wait_for_selector("#drill-rows")
    assert page.locator("#drill-title").inner_text() == "Holders: Notified"
    assert sorted(
        page.locator("#drill-rows tr[data-party]").evaluate_all(
            "rows => rows.map(r => r.dataset.party)"
        )
    ) == ["HOSP2", "SUB"]

    page.go_back()
    page.select_option("#language-select", "zh-hans")
    page.wait_for_selector("#cockpit-funnel")
    assert "进展漏斗" in page.locator("#cockpit-funnel h2").inner_text()
    assert page.locator("#funnel-notified th").inner_text().startswith("已通知\n持有方已收到通知")
    page.click("#rank-province a:has-text('广东省')")
    page.wait_for_selector("#drill-rows")
    assert page.locator("#drill-rows tr[data-party]").count() == 2
    assert "广东省" in page.locator("#drill-filters").inner_text()
    assert errors == []


@pytest.mark.parametrize(("language", "name"), [("en", "Singapore"), ("zh-hans", "新加坡")])
def test_the_world_map_shows_singapore_as_a_point(
    page: Any,
    live_server: Any,
    progressed: RecallCase,  # noqa: F811 - the imported fixture
    manager: User,
    language: str,
    name: str,
) -> None:
    from medrecall.parties.models import Location

    Location.objects.filter(code="H2").update(country="SG", province="", province_code="")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/recalls/{progressed.pk}/cockpit/")
    if language != "en":
        page.select_option("#language-select", language)
        page.wait_for_selector("#cockpit-funnel")
    page.wait_for_selector("#map-world[data-points='SG']")  # drawn, with its points
    point = page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.getElementById('map-world'));
          const row = chart.getOption().series[0].markPoint.data[0];
          const at = chart.convertToPixel({seriesIndex: 0}, row.coord);
          return {name: row.name, label: row.country, units: row.value, coord: row.coord,
                  inside: at[0] > 0 && at[1] > 0
                    && at[0] < chart.getWidth() && at[1] < chart.getHeight()};
        }"""
    )
    assert point == {
        "name": "SG",
        "label": name,
        "units": 50,  # HOSP2's frozen units (tests/web/test_cockpit_map.py counts them)
        "coord": [103.8, 1.36666666],
        "inside": True,
    }
    assert page.locator("#map-points").inner_text().endswith(name)
    assert "world-countries 5.1.0" in page.locator("#map-credit").inner_text()
    # The legend reads its ends: the most units of a country, with the word for units, and 0.
    legend = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById('map-world'))
          .getOption().visualMap[0].text"""
    )
    units = {"en": "Units", "zh-hans": "产品数量"}[language]
    assert legend[1] == "0"
    assert legend[0].endswith(f" {units}")
    assert any(character.isdigit() for character in legend[0])
    # The funnel's column headers each on one line (in Chinese too).
    lines = page.evaluate(
        """() => [...document.querySelectorAll('#cockpit-funnel thead th, #rank-province thead th')]
          .filter(th => th.textContent.trim())
          .map(th => {
            const style = getComputedStyle(th);
            const line = parseFloat(style.lineHeight) || 1.5 * parseFloat(style.fontSize);
            const content = th.clientHeight - parseFloat(style.paddingTop)
              - parseFloat(style.paddingBottom);
            return Math.round(content / line);
          })"""
    )
    assert lines
    assert set(lines) == {1}, lines
    assert errors == []
    if language != "en":
        page.select_option("#language-select", "en")
        # The switch reloads the cockpit: let it finish before the database is flushed (a
        # request still running at teardown deadlocks with PostgreSQL's TRUNCATE).
        page.wait_for_load_state("networkidle")
