"""Names and times as a reader sees them (core/presentation.py and its template filters)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from medrecall.core import presentation
from medrecall.core.presentation import local_time, person_name, user_display_name


@pytest.mark.parametrize(
    ("given", "family", "language", "expected"),
    [
        pytest.param("芳", "王", "zh-hans", "王芳", id="chinese-name-chinese-page"),
        pytest.param("芳", "王", "en", "王芳", id="chinese-name-english-page"),
        pytest.param("Fang", "Wang", "en", "Fang Wang", id="latin-name-english-page"),
        pytest.param("Fang", "Wang", "zh-hans", "Wang Fang", id="latin-name-chinese-page"),
        pytest.param("Anna", "", "en", "Anna", id="given-only"),
        pytest.param("", "王", "zh-hans", "王", id="family-only"),
        pytest.param(" 芳 ", " 王 ", "zh-hans", "王芳", id="spaces-trimmed"),
    ],
)
def test_person_name_follows_the_language(
    given: str, family: str, language: str, expected: str
) -> None:
    assert person_name(given, family, language=language) == expected


def test_user_display_name_falls_back_to_the_user_name() -> None:
    with translation.override("zh-hans"):
        assert (
            user_display_name(SimpleNamespace(first_name="芳", last_name="王", username="wf"))
            == "王芳"
        )
        assert (
            user_display_name(SimpleNamespace(first_name="", last_name="", username="wf")) == "wf"
        )
    assert user_display_name(None) == ""


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        pytest.param("Asia/Shanghai", "2026-12-06 09:30 CST", id="shanghai"),
        pytest.param("Europe/Berlin", "2026-12-06 02:30 CET", id="berlin"),
        pytest.param("America/New_York", "2026-12-05 20:30 EST", id="new-york"),
        pytest.param("Asia/Singapore", "2026-12-06 09:30 UTC+08:00", id="no-abbreviation"),
        pytest.param("Asia/Kolkata", "2026-12-06 07:00 IST", id="half-hour"),
        pytest.param("UTC", "2026-12-06 01:30 UTC", id="utc"),
    ],
)
def test_local_time_shows_the_zone(zone: str, expected: str) -> None:
    moment = datetime(2026, 12, 6, 1, 30, tzinfo=UTC)
    assert local_time(moment, zone=zone) == expected


def test_local_time_uses_the_active_zone_and_reads_iso_strings() -> None:
    with timezone.override("Asia/Shanghai"):
        assert local_time("2026-12-06T01:30:15+00:00", seconds=True) == "2026-12-06 09:30:15 CST"
        assert local_time("2026-12-06T01:30:15Z") == "2026-12-06 09:30 CST"
    assert local_time(date(2026, 12, 6)) == "2026-12-06"
    assert local_time(None) == ""
    assert local_time("not a time") == "not a time"


def test_template_filters() -> None:
    template = Template(
        "{% load presentation %}{{ when|local_time }} · {{ when|local_time:'seconds' }} · {{ who|person_name }}"
    )
    with timezone.override("Asia/Shanghai"), translation.override("zh-hans"):
        shown = template.render(
            Context(
                {
                    "when": datetime(2026, 12, 6, 1, 30, 5, tzinfo=UTC),
                    "who": SimpleNamespace(first_name="芳", last_name="王", username="wf"),
                }
            )
        )
    assert shown == "2026-12-06 09:30 CST · 2026-12-06 09:30:05 CST · 王芳"


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("zh-hans", "CN 上海市 浦东新区 张江路 1 号"),
        ("en", "张江路 1 号, 浦东新区, 上海市, CN"),
    ],
)
def test_addresses_follow_the_language_order(language: str, written: str) -> None:
    from medrecall.core.presentation import postal_address

    assert (
        postal_address(
            address="张江路 1 号",
            city="浦东新区",
            province="上海市",
            country="CN",
            language=language,
        )
        == written
    )
    assert (
        postal_address(address="1 Main St", city="", province="", country="US", language="en")
        == "1 Main St, US"
    )


@pytest.mark.parametrize(
    ("language", "name", "name_en", "shown"),
    [
        pytest.param("en", "四川华西医院", "West China Hospital", "West China Hospital", id="en"),
        pytest.param("zh-hans", "四川华西医院", "West China Hospital", "四川华西医院", id="zh"),
        pytest.param("en", "四川华西医院", "", "四川华西医院", id="en-no-english-name"),
        pytest.param("zh-hans", "", "West China Hospital", "West China Hospital", id="zh-no-name"),
        pytest.param("en", "", "", "H-CD-01", id="neither-the-code"),
    ],
)
def test_a_partys_name_follows_the_readers_language(
    language: str, name: str, name_en: str, shown: str
) -> None:
    party = SimpleNamespace(code="H-CD-01", name=name, name_en=name_en)
    as_row = {"code": "H-CD-01", "name": name, "name_en": name_en}
    assert presentation.party_name(party, language=language) == shown
    assert presentation.party_name(as_row, language=language) == shown
    with translation.override(language):
        assert presentation.party_name(party) == shown
        assert (
            Template("{% load presentation %}{{ p|party_name }}").render(Context({"p": party}))
            == shown
        )
