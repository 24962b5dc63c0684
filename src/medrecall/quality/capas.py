"""CAPA actions: open, link recalls, complaints and lots (the suppliers follow from the lots'
genealogy), record root causes, add and update actions, verify effectiveness, reopen, close.
One transaction and one audit entry each; each checks the CAPA's state first
(``lifecycle.CAPA_ACTIONS``): nothing is added to a closed CAPA."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.catalog.models import Lot
from medrecall.core.numbering import number_next
from medrecall.core.presentation import local_time
from medrecall.recalls.models import RecallCase

from .errors import CapaInvalid, CapaNotVerified, CapaPastDueUnconfirmed, VerificationRefused
from .lifecycle import CapaAction, CapaStatus, capa_require
from .models import (
    ActionKind,
    ActionStatus,
    Capa,
    CapaTask,
    Complaint,
    Fishbone,
    RootCause,
    RootCauseCategory,
    Verification,
)
from .selectors import suppliers_of_lots

CAPA_NUMBER_PATTERN = "CAPA-{year}-{seq:04d}"
MAX_WHYS = 5

# An action's moves: done and cancelled are final.
ACTION_MOVES: Mapping[str, frozenset[str]] = {
    ActionStatus.OPEN: frozenset(
        {ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.CANCELLED}
    ),
    ActionStatus.IN_PROGRESS: frozenset({ActionStatus.DONE, ActionStatus.CANCELLED}),
    ActionStatus.DONE: frozenset(),
    ActionStatus.CANCELLED: frozenset(),
}


def _locked(capa: Capa, action: CapaAction) -> Capa:
    fresh = Capa.objects.select_for_update().get(pk=capa.pk)
    capa_require(fresh.status, action, fresh.number)
    return fresh


def _link(
    capa: Capa,
    recalls: Sequence[RecallCase],
    complaints: Sequence[Complaint],
    lots: Sequence[Lot],
) -> dict[str, list[str]]:
    """Add the links and the suppliers of the lots' components; answer what was added."""
    added: dict[str, list[str]] = {}
    have_recalls = set(capa.recalls.values_list("pk", flat=True))
    have_complaints = set(capa.complaints.values_list("pk", flat=True))
    have_lots = set(capa.lots.values_list("pk", flat=True))
    new_recalls = [r for r in recalls if r.pk not in have_recalls]
    new_complaints = [c for c in complaints if c.pk not in have_complaints]
    new_lots = [lot for lot in lots if lot.pk not in have_lots]
    capa.recalls.add(*new_recalls)
    capa.complaints.add(*new_complaints)
    capa.lots.add(*new_lots)
    if new_recalls:
        added["recalls"] = [r.number for r in new_recalls]
    if new_complaints:
        added["complaints"] = [c.number for c in new_complaints]
    if new_lots:
        added["lots"] = [lot.number for lot in new_lots]
        have_suppliers = set(capa.suppliers.values_list("pk", flat=True))
        suppliers = [
            p for p in suppliers_of_lots([lot.pk for lot in new_lots]) if p.pk not in have_suppliers
        ]
        capa.suppliers.add(*suppliers)
        if suppliers:
            added["suppliers"] = [p.code for p in suppliers]
    return added


@transaction.atomic
def capa_open(
    *,
    actor: User,
    title: str,
    problem: str,
    owner: User,
    due_on: date,
    recalls: Sequence[RecallCase] = (),
    complaints: Sequence[Complaint] = (),
    lots: Sequence[Lot] = (),
    confirm_past_due: bool = False,
) -> Capa:
    """Open a CAPA. A due date already past (company time zone) is refused unless confirmed
    (``confirm_past_due``): a CAPA may be recorded late, but never starts overdue unnoticed."""
    if not title.strip():
        raise CapaInvalid(_("Give the CAPA a title."), where="title")
    if not problem.strip():
        raise CapaInvalid(_("State the problem the CAPA addresses."), where="problem")
    _owner_may_act(owner)
    today = company_today()
    if due_on < today and not confirm_past_due:
        raise CapaPastDueUnconfirmed(past_due_question(due_on, today=today), where="due_on")
    capa = Capa.objects.create(
        number=number_next(model=Capa, pattern=CAPA_NUMBER_PATTERN),
        title=title.strip(),
        problem=problem.strip(),
        owner=owner,
        due_on=due_on,
    )
    linked = _link(capa, recalls, complaints, lots)
    audit.record(
        actor=actor,
        action="quality.capa_opened",
        target=capa,
        changes={
            "number": [None, capa.number],
            "owner": [None, owner.get_username()],
            "due_on": [None, due_on.isoformat()],
            **{name: [None, values] for name, values in linked.items()},
        },
    )
    return capa


