"""Notify by on the page, in the API, the command and the customer-service queue; a portal user
of another party sees nothing (404)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.notices.models import Notice
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from medrecall.reporting.queues import queue_for
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NOTIFY_BY = datetime(2025, 3, 2, tzinfo=UTC)
CODES = ["DIST", "HOSP", "HOSP2", "SUB"]


def logged_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_page_lists_each_holder_with_notify_by_and_overdue(
    recall: RecallCase, make_user: Callable[..., User]
) -> None:
    client = logged_in(make_user(Role.CUSTOMER_SERVICE))
    page = client.get(f"/recalls/{recall.pk}/notices/holders/", HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert page.status_code == 200
    assert "4 of 4 holders are overdue." in body
    for code in CODES:
        assert f'data-holder="{code}" data-state="overdue"' in body
    assert body.count("<td>2025-03-02 08:00 CST</td>") == 4
    assert body.count("Overdue: not notified") == 4 + 1  # the rows and the filter's option
    filtered = client.get(f"/recalls/{recall.pk}/notices/holders/?state=on_time")
    assert "data-holder=" not in filtered.content.decode()
    notices = client.get(f"/recalls/{recall.pk}/notices/").content.decode()
    assert f'href="/recalls/{recall.pk}/notices/holders/"' in notices


def test_the_page_in_chinese(recall: RecallCase, make_user: Callable[..., User]) -> None:
    user = make_user(Role.CUSTOMER_SERVICE)
    body = (
        logged_in(user)
        .get(f"/recalls/{recall.pk}/notices/holders/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )
    translation.activate("en")
    assert "4 个持有方中有 4 个已逾期。" in body
    assert "逾期：未通知" in body


def test_an_unknown_state_is_refused_with_a_message(
    recall: RecallCase, make_user: Callable[..., User], api_as: Callable[..., object]
) -> None:
    user = make_user(Role.CUSTOMER_SERVICE)
    page = logged_in(user).get(
        f"/recalls/{recall.pk}/notices/holders/?state=soon", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert (
        "Unknown state soon; use one of on_time, late, overdue, pending, no_deadline, outside."
        in (page.content.decode())
    )
    answer = api_as(user).get(f"/api/recalls/{recall.pk}/notices/holders/?state=soon")  # type: ignore[attr-defined]
    assert answer.status_code == 400


def test_the_api_lists_holders_and_filters_overdue(
    recall: RecallCase, make_user: Callable[..., User], api_as: Callable[..., object]
) -> None:
    client = api_as(make_user(Role.CUSTOMER_SERVICE))
    answer = client.get(f"/api/recalls/{recall.pk}/notices/holders/?state=overdue")  # type: ignore[attr-defined]
    assert answer.status_code == 200
    rows = answer.json()["results"]
    assert [r["code"] for r in rows] == CODES
    assert {
        (r["notify_by"], r["notified_at"], r["state"], r["overdue"], tuple(r["regimes"]))
        for r in rows
    } == {("2025-03-02T08:00:00+08:00", None, "overdue", True, ("nmpa",))}


def test_the_command_prints_json(recall: RecallCase) -> None:
    out = StringIO()
    call_command("notices", "holders", recall.number, "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert [(r["code"], r["notify_by"], r["overdue"]) for r in rows] == [
        (code, NOTIFY_BY.isoformat(), True) for code in CODES
    ]
    out = StringIO()
    call_command("notices", "holders", recall.number, "--state", "on_time", "--json", stdout=out)
    assert json.loads(out.getvalue()) == []


def test_the_customer_service_queue_lists_holders_not_notified_in_time(
    recall: RecallCase, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.CUSTOMER_SERVICE)
    sections = {s.key: s for s in queue_for(viewer=user, role=Role.CUSTOMER_SERVICE)}
    items = sections["not_notified"].items()
    assert [(i.reference, i.recall, i.due_at, i.overdue) for i in items] == [
        (code, recall.number, NOTIFY_BY, True) for code in CODES
    ]
    assert items[0].action_url == f"/recalls/{recall.pk}/notices/holders/?state=overdue"
    # Before the notify-by time nobody is late.
    early = queue_for(viewer=user, role=Role.CUSTOMER_SERVICE, now=NOTIFY_BY - timedelta(hours=1))
    assert early[0].count() == 0


def test_a_portal_user_of_another_party_gets_404(
    recall: RecallCase, make_user: Callable[..., User], api_as: Callable[..., object]
) -> None:
    other = Party.objects.create(code="ELSE", name="Another hospital", party_type="hospital")
    portal = make_user(Role.VIEWER, party=other)
    page = logged_in(portal).get(f"/recalls/{recall.pk}/notices/holders/")
    assert page.status_code == 404
    answer = api_as(portal).get(f"/api/recalls/{recall.pk}/notices/holders/")  # type: ignore[attr-defined]
    assert answer.status_code == 404
    assert "DIST" not in page.content.decode() + answer.content.decode()
    assert not Notice.objects.exists()


def test_the_list_takes_a_constant_number_of_queries(
    recall: RecallCase, make_user: Callable[..., User], django_assert_max_num_queries: object
) -> None:
    client = logged_in(make_user(Role.CUSTOMER_SERVICE))
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        assert client.get(f"/recalls/{recall.pk}/notices/holders/").status_code == 200
