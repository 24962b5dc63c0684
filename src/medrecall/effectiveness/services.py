"""Writes of the effectiveness context: one transactional, audited function per action."""

from __future__ import annotations

import math
import random
import secrets
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.catalog.models import Lot
from medrecall.parties.models import Party
from medrecall.recalls.errors import ReasonRequired
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import RecallCase, Regime

from . import selectors
from .errors import CheckRefused, ClosingSignRefused, ExceptionRefused, LevelInvalid, SampleRefused
from .models import (
    CheckPlan,
    CheckRecord,
    ClosingSignature,
    ContactMethod,
    Level,
    Sample,
    SampledConsignee,
    UnitException,
)

# Share of the consignees each level checks (B: the share entered); E checks none.
LEVEL_SHARE = {"A": 100, "C": 10, "D": 2, "E": 0}
SEED_MAX = 2**53  # a seed any JSON client keeps exactly


def _locked(recall: RecallCase, action: Action) -> RecallCase:
    require_action(recall, action)
    return RecallCase.objects.select_for_update(of=("self",)).get(pk=recall.pk)


def level_problems(recall: RecallCase, regime: str, level: str, share: int | None) -> list[str]:
    problems = []
    if regime not in {r.regime for r in recall.regimes.all()}:
        problems.append(
            _("Recall %(recall)s has no regime %(regime)s.")
            % {"recall": recall.number, "regime": regime}
        )
    if level not in Level.values:
        problems.append(
            _("“%(level)s” is not an effectiveness-check level: choose A, B, C, D or E.")
            % {"level": level}
        )
    elif level == Level.B and share is None:
        problems.append(
            _("Level B checks a share of the consignees: enter it, between 10 % and 100 %.")
        )
    elif level == Level.B and share is not None and not 10 <= share <= 100:
        problems.append(
            _("Level B checks a share between 10 %% and 100 %% of the consignees, not %(share)s.")
            % {"share": share}
        )
    elif level != Level.B and share is not None:
        problems.append(_("Only level B takes a share; levels A, C, D and E fix their own."))
    return problems


@transaction.atomic
def plan_set(
    *, recall: RecallCase, regime: str, level: str, actor: User, share: int | None = None
) -> CheckPlan:
    """Set (or change) the effectiveness-check level of one regime of the recall. A level cannot
    change once checks were recorded on its sample."""
    recall = _locked(recall, Action.EDIT)
    if problems := level_problems(recall, regime, level, share):
        raise LevelInvalid(problems[0], where="level", details=problems)
    plan = CheckPlan.objects.select_for_update().filter(recall=recall, regime=regime).first()
    before = (plan.level, plan.share) if plan else None
    if plan is not None and CheckRecord.objects.filter(consignee__sample__plan=plan).exists():
        if before != (level, share):
            raise LevelInvalid(
                _("Checks are recorded under level %(level)s: the level can no longer change.")
                % {"level": plan.level},
                where="level",
            )
        return plan
    if plan is None:
        plan = CheckPlan(recall=recall, regime=regime)
    plan.level, plan.share, plan.set_by, plan.set_at = level, share, actor, timezone.now()
    plan.save()
    if before != (level, share):
        plan.samples.all().delete()  # a sample drawn for the old level no longer applies
    audit.record(
        actor=actor,
        action="effectiveness.level_set",
        target=recall,
        changes={f"level_{regime}": [list(before) if before else None, [level, share]]},
    )
    return plan


def sample_size(level: str, share: int | None, population: int) -> int:
    """The number of consignees a level checks: the share of the consignees, rounded up (at
    least one when there is any); level E none."""
    percent = share if level == Level.B else LEVEL_SHARE[level]
    if not percent or not population:
        return 0
    return min(population, max(1, math.ceil(population * int(percent or 0) / 100)))


def allocate(size: int, strata: dict[str, int]) -> dict[str, int]:
    """Split ``size`` over the strata in proportion to their consignees (largest remainder),
    each non-empty stratum at least one while the size allows; deterministic."""
    total = sum(strata.values())
    if not total:
        return dict.fromkeys(strata, 0)
    size = min(size, total)
    exact = {name: size * n / total for name, n in strata.items()}
    given = {name: min(strata[name], math.floor(x)) for name, x in exact.items()}
    for name in sorted(strata):
        if strata[name] and not given[name] and sum(given.values()) < size:
            given[name] = 1
    order = sorted(strata, key=lambda name: (-(exact[name] - math.floor(exact[name])), name))
    while sum(given.values()) < size:
        for name in order:
            if sum(given.values()) < size and given[name] < strata[name]:
                given[name] += 1
    return given


