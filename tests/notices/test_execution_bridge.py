"""Notices and execution together: a reply's announced return becomes a return
authorisation, the holder hears how their return advances, and the customer timeline shows
returns and receipts."""

from __future__ import annotations

from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.execution import returns
from medrecall.execution.errors import ReturnRefused
from medrecall.execution.holders import return_from_reply
from medrecall.notices import replies, selectors, send_runs
from medrecall.notices.models import Notice
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.execution.conftest import seed_carriers
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def replied(recall: RecallCase, manager: User, smtp: Any) -> RecallCase:
    seed_carriers()
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    notice = Notice.objects.get(party__code="SUB")
    key = replies.expected_lines(notice)[0].key
    replies.reply_submit(
        notice=notice,
        respondent_name="Chen Jie",
        quantities={key: {"on_hand": 60, "to_return": 40}},
    )
    return recall


def test_the_reply_becomes_a_return_and_the_holder_hears_of_it(
    replied: RecallCase, manager: User, smtp: Any
) -> None:
    reply = replied.replies.get()
    ra = return_from_reply(reply=reply, actor=manager)
    assert (ra.source, ra.reply_ref, ra.party.code) == ("reply", str(reply.pk), "SUB")
    assert [(line.lot.number, line.expected) for line in ra.lines.all()] == [("C1", 40)]
    before = len(smtp.messages)
    returns.return_transition(ra=ra, target="picked_up", actor=manager)
    work_off_queue()
    update = Notice.objects.get(party__code="SUB", kind="progress")
    assert update.status == "sent"
    assert ra.number in update.body_text
    assert len(smtp.messages) == before + 1
    assert (
        "已由" in update.body_text or "picked up" in update.body_text
    )  # in the holder's language (Chinese)
    party = Party.objects.get(code="SUB")
    _party, entries, _units = selectors.timeline_for(viewer=manager, party_id=party.pk)
    kinds = [entry.what for entry in entries]
    assert "Return authorised" in kinds
    assert "Reply" in kinds
    assert "Progress update" not in kinds


def test_a_reply_that_returns_nothing_makes_no_return(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    seed_carriers()
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    notice = Notice.objects.get(party__code="SUB")
    reply = replies.reply_submit(
        notice=notice,
        respondent_name="Chen",
        quantities={replies.expected_lines(notice)[0].key: {"on_hand": 100}},
    )
    with pytest.raises(ReturnRefused, match="returns nothing"):
        return_from_reply(reply=reply, actor=manager)


def test_the_notice_page_offers_the_return(replied: RecallCase, manager: User, client: Any) -> None:
    client.force_login(manager)
    notice = Notice.objects.get(party__code="SUB", kind="initial")
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert 'id="authorise-return"' in page
    response = client.post(f"/notices/{notice.pk}/return/")
    assert response.status_code == 302
    assert "/execution/returns/" in response["Location"]
    assert 'id="authorise-return"' not in client.get(f"/notices/{notice.pk}/").content.decode()
