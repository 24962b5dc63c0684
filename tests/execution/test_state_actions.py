"""Which actions each recall status allows (``recalls.lifecycle.ALLOWED_ACTIONS``), proved
against the services: for every status × every action, the service of that action refuses
with ``ActionNotAllowed`` exactly where the table says so, and a refusal leaves no row, no
audit entry and no mail (nor anything queued for after the commit)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.db import transaction
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.core.errors import DomainError
from medrecall.core.states import ActionNotAllowed
from medrecall.execution import services as execution
from medrecall.execution.errors import ReceiptRefused
from medrecall.execution.lifecycle import (
    DISPOSITION_ACTIONS,
    RETURN_ACTIONS,
    WORK_ORDER_ACTIONS,
    DispositionAction,
    ReturnAction,
    WorkOrderAction,
)
from medrecall.finance import ledger
from medrecall.notices import delivery, issuing, relations, replies, send_runs
from medrecall.notices.models import Notice
from medrecall.parties.models import Location, Party
from medrecall.recalls import approvals, closure, deadlines, services
from medrecall.recalls.lifecycle import ALLOWED_ACTIONS, Action, Status
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.execution.conftest import approve, open_recall
from tests.execution.test_fieldwork import partner_setup
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db


class Undo(Exception):
    """Raised to roll an allowed action back, so every action of a status sees the same state."""


def rows_everywhere() -> dict[str, int]:
    """Rows of every table the project keeps (models without a table of their own, such as the
    RQ dashboard's, left out)."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed
    }


def build(status: Status, manager: User, make_user: Callable[..., User]) -> dict[str, Any]:
    """A catheter recall (lot C1, NMPA 一级) brought to ``status`` through the services, with
    the records that hang on it where the status can have them."""
    things: dict[str, Any] = {
        "notice": None,
        "ra": None,
        "disposition": None,
        "order": None,
        "offer": None,
    }
    cath = DeviceModel.objects.get(udi_di=CATH)
    if status in (Status.DRAFT, Status.CANCELLED):
        recall = services.recall_open(
            actor=manager,
            title="Tip fracture",
            products=[cath],
            reason="tip",
            regimes=["nmpa"],
            decision_at=datetime(2025, 3, 1, tzinfo=UTC),
        )
        if status == Status.CANCELLED:
            services.recall_transition(
                recall=recall, target="cancelled", actor=manager, reason="duplicate"
            )
        return {**things, "recall": recall}
    recall = open_recall(manager)  # pending approval
    if status == Status.ASSESSMENT:
        recall = services.recall_transition(recall=recall, target="assessment", actor=manager)
    if status in (Status.ASSESSMENT, Status.PENDING_APPROVAL):
        return {**things, "recall": recall}
    recall = approve(recall, make_user)
    hosp = Party.objects.get(code="HOSP")
    things["notice"] = Notice.objects.get(
        pk=issuing.notices_create(recall=recall, run=None, kind="initial", party_ids=[hosp.pk])[0]
    )
    ra = execution.return_create(recall=recall, party=hosp, actor=manager)
    execution.return_receive(ra=ra, actor=manager, gtin=CATH, lot="C1", quantity=5)
    things["ra"] = ra
    things["disposition"] = execution.disposition_create(
        recall=recall,
        kind="destroy",
        lot=Lot.objects.get(number="C1"),
        location=Location.objects.get(code="QUAR"),
        quantity=5,
        actor=manager,
    )
    partner_setup()
    things["order"] = execution.work_order_create(
        recall=recall, party=Party.objects.get(code="DIST"), action="inspection", actor=manager
    )
    things["offer"] = relations.offer_propose(
        recall=recall,
        party=hosp,
        kind=relations.Offer.OfferKind.values[0],
        description="Replacement",
        actor=manager,
    )
    if status in (Status.EFFECTIVENESS_CHECK, Status.CLOSED, Status.TERMINATED):
        recall = services.recall_transition(
            recall=recall, target="effectiveness_check", actor=manager
        )
    if status in (Status.CLOSED, Status.TERMINATED):
        closure.closure_exception_sign(
            recall=recall,
            actor=manager,
            reason="Holders unreachable",
            password=PASSWORD,
            username=manager.username,
        )
        recall = services.recall_update(
            recall=recall, actor=manager, version=recall.version, completed_at=timezone.now()
        )
        # Terminating passes the same checks as closing (the exception lifts what blocks).
        recall = services.recall_transition(
            recall=recall, target=status, actor=manager, reason="FDA terminated"
        )
    assert recall.status == status
    return {**things, "recall": recall}


