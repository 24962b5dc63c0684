"""Recalls for the home page and the work queues, built through the real services: the small
distribution network's catheter lot C1 recalled (NMPA 一级), approved, its notices sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from medrecall.accounts.models import User
from medrecall.notices import send_runs
from medrecall.notices.models import Notice
from medrecall.recalls.models import RecallCase
from tests.execution.conftest import seed_carriers
from tests.notices.conftest import approved_recall


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
