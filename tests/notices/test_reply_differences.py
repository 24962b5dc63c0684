"""A reply that disagrees with our records (fewer or more units accounted for than we put at the
holder) is flagged with the difference in the replies table, the overdue queue, the API and the
command, until customer service logs a call or a note after it."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from medrecall.accounts.models import User
from medrecall.notices import delivery, replies, selectors, send_runs
from medrecall.notices.models import Notice
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(recall: RecallCase, manager: User, smtp: Any) -> RecallCase:
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    return recall


def notice_of(code: str) -> Notice:
    return Notice.objects.filter(party__code=code, kind="initial").order_by("pk").first()  # type: ignore[return-value]


def reply(code: str, **quantities: int) -> None:
    notice = notice_of(code)
    [line] = replies.expected_lines(notice)
    replies.reply_submit(
        notice=notice, respondent_name="Chen Jie", quantities={line.key: quantities}
    )


def staff(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_reply_short_of_our_records_is_flagged_in_the_replies_table(
    sent: RecallCase, manager: User
) -> None:
    reply("SUB", on_hand=50, used=20)  # we put 100 at SUB: 30 units unaccounted for
    [found] = selectors.replies_for(viewer=manager, recall_id=sent.pk)
    assert (found.on_record, found.reported, found.difference, found.mismatched_lines) == (
        100,
        70,
        -30,
        1,
    )
    assert [
        (d.lot, d.on_record, d.reported, d.difference) for d in selectors.reply_differences(found)
    ] == [("C1", 100, 70, -30)]
    page = staff(manager).get(f"/recalls/{sent.pk}/notices/").content.decode()
    assert 'data-difference="-30"' in page
    assert "70 reported, 100 on record" in page
    assert "Lot C1: 70 of 100 (-30)" in page


def test_a_reply_that_agrees_is_not_flagged(sent: RecallCase, manager: User) -> None:
    reply("SUB", on_hand=60, to_return=60, used=40)
    [found] = selectors.replies_for(viewer=manager, recall_id=sent.pk)
    assert (found.difference, found.mismatched_lines) == (0, 0)
    assert notice_of("SUB").pk not in {n.pk for n in selectors.overdue_queue(viewer=manager)}
    assert ">agrees<" in staff(manager).get(f"/recalls/{sent.pk}/notices/").content.decode()


def test_a_disagreeing_reply_waits_in_the_overdue_queue_until_followed_up(
    sent: RecallCase, manager: User
) -> None:
    reply("SUB", on_hand=50, used=20)
    notice = notice_of("SUB")
    queued = {n.pk: n for n in selectors.overdue_queue(viewer=manager)}
    assert (queued[notice.pk].reply_difference, queued[notice.pk].reply_mismatched_lines) == (
        -30,
        1,
    )
    page = staff(manager).get("/notices/overdue/").content.decode()
    assert 'data-difference="-30">differs by -30 (1 line)</span>' in page
    api = staff(manager).get("/api/notices/overdue/").json()["results"]
    assert [(row["party"], row["reply_difference"]) for row in api if row["id"] == notice.pk] == [
        ("SUB", -30)
    ]
    delivery.notice_contact_log(
        notice=notice,
        actor=manager,
        channel="call",
        note="30 went to the ward store; they will send a corrected count",
    )
    assert notice.pk not in {n.pk for n in selectors.overdue_queue(viewer=manager)}


def test_api_and_command_show_the_difference(sent: RecallCase, manager: User) -> None:
    reply("SUB", on_hand=50, used=20)
    client = staff(manager)
    [row] = client.get(f"/api/recalls/{sent.pk}/replies/").json()
    assert (row["party"], row["on_record"], row["reported"], row["difference"]) == (
        "SUB",
        100,
        70,
        -30,
    )
    assert row["differences"] == [
        {"lot": "C1", "serial": "", "on_record": 100, "reported": 70, "difference": -30}
    ]
    out = StringIO()
    call_command("notices", "replies", sent.number, "--json", stdout=out)
    [cli] = json.loads(out.getvalue())
    assert (cli["party"], cli["difference"], cli["differences"][0]["reported"]) == ("SUB", -30, 70)


def test_api_reply_answer_carries_the_difference(sent: RecallCase, manager: User) -> None:
    notice = notice_of("SUB")
    answer = staff(manager).post(
        f"/api/notices/{notice.pk}/reply/",
        {"respondent_name": "Chen Jie", "lines": [{"lot": "C1", "on_hand": 50, "used": 20}]},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.json()
    assert (answer.json()["on_record"], answer.json()["reported"], answer.json()["difference"]) == (
        100,
        70,
        -30,
    )