def calls(
    t: dict[str, Any], manager: User, technician: User
) -> dict[Action, Callable[[], Any] | None]:
    """One service call per action; ``None`` where the record it acts on cannot exist in this status."""
    recall: RecallCase = t["recall"]
    cath = DeviceModel.objects.get(udi_di=CATH)
    hosp = Party.objects.get(code="HOSP")
    notice, ra, disposition, order, offer = (
        t["notice"],
        t["ra"],
        t["disposition"],
        t["order"],
        t["offer"],
    )

    def when(record: Any, call: Callable[[], Any]) -> Callable[[], Any] | None:
        return call if record is not None else None

    return {
        Action.EDIT: lambda: services.recall_update(
            recall=recall, actor=manager, version=recall.version, title="x"
        ),
        Action.ADD_REGIME: lambda: services.recall_regime_add(
            recall=recall, regime="fda", actor=manager
        ),
        Action.EVALUATE_HAZARD: lambda: services.hazard_evaluate(
            recall=recall, actor=manager, severity="death", likelihood="probable"
        ),
        Action.CLASSIFY: lambda: services.recall_classify(
            recall=recall, regime="nmpa", recall_class="I", actor=manager
        ),
        Action.EDIT_SCOPE_RULES: lambda: services.scope_rule_add(
            recall=recall, actor=manager, kind="lots", device_model=cath, values=["C1"]
        ),
        Action.FREEZE_SCOPE: lambda: services.scope_freeze(recall=recall, actor=manager),
        Action.SIGN_APPROVAL: lambda: approvals.approval_sign(
            recall=recall,
            step="qa_head",
            actor=manager,
            password=PASSWORD,
            username=manager.username,
        ),
        Action.MARK_DEADLINE: lambda: deadlines.deadline_mark_done(
            recall=recall, key="none", due_at=timezone.now(), actor=manager
        ),
        Action.PLACE_HOLD: lambda: execution.hold_place(recall=recall, actor=manager),
        Action.RELEASE_HOLD: lambda: execution.hold_release(
            recall=recall, actor=manager, reason="r"
        ),
        Action.SEND_NOTICES: lambda: send_runs.notice_run_start(recall=recall, actor=manager),
        Action.SEND_PROGRESS: lambda: relations.progress_update_send(
            recall=recall, party=hosp, message="m", actor=manager
        ),
        Action.SEND_SURVEY: lambda: issuing.notices_create(
            recall=recall, run=None, kind="survey", party_ids=[hosp.pk]
        ),
        Action.LOG_CONTACT: when(
            notice,
            lambda: delivery.notice_contact_log(
                notice=notice, actor=manager, channel="call", note="n"
            ),
        ),
        Action.FILE_NOTE: when(
            notice,
            lambda: delivery.notice_contact_log(
                notice=notice, actor=manager, channel="note", note="late reply by post"
            ),
        ),
        Action.RECORD_REPLY: when(
            notice,
            lambda: replies.reply_submit(notice=notice, respondent_name="Chen", quantities={}),
        ),
        Action.ACKNOWLEDGE: when(notice, lambda: delivery.notice_acknowledge(notice=notice)),
        Action.OFFER: lambda: relations.offer_propose(
            recall=recall,
            party=hosp,
            kind=relations.Offer.OfferKind.values[0],
            description="d",
            actor=manager,
        ),
        Action.SETTLE_OFFER: when(
            offer, lambda: relations.offer_cancel(offer=offer, actor=manager, note="n")
        ),
        Action.CREATE_RETURN: lambda: execution.return_create(
            recall=recall, party=Party.objects.get(code="HOSP2"), actor=manager
        ),
        Action.HANDLE_RETURN: when(
            ra, lambda: execution.return_transition(ra=ra, target="picked_up", actor=manager)
        ),
        Action.DISPOSITION: when(
            disposition, lambda: execution.disposition_start(disposition=disposition, actor=manager)
        ),
        Action.CREATE_WORK_ORDER: lambda: execution.work_order_create(
            recall=recall, party=hosp, action="inspection", actor=manager
        ),
        Action.RECORD_FIELD_WORK: when(
            order,
            lambda: execution.work_order_record(
                unit=order.units.first(), actor=technician, result="corrected"
            ),
        ),
        Action.SIGN_CLOSURE_EXCEPTION: lambda: closure.closure_exception_sign(
            recall=recall, actor=manager, reason="r", password=PASSWORD, username=manager.username
        ),
        Action.POST_COST: lambda: ledger.cost_post(
            actor=manager,
            recall=recall,
            line=ledger.CostLine(
                category="legal", amount="10.00", currency="CNY", incurred_on=date(2026, 1, 5)
            ),
        ),
    }


