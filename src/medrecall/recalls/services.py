"""Recall actions: open, edit, classify, evaluate the hazard, set scope rules, freeze the
scope, move along the lifecycle. Each is one transaction with its own audit entry."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import Signature, User
from medrecall.accounts.signatures import signatures_supersede
from medrecall.audit import services as audit
from medrecall.catalog.models import DeviceModel
from medrecall.core.errors import ConcurrentEdit, ValidationFailed
from medrecall.core.numbering import number_next
from medrecall.parties.models import Location, PartyType
from medrecall.traceability.selectors import position_category

from . import lifecycle
from .errors import (
    ClassNotAllowed,
    ReasonRequired,
    RegimeMissing,
    ScopeEmpty,
    ScopeRulesMissing,
    TransitionRefused,
)
from .hazard import proposed_class
from .hooks import Handled, handled_units, run_scope_hooks, run_transition_hooks
from .lifecycle import Action, Status
from .models import (
    EDITABLE,
    REGIME_CLASSES,
    AffectedLine,
    Category,
    HazardEvaluation,
    RecallCase,
    RecallRegime,
    ScopeRule,
    ScopeSnapshot,
    Transition,
)
from .scope import Resolution, resolve_rules

LOCKED_STATUSES = (Status.CLOSED, Status.TERMINATED, Status.CANCELLED)
APPROVED_STATUSES = (Status.IN_EXECUTION, Status.EFFECTIVENESS_CHECK)
BACK_TO_APPROVAL = "recalls.approval_restarted"


def _approval_given(recall: RecallCase) -> bool:
    """Approved, or pending approval with at least one approval signature in force."""
    if recall.status in APPROVED_STATUSES:
        return True
    return (
        recall.status == Status.PENDING_APPROVAL
        and Signature.objects.filter(
            target_type=recall._meta.label_lower,
            target_id=str(recall.pk),
            meaning="approved",
            superseded_at__isnull=True,
        ).exists()
    )


def _restart_approval(
    *, recall: RecallCase, actor: User, reason: str, changes: dict[str, Any]
) -> None:
    """A change of class or decision date after approval: the approval signatures are
    superseded, an approved recall goes back to pending approval, and approval starts over."""
    superseded = signatures_supersede(target=recall, actor=actor, reason=reason, meaning="approved")
    source = recall.status
    if source in APPROVED_STATUSES:
        recall_transition(recall=recall, target=Status.PENDING_APPROVAL, actor=actor, reason=reason)
    audit.record(
        actor=actor,
        action=BACK_TO_APPROVAL,
        target=recall,
        reason=reason,
        changes={
            **changes,
            "status": [source, str(Status.PENDING_APPROVAL)],
            "signatures_superseded": [superseded, None],
        },
    )


def next_recall_number(now: datetime | None = None) -> str:
    """Next number from ``MEDRECALL_RECALL_NUMBER_PATTERN`` (default ``RC-{year}-{seq:04d}``),
    counted by ``core.numbering`` (safe when two recalls are opened at once)."""
    pattern = getattr(settings, "MEDRECALL_RECALL_NUMBER_PATTERN", "RC-{year}-{seq:04d}")
    return number_next(model=RecallCase, pattern=pattern, now=now)


@transaction.atomic
def recall_open(
    *,
    actor: User,
    title: str,
    products: list[DeviceModel],
    reason: str = "",
    regimes: list[str] | None = None,
    **fields: Any,
) -> RecallCase:
    """Open a recall in draft. ``title`` is the Chinese title; with only an English one
    (``title_en``) that also serves as the case's title in lists."""
    title = title.strip() or str(fields.get("title_en", "")).strip()
    if not title:
        raise ValidationFailed(_("Give the recall a title."), where="title")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    recall = RecallCase.objects.create(
        number=next_recall_number(), title=title.strip(), reason=reason, owner=actor, **fields
    )
    recall.products.set(products)
    for regime in regimes or []:
        recall_regime_add(recall=recall, regime=regime, actor=actor)
    audit.record(
        actor=actor,
        action="recalls.recall_opened",
        target=recall,
        changes={
            "number": [None, recall.number],
            "title": [None, recall.title],
            "products": [None, [p.udi_di for p in products]],
            "regimes": [None, regimes or []],
        },
    )
    return recall


