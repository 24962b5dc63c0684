"""Quality pages: the dashboard, complaints (list, export, entry, a complaint with triage,
reports, investigation, recall link), CAPAs (list, opening, a CAPA with root causes, actions,
verification), and the portal page where a holder reports a problem. Each view parses, calls one
service or selector, renders; a refusal is shown as a message and changes nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from medrecall.accounts.models import User
from medrecall.accounts.selectors import user_named, viewer_of
from medrecall.audit.selectors import history_for
from medrecall.catalog.models import Lot
from medrecall.core.errors import DomainError, NotFound, ValidationFailed
from medrecall.core.exports import csv_row
from medrecall.core.presentation import local_time, party_name
from medrecall.notices.models import Notice
from medrecall.parties.models import Party
from medrecall.parties.selectors import party_coded
from medrecall.quality import clock, reporting, selectors, services
from medrecall.quality.errors import CapaPastDueUnconfirmed, ComplaintAlreadyReceived
from medrecall.quality.history import changes_shown
from medrecall.quality.lifecycle import (
    CapaAction,
    ComplaintAction,
    ComplaintStatus,
    capa_blockers,
    complaint_blockers,
)
from medrecall.quality.models import (
    ActionKind,
    ActionStatus,
    Capa,
    Channel,
    Complaint,
    Fishbone,
    ReportCategory,
    RootCauseCategory,
)
from medrecall.recalls.models import Regime
from medrecall.recalls.selectors import recall_numbered

from .notice_views import staff
from .paging import paged
from .reply_views import _holder_language, _linked, rate_limited

VIEW_COMPLAINT = "quality.view_complaint"
ADD_COMPLAINT = "quality.add_complaint"
CHANGE_COMPLAINT = "quality.change_complaint"
TRIAGE = "quality.triage_complaint"
VIEW_CAPA = "quality.view_capa"
CHANGE_CAPA = "quality.change_capa"
ADD_CAPA = "quality.add_capa"
STAFF_CHANNELS = (Channel.EMAIL, Channel.PHONE, Channel.STAFF)


def _refusal(refused: DomainError) -> str:
    """A refusal's message with every reason not already in it."""
    details = refused.details if isinstance(refused.details, list) else []
    return " ".join([refused.message, *[d for d in details if d not in refused.message]])


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> Any:
    """Run one service; a refusal is shown with every reason and nothing changes."""
    try:
        done = action()
    except (ComplaintAlreadyReceived, CapaPastDueUnconfirmed):
        raise  # the page that sent it shows the complaint received the first time, or asks
    except DomainError as refused:
        messages.error(request, _refusal(refused))
        return None
    messages.success(request, success)
    return done if done is not None else True


def _warn_past_due(request: HttpRequest, due: date) -> None:
    if warning := services.past_due_warning(due):
        messages.warning(request, warning)


def _complaint(request: HttpRequest, pk: int) -> Complaint:
    try:
        return selectors.complaint_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


def _capa(request: HttpRequest, pk: int) -> Capa:
    try:
        return selectors.capa_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


# -- parsing form fields (a bad value is a ValidationFailed naming the field) -----------------


def _date(value: str, field: str, *, required: bool = True) -> date | None:
    text = value.strip()
    if not text and not required:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValidationFailed(
            _("%(value)s is not a date (use YYYY-MM-DD).") % {"value": text or "—"}, where=field
        ) from error