@pytest.mark.parametrize("status", list(Status), ids=[s.value for s in Status])
def test_every_action_is_refused_exactly_where_the_table_says(
    world: object,
    manager: User,
    make_user: Callable[..., User],
    status: Status,
    django_capture_on_commit_callbacks: Any,
) -> None:
    things = build(status, manager, make_user)
    technician = (
        make_user(Role.PORTAL, party=Party.objects.get(code="SVC-GZ"))
        if things["order"]
        else manager
    )
    walked = calls(things, manager, technician)
    assert set(walked) == set(Action)
    for action, call in walked.items():
        allowed = action in ALLOWED_ACTIONS[status]
        if (
            call is None
        ):  # e.g. no notice can exist before approval: the table must not allow acting on one
            assert not allowed, (status, action)
            continue
        if allowed:
            with contextlib.suppress(Undo), transaction.atomic():
                try:
                    call()
                except (
                    ActionNotAllowed
                ) as refused:  # pragma: no cover - the failure message names the case
                    pytest.fail(f"{action} refused in {status}: {refused.message}")
                except DomainError:
                    pass  # past the state check, refused for another reason (e.g. nothing to release)
                raise Undo
            continue
        before, outbox = rows_everywhere(), len(mail.outbox)
        with (
            django_capture_on_commit_callbacks() as queued,
            pytest.raises(ActionNotAllowed) as refused,
        ):
            call()
        assert refused.value.status == 409
        assert str(status.label) in refused.value.message
        assert refused.value.message.startswith(str(action.label))
        assert rows_everywhere() == before, (status, action)
        assert (len(mail.outbox), queued) == (outbox, []), (status, action)


@pytest.mark.parametrize(
    ("table", "statuses", "actions"),
    [
        pytest.param(
            RETURN_ACTIONS,
            ("authorised", "picked_up", "in_transit", "received", "cancelled"),
            ReturnAction,
            id="returns",
        ),
        pytest.param(
            DISPOSITION_ACTIONS,
            ("open", "in_progress", "done", "cancelled"),
            DispositionAction,
            id="dispositions",
        ),
        pytest.param(
            WORK_ORDER_ACTIONS,
            ("open", "in_progress", "done", "cancelled"),
            WorkOrderAction,
            id="work-orders",
        ),
    ],
)
def test_execution_tables_name_every_status(
    table: Any, statuses: tuple[str, ...], actions: Any
) -> None:
    assert set(table) == set(statuses)
    assert all(set(allowed) <= set(actions) for allowed in table.values())


