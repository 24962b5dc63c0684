"""Early-warning writes: the detection run (``signals_detect``, idempotent, set-based) and the
status changes of a signal (review, dismiss with a reason, link to a CAPA or recall, reopen),
each one transaction with its audit entry. The statistics are in ``signals.py``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.types import ActorOrSystem
from medrecall.recalls.models import RecallCase

from . import signals
from .errors import SignalActionRefused, SignalInvalid
from .models import Capa, Signal, SignalKind, SignalPolicy, SignalStatus

S = SignalStatus
TRANSITIONS: Mapping[str, frozenset[str]] = {
    S.NEW: frozenset({S.UNDER_REVIEW, S.DISMISSED, S.LINKED}),
    S.UNDER_REVIEW: frozenset({S.DISMISSED, S.LINKED}),
    S.DISMISSED: frozenset({S.UNDER_REVIEW}),
    S.LINKED: frozenset({S.UNDER_REVIEW, S.LINKED}),
}
"""Which status each status may move to: a dismissed or linked signal is reopened for review."""

ACTIONS: Mapping[str, str] = {
    "review": S.UNDER_REVIEW,
    "dismiss": S.DISMISSED,
    "link": S.LINKED,
    "reopen": S.UNDER_REVIEW,
}


def allowed_actions(signal: Signal) -> list[str]:
    """The actions the signal's status allows (the page shows these buttons only)."""
    targets = TRANSITIONS[signal.status]
    return [
        name
        for name, target in ACTIONS.items()
        if target in targets
        and (name != "reopen" or signal.status != S.NEW)
        and (name != "review" or signal.status == S.NEW)
    ]


@dataclass(frozen=True)
class DetectionRun:
    as_of: date
    raised: int  # new signals
    active: int  # signals the run found (new ones included)
    quietened: int  # signals found before and not any more
    lots_tested: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "raised": self.raised,
            "active": self.active,
            "quietened": self.quietened,
            "lots": self.lots_tested,
        }


def _key(kind: str, model: int, lot: int | None) -> tuple[str, int, int | None]:
    return (kind, model, lot if kind == SignalKind.LOT else None)


FIGURES = (
    "complaints_count",
    "units",
    "expected",
    "rate_per_1000",
    "baseline_per_1000",
    "ratio",
    "p_value",
    "q_value",
    "since",
    "window_start",
    "window_end",
)


def _figures(found: signals.Finding, start: date, as_of: date) -> dict[str, Any]:
    return {
        "complaints_count": found.complaints,
        "units": found.units,
        "expected": found.expected,
        "rate_per_1000": found.rate_per_1000,
        "baseline_per_1000": found.baseline_per_1000,
        "ratio": found.ratio,
        "p_value": found.p_value,
        "q_value": found.q_value,
        "since": found.since,
        "window_start": start,
        "window_end": as_of,
    }