def _moment(value: str, field: str) -> datetime:
    """A date or a date and time from a form, in the active time zone."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValidationFailed(
            _("%(value)s is not a date and time (use YYYY-MM-DD HH:MM).") % {"value": text or "—"},
            where=field,
        ) from error
    return timezone.make_aware(moment) if moment.tzinfo is None else moment


def _user(name: str, field: str) -> User:
    try:
        return user_named(username=name.strip())
    except NotFound as missing:
        raise ValidationFailed(missing.message, where=field) from missing


def _codes(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", " ").split() if part.strip()]


def _unit(post: Any) -> services.UnitGiven:
    return services.UnitGiven(
        barcode=post.get("barcode", ""),
        gtin=post.get("gtin", ""),
        lot=post.get("lot", ""),
        serial=post.get("serial", ""),
    )


def _receive(
    request: HttpRequest, *, holder: Party | None, channel: str, actor: User | str | None = None
) -> Complaint:
    post = request.POST
    return services.complaint_receive(
        actor=actor or viewer_of(request),
        channel=channel,
        description=post.get("description", ""),
        aware_at=_moment(post.get("aware_at", ""), "aware_at"),
        holder=holder,
        unit=_unit(post),
        reference=post.get("reference", ""),
        reporter_name=post.get("reporter_name", ""),
        reporter_contact=post.get("reporter_contact", ""),
        event_date=_date(post.get("event_date", ""), "event_date", required=False),
        patient_involved=bool(post.get("patient_involved")),
        injury=bool(post.get("injury")),
        death=bool(post.get("death")),
        malfunction=bool(post.get("malfunction")),
    )


# -- dashboard -------------------------------------------------------------------------------


@login_required
@staff(VIEW_COMPLAINT)
def dashboard(request: HttpRequest) -> HttpResponse:
    board = selectors.dashboard_for(viewer=viewer_of(request))
    chart = {
        "labels": [label for _c, label, _n in board.root_causes],
        "counts": [n for _c, _label, n in board.root_causes],
    }
    return render(
        request,
        "web/quality/dashboard.html",
        {
            "board": board,
            "chart": chart,
            "statuses": [(s.label, board.complaints_by_status[s.value]) for s in ComplaintStatus],
        },
    )


# -- complaints ------------------------------------------------------------------------------


def _filtered(request: HttpRequest) -> Any:
    status = request.GET.get("status", "")
    if status not in ("", *ComplaintStatus.values):
        status = ""
    return selectors.complaint_list_for(
        viewer=viewer_of(request), status=status, unresolved=request.GET.get("unresolved") == "1"
    )


@login_required
@staff(VIEW_COMPLAINT)
def complaint_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/quality/complaint_list.html",
        {
            "complaints": paged(request, _filtered(request)),
            "statuses": ComplaintStatus.choices,
            "status": request.GET.get("status", ""),
            "unresolved": request.GET.get("unresolved") == "1",
        },
    )


EXPORT_COLUMNS = (
    gettext_lazy("Complaint"),
    gettext_lazy("Status"),
    gettext_lazy("Holder code"),
    gettext_lazy("Holder name"),
    gettext_lazy("Holder's reference"),
    gettext_lazy("Awareness date"),
    gettext_lazy("Event date"),
    gettext_lazy("Device model"),
    gettext_lazy("UDI-DI / GTIN"),
    gettext_lazy("Lot"),
    gettext_lazy("Serial number"),
    gettext_lazy("Device identification"),
    gettext_lazy("Death"),
    gettext_lazy("Serious injury"),
    gettext_lazy("Malfunction"),
    gettext_lazy("Patient involved"),
    gettext_lazy("Description"),
    gettext_lazy("Recall"),
)


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _export_row(complaint: Complaint) -> list[Any]:
    """One complaint as the export writes it: moments in the company's time zone as every page
    writes them, flags as Yes/No in the reader's language, the holder by code and by name."""
    c = complaint
    return csv_row(
        [
            c.number,
            c.get_status_display(),
            c.holder.code if c.holder else "",
            party_name(c.holder) if c.holder else "",
            c.reference,
            local_time(c.aware_at, zone=settings.TIME_ZONE),
            c.event_date.isoformat() if c.event_date else "",
            c.device_model.model_code if c.device_model else "",
            c.gtin_text,
            c.lot_text,
            c.serial_text,
            c.get_resolution_display(),
            _yes_no(c.death),
            _yes_no(c.injury),
            _yes_no(c.malfunction),
            _yes_no(c.patient_involved),
            c.description,
            c.recall.number if c.recall else "",
        ]
    )


@login_required
def complaint_export(request: HttpRequest) -> HttpResponse:
    """The complaints the viewer may see as CSV (a portal user: its own party's); user text that
    a spreadsheet would run as a formula is written as text."""
    viewer = viewer_of(request)
    if not viewer.has_perm(VIEW_COMPLAINT):
        raise Http404
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads the file as UTF-8 (the Chinese text) only with a BOM
    writer = csv.writer(out)
    writer.writerow([str(column) for column in EXPORT_COLUMNS])
    for complaint in _filtered(request).iterator(chunk_size=2000):
        writer.writerow(_export_row(complaint))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="complaints.csv"'
    return response


