"""Named refusals of the compliance clock applied to a recall (issue 13): a caller tells them
apart by class and code; message and HTTP status stay those of a validation error."""

from __future__ import annotations

from datetime import timedelta

import pytest

from medrecall.audit.models import AuditEntry
from medrecall.core.errors import ValidationFailed
from medrecall.recalls import clock, deadlines
from medrecall.recalls.models import DeadlineDone, Regime
from tests.recalls.test_deadlines import DECISION, classified_recall

pytestmark = pytest.mark.django_db


def test_marking_an_unknown_deadline_done_is_refused_by_name(manager: object) -> None:
    recall = classified_recall(manager)
    entries = AuditEntry.objects.count()
    with pytest.raises(deadlines.DeadlineUnknown) as refused:
        deadlines.deadline_mark_done(
            recall=recall, key="nmpa.nothing", due_at=DECISION, actor=manager
        )
    assert isinstance(refused.value, ValidationFailed)
    assert (refused.value.code, refused.value.status, refused.value.where) == (
        "deadline_unknown",
        400,
        "key",
    )
    assert refused.value.message.startswith("This recall has no deadline nmpa.nothing due at ")
    assert DeadlineDone.objects.count() == 0
    assert AuditEntry.objects.count() == entries


def test_marking_a_deadline_done_twice_is_refused_by_name(manager: object) -> None:
    recall = classified_recall(manager)
    rows, _missing = deadlines.deadlines_for(recall, now=DECISION)
    event = next(row for row in rows if row.key == "nmpa.event_report")
    deadlines.deadline_mark_done(
        recall=recall,
        key=event.key,
        due_at=event.due_at,
        actor=manager,
        done_at=DECISION + timedelta(hours=1),
        note="Filed on paper; the acknowledgement is in the file.",
    )
    entries = AuditEntry.objects.count()
    with pytest.raises(deadlines.DeadlineAlreadyDone) as refused:
        deadlines.deadline_mark_done(
            recall=recall, key=event.key, due_at=event.due_at, actor=manager
        )
    assert (refused.value.code, refused.value.status, refused.value.message) == (
        "deadline_already_done",
        400,
        "That deadline is already marked done.",
    )
    assert list(DeadlineDone.objects.values_list("key", "done_at")) == [
        ("nmpa.event_report", DECISION + timedelta(hours=1))
    ]
    assert AuditEntry.objects.count() == entries


def test_the_clock_speaks_of_the_regimes_recalls_are_stored_with() -> None:
    found = clock.compute_deadlines(
        regimes={Regime.NMPA: "II", Regime.FDA: "II", Regime.EU_MDR: "fsca"},
        decision_at=DECISION,
        progress_interval_days=3,
    )
    assert {type(deadline.regime) for deadline in found} == {Regime}
    assert {deadline.regime for deadline in found} == {Regime.NMPA, Regime.FDA, Regime.EU_MDR}
    assert clock.Regime is Regime
