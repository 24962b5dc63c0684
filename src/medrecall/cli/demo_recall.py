"""A demo recall under way, so a new user meets a recall case in execution rather than an
empty list: catheter lot CV24040001 (tip may separate), under NMPA and FDA.

Built through the product's own services, as its users would: opened, hazard evaluated, scope
frozen, approved with the two demo QA/RA signatures, notices issued to every holder (the task
worker renders and sends them to the mail catcher), a few replies entered by customer service,
and one hospital's return authorised, picked up and received into quarantine. A rerun finds the
case by its English title and adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.catalog.models import Lot
from medrecall.execution import services as execution
from medrecall.execution.lifecycle import ReturnStatus
from medrecall.notices import replies, send_runs
from medrecall.notices.models import Kind, Notice, Reply
from medrecall.parties.models import PartyType
from medrecall.recalls import approvals
from medrecall.recalls import services as recalls
from medrecall.recalls.models import RecallCase

LOT = "CV24040001"
TITLE_EN = f"Catheter tip may separate during insertion (lot {LOT})"
TITLE = f"导管尖端在插入过程中可能脱落（批号 {LOT}）"
REPLIES = 3  # holders whose reply customer service enters


@dataclass(frozen=True)
class DemoRecall:
    number: str
    created: bool
    holders: int
    replies: int
    returned: int


def _user(username: str) -> User:
    return User.objects.get(username=username)


@transaction.atomic
def demo_recall_build(*, password: str) -> DemoRecall | None:
    """The demo recall (created on the first run, whole or not at all). ``None`` when the demo
    has no catheter lot (``--no-events`` or a data set without it)."""
    found = RecallCase.objects.filter(title_en=TITLE_EN).first()
    if found is not None:
        return DemoRecall(found.number, False, _holders(found), _replies(found), 0)
    lot = Lot.objects.filter(number=LOT).select_related("device_model").first()
    if lot is None or not lot.events.exists():
        return None
    recall = _approved(lot, password=password)
    run = send_runs.notice_run_start(
        recall=recall, actor=_user("customer_service"), kind=Kind.INITIAL
    )
    # Create the notices now (rendering and sending stay with the task worker): the replies
    # below need them.
    send_runs.notice_run_execute(run.pk)
    entered = _enter_replies(recall)
    returned = _return_from_a_hospital(recall)
    return DemoRecall(recall.number, True, _holders(recall), entered, returned)


def _approved(lot: Lot, *, password: str) -> RecallCase:
    manager, ra = _user("qa_ra_manager"), _user("ra_manager")
    with transaction.atomic():
        recall = recalls.recall_open(
            actor=manager,
            title=TITLE,
            title_en=TITLE_EN,
            products=[lot.device_model],
            reason="出厂检验发现该批次导管尖端粘接强度不足，插入过程中尖端可能脱落。",
            reason_en="Outgoing inspection found a weak tip bond in this lot; the tip may "
            "separate during insertion.",
            regimes=["nmpa", "fda"],
            # Decided now, approved moments later: the compliance clock counts every deadline
            # from this decision, so none falls before the approval (a decision backdated
            # while the approval is stamped now would show deadlines breached before it).
            decision_at=timezone.now(),
            action_type="removal",
        )
        recalls.recall_transition(recall=recall, target="assessment", actor=manager)
        recalls.hazard_evaluate(
            recall=recall,
            actor=manager,
            severity="serious",
            likelihood="occasional",
            injuries_reported=1,
            defect_description="导管尖端粘接强度不足",
            defect_description_en="Weak bond at the catheter tip",
            hazard_description="尖端脱落可能导致血管栓塞",
            hazard_description_en="A separated tip may cause an embolism",
        )
        recalls.scope_rule_add(
            recall=recall, actor=manager, kind="lots", device_model=lot.device_model, values=[LOT]
        )
        recalls.scope_freeze(recall=recall, actor=manager)
        recall = recalls.recall_transition(recall=recall, target="pending_approval", actor=manager)
    signers = {"qa_head": manager, "ra_head": ra}
    for step in sorted({s.step for s in approvals.required_steps(recall)}):
        signer = signers.get(step, manager)
        approvals.approval_sign(
            recall=recall, step=step, actor=signer, password=password, username=signer.username
        )
    return recalls.recall_transition(recall=recall, target="in_execution", actor=manager)


def _enter_replies(recall: RecallCase) -> int:
    """Customer service enters the replies of the first holders (by code), as from a call."""
    staff = _user("customer_service")
    entered = 0
    notices = Notice.objects.filter(recall=recall, kind=Kind.INITIAL).select_related("party")
    firsts: dict[
        int, Notice
    ] = {}  # a holder's reply goes on its notice, whichever of its contacts answers
    for notice in notices.order_by("party__code", "pk"):
        firsts.setdefault(notice.party_id, notice)
    for notice in list(firsts.values())[:REPLIES]:
        lines = replies.expected_lines(notice)
        replies.reply_submit(
            notice=notice,
            respondent_name="王敏" if notice.party.language != "en" else "Alex Morgan",
            quantities={
                line.key: {"on_hand": line.quantity, "to_return": line.quantity} for line in lines
            },
            via=Reply.Via.STAFF,
            actor=staff,
            read_and_understood=True,
            users_informed=True,
            comment="电话确认 / confirmed by phone",
        )
        entered += 1
    return entered


def _return_from_a_hospital(recall: RecallCase) -> int:
    """One hospital's units come back: authorised, picked up, in transit, scanned in."""
    warehouse = _user("warehouse")
    holders = recall.current_snapshot.lines.filter(  # type: ignore[union-attr]
        party__party_type=PartyType.HOSPITAL, on_hand__gt=0
    )
    first = holders.select_related("party", "lot").order_by("party__code").first()
    if first is None:
        return 0
    ra = execution.return_create(recall=recall, party=first.party, actor=warehouse)
    for target in (ReturnStatus.PICKED_UP, ReturnStatus.IN_TRANSIT):
        execution.return_transition(ra=ra, target=target, actor=warehouse)
    received = 0
    for line in ra.lines.select_related("lot__device_model", "serial"):
        execution.return_receive(
            ra=ra,
            actor=warehouse,
            gtin=line.lot.device_model.udi_di,
            lot=line.lot.number,
            serial=line.serial.serial if line.serial else "",
            quantity=line.expected,
        )
        received += line.expected
    return received


def _holders(recall: RecallCase) -> int:
    return (
        Notice.objects.filter(recall=recall, kind=Kind.INITIAL).values("party").distinct().count()
    )


def _replies(recall: RecallCase) -> int:
    return Reply.objects.filter(recall=recall).count()