@login_required
@staff(ADD_COMPLAINT)
def complaint_new(request: HttpRequest) -> HttpResponse:
    form: dict[str, Any] = {}
    if request.method == "POST":
        form = request.POST.dict()
        channel = form.get("channel", "")
        if channel not in STAFF_CHANNELS:
            channel = Channel.STAFF

        def receive() -> Complaint:
            holder_code = form.get("holder", "").strip()
            holder = party_coded(code=holder_code, where="holder") if holder_code else None
            return _receive(request, holder=holder, channel=channel)

        done = _run(request, receive, _("Complaint recorded."))
        if isinstance(done, Complaint):
            return redirect("web:quality-complaint", pk=done.pk)
    return render(
        request,
        "web/quality/complaint_new.html",
        {"form": form, "channels": [(c.value, c.label) for c in STAFF_CHANNELS]},
    )


@login_required
@staff(VIEW_COMPLAINT)
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _complaint(request, pk)
    context = _detail_context(complaint)
    return render(
        request, "web/quality/complaint_detail.html", {**context, **_history(request, complaint)}
    )


def _history(request: HttpRequest, record: Complaint | Capa) -> dict[str, Any]:
    """The record's audit entries, a page at a time, each actor by full name and each change
    in words (``quality.history``: labels, yes/no, choice labels, names)."""
    page = paged(request, history_for(target=record), param="history")
    shown = changes_shown(page, type(record))
    for entry in page:
        entry.shown_changes = shown[entry.pk]
    return {"history": page}


def _detail_context(complaint: Complaint, posted: Any = None) -> dict[str, Any]:
    """The complaint page's context; ``posted``: a refused triage form's values, shown again."""
    decisions = list(complaint.decisions.select_related("decided_by", "submitted_by"))
    posted = posted or {}
    covering = selectors.recalls_covering(complaint) if complaint.recall_id is None else []
    return {
        "complaint": complaint,
        "decisions": decisions,
        "clocks": reporting.clock_rows(
            [d for d in decisions if d.reportable and not d.submitted_at]
            + [d for d in decisions if d.reportable and d.submitted_at]
        ),
        "regimes": [
            (
                regime,
                label,
                [(c, ReportCategory(c).label) for c in clock.CATEGORIES_BY_REGIME[regime]],
                {
                    field: posted.get(f"{regime}-{field}", "")
                    for field in ("decision", "category", "rationale")
                },
            )
            for regime, label in Regime.choices
        ],
        "capas": list(complaint.capas.order_by("number")),
        "blocked": {
            str(a): complaint_blockers(complaint.status, a, complaint.number)
            for a in ComplaintAction
        },
        "close_blockers": services.close_blockers(complaint),
        "triage_open": bool(posted),
        "harm_posted": (
            {
                "death": posted.get("harm-death") == "on",
                "injury": posted.get("harm-injury") == "on",
                "confirmation": posted.get("harm_confirmation", ""),
            }
            if posted
            else {"death": complaint.death, "injury": complaint.injury, "confirmation": ""}
        ),
        "covering": covering,
        "overlap_warning": services.overlap_warning(covering) if covering else "",
    }


def _complaint_post(
    request: HttpRequest, pk: int, call: Callable[[Complaint], Any], success: str
) -> HttpResponse:
    """The complaint of the URL (404 when the viewer may not see it), one service, back to it.
    The permission is checked by the view's ``staff`` decorator."""
    complaint = _complaint(request, pk)
    _run(request, lambda: call(complaint), success)
    return redirect("web:quality-complaint", pk=complaint.pk)


@login_required
@require_POST
@staff(CHANGE_COMPLAINT)
def complaint_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _complaint_post(
        request,
        pk,
        lambda c: services.complaint_resolve_unit(
            complaint=c, actor=viewer_of(request), unit=_unit(request.POST)
        ),
        _("Device identification updated."),
    )


def _triage_input(post: Any) -> list[services.Triage]:
    decisions = []
    for regime in Regime.values:
        choice = post.get(f"{regime}-decision", "")
        if choice not in ("yes", "no"):
            continue
        decisions.append(
            services.Triage(
                regime=regime,
                reportable=choice == "yes",
                category=post.get(f"{regime}-category", "") if choice == "yes" else "",
                rationale=post.get(f"{regime}-rationale", ""),
            )
        )
    return decisions


def _harm_input(post: Any) -> services.Harm | None:
    """The death/injury flags of the triage form (sent with it; absent from older forms)."""
    if post.get("harm-given") != "1":
        return None
    return services.Harm(
        death=post.get("harm-death") == "on", injury=post.get("harm-injury") == "on"
    )


