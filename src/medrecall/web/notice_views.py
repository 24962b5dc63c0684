"""Staff pages of notices: templates (edit as a new version, approve, preview), a recall's
notices (send run with live progress, the list, scope additions, replies), one notice (its
log, calls and letters, the reply), the overdue queue and the customer timeline with offers
and progress updates. Portal users have their own pages (``reply_views``), never these."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any, TypeVar, cast

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from medrecall.accounts.selectors import viewer_of
from medrecall.core.errors import DomainError, NotFound
from medrecall.core.files import file_response
from medrecall.execution.holders import return_from_reply
from medrecall.execution.models import ReturnAuthorisation
from medrecall.notices import (
    delivery,
    documents,
    errors,
    notify_by,
    postal,
    relations,
    selectors,
    send_runs,
    template_control,
)
from medrecall.notices.defaults import PLACEHOLDERS
from medrecall.notices.models import (
    Kind,
    Notice,
    NoticeRun,
    NoticeStatus,
    NoticeTemplate,
    Offer,
    Reply,
    TemplateStatus,
)
from medrecall.notices.replies import QUANTITIES
from medrecall.parties.models import Channel, Party
from medrecall.parties.selectors import party_get_for
from medrecall.recalls.lifecycle import Action, action_blockers
from medrecall.recalls.models import RecallCase
from medrecall.recalls.selectors import recall_get_for
from medrecall.web.reply_views import _reply_page

from .paging import paged

V = TypeVar("V", bound=Callable[..., HttpResponseBase])

VIEW_NOTICE = "notices.view_notice"
VIEW_TEMPLATE = "notices.view_noticetemplate"
PAGE_SIZE = 100
RUNS_SHOWN = 10
CONTACT_CHANNELS = ("call", "letter", "note")
# The open-tracking image of an e-mail: staff looking at a notice must not count as the holder opening it.
OPEN_PIXEL = re.compile(r"<img[^>]*/n/o/[^>]*>")


def staff(permission: str) -> Callable[[V], V]:
    """A staff page: signed in, not a portal user (they get "not found"), with ``permission``."""

    def decorate(view: V) -> V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            viewer = viewer_of(request)
            if viewer.party_id is not None:
                raise Http404
            if not viewer.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return cast(V, login_required(wrapper))

    return decorate


def _refused(request: HttpRequest, refused: DomainError) -> None:
    details = refused.details if isinstance(refused.details, list) else []
    extra = [str(d.get("message", "")) if isinstance(d, dict) else str(d) for d in details]
    messages.error(
        request, " ".join([refused.message, *[d for d in extra if d and d not in refused.message]])
    )


def _attempt(request: HttpRequest, act: Callable[[], str]) -> None:
    """Run one action and show what it did, or why it was refused, as a message."""
    try:
        done = act()
    except DomainError as refused:
        _refused(request, refused)
    else:
        messages.success(request, done)


def _recall(request: HttpRequest, pk: int) -> RecallCase:
    try:
        return recall_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


def _notice(request: HttpRequest, pk: int) -> Notice:
    try:
        return selectors.notice_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


def _template(pk: int) -> NoticeTemplate:
    try:
        return selectors.template_get(pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


def _party(request: HttpRequest, pk: int) -> Party:
    try:
        return party_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


def _offer(request: HttpRequest, pk: int) -> Offer:
    try:
        return selectors.offer_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


# --- templates -------------------------------------------------------------------------


@staff(VIEW_TEMPLATE)
def template_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    return render(
        request,
        "web/notice_template_list.html",
        {
            "templates": selectors.template_list(status=status),
            "statuses": TemplateStatus.choices,
            "status": status,
        },
    )


def _versions(template: NoticeTemplate) -> list[NoticeTemplate]:
    return list(
        selectors.template_list()
        .filter(regime=template.regime, language=template.language, kind=template.kind)
        .order_by("-version")
    )


@staff(VIEW_TEMPLATE)
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = _template(pk)
    return render(
        request,
        "web/notice_template_detail.html",
        {
            "template": template,
            "placeholders": sorted(PLACEHOLDERS.items()),
            "versions": _versions(template),
            "can_approve": template.status == TemplateStatus.DRAFT
            and request.user.has_perm("notices.approve_noticetemplate"),
            "can_edit": request.user.has_perm("notices.add_noticetemplate"),
        },
    )


def _posted_sections(request: HttpRequest) -> list[dict[str, str]]:
    """The section rows of the edit form; a row left wholly empty is no section."""
    rows = zip(
        request.POST.getlist("section-key"),
        request.POST.getlist("section-heading"),
        request.POST.getlist("section-body"),
        strict=False,
    )
    return [
        {"key": key.strip(), "heading": heading, "body": body}
        for key, heading, body in rows
        if key.strip() or heading.strip() or body.strip()
    ]


@staff("notices.add_noticetemplate")
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a template: saving makes a new draft version; the approved one stays in use."""
    base = _template(pk)
    problems: list[str] = []
    if request.method == "POST":
        fields: dict[str, Any] = {
            "title": request.POST.get("title", ""),
            "subject": request.POST.get("subject", ""),
            "sections": _posted_sections(request),
            "change_note": request.POST.get("change_note", ""),
        }
        try:
            saved = template_control.template_save(
                actor=viewer_of(request),
                regime=base.regime,
                language=base.language,
                kind=base.kind,
                title=fields["title"],
                subject=fields["subject"],
                sections=fields["sections"],
                change_note=fields["change_note"],
            )
        except errors.TemplateInvalid as invalid:
            problems = (
                [str(p) for p in invalid.details]
                if isinstance(invalid.details, list)
                else [invalid.message]
            )
        except DomainError as refused:
            problems = [refused.message]
        else:
            messages.success(
                request,
                _("Saved as draft version %(version)s; it is used once approved.")
                % {"version": saved.version},
            )
            return redirect("web:notice-template-detail", pk=saved.pk)
    else:
        fields = {
            "title": base.title,
            "subject": base.subject,
            "sections": list(base.sections),
            "change_note": "",
        }
    rows = [*fields["sections"], {"key": "", "heading": "", "body": ""}]
    return render(
        request,
        "web/notice_template_edit.html",
        {
            "template": base,
            "fields": fields,
            "rows": rows,
            "problems": problems,
            "placeholders": sorted(PLACEHOLDERS.items()),
        },
        status=400 if problems else 200,
    )