@transaction.atomic
def capa_link(
    *,
    capa: Capa,
    actor: User,
    recalls: Sequence[RecallCase] = (),
    complaints: Sequence[Complaint] = (),
    lots: Sequence[Lot] = (),
) -> Capa:
    """Link recalls, complaints and affected lots; the suppliers of the lots' component lots
    (from the genealogy) are linked with them."""
    capa = _locked(capa, CapaAction.LINK)
    if not (recalls or complaints or lots):
        raise CapaInvalid(_("Name a recall, a complaint or a lot to link."), where="recalls")
    linked = _link(capa, recalls, complaints, lots)
    if linked:
        audit.record(
            actor=actor,
            action="quality.capa_linked",
            target=capa,
            changes={name: [None, values] for name, values in linked.items()},
        )
    return capa


def company_today() -> date:
    """Today in the company's time zone (``TIME_ZONE``), whatever zone the user reads in."""
    return timezone.localdate(timezone=ZoneInfo(settings.TIME_ZONE))


def past_due_question(due_on: date, *, today: date) -> str:
    """Why opening a CAPA with a past due date waits for a confirmation."""
    return _(
        "The due date %(due)s is before today (%(today)s): the CAPA would start overdue. "
        "Correct the date, or confirm that it is opened overdue."
    ) % {"due": due_on.isoformat(), "today": today.isoformat()}


def past_due_warning(due_on: date, *, today: date | None = None) -> str:
    """A warning when a CAPA's or an action's due date is already past (accepted: a CAPA may
    be recorded late, but nobody should miss that it starts overdue); "" otherwise."""
    today = today or timezone.localdate()
    if due_on >= today:
        return ""
    return _("The due date %(due)s is already past: this starts overdue.") % {
        "due": due_on.isoformat()
    }


def _checked_whys(whys: Sequence[str]) -> list[str]:
    """The answers as numbered by the user: blank answers after the last one are dropped; a
    blank answer before a filled one is refused (renumbering would change what each answers)."""
    given = [why.strip() for why in whys]
    while given and not given[-1]:
        given.pop()
    if "" in given:
        gap = given.index("") + 1
        raise CapaInvalid(
            _("Why %(gap)s is empty but a later why is answered: fill it or move the answers up.")
            % {"gap": gap},
            where="whys",
        )
    answers = given
    if len(answers) > MAX_WHYS:
        raise CapaInvalid(
            _("A 5-why chain has at most %(count)s answers.") % {"count": MAX_WHYS}, where="whys"
        )
    return answers


def _checked_fishbone(fishbone: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    for bone, causes in fishbone.items():
        if bone not in Fishbone.values:
            raise CapaInvalid(
                _("%(bone)s is not a fishbone category; use %(known)s.")
                % {"bone": bone, "known": ", ".join(Fishbone.values)},
                where="fishbone",
            )
        kept = [cause.strip() for cause in causes if cause.strip()]
        if kept:
            entries[bone] = kept
    return entries


@transaction.atomic
def root_cause_add(
    *,
    capa: Capa,
    actor: User,
    category: str,
    statement: str,
    whys: Sequence[str] = (),
    fishbone: Mapping[str, Sequence[str]] | None = None,
) -> RootCause:
    capa = _locked(capa, CapaAction.ADD_ROOT_CAUSE)
    if category not in RootCauseCategory.values:
        raise CapaInvalid(
            _("%(category)s is not one of FDA's root-cause categories.") % {"category": category},
            where="category",
        )
    if not statement.strip():
        raise CapaInvalid(_("State the root cause."), where="statement")
    cause = RootCause.objects.create(
        capa=capa,
        category=category,
        statement=statement.strip(),
        whys=_checked_whys(whys),
        fishbone=_checked_fishbone(fishbone or {}),
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="quality.root_cause_added",
        target=capa,
        changes={"root_cause": [None, {"category": category, "statement": cause.statement}]},
    )
    return cause


@transaction.atomic
def capa_action_add(
    *,
    capa: Capa,
    actor: User,
    kind: str,
    description: str,
    owner: User,
    due_on: date,
) -> CapaTask:
    capa = _locked(capa, CapaAction.ADD_ACTION)
    _owner_may_act(owner)
    if kind not in ActionKind.values:
        raise CapaInvalid(_("Unknown kind of action %(kind)s.") % {"kind": kind}, where="kind")
    if not description.strip():
        raise CapaInvalid(_("Describe the action."), where="description")
    task = CapaTask.objects.create(
        capa=capa, kind=kind, description=description.strip(), owner=owner, due_on=due_on
    )
    audit.record(
        actor=actor,
        action="quality.capa_action_added",
        target=capa,
        changes={
            "action": [
                None,
                {
                    "id": task.pk,
                    "kind": kind,
                    "owner": owner.get_username(),
                    "due_on": due_on.isoformat(),
                },
            ]
        },
    )
    return task


@transaction.atomic
def capa_action_update(*, task: CapaTask, actor: User, status: str, note: str = "") -> CapaTask:
    """Move an action along (open → in progress → done, or cancelled with a note)."""
    _locked(task.capa, CapaAction.UPDATE_ACTION)
    task = CapaTask.objects.select_for_update().get(pk=task.pk)
    if status not in ACTION_MOVES.get(task.status, frozenset()):
        raise CapaInvalid(
            _("An action cannot go from %(source)s to %(target)s.")
            % {"source": task.get_status_display(), "target": status},
            where="status",
        )
    if status == ActionStatus.CANCELLED and not note.strip():
        raise CapaInvalid(_("Say why the action is cancelled."), where="note")
    source = task.status
    task.status = status
    task.note = note.strip() or task.note
    if status == ActionStatus.DONE:
        task.done_at = timezone.now()
    task.save()
    audit.record(
        actor=actor,
        action="quality.capa_action_updated",
        target=task.capa,
        changes={f"action {task.pk}": [source, status]},
        reason=note,
    )
    return task


def verify_blockers(capa: Capa) -> list[str]:
    """Why effectiveness cannot be verified yet (empty: it can)."""
    problems = []
    if not capa.root_causes.exists():
        problems.append(_("Record the root cause first."))
    statuses = list(capa.actions.values_list("status", flat=True))
    if ActionStatus.DONE not in statuses:
        problems.append(_("At least one action must be done."))
    if any(s in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS) for s in statuses):
        problems.append(_("Every action must be done or cancelled."))
    last = capa.verifications.order_by("-verified_at", "-pk").first()
    if (
        last is not None
        and not last.effective
        and not capa.actions.filter(
            Q(created_at__gt=last.verified_at) | Q(done_at__gt=last.verified_at)
        ).exists()
    ):
        problems.append(
            _(
                "The last verification found the CAPA not effective: add an action or re-open "
                "one and complete it before verifying again."
            )
        )
    return problems


