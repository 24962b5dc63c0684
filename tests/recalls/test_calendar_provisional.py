"""Deadlines that count into a year the China working-day calendar does not cover: every
page, endpoint and command answers with a provisional deadline instead of failing, and one
recall's clock problem never breaks another recall. "Now" is in 2027 throughout."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from freezegun import freeze_time

from medrecall.recalls import deadlines, services
from medrecall.recalls.models import RecallCase, RecallRegime
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

DECISION = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
NOW = datetime(2027, 1, 1, 2, 0, tzinfo=UTC)  # New Year's Day, 10:00 in Shanghai
# 29, 30, 31 Dec are working days by chinesecalendar; 1 and 2 Jan 2027 are unknown and
# count as working days: the earliest the real date could be.
PROVISIONAL_FILING_DUE = "2027-01-02T23:59:59.999999+08:00"
NOTE = "provisional — calendar for 2027 not entered"


def recall_decided(manager: Any, decision_at: datetime = DECISION) -> RecallCase:
    recall = services.recall_open(
        actor=manager,
        title="Infusion pump alarm",
        products=[],
        reason="r",
        regimes=["nmpa"],
        decision_at=decision_at,
        progress_interval_days=7,
    )
    services.hazard_evaluate(
        recall=recall, actor=manager, severity="serious", likelihood="probable"
    )
    RecallCase.objects.filter(pk=recall.pk).update(status="in_execution")
    recall.refresh_from_db()
    return recall


def logged_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_filing_due_in_an_uncovered_year_counts_calendar_days_and_is_provisional(
    manager: Any,
) -> None:
    rows, missing = deadlines.deadlines_for(recall_decided(manager), now=NOW)
    filing = {row.key: row for row in rows}
    assert missing == []
    for key in ("nmpa.assessment_report", "nmpa.recall_plan"):
        assert filing[key].due_at.isoformat() == PROVISIONAL_FILING_DUE
        assert filing[key].provisional is True
        assert filing[key].calendar_missing_years == (2027,)
        assert filing[key].provisional_note == NOTE
    assert filing["nmpa.event_report"].provisional is False


def test_case_page_shows_the_provisional_deadline(manager: Any) -> None:
    recall = recall_decided(manager)
    with freeze_time(NOW):
        response = logged_in(manager).get(f"/recalls/{recall.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count(NOTE) == 2  # the assessment report and the recall plan
    assert "2027-01-02 23:59" in page


def test_due_this_week_page_shows_the_provisional_deadline(manager: Any) -> None:
    recall_decided(manager)
    with freeze_time(NOW):
        response = logged_in(manager).get("/recalls/due-this-week/")
    assert response.status_code == 200
    assert response.content.decode().count(NOTE) == 2


def test_api_deadlines_carry_the_provisional_flag(manager: Any, api_as: Any) -> None:
    recall = recall_decided(manager)
    with freeze_time(NOW):
        body = api_as(manager).get(f"/api/recalls/{recall.pk}/deadlines/").json()
        week = api_as(manager).get("/api/recalls/due-this-week/").json()["results"]
    plan = next(d for d in body["deadlines"] if d["key"] == "nmpa.recall_plan")
    assert plan["due_at"] == PROVISIONAL_FILING_DUE
    assert plan["provisional"] is True
    assert plan["calendar_missing_years"] == [2027]
    assert plan["provisional_note"] == NOTE
    assert plan["status"] == "open"
    event = next(d for d in body["deadlines"] if d["key"] == "nmpa.event_report")
    assert (event["provisional"], event["calendar_missing_years"]) == (False, [])
    assert {(d["key"], d["provisional"]) for d in week if d["recall_id"] == recall.pk} >= {
        ("nmpa.recall_plan", True),
        ("nmpa.assessment_report", True),
    }


def test_commands_answer_with_provisional_deadlines(manager: Any) -> None:
    recall = recall_decided(manager)
    with freeze_time(NOW):
        out = StringIO()
        call_command("deadlines", "due", "--json", stdout=out)
        due = json.loads(out.getvalue())
        text = StringIO()
        call_command("deadlines", "due", stdout=text)
        shown = StringIO()
        call_command("recall", "deadlines", recall.number, "--json", stdout=shown)
        alert = StringIO()
        call_command("deadlines", "alert", stdout=alert)
    plan = next(d for d in due if d["key"] == "nmpa.recall_plan")
    assert (plan["due_at"], plan["provisional"], plan["calendar_missing_years"]) == (
        PROVISIONAL_FILING_DUE,
        True,
        [2027],
    )
    assert text.getvalue().count(f"({NOTE})") == 2
    case = next(
        d for d in json.loads(shown.getvalue())["deadlines"] if d["key"] == "nmpa.recall_plan"
    )
    assert (case["provisional"], case["calendar_missing_years"]) == (True, [2027])
    assert alert.getvalue().startswith("Alerts sent: ")


def test_a_recall_with_a_broken_clock_setting_does_not_break_the_due_list(manager: Any) -> None:
    good = recall_decided(manager)
    broken = recall_decided(manager)
    RecallRegime.objects.filter(recall=broken).update(recall_class="IV")
    with freeze_time(NOW):
        page = logged_in(manager).get("/recalls/due-this-week/")
        case = logged_in(manager).get(f"/recalls/{broken.pk}/")
        api = Client()
        api.force_login(manager)
        week = api.get("/api/recalls/due-this-week/")
        case_api = api.get(f"/api/recalls/{broken.pk}/deadlines/")
    assert week.status_code == 200
    assert {d["recall"] for d in week.json()["results"]} == {good.number}
    assert case_api.status_code == 200
    assert case_api.json() == {
        "deadlines": [],
        "missing_settings": [
            "The clock cannot run for this recall: NMPA recall class IV is unknown; use I, II or III."
        ],
    }
    report = deadlines.due_report(now=NOW)
    assert {row.recall_number for row in report.rows} == {good.number}
    assert [(p.recall_number, p.message) for p in report.problems] == [
        (
            broken.number,
            "The clock cannot run for this recall: NMPA recall class IV is unknown; use I, II or III.",
        )
    ]
    assert page.status_code == 200
    assert broken.number in page.content.decode()
    assert "NMPA recall class IV is unknown" in page.content.decode()
    assert case.status_code == 200
    assert "NMPA recall class IV is unknown" in case.content.decode()
    rows, missing = deadlines.deadlines_for(broken, now=NOW)
    assert rows == []
    assert missing == [
        "The clock cannot run for this recall: NMPA recall class IV is unknown; use I, II or III."
    ]


def test_provisional_note_is_translated(manager: Any, make_user: Any) -> None:
    recall_decided(manager)
    reader = make_user("qa_ra_manager", language="zh-hans")
    with (
        freeze_time(NOW),
        translation.override("en"),
    ):  # the middleware's language stays in this test
        page = (
            logged_in(reader)
            .get("/recalls/due-this-week/", HTTP_ACCEPT_LANGUAGE="zh-hans")
            .content.decode()
        )
    assert page.count("暂定——2027 年的日历尚未录入") == 2