def draw(seed: int, members: list[selectors.Consignee], size: int) -> list[selectors.Consignee]:
    """The sample: per stratum, ``random.Random(seed)`` picks from the consignees ordered by
    party code. The same seed over the same consignees gives the same sample."""
    by_stratum: dict[str, list[selectors.Consignee]] = defaultdict(list)
    for member in sorted(members, key=lambda m: m.code):
        by_stratum[member.stratum].append(member)
    shares = allocate(size, {name: len(rows) for name, rows in by_stratum.items()})
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    picked: list[selectors.Consignee] = []
    for name in sorted(by_stratum):
        picked += rng.sample(by_stratum[name], shares[name])
    return sorted(picked, key=lambda m: (m.stratum, m.code))


@transaction.atomic
def sample_draw(
    *,
    recall: RecallCase,
    regime: str,
    actor: User,
    seed: int | None = None,
    size: int | None = None,
) -> Sample:
    """Draw the sample of one regime's consignees; a new draw replaces one with no checks."""
    recall = _locked(recall, Action.LOG_CONTACT)
    plan = selectors.plan_of(recall, regime)
    members = selectors.consignees(recall, regime)
    population = len(members)
    wanted = sample_size(plan.level, plan.share, population) if size is None else size
    problems = []
    if plan.level == Level.E:
        problems.append(_("Level E checks no consignees: there is no sample to draw."))
    elif not population:
        problems.append(_("The frozen scope has no consignees under this regime."))
    if size is not None and size > population:
        problems.append(
            _("A sample of %(size)s is larger than the %(consignees)s consignees in scope.")
            % {"size": size, "consignees": population}
        )
    elif size is not None and size < 1:
        problems.append(_("A sample has at least one consignee."))
    if seed is not None and not 0 <= seed < SEED_MAX:
        problems.append(_("The seed is a whole number from 0 to %(max)s.") % {"max": SEED_MAX - 1})
    current = selectors.current_sample(plan)
    if current is not None and CheckRecord.objects.filter(consignee__sample=current).exists():
        problems.append(
            _("Checks are recorded on the current sample: it can no longer be redrawn.")
        )
    if problems:
        raise SampleRefused(problems[0], where="size", details=problems)
    seed = secrets.randbelow(SEED_MAX) if seed is None else seed
    snapshot = recall.current_snapshot
    assert snapshot is not None  # there are consignees  # noqa: S101
    plan.samples.all().delete()
    sample = Sample.objects.create(
        plan=plan,
        snapshot_sequence=snapshot.sequence,
        seed=seed,
        population=population,
        size=wanted,
        drawn_by=actor,
        drawn_at=timezone.now(),
    )
    picked = draw(seed, members, wanted)
    SampledConsignee.objects.bulk_create(
        SampledConsignee(sample=sample, party_id=m.party_id, stratum=m.stratum, units=m.units)
        for m in picked
    )
    audit.record(
        actor=actor,
        action="effectiveness.sample_drawn",
        target=recall,
        changes={
            "sample": [None, {"regime": regime, "seed": seed, "size": wanted, "of": population}],
            "consignees": [None, [m.code for m in picked]],
        },
    )
    return sample


def _renotify(recall: RecallCase, party_id: int) -> list[int]:
    """Send the holder its recall notice again through notices' own service: a reminder under
    its first notice (the next in its sequence), or a first notice if it never had one."""
    from medrecall.notices import followup
    from medrecall.notices.issuing import notices_create
    from medrecall.notices.models import Kind, Notice

    roots = {
        n.recipient_key: n
        for n in Notice.objects.filter(
            recall=recall, party_id=party_id, kind=Kind.INITIAL, parent__isnull=True
        )
    }
    if not roots:
        created = notices_create(recall=recall, run=None, kind=Kind.INITIAL, party_ids={party_id})
    else:
        last = Notice.objects.filter(
            recall=recall, party_id=party_id, kind__in=(Kind.INITIAL, Kind.REMINDER)
        ).aggregate(m=Max("sequence"))["m"]
        created = notices_create(
            recall=recall,
            run=None,
            kind=Kind.REMINDER,
            party_ids={party_id},
            sequence=int(last or 1) + 1,
            parents=roots,
        )
    transaction.on_commit(lambda: followup._enqueue(created))
    return created


