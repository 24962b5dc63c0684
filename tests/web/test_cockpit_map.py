"""The cockpit's world map shows every country with units: a country the map's shapes draw too
small to see (Singapore) or not at all (Hong Kong) is handed to the map as a point at its
position, and the page names the countries shown as points, in both languages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.parties.models import Location
from medrecall.recalls.models import AffectedLine, RecallCase
from medrecall.web import maps
from tests.reporting.conftest import progressed  # noqa: F401 - the fixture, used by name

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_world_map_draws_singapore_too_small_and_the_united_states_large_enough() -> None:
    drawn = maps.drawn_countries()
    assert "SG" not in drawn  # a triangle a third of a degree wide in world.json
    assert "HK" not in drawn  # no shape at all
    assert {"US", "CN", "DE", "JP", "FR"} <= drawn
    assert maps.country_positions()["SG"] == (103.8, 1.36666666)


def test_country_points_are_the_countries_with_units_not_drawn_large_enough() -> None:
    rows = [
        {"code": "US", "name": "United States", "value": 300},
        {"code": "SG", "name": "Singapore", "value": 240},
        {"code": "HK", "name": "Hong Kong", "value": 0},
        {"code": "-", "name": "Unknown", "value": 5},
    ]
    assert maps.country_points(rows) == [
        {"code": "SG", "name": "Singapore", "value": 240, "coord": [103.8, 1.36666666]}
    ]


def _in_singapore() -> None:
    Location.objects.filter(code="H2").update(country="SG", province="", province_code="")


def _units_in_singapore(recall: RecallCase) -> int:
    """Counted apart from the figures: the frozen units held at the Singapore location."""
    snapshot = recall.snapshots.order_by("-sequence").first()
    assert snapshot is not None
    lines = AffectedLine.objects.filter(snapshot=snapshot, location__code="H2")
    return sum(line.on_hand + line.in_transit for line in lines)


@pytest.mark.parametrize(
    ("language", "name", "note"),
    [
        ("en", "Singapore", "Shown on the world map as points"),
        ("zh-hans", "新加坡", "在世界地图上以圆点表示"),
    ],
)
def test_the_cockpit_hands_singapore_to_the_map_as_a_point_and_names_it(
    progressed: RecallCase,  # noqa: F811 - the imported fixture
    manager: User,
    language: str,
    name: str,
    note: str,
) -> None:
    _in_singapore()
    client = Client()
    client.force_login(manager)
    client.cookies["medrecall_language"] = language
    manager.language = language
    manager.save(update_fields=["language"])
    try:
        answer = client.get(f"/recalls/{progressed.pk}/cockpit/")
    finally:
        translation.activate("en")
    assert answer.status_code == 200
    charts: Any = answer.context["charts"]()
    units = _units_in_singapore(progressed)
    assert units == 50
    singapore = [row for row in charts["countries"] if row["code"] == "SG"]
    assert singapore == [{"code": "SG", "name": name, "value": units}]
    assert charts["country_points"] == [
        {"code": "SG", "name": name, "value": units, "coord": [103.8, 1.36666666]}
    ]
    html = answer.content.decode()
    start = html.index('id="map-points"')
    line = html[start : html.index("</p>", start)]
    assert note in line
    assert line.endswith(name)
    # The figures handed to the map (json_script) carry the point too.
    assert '"country_points": [{"code": "SG"' in html


def test_no_point_and_no_note_when_every_country_is_drawn(
    progressed: RecallCase,  # noqa: F811 - the imported fixture
    manager: User,
) -> None:
    client = Client()
    client.force_login(manager)
    answer = client.get(f"/recalls/{progressed.pk}/cockpit/")
    assert answer.context["charts"]()["country_points"] == []
    assert 'id="map-points"' not in answer.content.decode()


def test_a_portal_user_gets_no_cockpit_and_no_map_figures(
    progressed: RecallCase,  # noqa: F811 - the imported fixture
    make_user: Any,
) -> None:
    _in_singapore()
    holder = Location.objects.get(code="H2").party
    client = Client()
    client.force_login(make_user(Role.PORTAL, party=holder))
    answer = client.get(f"/recalls/{progressed.pk}/cockpit/")
    assert answer.status_code == 403
    assert b"country_points" not in answer.content
    assert b"Singapore" not in answer.content
