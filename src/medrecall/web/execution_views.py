"""Execution pages: a recall's execution (accounting, holds, returns, dispositions, work
orders), a return, the warehouse scan page (built for a scanner and a tablet), a disposition,
and work orders with results and evidence. Each view parses, calls one service or selector,
renders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from medrecall.accounts.selectors import viewer_of
from medrecall.accounts.signatures import signing_needs_user_id
from medrecall.catalog import selectors as catalog
from medrecall.core import bounds
from medrecall.core.errors import DomainError, NotFound
from medrecall.core.files import document_response
from medrecall.execution import selectors, services
from medrecall.execution.common import own_locations, quarantine_locations
from medrecall.execution.documents import waybill_pdf
from medrecall.execution.errors import ReceiptRefused
from medrecall.execution.lifecycle import (
    RETURN_TRANSITIONS,
    DispositionKind,
    FieldAction,
    ReturnStatus,
    UnitResult,
)
from medrecall.execution.models import Disposition, ReturnAuthorisation, WorkOrder
from medrecall.parties import selectors as parties
from medrecall.parties.models import Location, Party, PartyType
from medrecall.recalls.lifecycle import Action, action_blockers
from medrecall.recalls.models import RecallCase

from .paging import paged

VIEW = "execution.view_returnauthorisation"


def _get(finder: Callable[..., Any], request: HttpRequest, pk: int) -> Any:
    try:
        return finder(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    try:
        action()
    except DomainError as refused:
        details = refused.details if isinstance(refused.details, list) else []
        messages.error(
            request, " ".join([refused.message, *[d for d in details if d not in refused.message]])
        )
        return False
    messages.success(request, success)
    return True


def _party(request: HttpRequest, pk: int) -> Party:
    return parties.party_get_for(viewer=viewer_of(request), pk=pk)


def _chosen(value: str | None) -> int | None:
    """The id a form's choice sent (``None`` when nothing, or nothing that can be an id, was
    chosen: ASCII digits within the id column's range, so ``²`` or 30 digits are no query)."""
    if not value or not (value.isascii() and value.isdigit()):
        return None
    pk = int(value)
    return pk if bounds.ID[0] <= pk <= bounds.ID[1] else None


def _location(request: HttpRequest, value: str | None) -> Location | None:
    """An optional location chosen on the form; one that is not (or no longer) there refuses."""
    pk = _chosen(value)
    return None if pk is None else parties.location_get_for(viewer=viewer_of(request), pk=pk)


@login_required
@permission_required(VIEW, raise_exception=True)
def execution_home(request: HttpRequest) -> HttpResponse:
    recalls = paged(request, selectors.recalls_in_execution())
    books = selectors.accounting_for(list(recalls))
    rows = [{"recall": recall, "accounting": books[recall.pk]} for recall in recalls]
    return render(request, "web/execution_home.html", {"rows": rows, "recalls": recalls})


@login_required
@permission_required(VIEW, raise_exception=True)
def execution_recall(request: HttpRequest, pk: int) -> HttpResponse:
    recall: RecallCase = _get(selectors.recall_for, request, pk)
    snapshot = recall.current_snapshot
    holders = (
        Party.objects.filter(pk__in=snapshot.lines.values("party_id"))
        .exclude(party_type=PartyType.OWN_SITE)
        .order_by("code")
        if snapshot
        else Party.objects.none()
    )
    viewer = viewer_of(request)
    return render(
        request,
        "web/execution_recall.html",
        {
            "recall": recall,
            "accounting": selectors.recall_accounting(recall),
            "holds": paged(request, selectors.holds_of(recall), param="holds"),
            "returns": paged(
                request, selectors.return_list_for(viewer=viewer, recall=recall), param="returns"
            ),
            "dispositions": paged(
                request,
                selectors.disposition_list_for(viewer=viewer, recall=recall),
                param="dispositions",
            ),
            "work_orders": paged(
                request,
                selectors.work_order_list_for(viewer=viewer, recall=recall),
                param="work_orders",
            ),
            "holders": holders,
            "actions": FieldAction.choices,
            "quarantine": selectors.quarantine_units(recall=recall),
            "blocked": {
                str(a): action_blockers(recall, a)
                for a in (Action.CREATE_RETURN, Action.CREATE_WORK_ORDER, Action.PLACE_HOLD)
            },
        },
    )