@transaction.atomic
def signals_detect(
    *, actor: ActorOrSystem = None, as_of: date | None = None, now: datetime | None = None
) -> DetectionRun:
    """Run the detector over every lot and device model and bring the signals up to date: a
    finding without a signal raises a new one, a signal found again gets the run's figures and
    complaints, a signal not found any more goes quiet (``active`` off; its status and history
    stay). Running it twice changes nothing the first run did not. A fixed number of queries
    whatever the number of lots and signals."""
    now = now or timezone.now()
    as_of = as_of or timezone.localtime(now).date()
    limits = signals.Thresholds.of(signals.policy())
    panel, complaint_rows = signals.panel_load(
        as_of=as_of, weeks=limits.window_weeks, cluster_days=limits.cluster_days
    )
    findings = signals.detect(panel, limits)
    existing = {
        _key(s.kind, s.device_model_id, s.lot_id): s for s in Signal.objects.select_for_update()
    }
    new: list[Signal] = []
    kept: list[Signal] = []
    for found in findings:
        figures = _figures(found, panel.start, as_of)
        signal = existing.pop(_key(found.kind, found.device_model_id, found.lot_id), None)
        if signal is None:
            new.append(
                Signal(
                    kind=found.kind,
                    device_model_id=found.device_model_id,
                    lot_id=found.lot_id,
                    first_detected_at=now,
                    last_detected_at=now,
                    **figures,
                )
            )
            continue
        for name, value in figures.items():
            setattr(signal, name, value)
        signal.active, signal.last_detected_at = True, now
        kept.append(signal)
    quiet = [s for s in existing.values() if s.active]
    for signal in quiet:
        signal.active = False
    Signal.objects.bulk_create(new)
    Signal.objects.bulk_update(
        kept + quiet, ["active", "last_detected_at", *FIGURES], batch_size=500
    )
    behind = _link_complaints(new + kept, findings, complaint_rows)
    run = DetectionRun(as_of, len(new), len(findings), len(quiet), len(panel.lot_ids))
    audit.record(
        actor=actor,
        action="quality.signals_detected",
        target_type="quality.signal",
        target_label=_("Early warning on %(day)s") % {"day": as_of.isoformat()},
        changes={
            **run.as_dict(),
            "raised_ids": [s.pk for s in new],
            "quiet_ids": [s.pk for s in quiet],
            "complaints_linked": behind,
        },
    )
    return run


def _link_complaints(
    found_signals: list[Signal],
    findings: list[signals.Finding],
    rows: list[tuple[int, int, int | None, int]],
) -> int:
    """Each found signal's complaints become exactly those behind its finding (two statements)."""
    through = Signal.complaints.through
    by_key = {_key(f.kind, f.device_model_id, f.lot_id): f for f in findings}
    links = [
        through(signal_id=signal.pk, complaint_id=pk)
        for signal in found_signals
        for pk in signals.complaint_ids(
            rows, by_key[_key(signal.kind, signal.device_model_id, signal.lot_id)]
        )
    ]
    through.objects.filter(signal_id__in=[s.pk for s in found_signals]).delete()
    through.objects.bulk_create(links)
    return len(links)


def _move(signal: Signal, action: str, actor: User) -> tuple[Signal, str]:
    locked = (
        # Lock the signal's row only: PostgreSQL cannot lock the nullable side of the joins.
        Signal.objects.select_for_update(of=("self",))
        .select_related("device_model", "lot")
        .get(pk=signal.pk)
    )
    if action not in allowed_actions(locked):
        raise SignalActionRefused(
            _("A signal that is %(status)s cannot be %(action)s.")
            % {"status": locked.get_status_display(), "action": ACTION_WORDS[action]()},
            where="status",
        )
    source = locked.status
    locked.status = ACTIONS[action]
    locked.reviewed_by, locked.reviewed_at = actor, timezone.now()
    return locked, source


ACTION_WORDS = {
    "review": lambda: _("taken under review"),
    "dismiss": lambda: _("dismissed"),
    "link": lambda: _("linked"),
    "reopen": lambda: _("reopened"),
}


def _saved(signal: Signal, source: str, actor: User, action: str, **changes: Any) -> Signal:
    signal.save()
    audit.record(
        actor=actor,
        action=f"quality.signal_{action}",
        target=signal,
        changes={"status": [source, signal.status], **changes},
        reason=signal.dismissed_reason if action == "dismissed" else changes.get("reason", ""),
    )
    return signal


@transaction.atomic
def signal_review(*, signal: Signal, actor: User) -> Signal:
    """Take a new signal under review."""
    locked, source = _move(signal, "review", actor)
    return _saved(locked, source, actor, "reviewed")


@transaction.atomic
def signal_dismiss(*, signal: Signal, actor: User, reason: str) -> Signal:
    """Dismiss a signal, saying why (an explained cause, a data error, a known issue)."""
    if not reason.strip():
        raise SignalInvalid(_("Say why the signal is dismissed."), where="reason")
    locked, source = _move(signal, "dismiss", actor)
    locked.dismissed_reason = reason.strip()
    return _saved(locked, source, actor, "dismissed")


