"""Closing an NMPA recall needs its 召回总结评估报告 submitted: the filings context's closure
blocker is listed with every other reason, and lifted by the submission."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.effectiveness import services as effectiveness
from medrecall.effectiveness.models import ClosingSignature
from medrecall.filings import services
from medrecall.filings.closure import closure_findings
from medrecall.filings.models import Filing
from medrecall.recalls import services as recall_services
from medrecall.recalls.models import RecallCase, RecallRegime, Transition
from tests.conftest import PASSWORD
from tests.effectiveness.test_closure import (
    SUMMARY_MISSING,
    checked_level_a,
    summary_submitted,
    use_up,
)
from tests.execution.test_closure import HOLDERS, class_i_recall

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounted(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> RecallCase:
    """An NMPA level I recall in effectiveness check, every unit accounted, every check passed."""
    recall = class_i_recall(tmp_path, manager, make_user)
    use_up(tmp_path, HOLDERS[1:])
    checked_level_a(recall, manager)
    return recall


def test_closing_without_the_submitted_summary_is_refused_with_every_reason(
    accounted: RecallCase, manager: User
) -> None:
    draft = services.filing_generate(
        recall=accounted, doc_type="nmpa.summary_report", actor=manager
    )
    assert draft.status == "draft"  # a summary not yet submitted does not count
    audited = AuditEntry.objects.count()
    with pytest.raises(recall_services.TransitionRefused) as refused:
        recall_services.recall_transition(recall=accounted, target="closed", actor=manager)
    assert refused.value.details[:3] == [
        "Sign the closure of the recall (e-signature, meaning approved).",
        SUMMARY_MISSING,
        "Deal with these units, or sign a closure exception with a reason.",
    ]
    accounted.refresh_from_db()
    assert accounted.status == "effectiveness_check"
    assert not Transition.objects.filter(recall=accounted, target="closed").exists()
    assert AuditEntry.objects.count() == audited
    assert list(Filing.objects.filter(recall=accounted).values_list("status", flat=True)) == [
        "draft"
    ]


def test_the_submitted_summary_lifts_the_blocker_and_the_recall_closes(
    accounted: RecallCase, manager: User
) -> None:
    summary_submitted(accounted, manager)
    assert closure_findings(accounted) == []
    effectiveness.closing_sign(
        recall=accounted, actor=manager, password=PASSWORD, username=manager.username
    )
    assert ClosingSignature.objects.filter(recall=accounted).count() == 1
    closed = recall_services.recall_transition(recall=accounted, target="closed", actor=manager)
    assert closed.status == "closed"


def test_a_recall_without_the_nmpa_regime_needs_no_summary(
    accounted: RecallCase, manager: User
) -> None:
    assert [f.message for f in closure_findings(accounted)] == [SUMMARY_MISSING]
    RecallRegime.objects.filter(recall=accounted, regime="nmpa").delete()
    assert closure_findings(accounted) == []
