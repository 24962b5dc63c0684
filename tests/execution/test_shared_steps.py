"""The steps execution's services share: one pair of state checks for returns, dispositions and
work orders (``lifecycle.record_action_blockers`` / ``record_require``), the recall's lock for
opening a return or a work order (``common.recall_locked_in_execution``), and the rule that a
lot or a serial stands once on a hold or a return line (``models.once_per_lot_and_serial``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Q, UniqueConstraint
from django.utils import translation
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel
from medrecall.core.states import ActionNotAllowed
from medrecall.execution.common import recall_locked_in_execution
from medrecall.execution.errors import WorkOrderRefused
from medrecall.execution.lifecycle import (
    DispositionAction,
    ReturnAction,
    WorkOrderAction,
    record_action_blockers,
    record_require,
)
from medrecall.execution.models import (
    Disposition,
    Hold,
    ReturnAuthorisation,
    ReturnLine,
    WorkOrder,
    once_per_lot_and_serial,
)
from medrecall.recalls import services
from medrecall.recalls.lifecycle import Action
from medrecall.recalls.models import RecallCase
from tests.traceability.scenario import CATH


@pytest.mark.parametrize(
    ("record", "action", "message"),
    [
        pytest.param(
            ReturnAuthorisation(number="RA-2026-00001", status="received"),
            ReturnAction.AMEND,
            "Changing what the return expects is not possible while return RA-2026-00001 is "
            "Received (possible when it is: Authorised, Picked up, In transit).",
            id="return",
        ),
        pytest.param(
            Disposition(number="DSP-2026-00001", status="in_progress"),
            DispositionAction.START,
            "Starting the disposition is not possible while disposition DSP-2026-00001 is In "
            "progress (possible when it is: Open).",
            id="disposition",
        ),
        pytest.param(
            WorkOrder(number="WO-2026-00001", status="cancelled"),
            WorkOrderAction.EVIDENCE,
            "Adding evidence is not possible while work order WO-2026-00001 is Cancelled "
            "(possible when it is: Open, In progress, Done).",
            id="work-order",
        ),
    ],
)
def test_one_pair_of_state_checks_names_each_kind_of_record(
    record: Any, action: Any, message: str
) -> None:
    assert record_action_blockers(record, action) == [message]
    with pytest.raises(ActionNotAllowed) as refused:
        record_require(record, action)
    assert (refused.value.message, refused.value.where, refused.value.details) == (
        message,
        "status",
        [message],
    )


@pytest.mark.parametrize(
    ("record", "action"),
    [
        pytest.param(
            ReturnAuthorisation(number="RA-2026-00001", status="received"),
            ReturnAction.RECEIVE,
            id="return",
        ),
        pytest.param(
            Disposition(number="DSP-2026-00001", status="open"),
            DispositionAction.START,
            id="disposition",
        ),
        pytest.param(
            WorkOrder(number="WO-2026-00001", status="done"),
            WorkOrderAction.EVIDENCE,
            id="work-order",
        ),
    ],
)
def test_an_allowed_action_has_no_blockers(record: Any, action: Any) -> None:
    assert record_action_blockers(record, action) == []
    record_require(record, action)  # does not raise


def test_the_record_is_named_in_the_readers_language() -> None:
    with translation.override("zh-hans"):
        blockers = record_action_blockers(
            WorkOrder(number="WO-2026-00001", status="cancelled"), WorkOrderAction.RECORD
        )
    assert len(blockers) == 1
    assert blockers[0].startswith("工单 WO-2026-00001当前状态为")


@pytest.mark.django_db
def test_the_recall_lock_refuses_a_recall_not_in_execution_and_writes_nothing(
    world: object, manager: User
) -> None:
    recall = services.recall_open(
        actor=manager,
        title="t",
        products=[DeviceModel.objects.get(udi_di=CATH)],
        reason="r",
        regimes=["nmpa"],
    )
    audited = AuditEntry.objects.count()
    with pytest.raises(WorkOrderRefused) as refused:
        recall_locked_in_execution(
            recall,
            Action.CLASSIFY,  # allowed in draft: the refusal comes from the locked row's status
            refused=WorkOrderRefused,
            message=_("Work orders are opened for an approved recall; this one is %(status)s."),
        )
    assert (refused.value.code, refused.value.message, refused.value.where) == (
        "work_order_refused",
        "Work orders are opened for an approved recall; this one is Draft.",
        "",
    )
    assert AuditEntry.objects.count() == audited


@pytest.mark.django_db
def test_the_recall_lock_checks_the_recalls_own_table_first(world: object, manager: User) -> None:
    recall = services.recall_open(
        actor=manager,
        title="t",
        products=[DeviceModel.objects.get(udi_di=CATH)],
        reason="r",
        regimes=["nmpa"],
    )
    with pytest.raises(ActionNotAllowed, match="is not possible while recall"):
        recall_locked_in_execution(
            recall, Action.CREATE_RETURN, refused=WorkOrderRefused, message="%(status)s"
        )


@pytest.mark.django_db
def test_the_recall_lock_returns_the_recall_in_execution(recall: RecallCase) -> None:
    locked = recall_locked_in_execution(
        recall, Action.CREATE_WORK_ORDER, refused=WorkOrderRefused, message="%(status)s"
    )
    assert (locked.pk, locked.status) == (recall.pk, "in_execution")


def test_a_lot_or_a_serial_stands_once_per_hold_and_per_return_line() -> None:
    assert once_per_lot_and_serial("ra", name="ra_line") == [
        UniqueConstraint(
            fields=["ra", "lot", "serial"],
            condition=Q(serial__isnull=False),
            name="ra_line_serial_once",
        ),
        UniqueConstraint(
            fields=["ra", "lot"], condition=Q(serial__isnull=True), name="ra_line_lot_once"
        ),
    ]
    assert [c.name for c in Hold._meta.constraints] == ["hold_serial_once", "hold_lot_once"]
    assert [c.name for c in ReturnLine._meta.constraints] == [
        "ra_line_serial_once",
        "ra_line_lot_once",
    ]