def _full_clean(recall: RecallCase) -> None:
    """The model's one-row rules (e.g. the awareness date with its incident category) as a
    refusal the pages, the API and the command show (400), not a server error."""
    try:
        recall.full_clean(exclude=["owner"])
    except DjangoValidationError as invalid:
        raise ValidationFailed(
            " ".join(invalid.messages),
            where=next(iter(getattr(invalid, "error_dict", {})), ""),
            details=invalid.messages,
        ) from invalid


@transaction.atomic
def recall_update(
    *, recall: RecallCase, actor: User, version: int, change_reason: str = "", **changes: Any
) -> RecallCase:
    """Edit the case fields. ``version`` is the one the user saw: a concurrent edit is refused."""
    lifecycle.require_action(recall, Action.EDIT)
    unknown = set(changes) - set(EDITABLE) - {"products", "team"}
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    current = RecallCase.objects.select_for_update().get(pk=recall.pk)
    if current.status in LOCKED_STATUSES:
        raise ValidationFailed(
            _("A %(status)s recall can no longer be edited.")
            % {"status": current.get_status_display()}
        )
    if current.version != version:
        raise ConcurrentEdit(
            _(
                "Someone else saved this recall in the meantime (version %(theirs)s, you edited "
                "version %(yours)s). Reload it and make your change again."
            )
            % {"theirs": current.version, "yours": version}
        )
    reapprove = (
        "decision_at" in changes
        and changes["decision_at"] != current.decision_at
        and _approval_given(current)
    )
    if reapprove and not change_reason.strip():
        raise ReasonRequired(
            _(
                "The recall is approved: say why the decision date changes. The change sends "
                "it back for approval."
            ),
            where="change_reason",
        )
    before = audit.snapshot(current)
    products = changes.pop("products", None)
    team = changes.pop("team", None)
    for field, value in changes.items():
        setattr(current, field, value)
    _full_clean(current)
    updated = RecallCase.objects.filter(pk=current.pk, version=version).update(
        **{f: getattr(current, f) for f in changes},
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if not updated:  # pragma: no cover - the row lock above makes this unreachable on PostgreSQL
        raise ConcurrentEdit(_("Someone else saved this recall in the meantime. Reload it."))
    current.refresh_from_db()
    diff = audit.diff(before, audit.snapshot(current))
    diff.pop("updated_at", None)
    diff.pop("version", None)
    if products is not None:
        old = sorted(current.products.values_list("udi_di", flat=True))
        current.products.set(products)
        diff["products"] = [old, sorted(p.udi_di for p in products)]
    if team is not None:
        old_team = sorted(current.team.values_list("username", flat=True))
        current.team.set(team)
        if old_team != sorted(u.username for u in team):
            diff["team"] = [old_team, sorted(u.username for u in team)]
    audit.record(
        actor=actor,
        action="recalls.recall_changed",
        target=current,
        changes=diff,
        reason=change_reason,
    )
    if reapprove:
        _restart_approval(
            recall=current,
            actor=actor,
            reason=change_reason,
            changes={"decision_at": diff.get("decision_at", [None, None])},
        )
        current.refresh_from_db()
    return current


@transaction.atomic
def recall_regime_add(*, recall: RecallCase, regime: str, actor: User) -> RecallRegime:
    if not RecallRegime.objects.filter(
        recall=recall, regime=regime
    ).exists():  # adding one is the action
        lifecycle.require_action(recall, Action.ADD_REGIME)
    if regime not in REGIME_CLASSES:
        raise ValidationFailed(_("Unknown regime %(regime)s.") % {"regime": regime}, where="regime")
    entry, created = RecallRegime.objects.get_or_create(recall=recall, regime=regime)
    if created:
        audit.record(
            actor=actor,
            action="recalls.regime_added",
            target=recall,
            changes={"regime": [None, regime]},
        )
    return entry


@transaction.atomic
def hazard_evaluate(
    *,
    recall: RecallCase,
    actor: User,
    severity: str,
    likelihood: str,
    injuries_reported: int = 0,
    deaths_reported: int = 0,
    populations_at_risk: str = "",
    consequences: str = "",
    **texts: str,
) -> HazardEvaluation:
    """Record the health hazard evaluation and propose a class for every regime of the recall.

    ``texts`` are the defect and the possible harm in Chinese and English
    (``defect_description[_en]``, ``hazard_description[_en]``): stated with the evaluation,
    kept on the case, and printed in the notices' "Defect" and "Possible harm"."""
    lifecycle.require_action(recall, Action.EVALUATE_HAZARD)
    if unknown := set(texts) - set(HAZARD_TEXTS):
        raise ValidationFailed(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    if severity not in HazardEvaluation.Severity.values:
        raise ValidationFailed(_("Choose the worst credible harm."), where="severity")
    if likelihood not in HazardEvaluation.Likelihood.values:
        raise ValidationFailed(_("Choose how likely that harm is."), where="likelihood")
    evaluation, _created = HazardEvaluation.objects.update_or_create(
        recall=recall,
        defaults={
            "severity": severity,
            "likelihood": likelihood,
            "injuries_reported": injuries_reported,
            "deaths_reported": deaths_reported,
            "populations_at_risk": populations_at_risk,
            "consequences": consequences,
            "evaluated_by": actor,
        },
    )
    proposals = {}
    for regime in recall.regimes.select_for_update():
        regime.proposed_class = proposed_class(
            regime=regime.regime,
            severity=severity,
            likelihood=likelihood,
            deaths_reported=deaths_reported,
        )
        if not regime.recall_class:
            regime.recall_class = regime.proposed_class
        regime.save(update_fields=["proposed_class", "recall_class"])
        proposals[regime.regime] = regime.proposed_class
    text_changes = _hazard_texts_save(
        recall, {field: str(value).strip() for field, value in texts.items()}
    )
    audit.record(
        actor=actor,
        action="recalls.hazard_evaluated",
        target=recall,
        changes={
            "severity": [None, severity],
            "likelihood": [None, likelihood],
            "injuries": [None, injuries_reported],
            "deaths": [None, deaths_reported],
            "proposed": [None, proposals],
        }
        | text_changes,
    )
    return evaluation


HAZARD_TEXTS = (
    "defect_description",
    "defect_description_en",
    "hazard_description",
    "hazard_description_en",
)


def _hazard_texts_save(recall: RecallCase, texts: dict[str, str]) -> dict[str, list[str]]:
    """Write the defect / possible-harm texts given with an evaluation onto the case; returns
    the changes for the audit entry."""
    current = RecallCase.objects.filter(pk=recall.pk).values(*HAZARD_TEXTS).get()
    changed = {
        field: [current[field], value] for field, value in texts.items() if current[field] != value
    }
    if changed:
        RecallCase.objects.filter(pk=recall.pk).update(
            **{f: new for f, (_old, new) in changed.items()},
            version=F("version") + 1,
            updated_at=timezone.now(),
        )
        for field, (_old, new) in changed.items():
            setattr(recall, field, new)
    return changed


@transaction.atomic
def recall_classify(
    *, recall: RecallCase, regime: str, recall_class: str, actor: User, reason: str = ""
) -> RecallRegime:
    """Set the class for one regime. Changing a class already set, or departing from the
    proposal, needs a reason; a change after approval sends the recall back for approval."""
    lifecycle.require_action(recall, Action.CLASSIFY)
    allowed = dict(REGIME_CLASSES.get(regime, ()))
    if recall_class not in allowed:
        raise ClassNotAllowed(
            _("%(value)s is not a class for %(regime)s; use one of %(allowed)s.")
            % {"value": recall_class, "regime": regime, "allowed": ", ".join(allowed)},
            where="recall_class",
        )
    entry = RecallRegime.objects.select_for_update().filter(recall=recall, regime=regime).first()
    if entry is None:
        raise RegimeMissing(
            _("Add the regime %(regime)s to the recall first.") % {"regime": regime}, where="regime"
        )
    old = entry.recall_class
    changed = bool(old) and recall_class != old
    if entry.proposed_class and recall_class != entry.proposed_class and not reason.strip():
        raise ReasonRequired(
            _("The hazard evaluation proposes %(proposed)s; say why you choose %(chosen)s.")
            % {"proposed": entry.proposed_class, "chosen": recall_class},
            where="reason",
        )
    if changed and not reason.strip():
        raise ReasonRequired(
            _("Say why the class changes from %(old)s to %(new)s.")
            % {"old": old, "new": recall_class},
            where="reason",
        )
    case = RecallCase.objects.select_for_update().get(pk=recall.pk)
    reapprove = changed and _approval_given(case)
    entry.recall_class = recall_class
    entry.override_reason = (
        reason if entry.proposed_class and recall_class != entry.proposed_class else ""
    )
    entry.save(update_fields=["recall_class", "override_reason"])
    audit.record(
        actor=actor,
        action="recalls.classified",
        target=recall,
        changes={f"class.{regime}": [old, recall_class]},
        reason=reason,
    )
    if reapprove:
        _restart_approval(
            recall=case,
            actor=actor,
            reason=reason,
            changes={f"class.{regime}": [old, recall_class]},
        )
    return entry


@transaction.atomic
def scope_rule_add(
    *,
    recall: RecallCase,
    actor: User,
    kind: str,
    device_model: DeviceModel,
    values: list[str] | None = None,
    range_from: str = "",
    range_to: str = "",
) -> ScopeRule:
    lifecycle.require_action(recall, Action.EDIT_SCOPE_RULES)
    if kind not in ScopeRule.Kind.values:
        raise ValidationFailed(_("Unknown scope rule %(kind)s.") % {"kind": kind}, where="kind")
    rule = ScopeRule(
        recall=recall,
        kind=kind,
        device_model=device_model,
        values=list(values or []),
        range_from=range_from.strip(),
        range_to=range_to.strip(),
    )
    resolve_rules([rule])  # refuse a rule that matches nothing or is malformed, before it is kept
    rule.save()
    audit.record(
        actor=actor,
        action="recalls.scope_rule_added",
        target=recall,
        changes={"rule": [None, _rule_record(rule)]},
    )
    return rule


@transaction.atomic
def scope_rule_remove(*, rule: ScopeRule, actor: User) -> None:
    lifecycle.require_action(rule.recall, Action.EDIT_SCOPE_RULES)
    audit.record(
        actor=actor,
        action="recalls.scope_rule_removed",
        target=rule.recall,
        changes={"rule": [{"kind": rule.kind, "values": rule.values}, None]},
    )
    rule.delete()


def _rule_record(rule: ScopeRule) -> dict[str, Any]:
    """A scope rule as the snapshot and the audit trail keep it."""
    return {
        "kind": rule.kind,
        "gtin": rule.device_model.udi_di,
        "values": rule.values,
        "from": rule.range_from,
        "to": rule.range_to,
    }


def _echelons(
    flows: list[tuple[int | None, int, int]], locations: dict[int, Location]
) -> dict[int, int]:
    """Hops from our own sites down the distribution chain: own 0, distributor 1, sub-distributor 2…"""
    from collections import deque

    children: dict[int | None, set[int]] = defaultdict(set)
    for source, target, _qty in flows:
        children[source].add(target)
    depth: dict[int, int] = {}
    queue: deque[int] = deque()
    for loc_id, location in locations.items():
        if location.party.party_type == PartyType.OWN_SITE:
            depth[loc_id] = 0
            queue.append(loc_id)
    for root in children.get(None, set()):
        if root not in depth:
            depth[root] = (
                0
                if locations.get(root) and locations[root].party.party_type == PartyType.OWN_SITE
                else 1
            )
            queue.append(root)
    while queue:
        current = queue.popleft()
        for child in children.get(current, set()):
            if child not in depth:
                depth[child] = depth[current] + 1
                queue.append(child)
    return depth


FREEZABLE = (Status.DRAFT, Status.ASSESSMENT, Status.PENDING_APPROVAL, Status.IN_EXECUTION)

# A current position the trace engine reports: lot, serial, location, received, on hand, in transit.
PlaceLine = tuple[int, int | None, int, int, int, int]


def _keep_handled(resolution: Resolution, handled: list[Handled]) -> None:
    """Add every unit already handled under the recall to the rules' lots and serials: a
    re-scope keeps them, so the accounting stays balanced."""
    for done in handled:
        resolution.whole_lot_ids |= done.lot_ids
        for lot_id, serial_ids in done.serial_ids_by_lot.items():
            if lot_id not in resolution.whole_lot_ids:
                resolution.serial_ids_by_lot.setdefault(lot_id, set()).update(serial_ids)


def _in_scope(resolution: Resolution, lot_id: int, serial_id: int | None) -> bool:
    only = resolution.serial_ids_by_lot.get(lot_id)
    return lot_id in resolution.whole_lot_ids or only is None or serial_id in only


def _position_lines(
    *,
    snapshot: ScopeSnapshot,
    resolution: Resolution,
    lines: list[PlaceLine],
    locations: dict[int, Location],
    settled: set[tuple[int, int | None, int]],
    echelons: dict[int, int],
) -> list[AffectedLine]:
    """A frozen line for every place where units of the scope are now, or are on their way to;
    units a disposition sent there count as dispositioned."""
    frozen = []
    for lot_id, serial_id, location_id, received, on_hand, in_transit in lines:
        if not _in_scope(resolution, lot_id, serial_id) or (on_hand <= 0 and in_transit <= 0):
            continue
        location = locations[location_id]
        category = (
            Category.DISPOSITIONED
            if (lot_id, serial_id, location_id) in settled
            else position_category(
                party_type=location.party.party_type, location_type=location.location_type
            )
        )
        frozen.append(
            AffectedLine(
                snapshot=snapshot,
                lot_id=lot_id,
                serial_id=serial_id,
                location_id=location_id,
                party_id=location.party_id,
                on_hand=max(on_hand, 0),
                in_transit=in_transit,
                received=received,
                category=category,
                echelon=echelons.get(location_id, 0),
            )
        )
    return frozen


def _gone_lines(
    *,
    snapshot: ScopeSnapshot,
    gone: list[tuple[int, int | None, int, int]],
    locations: dict[int, Location],
) -> list[AffectedLine]:
    """Units destroyed under the recall: counted, though no longer anywhere."""
    return [
        AffectedLine(
            snapshot=snapshot,
            lot_id=lot_id,
            serial_id=serial_id,
            location_id=location_id,
            party_id=locations[location_id].party_id,
            on_hand=quantity,
            in_transit=0,
            received=quantity,
            category=Category.DISPOSITIONED,
            echelon=0,
        )
        for lot_id, serial_id, location_id, quantity in gone
    ]


def _snapshot_totals(snapshot: ScopeSnapshot, frozen: list[AffectedLine]) -> None:
    """Store the snapshot's units and holders; a scope with no unit anywhere is refused."""
    snapshot.total_units = sum(line.on_hand + line.in_transit for line in frozen)
    snapshot.total_holders = len({line.party_id for line in frozen})
    snapshot.save(update_fields=["total_units", "total_holders"])
    if snapshot.total_units == 0:
        raise ScopeEmpty(
            _(
                "The scope matches lots, but none of their units is anywhere now (all consumed, "
                "destroyed or never shipped)."
            ),
            where="rules",
        )


@transaction.atomic
def scope_freeze(*, recall: RecallCase, actor: User) -> ScopeSnapshot:
    """Resolve the rules with the trace engine into a new frozen snapshot of affected units."""
    lifecycle.require_action(recall, Action.FREEZE_SCOPE)
    from medrecall.traceability import engine

    recall = RecallCase.objects.select_for_update().get(pk=recall.pk)
    if recall.status not in FREEZABLE:
        raise ValidationFailed(
            _("The scope of a %(status)s recall is final.")
            % {"status": recall.get_status_display()}
        )
    rules = list(recall.scope_rules.select_related("device_model"))
    if not rules:
        raise ScopeRulesMissing(_("Add at least one scope rule."), where="rules")
    resolution = resolve_rules(rules)
    handled = handled_units(recall)
    _keep_handled(resolution, handled)
    lines = engine.place_lines(resolution.lot_ids)
    gone = [item for done in handled for item in done.gone]
    locations = {
        loc.pk: loc
        for loc in Location.objects.select_related("party").filter(
            pk__in={line[2] for line in lines} | {item[2] for item in gone}
        )
    }
    previous = recall.current_snapshot
    snapshot = ScopeSnapshot.objects.create(
        recall=recall,
        sequence=(previous.sequence + 1) if previous else 1,
        created_by=actor,
        rules=[_rule_record(r) for r in rules],
    )
    frozen = _position_lines(
        snapshot=snapshot,
        resolution=resolution,
        lines=lines,
        locations=locations,
        settled={key for done in handled for key in done.settled},
        echelons=_echelons(engine.flows(resolution.lot_ids), locations),
    ) + _gone_lines(snapshot=snapshot, gone=gone, locations=locations)
    AffectedLine.objects.bulk_create(frozen, batch_size=5000)
    _snapshot_totals(snapshot, frozen)
    audit.record(
        actor=actor,
        action="recalls.scope_frozen",
        target=recall,
        changes={
            "snapshot": [previous.sequence if previous else None, snapshot.sequence],
            "units": [previous.total_units if previous else None, snapshot.total_units],
            "holders": [previous.total_holders if previous else None, snapshot.total_holders],
        },
    )
    run_scope_hooks(recall, actor)
    return snapshot


def snapshot_difference(old: ScopeSnapshot, new: ScopeSnapshot) -> dict[str, Any]:
    """Units and holders added or removed between two snapshots (re-scope)."""

    def units(snapshot: ScopeSnapshot) -> dict[tuple[int, int | None, int], int]:
        totals: dict[tuple[int, int | None, int], int] = defaultdict(int)
        for lot, serial, location, on_hand, in_transit in snapshot.lines.values_list(
            "lot_id", "serial_id", "location_id", "on_hand", "in_transit"
        ):
            totals[(lot, serial, location)] += on_hand + in_transit
        return totals

    before, after = units(old), units(new)
    added = {k: v - before.get(k, 0) for k, v in after.items() if v > before.get(k, 0)}
    removed = {k: before[k] - after.get(k, 0) for k in before if before[k] > after.get(k, 0)}
    old_holders = set(old.lines.values_list("party__code", flat=True))
    new_holders = set(new.lines.values_list("party__code", flat=True))
    return {
        "units_added": sum(added.values()),
        "units_removed": sum(removed.values()),
        "lines_added": len(added),
        "lines_removed": len(removed),
        "holders_added": sorted(new_holders - old_holders),
        "holders_removed": sorted(old_holders - new_holders),
    }


@transaction.atomic
def recall_transition(
    *, recall: RecallCase, target: str, actor: User, reason: str = ""
) -> RecallCase:
    """Move a recall along its lifecycle; refuse with reasons the user can act on."""
    recall = RecallCase.objects.select_for_update().get(pk=recall.pk)
    try:
        goal = Status(target)
    except ValueError as error:
        raise ValidationFailed(
            _("Unknown status %(status)s.") % {"status": target}, where="target"
        ) from error
    if goal in (Status.CANCELLED, Status.TERMINATED) and not reason.strip():
        raise TransitionRefused(
            _("Say why the recall is %(status)s.") % {"status": goal.label}, where="reason"
        )
    if (
        goal == Status.PENDING_APPROVAL
        and recall.status in APPROVED_STATUSES
        and not reason.strip()
    ):
        raise TransitionRefused(
            _("Say why the approved recall goes back for approval."), where="reason"
        )
    if problems := lifecycle.blockers(recall, goal):
        raise TransitionRefused(" ".join(problems), details=problems)
    if goal == Status.PENDING_APPROVAL and recall.status in APPROVED_STATUSES:
        # Sent back for approval: approval starts over, whatever made it necessary.
        signatures_supersede(target=recall, actor=actor, reason=reason, meaning="approved")
    source, recall.status = recall.status, goal
    recall.version += 1
    recall.save(update_fields=["status", "version", "updated_at"])
    Transition.objects.create(recall=recall, source=source, target=goal, actor=actor, reason=reason)
    audit.record(
        actor=actor,
        action="recalls.transition",
        target=recall,
        changes={"status": [source, str(goal)]},
        reason=reason,
    )
    run_transition_hooks(recall, source, str(goal), actor)
    return recall
