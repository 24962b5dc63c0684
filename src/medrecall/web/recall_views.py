"""Recall pages: list, open, the case page (status pipeline, hazard evaluation, classes,
scope, impact, history) and the impact export."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from medrecall.accounts.models import User
from medrecall.accounts.selectors import signatures_for, viewer_of
from medrecall.accounts.signatures import (
    signature_manifest,
    signature_status,
    signing_needs_user_id,
)
from medrecall.audit.selectors import history_for
from medrecall.core.errors import DomainError, NotFound
from medrecall.core.exports import append_row, sheet_title
from medrecall.core.presentation import party_name
from medrecall.quality import selectors as quality_selectors
from medrecall.recalls import approvals, closure, deadlines, selectors, services
from medrecall.recalls.fda import class_difference
from medrecall.recalls.forms import (
    ClassifyForm,
    HazardForm,
    RecallEditForm,
    RecallOpenForm,
    ScopeRuleForm,
)
from medrecall.recalls.lifecycle import TRANSITIONS, Action, Status, action_blockers, blockers
from medrecall.recalls.models import REGIME_CLASSES, RecallCase
from medrecall.reporting.deadlines import kept_done_from_records
from medrecall.web.labels import approval_step_label, label_for

from .paging import paged

VIEW = "recalls.view_recallcase"
CHANGE = "recalls.change_recallcase"


def _recall(request: HttpRequest, pk: int) -> RecallCase:
    try:
        return selectors.recall_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


def _recall_page(request: HttpRequest, pk: int) -> RecallCase:
    """The recall for one of the case's own pages: 404 to a portal user (the case's pages are
    staff pages; a holder's own records answer 404 elsewhere too, never 403) and for a recall
    the viewer may not see, before the permission is asked (403: seen, but not theirs)."""
    if viewer_of(request).party_id is not None:
        raise Http404(_("Recall not found."))
    recall = _recall(request, pk)
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    return recall


@login_required
@permission_required(VIEW, raise_exception=True)
def recall_list(request: HttpRequest) -> HttpResponse:
    recalls = selectors.recall_list_for(
        viewer=viewer_of(request),
        status=request.GET.get("status", ""),
        search=request.GET.get("q", "").strip(),
    )
    return render(
        request,
        "web/recall_list.html",
        {
            "recalls": paged(request, recalls),
            "statuses": Status.choices,
            "status": request.GET.get("status", ""),
        },
    )


@login_required
@permission_required("recalls.add_recallcase", raise_exception=True)
def recall_open(request: HttpRequest) -> HttpResponse:
    form = RecallOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            recall = services.recall_open(
                actor=viewer_of(request),
                title=fields.pop("title"),
                products=list(fields.pop("products")),
                reason=fields.pop("reason"),
                regimes=fields.pop("regimes"),
                **fields,
            )
        except DomainError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Recall %(number)s opened.") % {"number": recall.number})
            return redirect("web:recall-detail", pk=recall.pk)
    return render(request, "web/recall_open.html", {"form": form})


def _pipeline(recall: RecallCase) -> list[dict[str, Any]]:
    order = [
        Status.DRAFT,
        Status.ASSESSMENT,
        Status.PENDING_APPROVAL,
        Status.IN_EXECUTION,
        Status.EFFECTIVENESS_CHECK,
        Status.CLOSED,
    ]
    current = order.index(Status(recall.status)) if recall.status in order else -1
    return [
        {"status": s, "label": s.label, "done": i < current, "current": s == recall.status}
        for i, s in enumerate(order)
    ]


@login_required
def recall_detail(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall_page(request, pk)
    snapshot = recall.current_snapshot
    impact = selectors.impact_of(snapshot) if snapshot else None
    previous = recall.snapshots.filter(sequence=snapshot.sequence - 1).first() if snapshot else None
    evaluation = getattr(recall, "hazard_evaluation", None)
    backwards = recall.status in services.APPROVED_STATUSES  # back to pending approval: re-approval
    next_steps = [
        {
            "target": t,
            "label": t.label,
            "problems": blockers(recall, t),
            "needs_reason": t in (Status.CANCELLED, Status.TERMINATED)
            or (backwards and t == Status.PENDING_APPROVAL),
        }
        for t in TRANSITIONS[Status(recall.status)]
    ]
    context_regimes = list(recall.regimes.all())
    context = {
        "recall": recall,
        "pipeline": _pipeline(recall),
        "next_steps": next_steps,
        "regimes": context_regimes,
        "regime_classes": REGIME_CLASSES,
        "evaluation": evaluation,
        "hazard_form": HazardForm(instance=evaluation, recall=recall),
        "classify_form": ClassifyForm(),
        "rule_form": ScopeRuleForm(),
        "rules": list(recall.scope_rules.select_related("device_model")),
        "snapshot": snapshot,
        "impact": impact,
        "impact_chart": _impact_chart(impact),
        "difference": services.snapshot_difference(previous, snapshot)
        if previous and snapshot
        else None,
        "edit_form": RecallEditForm(instance=recall),
        "history": paged(request, history_for(target=recall), param="history"),
        "can_change": request.user.has_perm(CHANGE),
        "blocked": {str(action): action_blockers(recall, action) for action in Action},
        # While executing too: what still keeps the recall from closing (effectiveness,
        # filings, units) is known before the effectiveness check starts.
        "closure": closure.closure_report(recall)
        if recall.status in (Status.IN_EXECUTION, Status.EFFECTIVENESS_CHECK, Status.CLOSED)
        else None,
        "china_warning": selectors.sold_in_china_warning(recall),
        # FDA's class differs from the case's: shown until the case is re-classified.
        "fda_class_warning": class_difference(
            next((r for r in context_regimes if r.regime == "fda"), None)
        ),
    }
    # The closure's information list less the warning the page already shows at its top.
    report = context["closure"]
    context["closure_information"] = [
        line
        for line in (report.information if isinstance(report, closure.ClosureReport) else [])
        if line != context["china_warning"]
    ]
    context.update(_approval_and_clock(recall))
    context["signing_needs_user_id"] = signing_needs_user_id(request.session, viewer_of(request))
    # The complaints linked to the recall (a portal user: its own), one query.
    context["complaints"] = list(
        quality_selectors.complaint_list_for(viewer=viewer_of(request)).filter(recall=recall)
    )
    return render(request, "web/recall_detail.html", context)


def _approval_and_clock(recall: RecallCase) -> dict[str, Any]:
    """The approvals (steps, signatures with their manifest and whether they still match)
    and the compliance clock of the case page."""
    content = approvals.approval_content(recall)
    in_force = closure.current_exception(recall)
    signatures = [
        {
            "manifest": signature_manifest(s),
            "signed_at": s.signed_at,
            "status": (
                (
                    "valid"
                    if in_force is not None and in_force.signature_id == s.pk
                    else "outstanding_changed"
                )
                if s.step == closure.EXCEPTION_STEP
                else signature_status(s, content)
            ),
        }
        for s in signatures_for(recall)
    ]
    rows, missing = deadlines.deadlines_for(recall)
    steps = approvals.required_steps(recall)
    unsigned = set(approvals.missing_approvals(recall))  # the steps' stored labels
    return {
        "approval_steps": steps,
        "missing_approvals": [
            approval_step_label(step) for step in steps if step.label in unsigned
        ],
        "signatures": signatures,
        "deadline_rows": rows,
        "clock_missing": missing,
    }


@login_required
@require_POST
def recall_sign(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        approvals.approval_sign(
            recall=recall,
            step=request.POST.get("step", ""),
            actor=actor,
            password=request.POST.get("password", ""),
            username=request.POST.get("username") or None,
            session=request.session,
            reason=request.POST.get("reason", ""),
        )
        return _("Signed.")

    return _act(request, pk, act)


@login_required
@require_POST
def recall_closure_exception(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        closure.closure_exception_sign(
            recall=recall,
            actor=actor,
            reason=request.POST.get("reason", ""),
            password=request.POST.get("password", ""),
            username=request.POST.get("username") or None,
            session=request.session,
        )
        return _("Closure exception signed: the recall may now be closed.")

    return _act(request, pk, act)


@login_required
@require_POST
def recall_deadline_done(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        from datetime import datetime

        try:
            due_at = datetime.fromisoformat(request.POST.get("due_at", ""))
        except ValueError as error:
            raise DomainError(_("The deadline's due time is missing.")) from error
        deadlines.deadline_mark_done(
            recall=recall,
            key=request.POST.get("key", ""),
            due_at=due_at,
            actor=actor,
            note=request.POST.get("note", ""),
        )
        return _("Deadline marked done.")

    return _act(request, pk, act)


@login_required
@permission_required(VIEW, raise_exception=True)
def due_this_week(request: HttpRequest) -> HttpResponse:
    report = deadlines.due_report(done_from_records=kept_done_from_records)
    return render(
        request,
        "web/due_this_week.html",
        {
            "rows": report.rows,
            "problems": report.problems,
            "calendar_warnings": deadlines.calendar_warnings(viewer_of(request)),
        },
    )


def _act(request: HttpRequest, pk: int, action: Any, perm: str = CHANGE) -> HttpResponse:
    """One action on a recall: ``perm`` is the permission the API asks for the same action."""
    recall = _recall(request, pk)  # 404 for a recall the user may not see at all
    if not request.user.has_perm(perm):
        raise PermissionDenied  # seen, but not theirs to change
    try:
        result = action(recall, viewer_of(request))
    except DomainError as refused:
        details = refused.details if isinstance(refused.details, list) else []
        messages.error(
            request, " ".join([refused.message, *[d for d in details if d not in refused.message]])
        )
    else:
        if isinstance(result, str):
            messages.success(request, result)
    return redirect("web:recall-detail", pk=pk)


@login_required
@require_POST
def recall_edit(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        form = RecallEditForm(request.POST, instance=RecallCase.objects.get(pk=recall.pk))
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            raise DomainError(f"{field}: {' '.join(str(e) for e in errors)}")
        changes = {f: form.cleaned_data[f] for f in RecallEditForm.Meta.fields}
        services.recall_update(
            recall=recall,
            actor=actor,
            version=form.cleaned_data["version"],
            change_reason=form.cleaned_data["reason_for_change"],
            **changes,
        )
        return _("Saved.")

    return _act(request, pk, act)


@login_required
@require_POST
def recall_hazard(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        form = HazardForm(request.POST)
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            raise DomainError(f"{field}: {' '.join(str(e) for e in errors)}")
        services.hazard_evaluate(recall=recall, actor=actor, **form.cleaned_data)
        return _("Hazard evaluation recorded; classes proposed.")

    return _act(request, pk, act)


@login_required
@require_POST
def recall_classify(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        form = ClassifyForm(request.POST)
        if not form.is_valid():
            raise DomainError(_("Choose a regime and a class."))
        services.recall_regime_add(recall=recall, regime=form.cleaned_data["regime"], actor=actor)
        services.recall_classify(recall=recall, actor=actor, **form.cleaned_data)
        return _("Class saved.")

    return _act(request, pk, act)


@login_required
@require_POST
def recall_scope_rule(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        form = ScopeRuleForm(request.POST)
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            raise DomainError(f"{field}: {' '.join(str(e) for e in errors)}")
        services.scope_rule_add(
            recall=recall,
            actor=actor,
            kind=form.cleaned_data["kind"],
            device_model=form.cleaned_data["device_model"],
            values=form.value_list(),
            range_from=form.cleaned_data["range_from"],
            range_to=form.cleaned_data["range_to"],
        )
        return _("Scope rule added.")

    return _act(request, pk, act, perm="recalls.add_scoperule")


@login_required
@require_POST
def recall_scope_rule_remove(request: HttpRequest, pk: int, rule: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        found = recall.scope_rules.filter(pk=rule).first()
        if found is None:
            raise DomainError(_("That rule is gone already."))
        services.scope_rule_remove(rule=found, actor=actor)
        return _("Scope rule removed.")

    return _act(request, pk, act, perm="recalls.change_scoperule")


@login_required
@require_POST
def recall_freeze(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        snapshot = services.scope_freeze(recall=recall, actor=actor)
        return _("Scope #%(n)s frozen: %(units)s units at %(holders)s holders.") % {
            "n": snapshot.sequence,
            "units": snapshot.total_units,
            "holders": snapshot.total_holders,
        }

    return _act(request, pk, act, perm="recalls.add_scopesnapshot")


def _impact_chart(impact: Any) -> dict[str, Any] | None:
    """What the page's charts draw (units by category and by region), with the words for the
    categories; the holders' table is rendered on the page, not shipped to the script."""
    if impact is None:
        return None
    return {
        "by_category": impact.by_category,
        "by_region": impact.by_region,
        "category_labels": {key: label_for("trace_category", key) for key in impact.by_category},
    }


