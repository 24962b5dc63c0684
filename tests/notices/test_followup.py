"""Follow-up on the clock of the recall's class: 2nd and 3rd notice to silent holders only,
escalation to customer service after the last, surveys once the recall is closed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.notices import followup, recipients, replies, selectors, send_runs
from medrecall.notices.models import Notice, NoticeEvent
from medrecall.recalls.models import RecallCase, RecallRegime
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(recall: RecallCase, manager: User, smtp: Any) -> RecallCase:
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    return recall


def test_reply_due_follows_the_class(sent: RecallCase) -> None:
    notice = Notice.objects.filter(channel="email").first()
    assert notice is not None
    assert notice.reply_due_at is not None
    assert notice.reply_due_at - notice.created_at == pytest.approx(
        timedelta(days=2), abs=timedelta(minutes=1)
    )
    assert recipients.urgency(sent) == "I"
    RecallRegime.objects.filter(recall=sent).update(recall_class="III")
    assert recipients.urgency(sent) == "III"
    RecallRegime.objects.filter(recall=sent).update(regime="eu_mdr", recall_class="fsca")
    assert recipients.urgency(sent) == "II"


def test_nothing_happens_before_the_reply_is_due(sent: RecallCase) -> None:
    assert followup.reminders_send() == (0, 0)
    assert followup.reminders_send(timezone.now() + timedelta(days=1, hours=23)) == (0, 0)


def test_second_and_third_notice_then_escalation(sent: RecallCase, smtp: Any) -> None:
    first = Notice.objects.get(party__code="SUB")
    replies.reply_submit(
        notice=Notice.objects.get(party__code="HOSP2"),
        respondent_name="Dr Smith",
        quantities={
            replies.expected_lines(Notice.objects.get(party__code="HOSP2"))[0].key: {"on_hand": 50}
        },
    )
    before = len(smtp.messages)
    day = timezone.now()
    reminded, escalated = followup.reminders_send(day + timedelta(days=2, minutes=1))
    # Silent: DIST (2 contacts), SUB, HOSP (a letter not posted yet counts as not sent: no reminder) → 3 e-mails.
    assert (reminded, escalated) == (3, 0)
    work_off_queue()
    second = Notice.objects.get(party__code="SUB", sequence=2)
    assert (second.kind, second.parent_id, second.status) == ("reminder", first.pk, "sent")
    assert len(smtp.messages) == before + 3
    subject = str(smtp.messages[-1][1]["Subject"])
    assert "第2次通知" in subject or "Notice no. 2" in subject
    assert "/n/r/" in second.body_html  # the reply link of the holder (first notice)
    assert followup.reminders_send(day + timedelta(days=2, hours=1)) == (
        0,
        0,
    )  # not again before the next date
    assert followup.reminders_send(day + timedelta(days=4, hours=2))[0] == 3
    work_off_queue()
    assert Notice.objects.filter(sequence=3).count() == 3
    reminded, escalated = followup.reminders_send(day + timedelta(days=5, hours=3))
    assert (reminded, escalated) == (0, 3)
    queue = list(selectors.overdue_queue(viewer=sent.owner))
    assert {n.party.code for n in queue} >= {"DIST", "SUB"}
    assert NoticeEvent.objects.filter(type="escalated").count() == 3
    assert followup.reminders_send(day + timedelta(days=9)) == (0, 0)  # escalated once
    assert (
        Notice.objects.filter(party__code="HOSP2").count() == 1
    )  # the holder who replied got nothing more


def test_a_reply_after_the_second_notice_stops_the_third(sent: RecallCase) -> None:
    day = timezone.now()
    followup.reminders_send(day + timedelta(days=2, minutes=1))
    work_off_queue()
    second = Notice.objects.get(party__code="SUB", sequence=2)
    replies.reply_submit(
        notice=second,
        respondent_name="Chen",
        quantities={replies.expected_lines(second)[0].key: {"on_hand": 100}},
    )
    followup.reminders_send(day + timedelta(days=5))
    assert not Notice.objects.filter(party__code="SUB", sequence=3).exists()


def test_surveys_go_once_after_closure(sent: RecallCase, smtp: Any) -> None:
    assert followup.surveys_send() == 0
    RecallCase.objects.filter(pk=sent.pk).update(status="closed")
    created = followup.surveys_send()
    assert created == 4  # every e-mail recipient that was notified (the unposted letter was not)
    work_off_queue()
    assert followup.surveys_send() == 0
    survey = Notice.objects.filter(kind="survey").first()
    assert survey is not None
    assert "/n/s/" in survey.body_html
    from django.test import Client

    from medrecall.notices import links

    client = Client()
    assert (
        client.post(links.survey_path(survey), {"rating": "9", "clarity": "3"}).status_code == 400
    )
    response = client.post(
        links.survey_path(survey), {"rating": "4", "clarity": "5", "comment": "Clear"}
    )
    assert "survey-thanks" in response.content.decode()
    assert survey.survey_response.rating == 4