@login_required
@require_POST
@staff(TRIAGE)
def complaint_triage(request: HttpRequest, pk: int) -> HttpResponse:
    """A refused triage shows the page again with what the user chose and typed (400)."""
    complaint = _complaint(request, pk)
    done = _run(
        request,
        lambda: services.complaint_triage(
            complaint=complaint,
            actor=viewer_of(request),
            decisions=_triage_input(request.POST),
            harm=_harm_input(request.POST),
            harm_confirmation=request.POST.get("harm_confirmation", ""),
        ),
        _("Triage recorded."),
    )
    if done is None:
        context = {**_detail_context(complaint, request.POST), **_history(request, complaint)}
        return render(request, "web/quality/complaint_detail.html", context, status=400)
    return redirect("web:quality-complaint", pk=complaint.pk)


@login_required
@require_POST
@staff(TRIAGE)
def complaint_report(request: HttpRequest, pk: int) -> HttpResponse:
    return _complaint_post(
        request,
        pk,
        lambda c: services.complaint_mark_reported(
            complaint=c,
            actor=viewer_of(request),
            regime=request.POST.get("regime", ""),
            reference=request.POST.get("reference", ""),
            submitted_at=(
                _moment(request.POST["submitted_at"], "submitted_at")
                if request.POST.get("submitted_at", "").strip()
                else None
            ),
        ),
        _("Report recorded as filed."),
    )


@login_required
@require_POST
@staff(TRIAGE)
def complaint_investigate(request: HttpRequest, pk: int) -> HttpResponse:
    return _complaint_post(
        request,
        pk,
        lambda c: services.complaint_investigate(
            complaint=c, actor=viewer_of(request), findings=request.POST.get("findings", "")
        ),
        _("Findings recorded."),
    )


@login_required
@require_POST
@staff(TRIAGE)
def complaint_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _complaint_post(
        request,
        pk,
        lambda c: services.complaint_close(complaint=c, actor=viewer_of(request)),
        _("Complaint closed."),
    )


@login_required
@require_POST
@staff(TRIAGE)
def complaint_link_recall(request: HttpRequest, pk: int) -> HttpResponse:
    def link(complaint: Complaint) -> Complaint:
        try:
            recall = recall_numbered(number=request.POST.get("recall", "").strip())
        except NotFound as missing:
            raise ValidationFailed(missing.message, where="recall") from missing
        return services.complaint_link_recall(
            complaint=complaint, actor=viewer_of(request), recall=recall
        )

    return _complaint_post(request, pk, link, _("Recall linked."))