@require_POST
@staff("notices.approve_noticetemplate")
def template_approve(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        approved = template_control.template_approve(
            template=_template(pk), actor=viewer_of(request)
        )
    except DomainError as refused:
        _refused(request, refused)
    else:
        messages.success(
            request,
            _("Version %(version)s approved: new notices use it from now on.")
            % {"version": approved.version},
        )
    return redirect("web:notice-template-detail", pk=pk)


def _sample_values(template: NoticeTemplate) -> dict[str, Any]:
    """A value for every placeholder, so an editor sees the whole notice."""
    base = settings.MEDRECALL_BASE_URL.rstrip("/")
    company = settings.MEDRECALL_COMPANY
    with translation.override(template.language):
        values: dict[str, Any] = {
            "recall_number": "RC-2025-0001",
            "recall_title": _("Sample device recall"),
            "reason": _("The sample reason for the recall."),
            "defect": _("The sample defect."),
            "hazard": _("The sample hazard."),
            "action": _("Removal"),
            "recall_class": "II",
            "action_heading": pgettext("FDA letter heading", "RECALL"),
            "holder_name": _("Sample Hospital"),
            "holder_address": _("1 Sample Road, Sample City"),
            "contact_name": _("Sample Contact"),
            "units_total": 30,
            "reply_url": f"{base}/n/r/SAMPLE/",
            "reply_by": "2025-12-31",
            "notice_date": "2025-12-01",
            "sequence": 1,
            "company_name": company.get("name", ""),
            "company_address": company.get("address", ""),
            "company_phone": company.get("phone", ""),
            "company_email": company.get("email", ""),
            "progress_message": _("The sample progress message."),
            "survey_url": f"{base}/n/s/SAMPLE/",
            "open_url": "",
        }
    return {key: f"[{key}]" for key in PLACEHOLDERS} | values


SAMPLE_LINES: list[dict[str, Any]] = [
    {
        "lot_id": 0,
        "serial_id": None,
        "location_id": 0,
        "lot": "L-SAMPLE-1",
        "model": "Sample device",
        "model_code": "SD-100",
        "registration_no": "国械注准20253000001",
        "manufactured_on": "2025-01-15",
        "expires_on": "2028-01-14",
        "udi_di": "06901234567892",
        "serial": "",
        "location": "Sample warehouse",
        "quantity": 20,
        "received": 20,
    },
    {
        "lot_id": 0,
        "serial_id": 0,
        "location_id": 0,
        "lot": "L-SAMPLE-2",
        "model": "Sample device",
        "model_code": "SD-100",
        "registration_no": "国械注准20253000001",
        "manufactured_on": "2025-01-15",
        "expires_on": "2028-01-14",
        "udi_di": "06901234567892",
        "serial": "SN-0001",
        "location": "Sample ward",
        "quantity": 10,
        "received": 10,
    },
]


def _email_preview(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The notice e-mail carries inline style attributes (as e-mail clients need) and is shown
    in a sandboxed ``srcdoc`` frame, which inherits the page's Content-Security-Policy: pages
    that show it allow style attributes, never inline script or ``<style>`` (docs/security.md)."""
    return cast(Callable[..., HttpResponse], csp_update({"style-src-attr": [UNSAFE_INLINE]})(view))


def _preview(template: NoticeTemplate, *, with_pdf: bool) -> documents.Rendered:
    return documents.render_notice(
        template_title=template.title,
        template_subject=template.subject,
        sections=template.sections,
        values=_sample_values(template),
        lines=SAMPLE_LINES,
        language=template.language,
        urgent=template.kind == Kind.INITIAL,
        with_pdf=with_pdf,
        regime=template.regime,
    )


@_email_preview
@staff(VIEW_TEMPLATE)
def template_preview(request: HttpRequest, pk: int) -> HttpResponse:
    template = _template(pk)
    try:
        rendered = _preview(template, with_pdf=False)
    except DomainError as refused:
        _refused(request, refused)
        return redirect("web:notice-template-detail", pk=pk)
    return render(
        request, "web/notice_template_preview.html", {"template": template, "rendered": rendered}
    )


@staff(VIEW_TEMPLATE)
def template_preview_pdf(request: HttpRequest, pk: int) -> FileResponse:
    template = _template(pk)
    rendered = _preview(template, with_pdf=True)
    return FileResponse(
        io.BytesIO(rendered.pdf),
        content_type="application/pdf",
        filename=f"template-{template.regime}-{template.kind}-{template.language}-v{template.version}.pdf",
    )


# --- a recall's notices ----------------------------------------------------------------


def _progress(run: NoticeRun) -> dict[str, Any]:
    progress = selectors.run_progress(run)
    done = run.status == NoticeRun.Status.DONE
    # Letters and calls are never "sent" by the run, so a finished run would stop short of 100 %.
    return progress | {
        "label": NoticeRun.Status(run.status).label,
        "percent": 100 if done else progress["percent"],
        "finished": done or run.status == NoticeRun.Status.FAILED,
    }


@staff(VIEW_NOTICE)
def recall_notices(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)
    viewer = viewer_of(request)
    filters = {
        name: request.GET.get(name, "").strip() for name in ("status", "channel", "kind", "q")
    }
    notices = selectors.notice_list_for(
        viewer=viewer,
        recall_id=recall.pk,
        status=filters["status"],
        channel=filters["channel"],
        kind=filters["kind"],
        search=filters["q"],
    )
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    counts = selectors.status_counts(recall.pk)
    runs = [_progress(run) for run in recall.notice_runs.select_related("recall")[:RUNS_SHOWN]]
    replies = [
        {
            "reply": reply,
            "totals": {q: getattr(reply, f"total_{q}") or 0 for q in QUANTITIES},
            "differences": selectors.reply_differences(reply),
        }
        for reply in selectors.replies_for(viewer=viewer, recall_id=recall.pk)
    ]
    return render(
        request,
        "web/notice_recall.html",
        {
            "recall": recall,
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "counts": [
                (value, label, counts.get(value, 0)) for value, label in NoticeStatus.choices
            ],
            "total": sum(counts.values()),
            "runs": runs,
            "additions": selectors.scope_additions(recall.pk),
            "replies": replies,
            "statuses": NoticeStatus.choices,
            "channels": Channel.choices,
            "kinds": Kind.choices,
            "can_send": request.user.has_perm("notices.add_noticerun"),
            "send_blocked": action_blockers(recall, Action.SEND_NOTICES),
            "letters": postal.letters_to_post(recall).count(),
            "can_log": request.user.has_perm("notices.change_notice"),
        },
    )


@staff(VIEW_NOTICE)
def recall_notify_by(request: HttpRequest, pk: int) -> HttpResponse:
    """Each holder's notify-by time, when it was notified and whether it is overdue."""
    recall = _recall(request, pk)
    state = request.GET.get("state", "").strip()
    every = notify_by.holders_for(viewer=viewer_of(request), recall=recall)
    try:
        rows = notify_by.in_state(every, state)
    except DomainError as refused:
        _refused(request, refused)
        state, rows = "", every
    return render(
        request,
        "web/notice_notify_by.html",
        {
            "recall": recall,
            "holders": paged(request, rows),
            "state": state,
            "states": list(notify_by.STATES.items()),
            "overdue": sum(1 for row in every if row.overdue),
            "total": len(every),
            "uncovered": notify_by.uncovered_note(every, translation.get_language() or "zh-hans"),
        },
    )


@staff(VIEW_NOTICE)
def recall_letters(request: HttpRequest, pk: int) -> HttpResponse:
    """Every letter of the recall not posted yet, as one PDF to print."""
    recall = _recall(request, pk)
    try:
        bundle = postal.letters_bundle(postal.letters_to_post(recall))
    except DomainError as refused:
        _refused(request, refused)
        return redirect("web:recall-notices", pk=recall.pk)
    return HttpResponse(
        bundle,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{recall.number}-letters.pdf"'},
    )


@require_POST
@staff("notices.change_notice")
def recall_letters_posted(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)
    count = postal.letters_posted(
        notices=list(postal.letters_to_post(recall)),
        actor=viewer_of(request),
        note=request.POST.get("note", "").strip(),
    )
    messages.success(request, _("%(count)s letter(s) logged as posted.") % {"count": count})
    return redirect("web:recall-notices", pk=recall.pk)


@require_POST
@staff("notices.add_noticerun")
def recall_notices_send(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)
    try:
        run = send_runs.notice_run_start(recall=recall, actor=viewer_of(request))
    except DomainError as refused:
        _refused(request, refused)
    else:
        messages.success(
            request,
            _("Send run %(run)s started: notices are being generated and sent.") % {"run": run.pk},
        )
    return redirect("web:recall-notices", pk=recall.pk)


@staff(VIEW_NOTICE)
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar of one send run (polled by htmx until the run is finished)."""
    try:
        run = selectors.run_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    _recall(request, run.recall_id)
    return render(request, "web/notice_recall.html#run", {"run": _progress(run)})


# --- one notice ------------------------------------------------------------------------


@_email_preview
@staff(VIEW_NOTICE)
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice(request, pk)
    reply = (
        notice.recall.replies.filter(party_id=notice.party_id)
        .select_related("entered_by")
        .prefetch_related(
            "lines__lot",
            "lines__serial",
            "sub_consignees__party",
            "sub_consignees__lot",
            "sub_consignees__location",
        )
        .first()
    )
    return render(
        request,
        "web/notice_detail.html",
        {
            "notice": notice,
            "events": notice.events.select_related("actor"),
            "reply": reply,
            "preview": OPEN_PIXEL.sub("", notice.body_html),
            "channels": CONTACT_CHANNELS,
            "can_log": request.user.has_perm("notices.change_notice"),
            "can_reply": reply is None and request.user.has_perm("notices.add_reply"),
            "can_authorise_return": reply is not None
            and any(line.to_return for line in reply.lines.all())
            and request.user.has_perm("execution.add_returnauthorisation"),
            "returns": ReturnAuthorisation.objects.filter(
                reply_ref=str(reply.pk), recall=notice.recall
            )
            if reply
            else [],
        },
    )


@require_POST
@staff("execution.add_returnauthorisation")
def notice_return_authorise(request: HttpRequest, pk: int) -> HttpResponse:
    """Authorise the return the holder announced in their reply."""
    notice = _notice(request, pk)
    reply = notice.recall.replies.filter(party_id=notice.party_id).first()
    if reply is None:
        raise Http404(_("This holder has not replied yet."))
    try:
        ra = return_from_reply(reply=reply, actor=viewer_of(request))
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect("web:notice-detail", pk=notice.pk)
    messages.success(request, _("Return %(number)s authorised.") % {"number": ra.number})
    return redirect("web:return-detail", pk=ra.pk)


@staff(VIEW_NOTICE)
def notice_pdf(request: HttpRequest, pk: int) -> FileResponse:
    notice = _notice(request, pk)
    if not notice.pdf:
        raise Http404(_("This notice has no PDF yet."))
    return file_response(
        notice.pdf.open("rb"),
        content_type="application/pdf",
        filename=f"{notice.recall.number}-{notice.pk}-{notice.kind}-{notice.sequence}.pdf",
    )


@require_POST
@staff("notices.change_notice")
def notice_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a call, a posted letter or a note."""
    notice = _notice(request, pk)
    channel = request.POST.get("channel", "")
    if channel not in CONTACT_CHANNELS:
        messages.error(request, _("Choose a call, a letter or a note."))
        return redirect("web:notice-detail", pk=pk)
    try:
        event = delivery.notice_contact_log(
            notice=notice,
            actor=viewer_of(request),
            channel=channel,
            note=request.POST.get("note", "").strip(),
            acknowledged=bool(request.POST.get("acknowledged")),
        )
    except DomainError as refused:
        _refused(request, refused)
    else:
        messages.success(request, _("Logged: %(what)s.") % {"what": event.get_type_display()})
    return redirect("web:notice-detail", pk=pk)


@staff("notices.add_reply")
def notice_staff_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Enter the reply on the holder's behalf (they answered by phone, fax or paper)."""
    return _reply_page(request, _notice(request, pk), via=Reply.Via.STAFF, actor=viewer_of(request))


@staff(VIEW_NOTICE)
def overdue(request: HttpRequest) -> HttpResponse:
    queue = paged(request, selectors.overdue_queue(viewer=viewer_of(request)))
    return render(request, "web/notice_overdue.html", {"queue": queue})


# --- customers -------------------------------------------------------------------------


@staff(VIEW_NOTICE)
def customer_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    parties = list(
        selectors.customer_search(viewer=viewer_of(request), query=query).prefetch_related(
            "contacts"
        )
    )
    return render(request, "web/notice_customer_search.html", {"q": query, "parties": parties})


def _party_recalls(request: HttpRequest, party: Party) -> list[tuple[int, str, str]]:
    """The recalls in which the party got notices: the choices of the offer and progress forms."""
    rows = (
        selectors.notice_list_for(viewer=viewer_of(request))
        .filter(party_id=party.pk)
        .order_by("recall__number")
        .values_list("recall_id", "recall__number", "recall__title")
        .distinct()
    )
    return list(rows)


def _chosen_recall(request: HttpRequest, party: Party) -> RecallCase:
    try:
        chosen = int(request.POST.get("recall", ""))
    except ValueError:
        chosen = 0
    if chosen not in {pk for pk, _number, _title in _party_recalls(request, party)}:
        raise DomainError(
            _("Choose a recall in which %(holder)s received notices.") % {"holder": party.name},
            where="recall",
        )
    return _recall(request, chosen)


@staff(VIEW_NOTICE)
def customer_detail(request: HttpRequest, party_pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    try:
        party, entries, units = selectors.timeline_for(viewer=viewer, party_id=party_pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    return render(
        request,
        "web/notice_customer.html",
        {
            "party": party,
            "entries": entries,
            "units": units,
            "contacts": party.contacts.all(),
            "offers": selectors.offers_for(viewer=viewer, party_id=party.pk),
            "recalls": _party_recalls(request, party),
            "offer_kinds": Offer.OfferKind.choices,
        },
    )


@require_POST
@staff("notices.add_offer")
def customer_offer_propose(request: HttpRequest, party_pk: int) -> HttpResponse:
    party = _party(request, party_pk)

    def propose() -> str:
        recall = _chosen_recall(request, party)
        try:
            quantity = int(request.POST.get("quantity", "") or 0)
            amount = Decimal(request.POST.get("amount", "") or 0)
        except (ValueError, InvalidOperation) as error:
            raise DomainError(_("Quantity and value must be numbers."), where="amount") from error
        offer = relations.offer_propose(
            recall=recall,
            party=party,
            kind=request.POST.get("kind", ""),
            description=request.POST.get("description", ""),
            actor=viewer_of(request),
            quantity=quantity,
            amount=amount,
            currency=request.POST.get("currency", "") or "CNY",
        )
        return _("Offer proposed: %(offer)s.") % {"offer": offer.get_kind_display()}

    _attempt(request, propose)
    return redirect("web:customer-detail", party_pk=party.pk)


@require_POST
@staff("notices.approve_offer")
def offer_decide(request: HttpRequest, pk: int) -> HttpResponse:
    offer = _offer(request, pk)

    def decide() -> str:
        decided = relations.offer_decide(
            offer=offer,
            approve=request.POST.get("decision") == "approve",
            actor=viewer_of(request),
            note=request.POST.get("note", ""),
        )
        return _("The offer is now: %(status)s.") % {"status": decided.get_status_display()}

    _attempt(request, decide)
    return redirect("web:customer-detail", party_pk=offer.party_id)


@require_POST
@staff("notices.change_offer")
def offer_fulfil(request: HttpRequest, pk: int) -> HttpResponse:
    offer = _offer(request, pk)

    def fulfil() -> str:
        relations.offer_fulfil(
            offer=offer, actor=viewer_of(request), note=request.POST.get("note", "")
        )
        return _("The offer is fulfilled.")

    _attempt(request, fulfil)
    return redirect("web:customer-detail", party_pk=offer.party_id)


@require_POST
@staff("notices.add_notice")
def customer_progress(request: HttpRequest, party_pk: int) -> HttpResponse:
    """Send a holder a progress update about one recall."""
    party = _party(request, party_pk)

    def send() -> str:
        created = relations.progress_update_send(
            recall=_chosen_recall(request, party),
            party=party,
            message=request.POST.get("message", ""),
            actor=viewer_of(request),
        )
        return _("Progress update queued: %(count)s notice(s).") % {"count": len(created)}

    _attempt(request, send)
    return redirect("web:customer-detail", party_pk=party.pk)