@transaction.atomic
def check_record(
    *,
    recall: RecallCase,
    party: Party,
    actor: User,
    contacted_how: str,
    notice_received: bool,
    instructions_followed: bool,
    units_found: int = 0,
    note: str = "",
    regime: str = "",
) -> CheckRecord:
    """Record the check of a sampled consignee. A failed check (notice not received or
    instructions not followed) re-notifies the holder and is escalated until a later check of
    the consignee passes, which resolves it."""
    recall = _locked(recall, Action.LOG_CONTACT)
    member = selectors.sampled_consignee(recall=recall, party_code=party.code, regime=regime)
    if contacted_how not in ContactMethod.values:
        raise CheckRefused(
            _("“%(how)s” is not a way of contacting: choose %(ways)s.")
            % {"how": contacted_how, "ways": ", ".join(ContactMethod.values)},
            where="contacted_how",
        )
    if units_found < 0 or units_found > 2_147_483_647:
        raise CheckRefused(_("Units found is a whole number from 0."), where="units_found")
    now = timezone.now()
    passed = notice_received and instructions_followed
    check = CheckRecord.objects.create(
        consignee=member,
        contacted_how=contacted_how,
        notice_received=notice_received,
        instructions_followed=instructions_followed,
        units_found=units_found,
        note=note.strip(),
        passed=passed,
        checked_by=actor,
        checked_at=now,
    )
    resolved = []
    if passed:
        resolved = list(
            CheckRecord.objects.filter(consignee=member, passed=False, resolved_at__isnull=True)
            .exclude(pk=check.pk)
            .values_list("pk", flat=True)
        )
        CheckRecord.objects.filter(pk__in=resolved).update(
            resolved_at=now, resolution=_("A later check passed.")
        )
    else:
        check.renotified_notices = _renotify(recall, member.party_id)
        check.escalated_at = now
        check.save(update_fields=["renotified_notices", "escalated_at"])
    audit.record(
        actor=actor,
        action="effectiveness.check_recorded",
        target=recall,
        changes={
            "check": [
                None,
                {
                    "party": member.party.code,
                    "regime": member.sample.plan.regime,
                    "contacted_how": contacted_how,
                    "notice_received": notice_received,
                    "instructions_followed": instructions_followed,
                    "units_found": units_found,
                    "passed": passed,
                },
            ],
            "renotified": [None, check.renotified_notices],
            "resolved": [None, resolved],
        },
    )
    return check


@transaction.atomic
def check_resolve(*, check: CheckRecord, actor: User, reason: str) -> CheckRecord:
    """Close the escalation of a failed check with a reason (e.g. the holder was visited and the
    units were found destroyed)."""
    recall = check.consignee.sample.plan.recall
    _locked(recall, Action.LOG_CONTACT)
    if not reason.strip():
        raise ReasonRequired(_("Say how the failed check was resolved."), where="reason")
    check = CheckRecord.objects.select_for_update().get(pk=check.pk)
    if check.passed or check.resolved_at is not None:
        raise CheckRefused(_("This check has no open escalation."), where="check")
    check.resolved_at, check.resolution = timezone.now(), reason.strip()
    check.save(update_fields=["resolved_at", "resolution"])
    audit.record(
        actor=actor,
        action="effectiveness.check_resolved",
        target=recall,
        reason=reason.strip(),
        changes={"check": [check.pk, check.pk], "resolved_at": [None, check.resolved_at]},
    )
    return check


def _signed(
    *,
    recall: RecallCase,
    actor: User,
    content: dict[str, Any],
    meaning: str,
    step: str,
    **sign: Any,
) -> Any:
    from medrecall.accounts.signatures import signature_apply

    return signature_apply(
        actor=actor,
        target=recall,
        content={
            "model": "recalls.recallcase",
            "pk": recall.pk,
            "recall": recall.number,
            **content,
        },
        meaning=meaning,
        step=step,
        **sign,
    )


