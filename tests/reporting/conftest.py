"""Recalls over the small distribution network, built through the real services: for the
cockpit, one in execution with notices sent, one holder acknowledged, one replied and returning
units (some received), and one unit corrected on site (every stage holds something); for the
home page and the work queues, catheter lot C1 recalled (NMPA 一级), approved, its notices
sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.execution import receiving, returns
from medrecall.execution.holders import return_from_reply
from medrecall.notices import delivery, replies, send_runs
from medrecall.notices.models import Notice
from medrecall.parties.models import Location
from medrecall.recalls.models import RecallCase
from tests.execution.conftest import seed_carriers
from tests.notices.conftest import approved_recall, work_off_queue
from tests.traceability.scenario import CATH


def place_holders() -> None:
    """Spread the holders over regions: DIST and SUB in Guangdong, HOSP in Beijing, HOSP2 in
    the United States."""
    Location.objects.filter(code="H1").update(
        country="CN", province="北京市", province_code="CN-BJ", city="北京市"
    )
    Location.objects.filter(code="H2").update(
        country="US", province="California", province_code="US-CA", city="San Jose"
    )


@pytest.fixture
def progressed(
    tmp_path: Path, manager: User, make_user: Callable[..., User], smtp: Any
) -> RecallCase:
    recall = approved_recall(tmp_path, manager, make_user)
    place_holders()
    seed_carriers()
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    hosp2 = Notice.objects.filter(party__code="HOSP2", kind="initial").first()
    assert hosp2 is not None
    delivery.notice_acknowledge(notice=hosp2, actor=manager)
    notice = Notice.objects.get(party__code="SUB", kind="initial")
    key = replies.expected_lines(notice)[0].key
    reply = replies.reply_submit(
        notice=notice,
        respondent_name="Chen Jie",
        quantities={key: {"on_hand": 50, "to_return": 40}},
    )
    ra = return_from_reply(reply=reply, actor=manager)
    returns.return_transition(ra=ra, target="picked_up", actor=manager)
    receiving.return_receive(ra=ra, actor=manager, gtin=CATH, lot="C1", quantity=30)
    work_off_queue()
    return recall


def notices_sent(recall: RecallCase, manager: User) -> list[Notice]:
    """A send run of the recall, rendered and sent in the test's transaction (as the batch
    task does): e-mails to DIST (two contacts), SUB and HOSP2, a letter to HOSP."""
    run = send_runs.notice_run_start(recall=recall, actor=manager)
    send_runs.notice_run_execute(run.pk)
    ids = list(Notice.objects.filter(run=run).order_by("pk").values_list("pk", flat=True))
    send_runs.notices_batch(run.pk, ids)
    return list(Notice.objects.filter(run=run).order_by("pk"))


@pytest.fixture
def noticed(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> RecallCase:
    """Catheter lot C1, NMPA 一级, approved, in execution, its notices sent; carriers seeded."""
    recall = approved_recall(tmp_path, manager, make_user)
    seed_carriers()
    notices_sent(recall, manager)
    return recall