@login_required
@require_POST
def recall_transition(request: HttpRequest, pk: int) -> HttpResponse:
    def act(recall: RecallCase, actor: User) -> str:
        moved = services.recall_transition(
            recall=recall,
            target=request.POST.get("target", ""),
            actor=actor,
            reason=request.POST.get("reason", ""),
        )
        return _("The recall is now: %(status)s.") % {"status": moved.get_status_display()}

    return _act(request, pk, act)


def _impact_cell(row: dict[str, Any], column: str) -> Any:
    """One cell of the impact workbook: the holder's name and type in the reader's language."""
    if column == "party__name":
        return party_name(row, prefix="party__")
    if column == "party__party_type":
        return label_for("party_type", row.get(column))
    return row.get(column)


@login_required
def recall_impact_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    recall = _recall_page(request, pk)
    snapshot = recall.current_snapshot
    if snapshot is None:
        raise Http404
    impact = selectors.impact_of(snapshot)
    workbook = Workbook()
    sheets: list[tuple[str, list[str], list[dict[str, Any]]]] = [
        (
            _("By holder"),
            [
                "party__code",
                "party__name",
                "party__party_type",
                "location__country",
                "location__province",
                "units",
                "lines",
            ],
            impact.by_holder,
        ),
        (
            _("By region"),
            ["location__country", "location__province", "location__city", "units", "holders"],
            impact.by_region,
        ),
        (_("By holder type"), ["party__party_type", "units", "holders"], impact.by_party_type),
        (_("By echelon"), ["echelon", "units", "holders"], impact.by_echelon),
    ]
    headers = {
        "party__code": _("Party"),
        "party__name": _("Party name"),
        "party__party_type": _("Party type"),
        "location__country": _("Country"),
        "location__province": _("Province/state"),
        "location__city": _("City"),
        "units": _("Units"),
        "lines": _("Lines"),
        "holders": _("Holders"),
        "echelon": _("Echelon"),
    }
    workbook.remove(workbook.active)
    for title, columns, rows in sheets:
        sheet = workbook.create_sheet(sheet_title(title))
        sheet.append([str(headers.get(c, c)) for c in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            append_row(
                sheet,
                [_impact_cell(row, c) for c in columns],
            )
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="impact-{recall.number}-scope{snapshot.sequence}.xlsx"'
    )
    return response