def unit_exception_sign(
    *,
    recall: RecallCase,
    party: Party,
    lot: Lot,
    units: int,
    reason: str,
    actor: User,
    password: str,
    username: str | None = None,
    session: Any = None,
) -> UnitException:
    """Accept ``units`` of ``lot`` at ``party`` as not recoverable: a reason and an e-signature
    (meaning responsible) over exactly those units, at most what is outstanding there.

    Like ``closure_exception_sign`` not one transaction: a refused signature stays audited."""
    require_action(recall, Action.SIGN_CLOSURE_EXCEPTION)
    if not reason.strip():
        raise ReasonRequired(_("Say why these units cannot be accounted for."), where="reason")
    row = (
        selectors.outstanding_at_holders(recall)
        .filter(location__party_id=party.pk, lot_id=lot.pk)
        .first()
    )
    left = int(row["outstanding"]) if row else 0
    if units < 1 or units > left:
        raise ExceptionRefused(
            _(
                "%(units)s units of lot %(lot)s at %(party)s: only %(left)s are outstanding there "
                "(an exception covers 1 to %(left)s units)."
            )
            % {"units": units, "lot": lot.number, "party": party.code, "left": left},
            where="units",
        )
    content = {
        "decision": "units not recoverable",
        "holder": party.code,
        "lot": lot.number,
        "units": units,
        "reason": reason.strip(),
    }
    signature = _signed(
        recall=recall,
        actor=actor,
        content=content,
        meaning="responsible",
        step="unit_exception",
        password=password,
        username=username,
        session=session,
        reason=reason.strip(),
    )
    with transaction.atomic():
        require_action(recall, Action.SIGN_CLOSURE_EXCEPTION)
        exception = UnitException.objects.create(
            recall=recall,
            party=party,
            lot=lot,
            units=units,
            reason=reason.strip(),
            signature=signature,
            signed_by=actor,
            signed_at=signature.signed_at,
        )
        audit.record(
            actor=actor,
            action="effectiveness.unit_exception_signed",
            target=recall,
            reason=reason.strip(),
            changes={"unit_exception": [None, content], "signature": [None, signature.pk]},
        )
        from .completion import completion_refresh

        completion_refresh(recall=recall)
    return exception


def closing_sign(
    *,
    recall: RecallCase,
    actor: User,
    password: str,
    username: str | None = None,
    session: Any = None,
) -> ClosingSignature:
    """Sign the closure of the recall (meaning approved), bound to its completion and
    effectiveness results at this moment. Refused while anything other than the closing
    signature itself keeps the recall from closing."""
    from medrecall.recalls.closure import closure_report

    require_action(recall, Action.SIGN_CLOSURE_EXCEPTION)
    report = closure_report(recall)
    if report.exception is None:
        left = [m for m in report.blocking if m != closing_finding_text()]
        if left:
            raise ClosingSignRefused(
                _("The recall cannot be closed yet: %(reasons)s") % {"reasons": " ".join(left)},
                where="status",
                details=left,
            )
    content = {
        "decision": "close the recall",
        "completion": selectors.completion_of(recall).as_dict(),
        "effectiveness": [r.as_dict() for r in selectors.results(recall)],
    }
    signature = _signed(
        recall=recall,
        actor=actor,
        content=content,
        meaning="approved",
        step="closure",
        password=password,
        username=username,
        session=session,
    )
    with transaction.atomic():
        require_action(recall, Action.SIGN_CLOSURE_EXCEPTION)
        signed = ClosingSignature.objects.create(
            recall=recall, signature=signature, signed_by=actor, signed_at=signature.signed_at
        )
        audit.record(
            actor=actor,
            action="effectiveness.closing_signed",
            target=recall,
            changes={"closing_signature": [None, signature.pk]},
        )
    return signed


def closing_finding_text() -> str:
    return _("Sign the closure of the recall (e-signature, meaning approved).")


__all__ = [
    "Regime",
    "check_record",
    "check_resolve",
    "closing_sign",
    "plan_set",
    "sample_draw",
    "unit_exception_sign",
]