def test_a_cancelled_return_refuses_receiving_and_leaves_nothing(
    recall: RecallCase, manager: User
) -> None:
    ra = execution.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    execution.return_receive(ra=ra, actor=manager, gtin=CATH, lot="C1", quantity=5)
    execution.return_transition(
        ra=ra, target="cancelled", actor=manager, reason="Holder sent the units by post"
    )
    before = rows_everywhere()
    with pytest.raises(ReceiptRefused) as refused:
        execution.return_receive(ra=ra, actor=manager, gtin=CATH, lot="C1", quantity=1)
    assert refused.value.code == "not_receiving"
    assert refused.value.message == (
        f"Receiving units is not possible while return {ra.number} is Cancelled "
        "(possible when it is: Authorised, Picked up, In transit, Received)."
    )
    assert rows_everywhere() == before


def test_a_done_disposition_refuses_cancelling(recall: RecallCase, manager: User) -> None:
    ra = execution.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    execution.return_receive(ra=ra, actor=manager, gtin=CATH, lot="C1", quantity=2)
    d = execution.disposition_create(
        recall=recall,
        kind="destroy",
        lot=Lot.objects.get(number="C1"),
        location=Location.objects.get(code="QUAR"),
        quantity=2,
        actor=manager,
    )
    execution.disposition_complete(
        disposition=d,
        actor=manager,
        method="incineration",
        place="Suzhou",
        performed_by="Wang",
        witnesses=["Li"],
    )
    before = rows_everywhere()
    with pytest.raises(ActionNotAllowed) as refused:
        execution.disposition_cancel(disposition=d, actor=manager, reason="late")
    assert refused.value.message == (
        f"Cancelling the disposition is not possible while disposition {d.number} is Done "
        "(possible when it is: Open, In progress)."
    )
    assert rows_everywhere() == before


def test_a_cancelled_recall_refuses_classification_and_hazard_evaluation(
    world: object, manager: User
) -> None:
    """The issue's case: a cancelled recall still took a classification and an evaluation, each audited."""
    from medrecall.audit.models import AuditEntry

    cath = DeviceModel.objects.get(udi_di=CATH)
    recall = services.recall_open(
        actor=manager, title="t", products=[cath], reason="r", regimes=["nmpa"]
    )
    services.recall_transition(recall=recall, target="cancelled", actor=manager, reason="duplicate")
    audited = AuditEntry.objects.count()
    with pytest.raises(
        ActionNotAllowed,
        match=f"Classification is not possible while recall {recall.number} is Cancelled",
    ):
        services.recall_classify(
            recall=recall, regime="nmpa", recall_class="I", actor=manager, reason="x"
        )
    with pytest.raises(ActionNotAllowed, match="Hazard evaluation is not possible"):
        services.hazard_evaluate(
            recall=recall, actor=manager, severity="death", likelihood="probable"
        )
    assert AuditEntry.objects.count() == audited
    assert recall.regimes.get().recall_class == ""
    assert not hasattr(RecallCase.objects.get(pk=recall.pk), "hazard_evaluation")


def test_case_page_hides_refused_forms_and_says_why(world: object, manager: User) -> None:
    from django.test import Client

    cath = DeviceModel.objects.get(udi_di=CATH)
    recall = services.recall_open(
        actor=manager, title="t", products=[cath], reason="r", regimes=["nmpa"]
    )
    client = Client()
    client.force_login(manager)
    assert 'id="hazard-form"' in client.get(f"/recalls/{recall.pk}/").content.decode()
    services.recall_transition(recall=recall, target="cancelled", actor=manager, reason="duplicate")
    page = client.get(f"/recalls/{recall.pk}/").content.decode()
    for form in (
        "hazard-form",
        "classify-form",
        "scope-rule-form",
        "recall-edit-form",
        "scope-freeze",
    ):
        assert f'id="{form}"' not in page
    assert (
        f'<p class="step-blocked" id="blocked-classify">Classification is not possible while recall '
        f"{recall.number} is Cancelled (possible when it is: Draft, Assessment, Pending approval, Approved / in "
        f"execution, Effectiveness check).</p>"
    ) in page