@transaction.atomic
def signal_link(
    *, signal: Signal, actor: User, capa: Capa | None = None, recall: RecallCase | None = None
) -> Signal:
    """Link a signal to the CAPA or recall that handles it. A recall that does not cover the
    signal's lot or device model is refused (``signals.recall_not_covering``); nothing changes."""
    if capa is None and recall is None:
        raise SignalInvalid(_("Name the CAPA or the recall that handles the signal."), where="capa")
    locked, source = _move(signal, "link", actor)
    changes: dict[str, Any] = {}
    if capa is not None:
        changes["capa"] = [locked.capa.number if locked.capa else None, capa.number]
        locked.capa = capa
    if recall is not None:
        refused = signals.recall_not_covering(locked, recall)
        if refused:
            raise SignalInvalid(refused, where="recall")
        changes["recall"] = [locked.recall.number if locked.recall else None, recall.number]
        locked.recall = recall
    return _saved(locked, source, actor, "linked", **changes)


@transaction.atomic
def signal_reopen(*, signal: Signal, actor: User, reason: str) -> Signal:
    """Take a dismissed or linked signal back under review."""
    if not reason.strip():
        raise SignalInvalid(_("Say why the signal is reopened."), where="reason")
    locked, source = _move(signal, "reopen", actor)
    return _saved(locked, source, actor, "reopened", reason=reason.strip())


POLICY_FIELDS = (
    "min_complaints",
    "significance",
    "min_units",
    "min_ratio",
    "window_weeks",
    "recent_weeks",
    "cluster_days",
    "min_holders",
    "prior_complaints",
)
DECIMAL_FIELDS = ("significance", "min_ratio", "prior_complaints")


def _field_label(name: str) -> str:
    field = SignalPolicy._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def _threshold(name: str, value: Any) -> Any:
    """A threshold as given, refused with the field's name when it is not a number of its kind
    (a whole number for counts and days): ``full_clean`` then checks the range."""
    try:
        if name in DECIMAL_FIELDS:
            number = Decimal(str(value))
            if not number.is_finite():
                raise ArithmeticError
            return number
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        return int(str(value).strip()) if isinstance(value, str) else int(value)
    except (ArithmeticError, TypeError, ValueError):
        raise SignalInvalid(
            _("%(field)s: %(value)s is not a whole number.")
            % {"field": _field_label(name), "value": value}
            if name not in DECIMAL_FIELDS
            else _("%(field)s: %(value)s is not a number.")
            % {"field": _field_label(name), "value": value},
            where=name,
        ) from None


@transaction.atomic
def signal_policy_update(*, actor: User, **values: Any) -> SignalPolicy:
    """Change the early-warning thresholds (administrators), with one audit entry."""
    current = SignalPolicy.objects.select_for_update().get(pk=signals.policy().pk)
    before = {name: getattr(current, name) for name in POLICY_FIELDS}
    for name, value in values.items():
        if name not in POLICY_FIELDS:
            raise SignalInvalid(_("Unknown threshold %(name)s.") % {"name": name}, where=name)
        setattr(current, name, _threshold(name, value))
    try:
        current.full_clean()
    except ValidationError as invalid:
        name, problems = next(iter(invalid.message_dict.items()))
        raise SignalInvalid(
            _("%(field)s: %(problem)s") % {"field": _field_label(name), "problem": problems[0]},
            where=name,
        ) from invalid
    current.save()
    current.refresh_from_db()
    after = {name: getattr(current, name) for name in POLICY_FIELDS}
    audit.record(
        actor=actor,
        action="quality.signal_policy_changed",
        target=current,
        changes={
            k: [str(before[k]), str(after[k])] for k in POLICY_FIELDS if before[k] != after[k]
        },
    )
    return current