@login_required
@require_POST
@permission_required("execution.change_hold", raise_exception=True)
def execution_hold(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _get(selectors.recall_for, request, pk)
    actor = viewer_of(request)
    if request.POST.get("action") == "release":
        _run(
            request,
            lambda: services.hold_release(
                recall=recall, actor=actor, reason=request.POST.get("reason", "")
            ),
            _("Hold released."),
        )
    else:
        _run(
            request,
            lambda: services.hold_place(
                recall=recall, actor=actor, reason=request.POST.get("reason", "")
            ),
            _("Holds placed."),
        )
    return redirect("web:execution-recall", pk=pk)


@login_required
@require_POST
@permission_required("execution.add_returnauthorisation", raise_exception=True)
def return_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _open_for_holder(
        request,
        pk,
        lambda recall, party: services.return_create(
            recall=recall, party=party, actor=viewer_of(request)
        ),
        _("Return authorised."),
        "web:return-detail",
    )


def _open_for_holder(
    request: HttpRequest,
    pk: int,
    open_record: Callable[[RecallCase, Party], ReturnAuthorisation | WorkOrder],
    success: str,
    detail: str,
) -> HttpResponse:
    """Open a record (a return, a work order) of the recall for the holder chosen on its
    execution page, and show it; a holder not chosen, not there or refused is told on the page."""
    recall = _get(selectors.recall_for, request, pk)
    party = _chosen(request.POST.get("party"))
    created: list[ReturnAuthorisation | WorkOrder] = []
    if party is None:
        messages.error(request, _("Choose the holder."))
    elif _run(
        request, lambda: created.append(open_record(recall, _party(request, party))), success
    ):
        return redirect(detail, pk=created[0].pk)
    return redirect("web:execution-recall", pk=pk)


@login_required
@permission_required(VIEW, raise_exception=True)
def return_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ra: ReturnAuthorisation = _get(selectors.return_get_for, request, pk)
    return render(
        request,
        "web/return_detail.html",
        {
            "ra": ra,
            "lines": selectors.return_reconciliation(ra),
            "next": [(s, ReturnStatus(s).label) for s in sorted(RETURN_TRANSITIONS[ra.status])],
            "blocked": {
                str(Action.HANDLE_RETURN): action_blockers(ra.recall, Action.HANDLE_RETURN)
            },
        },
    )


@login_required
@require_POST
@permission_required("execution.change_returnauthorisation", raise_exception=True)
def return_status(request: HttpRequest, pk: int) -> HttpResponse:
    ra = _get(selectors.return_get_for, request, pk)
    _run(
        request,
        lambda: services.return_transition(
            ra=ra,
            target=request.POST.get("target", ""),
            actor=viewer_of(request),
            reason=request.POST.get("reason", ""),
        ),
        _("Return updated."),
    )
    return redirect("web:return-detail", pk=pk)


@login_required
@require_POST
@permission_required("execution.change_returnauthorisation", raise_exception=True)
def return_amend(request: HttpRequest, pk: int) -> HttpResponse:
    """Change what the return expects of one of its lots (e.g. the holder sends more)."""
    ra = _get(selectors.return_get_for, request, pk)
    chosen = request.POST.get("line", "")
    line = (
        ra.lines.filter(pk=int(chosen)).select_related("lot", "serial").first()
        if chosen.isdigit()
        else None
    )
    try:
        expected = int(request.POST.get("expected", ""))
    except ValueError:
        expected = -1
    if line is None or expected < 0:
        messages.error(request, _("Choose a line and give the quantity expected (a whole number)."))
    else:
        _run(
            request,
            lambda: services.return_amend(
                ra=ra,
                lot=line.lot,
                serial=line.serial,
                expected=expected,
                actor=viewer_of(request),
                reason=request.POST.get("reason", ""),
            ),
            _("Return updated."),
        )
    return redirect("web:return-detail", pk=pk)


@login_required
@permission_required(VIEW, raise_exception=True)
def return_waybill(request: HttpRequest, pk: int) -> HttpResponse:
    ra = _get(selectors.return_get_for, request, pk)
    return document_response(
        waybill_pdf(ra),
        filename=f"{ra.waybill_number}.pdf",
        content_type="application/pdf",
        inline=True,
    )


@login_required
@permission_required("execution.add_receipt", raise_exception=True)
def warehouse(request: HttpRequest) -> HttpResponse:
    """Pick the return being unpacked: scan or type its RA number (or the waybill's QR code)."""
    code = request.GET.get("ra", "").strip()
    if code:
        try:
            ra = selectors.return_numbered_for(
                viewer=viewer_of(request), number=code.split("|")[-1].strip()
            )
        except NotFound as missing:
            messages.error(request, missing.message)
        else:
            return redirect("web:warehouse-return", pk=ra.pk)
    returns = selectors.return_list_for(viewer=viewer_of(request)).filter(
        status__in=[ReturnStatus.AUTHORISED, ReturnStatus.PICKED_UP, ReturnStatus.IN_TRANSIT]
    )[:50]
    return render(request, "web/warehouse.html", {"returns": returns})


def _warehouse_context(ra: ReturnAuthorisation) -> dict[str, Any]:
    return {
        "ra": ra,
        "lines": selectors.return_reconciliation(ra),
        "receipts": selectors.receipts_of(ra)[:30],
        "quarantine": selectors.quarantine_units(ra=ra),
        "kinds": DispositionKind.choices,
        "quarantine_locations": quarantine_locations(),
        "stock_locations": own_locations().exclude(location_type="quarantine"),
        "supplier_locations": Location.objects.filter(
            party__party_type=PartyType.SUPPLIER, is_active=True
        ),
        # a form whose action the recall's status refuses is not offered: its reason is shown instead
        "blocked": {
            str(a): action_blockers(ra.recall, a)
            for a in (Action.HANDLE_RETURN, Action.DISPOSITION)
        },
    }


@login_required
@permission_required("execution.add_receipt", raise_exception=True)
def warehouse_return(request: HttpRequest, pk: int) -> HttpResponse:
    """The scan page: every scan (a scanner types and presses Enter) is answered at once."""
    ra: ReturnAuthorisation = _get(selectors.return_get_for, request, pk)
    context = _warehouse_context(ra)
    if request.method == "POST":
        try:
            quantity = int(request.POST.get("quantity") or 1)
        except ValueError:
            quantity = 0
        try:
            result = services.return_receive(
                ra=ra,
                actor=viewer_of(request),
                barcode=request.POST.get("barcode", ""),
                gtin=request.POST.get("gtin", ""),
                lot=request.POST.get("lot", "").strip(),
                quantity=quantity,
                location=_location(request, request.POST.get("location")),
                request_id=request.POST.get("request_id", ""),
            )
        except (ReceiptRefused, NotFound) as refused:
            context.update(
                {"scan_ok": False, "scan_code": refused.code, "scan_message": refused.message}
            )
        else:
            context.update(
                {"scan_ok": True, "scan_code": result.outcome, "scan_message": result.message}
            )
        # read the return again: its lines were prefetched before the receipt and would show stale counts
        context.update(_warehouse_context(_get(selectors.return_get_for, request, pk)))
        if getattr(request, "htmx", False):
            return render(request, "web/warehouse_return.html#panel", context)
    return render(request, "web/warehouse_return.html", context)


@login_required
@require_POST
@permission_required("execution.add_disposition", raise_exception=True)
def disposition_create(request: HttpRequest) -> HttpResponse:
    post = request.POST
    viewer = viewer_of(request)
    lot, serial = _chosen(post.get("lot")), _chosen(post.get("serial"))
    location, recall = _chosen(post.get("location")), _chosen(post.get("recall"))
    created: list[Disposition] = []
    if lot is None or location is None or recall is None:
        messages.error(request, _("Choose the unit to disposition."))
    else:
        try:
            quantity = int(post.get("quantity") or 1)
        except ValueError:
            quantity = 0
        _run(
            request,
            lambda: created.append(
                services.disposition_create(
                    recall=selectors.recall_for(viewer=viewer, pk=recall),
                    kind=post.get("kind", ""),
                    lot=catalog.lot_get_for(viewer=viewer, pk=lot),
                    serial=None
                    if serial is None
                    else catalog.serial_get_for(viewer=viewer, pk=serial),
                    quantity=quantity,
                    location=parties.location_get_for(viewer=viewer, pk=location),
                    actor=viewer,
                    reason=post.get("reason", ""),
                    target=_location(request, post.get("target")),
                )
            ),
            _("Disposition opened."),
        )
    if created:
        return redirect("web:disposition-detail", pk=created[0].pk)
    return redirect(_safe_next(request, post.get("next", "")) or "web:execution-home")


def _safe_next(request: HttpRequest, target: str) -> str:
    """A ``next`` URL on this site only (as the language switch checks it); anything else is dropped,
    so a crafted link cannot send a user from our page to another site (open redirect)."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@login_required
@permission_required("execution.view_disposition", raise_exception=True)
def disposition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    d: Disposition = _get(selectors.disposition_get_for, request, pk)
    if request.method == "POST" and request.user.has_perm("execution.change_disposition"):
        post = request.POST
        _run(
            request,
            lambda: services.disposition_complete(
                disposition=d,
                actor=viewer_of(request),
                outcome=post.get("outcome", ""),
                place=post.get("place", ""),
                method=post.get("method", ""),
                performed_by=post.get("performed_by", ""),
                witnesses=post.get("witnesses", "")
                .replace("\uff0c", ",")
                .split(","),  # full-width comma too
                password=post.get("password", ""),
                username=post.get("username") or None,
                session=request.session,
            ),
            _("Disposition done."),
        )
        return redirect("web:disposition-detail", pk=pk)
    return render(
        request,
        "web/disposition_detail.html",
        {
            "d": d,
            "certificate": getattr(d, "certificate", None),
            "signing_needs_user_id": signing_needs_user_id(request.session, viewer_of(request)),
        },
    )


@login_required
@require_POST
@permission_required("execution.add_workorder", raise_exception=True)
def work_order_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _open_for_holder(
        request,
        pk,
        lambda recall, party: services.work_order_create(
            recall=recall,
            party=party,
            action=request.POST.get("action", ""),
            actor=viewer_of(request),
            instructions=request.POST.get("instructions", ""),
        ),
        _("Work order opened."),
        "web:work-order-detail",
    )


@login_required
def work_order_list(request: HttpRequest) -> HttpResponse:
    orders = paged(request, selectors.work_order_list_for(viewer=viewer_of(request)))
    return render(request, "web/work_orders.html", {"orders": orders})


@login_required
def work_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order: WorkOrder = _get(selectors.work_order_get_for, request, pk)
    if request.method == "POST":
        actor = viewer_of(request)
        unit = order.units.filter(pk=request.POST.get("unit") or 0).first()
        if "file" in request.FILES:
            upload = request.FILES.get("file")
            assert upload is not None  # noqa: S101 - checked just above
            _run(
                request,
                lambda: services.evidence_add(
                    order=order,
                    actor=actor,
                    name=upload.name or "evidence",
                    content=upload,
                    unit=unit,
                ),
                _("Evidence kept."),
            )
        elif unit is not None:
            _run(
                request,
                lambda: services.work_order_record(
                    unit=unit,
                    actor=actor,
                    result=request.POST.get("result", ""),
                    note=request.POST.get("note", ""),
                ),
                _("Result recorded."),
            )
        return redirect("web:work-order-detail", pk=pk)
    return render(
        request,
        "web/work_order_detail.html",
        {
            "order": order,
            "units": order.units.select_related("lot", "serial"),
            "results": UnitResult.choices[1:],
            "evidence": order.evidence.all(),
        },
    )
