"""The effectiveness page of a recall: levels per regime, the sample and its checks, results,
completion with the units still outstanding (paged), unit exceptions, closing signature and the
reasons that still keep the recall from closing. Staff only (``recall_get_for``)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from medrecall.accounts.models import User
from medrecall.accounts.selectors import viewer_of
from medrecall.accounts.signatures import signing_needs_user_id
from medrecall.core.errors import DomainError, NotFound, ValidationFailed
from medrecall.effectiveness import selectors, services
from medrecall.effectiveness.models import CheckRecord, ContactMethod, Level
from medrecall.parties.selectors import party_coded
from medrecall.recalls import closure
from medrecall.recalls import selectors as recall_selectors
from medrecall.recalls.lifecycle import Action, action_blockers, blockers
from medrecall.recalls.lifecycle import Status as RecallStatus
from medrecall.recalls.models import RecallCase

from .paging import Paged, paged

VIEW = "effectiveness.view_checkplan"
PLAN = "effectiveness.change_checkplan"
CHECK = "effectiveness.add_checkrecord"


def _recall(request: HttpRequest, pk: int) -> RecallCase:
    """The recall, for staff: a portal user gets 404 as on every other recall page."""
    if viewer_of(request).party_id is not None:
        raise Http404(_("Recall not found."))
    try:
        return recall_selectors.recall_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


def _int(value: str, where: str, *, blank: bool = True) -> int | None:
    if not value.strip() and blank:
        return None
    try:
        number = int(value)
    except ValueError as error:
        raise ValidationFailed(
            _("%(field)s: enter a whole number.") % {"field": where}, where=where
        ) from error
    if not -(2**63) < number < 2**63:
        raise ValidationFailed(_("%(field)s: the number is too large.") % {"field": where})
    return number


def _with_renotified(request: HttpRequest, recall: RecallCase, checks: Paged) -> Paged:
    """Each failed check with the notices it sent again (``renotified``: the reminders, or the
    first notice of a holder that never had one), read in one query for the page."""
    from medrecall.notices.selectors import notice_list_for

    ids = {pk for check in checks for pk in check.renotified_notices}
    notices = {
        n.pk: n
        for n in notice_list_for(viewer=viewer_of(request), recall_id=recall.pk).filter(pk__in=ids)
    }
    for check in checks:
        check.renotified = [notices[pk] for pk in check.renotified_notices if pk in notices]
    return checks


@login_required
def effectiveness_page(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)  # before the permission: another party's recall is 404
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    plans = {plan.regime: plan for plan in selectors.plans_of(recall)}
    regimes = []
    for regime in recall.regimes.all():
        plan = plans.get(regime.regime)
        sample = selectors.current_sample(plan) if plan else None
        regimes.append(
            {
                "regime": regime,
                "consignees": len(selectors.consignees(recall, regime.regime)),
                "plan": plan,
                "sample": sample,
                "results": selectors.results_of(plan) if plan else None,
                "members": paged(
                    request, selectors.sample_members(sample), param=f"sample_{regime.regime}"
                )
                if sample
                else None,
            }
        )
    report = closure.closure_report(recall)
    disagreements = selectors.check_disagreements(recall)
    context = {
        "disagreements": disagreements,
        "disagreeing": {d.party_id: d for d in disagreements},
        "recall": recall,
        "regimes": regimes,
        "levels": Level.choices,
        "contact_methods": ContactMethod.choices,
        "escalations": _with_renotified(
            request,
            recall,
            paged(request, selectors.open_escalations(recall), param="escalations"),
        ),
        "completion": selectors.completion_of(recall),
        "outstanding": paged(
            request, selectors.outstanding_at_holders(recall), param="outstanding"
        ),
        "exceptions": paged(
            request,
            recall.unit_exceptions.select_related("party", "lot", "signature").order_by("-pk"),
            param="exceptions",
        ),
        "closure": report,
        # While executing too: the closure findings the API and the command list.
        "close_blockers": blockers(recall, RecallStatus.CLOSED)
        if recall.status == RecallStatus.EFFECTIVENESS_CHECK
        else closure.blocker_lines(report)
        if recall.status in (RecallStatus.IN_EXECUTION,)
        else [],
        # The lines of ``close_blockers`` that only inform (shown in a neutral style).
        "close_information": set(closure.information_lines(report)),
        "closing": selectors.closing_signature_in_force(recall),
        "can_plan": request.user.has_perm(PLAN),
        "can_check": request.user.has_perm(CHECK),
        "checks_blocked": action_blockers(recall, Action.LOG_CONTACT),
        "signing_blocked": action_blockers(recall, Action.SIGN_CLOSURE_EXCEPTION),
        "signing_needs_user_id": signing_needs_user_id(request.session, viewer_of(request)),
    }
    return render(request, "web/effectiveness/recall.html", context)


def _act(
    request: HttpRequest, pk: int, perm: str, action: Callable[[RecallCase, User], str]
) -> HttpResponse:
    recall = _recall(request, pk)
    if not request.user.has_perm(perm):
        raise PermissionDenied
    try:
        done = action(recall, viewer_of(request))
    except DomainError as refused:
        details = refused.details if isinstance(refused.details, list) else []
        messages.error(
            request, " ".join([refused.message, *[d for d in details if d not in refused.message]])
        )
    else:
        messages.success(request, done)
    return redirect("web:recall-effectiveness", pk=pk)


@login_required
@require_POST
def effectiveness_level(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        services.plan_set(
            recall=recall,
            regime=request.POST.get("regime", ""),
            level=request.POST.get("level", ""),
            share=_int(request.POST.get("share", ""), _("share")),
            actor=actor,
        )
        return _("Effectiveness-check level saved.")

    return _act(request, pk, PLAN, act)


@login_required
@require_POST
def effectiveness_sample(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        sample = services.sample_draw(
            recall=recall,
            regime=request.POST.get("regime", ""),
            seed=_int(request.POST.get("seed", ""), _("seed")),
            size=_int(request.POST.get("size", ""), _("sample size")),
            actor=actor,
        )
        return _("Sample drawn: %(size)s of %(consignees)s consignees (seed %(seed)s).") % {
            "size": sample.size,
            "consignees": sample.population,
            "seed": sample.seed,
        }

    return _act(request, pk, PLAN, act)


@login_required
@require_POST
def effectiveness_check(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        check = services.check_record(
            recall=recall,
            party=party_coded(code=request.POST.get("party", "")),
            regime=request.POST.get("regime", ""),
            contacted_how=request.POST.get("contacted_how", ""),
            notice_received=request.POST.get("notice_received") == "yes",
            instructions_followed=request.POST.get("instructions_followed") == "yes",
            units_found=_int(request.POST.get("units_found", "0") or "0", _("units found")) or 0,
            note=request.POST.get("note", ""),
            actor=actor,
        )
        if check.passed:
            return _("Check recorded: passed.")
        return _("Check recorded: failed. The holder is notified again and the check escalated.")

    return _act(request, pk, CHECK, act)


@login_required
@require_POST
def effectiveness_resolve(request: HttpRequest, pk: int, check_pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        check = CheckRecord.objects.filter(
            pk=check_pk, consignee__sample__plan__recall=recall
        ).first()
        if check is None:
            raise NotFound(_("No such check."))
        services.check_resolve(check=check, actor=actor, reason=request.POST.get("reason", ""))
        return _("Escalation resolved.")

    return _act(request, pk, CHECK, act)


@login_required
@require_POST
def effectiveness_exception(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        from medrecall.catalog.models import Lot

        lot = Lot.objects.filter(number=request.POST.get("lot", "").strip()).first()
        if lot is None:
            raise NotFound(
                _("There is no lot %(lot)s.") % {"lot": request.POST.get("lot", "")}, where="lot"
            )
        services.unit_exception_sign(
            recall=recall,
            party=party_coded(code=request.POST.get("party", "")),
            lot=lot,
            units=_int(request.POST.get("units", ""), _("units"), blank=False) or 0,
            reason=request.POST.get("reason", ""),
            actor=actor,
            password=request.POST.get("password", ""),
            username=request.POST.get("username") or None,
            session=request.session,
        )
        return _("Unit exception signed.")

    return _act(request, pk, PLAN, act)


@login_required
@require_POST
def effectiveness_sign_closure(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        services.closing_sign(
            recall=recall,
            actor=actor,
            password=request.POST.get("password", ""),
            username=request.POST.get("username") or None,
            session=request.session,
        )
        return _("Closure signed: the recall can be closed.")

    return _act(request, pk, PLAN, act)
