"""Rules of docs/regulations.md that had no test of their own: the full list of deadline codes
and which of them are law, the classification boundaries, an NMPA decision taken on a public
holiday, the FDA effectiveness-check sample for level B, and closing only once completion is
recorded."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.api.recalls import RecallUpdateSerializer
from medrecall.recalls import services
from medrecall.recalls.clock import CN_TZ, compute_deadlines
from medrecall.recalls.hazard import proposed_class
from medrecall.recalls.lifecycle import Status, blockers
from medrecall.recalls.models import RecallCase
from tests.factories import DeviceModelFactory

CST = timezone(timedelta(hours=8))


def test_every_deadline_code_and_whether_it_is_law() -> None:
    regimes: dict[Any, str] = {"nmpa": "II", "fda": "II", "eu_mdr": "fsca"}
    found = compute_deadlines(
        regimes=regimes,
        decision_at=datetime(2025, 3, 3, 9, 0, tzinfo=CST),
        initiated_at=datetime(2025, 3, 4, 9, 0, tzinfo=CST),
        completed_at=datetime(2025, 6, 2, 9, 0, tzinfo=CST),
        aware_at=datetime(2025, 3, 1, 9, 0, tzinfo=CST),
        progress_interval_days=7,
        eu_incident="other",
    )
    assert sorted((deadline.key, deadline.legal) for deadline in found) == [
        ("eu_mdr.fsca_report", True),
        ("eu_mdr.fsn", False),  # "without delay": the 2 days are a company target
        ("eu_mdr.incident_report", True),
        ("fda.notify_holders", False),  # "promptly": the 1/3/7 days are a company target
        ("fda.report_806", True),
        ("fda.status_report", True),
        ("nmpa.assessment_report", True),
        ("nmpa.event_report", True),
        ("nmpa.notify_holders", True),
        ("nmpa.progress_report", True),
        ("nmpa.recall_plan", True),
        ("nmpa.summary_report", True),
    ]


def test_an_nmpa_decision_on_a_public_holiday() -> None:
    # Wed 1 Oct 2025 is National Day. "Immediately" is not put off to the next working day:
    # the event report is due by the end of 1 Oct; holders within 72 hours (calendar days);
    # the filings 5 working days later: 9, 10, Sat 11 (make-up day), 13, 14 Oct.
    decision_at = datetime(2025, 10, 1, 11, 0, tzinfo=CST)
    nmpa: dict[Any, str] = {"nmpa": "II"}
    found = {
        deadline.key: deadline.due_at
        for deadline in compute_deadlines(
            regimes=nmpa, decision_at=decision_at, progress_interval_days=3
        )
    }
    assert found["nmpa.event_report"] == datetime.combine(date(2025, 10, 1), time.max, CN_TZ)
    assert found["nmpa.notify_holders"] == datetime(2025, 10, 4, 11, 0, tzinfo=CST)
    assert found["nmpa.assessment_report"] == datetime.combine(date(2025, 10, 14), time.max, CN_TZ)
    assert found["nmpa.recall_plan"] == found["nmpa.assessment_report"]


@pytest.mark.parametrize(
    ("regime", "severity", "likelihood", "deaths", "expected"),
    [
        ("nmpa", "serious", "occasional", 0, "I"),  # occasional still counts as likely
        ("fda", "serious", "remote", 0, "II"),  # serious harm, but remote
        ("nmpa", "death", "improbable", 0, "II"),
        ("fda", "death", "frequent", 0, "I"),
        ("nmpa", "reversible", "frequent", 0, "II"),  # temporary or reversible harm
        ("fda", "none", "frequent", 0, "III"),
        ("nmpa", "none", "improbable", 1, "I"),  # a death reported decides on its own
        ("eu_mdr", "death", "frequent", 3, "fsca"),  # the MDR has no recall class
    ],
)
def test_the_proposed_class_at_its_boundaries(
    regime: str, severity: str, likelihood: str, deaths: int, expected: str
) -> None:
    assert (
        proposed_class(
            regime=regime, severity=severity, likelihood=likelihood, deaths_reported=deaths
        )
        == expected
    )


@pytest.mark.parametrize(
    ("percent", "accepted"), [(10, False), (11, True), (99, True), (100, False)]
)
def test_effectiveness_check_sample_for_level_b_lies_between_10_and_100(
    percent: int, accepted: bool
) -> None:
    update = RecallUpdateSerializer(
        data={"version": 1, "effectiveness_level": "B", "effectiveness_percent": percent}
    )
    assert update.is_valid() is accepted
    if not accepted:
        assert [str(error) for error in update.errors["effectiveness_percent"]] == [
            "Enter a whole number from 11 to 99."
        ]


@pytest.mark.django_db
def test_a_recall_cannot_close_before_its_completion_is_recorded(manager: User) -> None:
    # NMPA Art. 22: the summary report is due 10 working days after completion, so the
    # completion time must be on the record before the recall closes.
    recall = services.recall_open(
        actor=manager,
        title="导管断裂",
        products=[DeviceModelFactory.create()],
        reason="Tip may detach",
        regimes=["nmpa"],
    )
    RecallCase.objects.filter(pk=recall.pk).update(status=Status.EFFECTIVENESS_CHECK)
    recall.refresh_from_db()
    assert blockers(recall, Status.CLOSED)[0] == (
        "Record when the last affected unit was dealt with."
    )