@login_required
@require_POST
@staff(TRIAGE)
def complaint_start_recall(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _complaint(request, pk)
    if not viewer_of(request).has_perm("recalls.add_recallcase"):
        raise PermissionDenied
    recall = _run(
        request,
        lambda: services.complaint_start_recall(
            complaint=complaint,
            actor=viewer_of(request),
            confirm_overlap=request.POST.get("confirm_overlap") == "1",
        ),
        _("Recall opened in draft from the complaint."),
    )
    if recall:
        return redirect("web:recall-detail", pk=recall.pk)
    return redirect("web:quality-complaint", pk=complaint.pk)


# -- portal ----------------------------------------------------------------------------------


@login_required
def portal_complaints(request: HttpRequest) -> HttpResponse:
    """A holder's own complaints and the form to report a problem (portal users only)."""
    viewer = viewer_of(request)
    if viewer.party_id is None or not viewer.has_perm(VIEW_COMPLAINT):
        raise Http404
    form: dict[str, Any] = {}
    if request.method == "POST":
        if not viewer.has_perm(ADD_COMPLAINT):
            raise Http404
        form = request.POST.dict()
        try:
            done = _run(
                request,
                lambda: _receive(request, holder=viewer.party, channel=Channel.PORTAL),
                _("Thank you: your report was recorded."),
            )
        except ComplaintAlreadyReceived as again:  # the form sent twice: the first one stands
            messages.info(request, again.message)
            return redirect("web:portal-complaints")
        if done:
            return redirect("web:portal-complaints")
    return render(
        request,
        "web/quality/portal_complaints.html",
        {"complaints": paged(request, selectors.complaint_list_for(viewer=viewer)), "form": form},
    )


# -- CAPAs -----------------------------------------------------------------------------------


@login_required
@staff(VIEW_CAPA)
def capa_list(request: HttpRequest) -> HttpResponse:
    """The CAPAs, an overdue one marked; ``?overdue=1``: only those."""
    overdue = request.GET.get("overdue") == "1"
    return render(
        request,
        "web/quality/capa_list.html",
        {
            "capas": paged(
                request, selectors.capa_list_for(viewer=viewer_of(request), overdue=overdue)
            ),
            "overdue": overdue,
        },
    )


class _Post(dict[str, Any]):
    """A form's values with the viewer who sent it."""

    viewer: User


def _post(request: HttpRequest) -> _Post:
    post = _Post(request.POST.dict())
    post.viewer = viewer_of(request)
    return post


def _links(post: _Post) -> dict[str, Any]:
    """Recalls, complaints and lots named by number on a form; one that is not there (or a lot
    number several device models share) refuses, naming it."""
    viewer = post.viewer
    recalls = []
    for number in _codes(post.get("recalls", "")):
        try:
            recalls.append(recall_numbered(number=number))
        except NotFound as missing:
            raise ValidationFailed(missing.message, where="recalls") from missing
    complaints = []
    for number in _codes(post.get("complaints", "")):
        try:
            complaints.append(selectors.complaint_numbered_for(viewer=viewer, number=number))
        except NotFound as missing:
            raise ValidationFailed(missing.message, where="complaints") from missing
    lots = []
    for number in _codes(post.get("lots", "")):
        found = list(Lot.objects.filter(number=number)[:2])
        if len(found) != 1:
            raise ValidationFailed(
                _("There is no lot %(lot)s.") % {"lot": number}
                if not found
                else _("Lot %(lot)s exists for several device models.") % {"lot": number},
                where="lots",
            )
        lots.append(found[0])
    return {"recalls": recalls, "complaints": complaints, "lots": lots}


@login_required
@staff(ADD_CAPA)
def capa_new(request: HttpRequest) -> HttpResponse:
    form: dict[str, Any] = {}
    if request.method == "GET":
        form = {
            "complaints": request.GET.get("complaint", ""),
            "recalls": request.GET.get("recall", ""),
        }
    past_due = ""
    if request.method == "POST":
        post = _post(request)
        form = dict(post)

        def open_capa() -> Capa:
            due = _date(post.get("due_on", ""), "due_on")
            assert due is not None  # noqa: S101 - required above
            opened = services.capa_open(
                actor=post.viewer,
                title=post.get("title", ""),
                problem=post.get("problem", ""),
                owner=_user(post.get("owner", "") or post.viewer.username, "owner"),
                due_on=due,
                confirm_past_due=post.get("confirm_past_due") == "1",
                **_links(post),
            )
            _warn_past_due(request, due)
            return opened

        try:
            done = _run(request, open_capa, _("CAPA opened."))
        except CapaPastDueUnconfirmed as unconfirmed:
            # Asked on the form itself (like the recall overlap): the date and a confirmation.
            done, past_due = None, unconfirmed.message
        if isinstance(done, Capa):
            return redirect("web:quality-capa", pk=done.pk)
    return render(
        request,
        "web/quality/capa_new.html",
        {"form": form, "owners": selectors.capa_owner_choices(), "past_due": past_due},
        status=409 if past_due else 200,
    )


@login_required
@staff(VIEW_CAPA)
def capa_detail(request: HttpRequest, pk: int) -> HttpResponse:
    capa = _capa(request, pk)
    return render(
        request,
        "web/quality/capa_detail.html",
        {
            "capa": capa,
            **selectors.capa_detail(capa),
            "owners": selectors.capa_owner_choices(),
            "categories": RootCauseCategory.choices,
            "bones": Fishbone.choices,
            "kinds": ActionKind.choices,
            "action_statuses": ActionStatus.choices,
            "blocked": {str(a): capa_blockers(capa.status, a, capa.number) for a in CapaAction},
            "verify_blockers": services.verify_blockers(capa),
            **_history(request, capa),
        },
    )


def _capa_post(
    request: HttpRequest, pk: int, call: Callable[[Capa, _Post], Any], success: str
) -> HttpResponse:
    capa = _capa(request, pk)
    post = _post(request)
    _run(request, lambda: call(capa, post), success)
    return redirect("web:quality-capa", pk=capa.pk)


@login_required
@require_POST
@staff(CHANGE_CAPA)
def capa_root_cause(request: HttpRequest, pk: int) -> HttpResponse:
    return _capa_post(
        request,
        pk,
        lambda capa, post: services.root_cause_add(
            capa=capa,
            actor=post.viewer,
            category=post.get("category", ""),
            statement=post.get("statement", ""),
            whys=[post.get(f"why{i}", "") for i in range(1, 6)],
            fishbone={bone: post.get(f"bone-{bone}", "").splitlines() for bone in Fishbone.values},
        ),
        _("Root cause recorded."),
    )


@login_required
@require_POST
@staff(CHANGE_CAPA)
def capa_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    def add(capa: Capa, post: _Post) -> Any:
        due = _date(post.get("due_on", ""), "due_on")
        assert due is not None  # noqa: S101 - required above
        added = services.capa_action_add(
            capa=capa,
            actor=post.viewer,
            kind=post.get("kind", ""),
            description=post.get("description", ""),
            owner=_user(post.get("owner", "") or post.viewer.username, "owner"),
            due_on=due,
        )
        _warn_past_due(request, due)
        return added

    return _capa_post(request, pk, add, _("Action added."))


@login_required
@require_POST
@staff(CHANGE_CAPA)
def capa_action_update(request: HttpRequest, pk: int, action: int) -> HttpResponse:
    capa = _capa(request, pk)
    try:
        task = selectors.capa_action_get(capa=capa, pk=action)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    post = _post(request)
    _run(
        request,
        lambda: services.capa_action_update(
            task=task, actor=post.viewer, status=post.get("status", ""), note=post.get("note", "")
        ),
        _("Action updated."),
    )
    return redirect("web:quality-capa", pk=capa.pk)


@login_required
@require_POST
@staff(CHANGE_CAPA)
def capa_link(request: HttpRequest, pk: int) -> HttpResponse:
    return _capa_post(
        request,
        pk,
        lambda capa, post: services.capa_link(capa=capa, actor=post.viewer, **_links(post)),
        _("Links added."),
    )


def _effective(answer: str) -> bool:
    """The verify form preselects nothing: the verifier must say effective or not."""
    if answer not in ("yes", "no"):
        raise ValidationFailed(_("Say whether the actions were effective."), where="effective")
    return answer == "yes"


@login_required
@require_POST
@staff(CHANGE_CAPA)
def capa_verify(request: HttpRequest, pk: int) -> HttpResponse:
    return _capa_post(
        request,
        pk,
        lambda capa, post: services.capa_verify(
            capa=capa,
            actor=post.viewer,
            method=post.get("method", ""),
            result=post.get("result", ""),
            effective=_effective(post.get("effective", "")),
        ),
        _("Verification recorded."),
    )


@login_required
@require_POST
@staff(CHANGE_CAPA)
def capa_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _capa_post(
        request,
        pk,
        lambda capa, post: services.capa_reopen(
            capa=capa, actor=post.viewer, reason=post.get("reason", "")
        ),
        _("CAPA reopened."),
    )


@login_required
@require_POST
@staff(CHANGE_CAPA)
def capa_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _capa_post(
        request,
        pk,
        lambda capa, post: services.capa_close(capa=capa, actor=post.viewer),
        _("CAPA closed."),
    )


# -- the recall reply link ---------------------------------------------------------------------


@rate_limited
@csrf_protect
@_linked("reply")
def notice_problem(request: HttpRequest, notice: Notice, token: str) -> HttpResponse:
    """ "Report a problem" from the recall reply form: the signed link names the notice, so the
    holder (the notice's party) needs no account; the complaint comes in through the reply form
    channel, recorded under the holder's label. Rate-limited like the reply form."""
    root = notice.root
    signed_in = request.user
    if signed_in.is_authenticated and getattr(signed_in, "party_id", None) not in (
        None,
        root.party_id,
    ):  # a portal account of another party, with this holder's link: not its page
        raise Http404
    with translation.override(_holder_language(request, root)):
        form: dict[str, Any] = {}
        if request.method == "POST":
            form = request.POST.dict()
            try:
                complaint = _receive(
                    request,
                    holder=root.party,
                    channel=Channel.REPLY,
                    # the audit log's label for work no account did (a code, not a sentence)
                    actor=f"holder {root.party.code} (reply link)",
                )
            except ComplaintAlreadyReceived as again:  # the form sent twice (Back, then Send)
                return render(
                    request,
                    "web/quality/notice_problem_thanks.html",
                    {"notice": root, "complaint": again.complaint, "already": again.message},
                )
            except DomainError as refused:
                messages.error(request, _refusal(refused))
            else:
                return render(
                    request,
                    "web/quality/notice_problem_thanks.html",
                    {"notice": root, "complaint": complaint},
                )
        return render(
            request,
            "web/quality/notice_problem.html",
            {"notice": root, "form": form, "models": root.recall.products.order_by("model_code")},
        )