@transaction.atomic
def capa_verify(
    *, capa: Capa, actor: User, method: str, result: str, effective: bool
) -> Verification:
    """Record a verification of effectiveness. An effective one moves the CAPA to verified (it
    may then close); an ineffective one is kept and the CAPA stays open for more actions."""
    capa = _locked(capa, CapaAction.VERIFY)
    if problems := verify_blockers(capa):
        raise VerificationRefused(problems[0], where="status", details=problems)
    if not method.strip() or not result.strip():
        raise CapaInvalid(
            _("Say how effectiveness was checked and what was found."),
            where="method" if not method.strip() else "result",
        )
    verification = Verification.objects.create(
        capa=capa,
        method=method.strip(),
        result=result.strip(),
        effective=effective,
        verified_by=actor,
        verified_at=timezone.now(),
    )
    source = capa.status
    if effective:
        capa.status = CapaStatus.VERIFIED
        capa.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        action="quality.capa_verified",
        target=capa,
        changes={"effective": [None, effective], "status": [source, capa.status]},
    )
    return verification


@transaction.atomic
def capa_reopen(*, capa: Capa, actor: User, reason: str) -> Capa:
    """Back to open from verified (more actions needed); the verification stays on record."""
    capa = _locked(capa, CapaAction.REOPEN)
    if not reason.strip():
        raise CapaInvalid(_("Say why the CAPA is reopened."), where="reason")
    capa.status = CapaStatus.OPEN
    capa.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        action="quality.capa_reopened",
        target=capa,
        changes={"status": [CapaStatus.VERIFIED.value, CapaStatus.OPEN.value]},
        reason=reason,
    )
    return capa


@transaction.atomic
def capa_close(*, capa: Capa, actor: User) -> Capa:
    """Close a CAPA whose effectiveness was verified; without a recorded effective verification
    the close is refused and nothing changes."""
    capa = Capa.objects.select_for_update().get(pk=capa.pk)
    if capa.status == CapaStatus.OPEN:
        raise CapaNotVerified(_not_verified(capa), where="status")
    capa_require(capa.status, CapaAction.CLOSE, capa.number)
    capa.status = CapaStatus.CLOSED
    capa.closed_at = timezone.now()
    capa.closed_by = actor
    capa.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
    audit.record(
        actor=actor,
        action="quality.capa_closed",
        target=capa,
        changes={"status": [CapaStatus.VERIFIED.value, CapaStatus.CLOSED.value]},
    )
    return capa


def _not_verified(capa: Capa) -> str:
    """Why an open CAPA cannot close: never verified, or its last verification found the
    actions not effective (then what to do next)."""
    last = capa.verifications.order_by("-verified_at", "-pk").first()
    if last is not None and not last.effective:
        return _(
            "CAPA %(number)s cannot close: the verification of %(date)s found the actions not "
            "effective. Add a new action (or re-open one) and complete it, then verify "
            "effectiveness again."
        ) % {"number": capa.number, "date": local_time(last.verified_at)}
    return _(
        "CAPA %(number)s cannot close without a recorded verification of effectiveness: "
        "verify that the actions worked first."
    ) % {"number": capa.number}


def _owner_may_act(owner: User) -> None:
    """Only active staff who may act on CAPAs own a CAPA or one of its actions (never a portal
    user or a read-only viewer)."""
    if (
        not owner.is_active
        or owner.party_id is not None
        or not owner.has_perm("quality.change_capa")
    ):
        raise CapaInvalid(
            _("%(user)s cannot own a CAPA: only staff who may act on CAPAs can.")
            % {"user": owner.get_username()},
            where="owner",
        )
