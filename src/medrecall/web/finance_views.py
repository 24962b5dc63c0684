"""Finance pages of the cost ledger: recalls with their cost, a recall's ledger (paged, filtered,
totals per category, postings still waiting), an entry with its source record and reversal,
posting and reversing, exchange rates (entered and imported), disposition costs, service
provider rates and the finance policy. Each view parses, calls one service or selector,
renders. Finance is staff-only: portal users get 404 everywhere here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from medrecall.accounts.selectors import viewer_of
from medrecall.catalog.models import DeviceModel
from medrecall.core import bounds
from medrecall.core.errors import DomainError, ImportRejected, NotFound, ValidationFailed
from medrecall.core.files import file_response, type_of_stored
from medrecall.execution.lifecycle import DispositionKind
from medrecall.execution.models import Disposition, ReturnAuthorisation, ServiceProvider, WorkOrder
from medrecall.finance import ledger, postings, quotes, refunds, selectors
from medrecall.finance.errors import EntryPosted
from medrecall.finance.models import CostCategory, CostEntry, CostSource
from medrecall.notices.models import Offer
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from medrecall.recalls.selectors import recall_get_for, recall_list_for

from .paging import paged

VIEW = selectors.VIEW_ENTRIES
POST = "finance.add_costentry"


def portal_not_found(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Finance is staff-only: to a portal user (of any party) every finance page answers 404,
    before any permission is checked, as if it did not exist."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        _staff_only(request)
        return view(request, *args, **kwargs)

    return checked


def _staff_only(request: HttpRequest) -> None:
    if viewer_of(request).party_id is not None:
        raise Http404(_("Not found."))


def _recall(request: HttpRequest, pk: int) -> RecallCase:
    _staff_only(request)
    try:
        return recall_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


def _entry(request: HttpRequest, pk: int) -> CostEntry:
    try:
        return selectors.entry_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


def _run(request: HttpRequest, action: Callable[[], Any], success: Callable[[Any], str]) -> Any:
    """Run one service; a refusal is shown as a message and changes nothing."""
    try:
        done = action()
    except ImportRejected as rejected:  # each problem with its row and column
        shown = [str(error) for error in rejected.errors[:20]]
        more = len(rejected.errors) - len(shown)
        if more > 0:
            shown.append(_("… and %(count)s more.") % {"count": more})
        messages.error(request, " ".join([rejected.message, *shown]))
        return None
    except DomainError as refused:
        details = refused.details if isinstance(refused.details, list) else []
        extra = [str(d.get("message", d)) if isinstance(d, dict) else str(d) for d in details]
        messages.error(request, " ".join([refused.message, *[d for d in extra[:20] if d]]))
        return None
    messages.success(request, success(done))
    return done


def _day(value: str | None, where: str = "incurred_on") -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise ValidationFailed(
            _("%(value)s is not a date in the form YYYY-MM-DD.") % {"value": value or "''"},
            where=where,
        ) from None


def _pk(value: str | None) -> int | None:
    if not value or not (value.isascii() and value.isdigit()):
        return None
    pk = int(value)
    return pk if bounds.ID[0] <= pk <= bounds.ID[1] else None


def _party(value: str | None, where: str) -> Party | None:
    code = (value or "").strip()
    if not code:
        return None
    found = Party.objects.filter(code=code).first()
    if found is None:
        raise NotFound(_("There is no party with code %(code)s.") % {"code": code}, where=where)
    return found


# --- recalls and their ledgers ----------------------------------------------------------------


@login_required
@portal_not_found
@permission_required(VIEW, raise_exception=True)
def ledgers(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    recalls = (
        recall_list_for(viewer=viewer_of(request))
        .exclude(status="draft")
        .annotate(**selectors.rollup_sums())
    )
    return render(
        request,
        "web/finance/ledger/recalls.html",
        {"recalls": paged(request, recalls), "policy": ledger.policy()},
    )


def _filter(request: HttpRequest) -> selectors.LedgerFilter:
    try:
        return selectors.LedgerFilter.checked(
            request.GET.get("category", ""),
            request.GET.get("source", ""),
            request.GET.get("vendor", ""),
        )
    except ValidationFailed as refused:
        messages.error(request, refused.message)
        return selectors.LedgerFilter()


@login_required
@portal_not_found
@permission_required(VIEW, raise_exception=True)
def ledger_page(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)
    viewer = viewer_of(request)
    only = _filter(request)
    entries = selectors.entries_for(viewer=viewer, recall=recall, only=only)
    policy = ledger.policy()
    return render(
        request,
        "web/finance/ledger/ledger.html",
        {
            "recall": recall,
            "entries": paged(request, entries),
            "totals": selectors.totals_for(
                viewer=viewer, recall=recall, only=only, company_currency=policy.company_currency
            ),
            "due": postings.waiting_for(recall),
            "only": only,
            "categories": CostCategory.choices,
            "sources": CostSource.choices,
            "can_post": viewer.has_perm(POST),
        },
    )


@login_required
@portal_not_found
@permission_required(POST, raise_exception=True)
@require_POST
def ledger_post_due(request: HttpRequest, pk: int) -> HttpResponse:
    """Post what the recall's source records owe now (what the sweep would)."""
    recall = _recall(request, pk)
    result = postings.post_due(postings.waiting_for(recall))
    messages.success(
        request,
        _("%(posted)s posted, %(waiting)s still waiting.")
        % {"posted": len(result.posted), "waiting": len(result.waiting)},
    )
    return redirect("web:finance-ledger", pk=recall.pk)


@login_required
@portal_not_found
@permission_required(POST, raise_exception=True)
@require_http_methods(["GET", "POST"])
def entry_post(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)
    if request.method == "POST":
        entry = _run(
            request,
            lambda: _post_from(request, recall),
            lambda e: _("%(number)s posted.") % {"number": e.number},
        )
        if entry is not None:
            return redirect("web:finance-entry", pk=entry.pk)
    return render(
        request,
        "web/finance/ledger/entry_post.html",
        {
            "recall": recall,
            "categories": CostCategory.choices,
            "form": request.POST if request.method == "POST" else {},
            "today": ledger.company_today().isoformat(),
            "company_currency": ledger.policy().company_currency,
            "vendor_choices": quotes.vendor_choices(),
            "holder_choices": refunds.holder_choices(recall=recall),
        },
    )


def _post_from(request: HttpRequest, recall: RecallCase) -> CostEntry:
    data = request.POST
    upload = request.FILES.get("attachment")
    attachment = None
    if upload is not None:
        if upload.size is not None and upload.size > ledger.max_attachment_bytes():
            raise ValidationFailed(
                _("%(name)s is %(size)s bytes; attachments may be at most %(limit)s bytes.")
                % {
                    "name": upload.name,
                    "size": upload.size,
                    "limit": ledger.max_attachment_bytes(),
                },
                where="attachment",
            )
        attachment = ledger.Attachment(upload.name or "attachment", upload.read())
    units = (data.get("units") or "0").strip()
    if not (units.isascii() and units.isdigit()) or int(units) > bounds.INT32[1]:
        raise ValidationFailed(_("Units are a whole number from 0."), where="units")
    line = ledger.CostLine(
        category=data.get("category", ""),
        amount=data.get("amount", ""),
        currency=data.get("currency", ""),
        incurred_on=_day(data.get("incurred_on")),
        units=int(units),
        vendor=_party(data.get("vendor"), "vendor"),
        holder=_party(data.get("holder"), "holder"),
        document_reference=data.get("document_reference", "")[:100],
        description=data.get("description", ""),
    )
    return ledger.cost_post(
        actor=request.user,
        recall=recall,
        line=line,
        attachment=attachment,
    )


def _source_link(entry: CostEntry) -> tuple[str, str] | None:
    """Where the record that caused an entry is shown, and its name."""
    key = entry.source_key
    found: tuple[str, str] | None = None
    if entry.source == CostSource.WAYBILL:
        pk = ReturnAuthorisation.objects.filter(number=key).values_list("pk", flat=True).first()
        found = (reverse("web:return-detail", args=[pk]), key) if pk else None
    elif entry.source in (CostSource.DISPOSITION, CostSource.REPLACEMENT):
        pk = Disposition.objects.filter(number=key).values_list("pk", flat=True).first()
        found = (reverse("web:disposition-detail", args=[pk]), key) if pk else None
    elif entry.source == CostSource.WORK_ORDER:
        number = key.split(":", 1)[0]
        pk = WorkOrder.objects.filter(number=number).values_list("pk", flat=True).first()
        found = (reverse("web:work-order-detail", args=[pk]), number) if pk else None
    elif entry.source == CostSource.OFFER and key.isdigit():
        party = Offer.objects.filter(pk=int(key)).values_list("party_id", flat=True).first()
        found = (
            (reverse("web:customer-detail", args=[party]), _("offer %(id)s") % {"id": key})
            if party
            else None
        )
    elif entry.source == CostSource.NOTICE_RUN:
        found = (reverse("web:recall-notices", args=[entry.recall_id]), key)
    elif entry.reverses_id:
        found = (reverse("web:finance-entry", args=[entry.reverses_id]), key)
    return found


@login_required
@portal_not_found
@permission_required(VIEW, raise_exception=True)
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    reversal = getattr(entry, "reversed_by", None)
    return render(
        request,
        "web/finance/ledger/entry.html",
        {
            "entry": entry,
            "reversal": reversal,
            "source": _source_link(entry),
            "letters": entry.letters.count() if entry.source == CostSource.NOTICE_RUN else None,
            "can_reverse": request.user.has_perm(POST)
            and reversal is None
            and entry.reverses_id is None,
        },
    )


@login_required
@portal_not_found
@permission_required(POST, raise_exception=True)
@require_POST
def entry_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    reversal = _run(
        request,
        lambda: ledger.cost_reverse(
            actor=request.user,  # type: ignore[arg-type]
            entry=entry,
            reason=request.POST.get("reason", ""),
        ),
        lambda r: (
            _("%(number)s reversed by %(reversal)s.")
            % {"number": entry.number, "reversal": r.number}
        ),
    )
    return redirect("web:finance-entry", pk=reversal.pk if reversal else entry.pk)


@login_required
@portal_not_found
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """There is no editing a posted entry: the page says so and changes nothing."""
    entry = _entry(request, pk)
    refused = EntryPosted(
        _(
            "%(number)s is posted and cannot be changed. Reverse it (with a reason) and post the "
            "correct entry."
        )
        % {"number": entry.number}
    )
    messages.error(request, refused.message)
    return redirect("web:finance-entry", pk=entry.pk)


@login_required
@portal_not_found
@permission_required(VIEW, raise_exception=True)
def entry_attachment(request: HttpRequest, pk: int) -> HttpResponseBase:
    entry = _entry(request, pk)
    if not entry.attachment:
        raise Http404(_("This entry has no attachment."))
    kind = type_of_stored(entry.attachment.name or "")
    if kind is None:
        raise Http404(_("This entry has no attachment."))
    stem = (entry.attachment_name.rsplit(".", 1)[0] or entry.number)[:100]
    return file_response(
        entry.attachment.open("rb"),
        filename=f"{stem}{kind.extension}",
        content_type=kind.content_type,
    )


# --- exchange rates -----------------------------------------------------------------------------


@login_required
@portal_not_found
@permission_required("finance.view_exchangerate", raise_exception=True)
@require_http_methods(["GET", "POST"])
def rates(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    if request.method == "POST":
        if not request.user.has_perm("finance.add_exchangerate"):
            raise PermissionDenied
        upload = request.FILES.get("file")
        if upload is not None:
            _run(
                request,
                lambda: ledger.rates_import(
                    actor=request.user,  # type: ignore[arg-type]
                    content=upload.read(),
                    file_name=upload.name or "rates.csv",
                ),
                lambda r: (
                    _(
                        "Rates imported: %(created)s new, %(updated)s changed, %(unchanged)s unchanged."
                    )
                    % r.as_dict()
                ),
            )
        else:
            _run(
                request,
                lambda: ledger.rate_set(
                    actor=request.user,  # type: ignore[arg-type]
                    currency=request.POST.get("currency", ""),
                    rate_on=_day(request.POST.get("rate_on"), "rate_on"),
                    rate=request.POST.get("rate", ""),
                ),
                lambda r: (
                    _("%(currency)s on %(day)s: %(rate)s saved.")
                    % {"currency": r.currency, "day": r.rate_on.isoformat(), "rate": r.rate}
                ),
            )
        return redirect("web:finance-rates")
    currency = request.GET.get("currency", "")
    return render(
        request,
        "web/finance/ledger/rates.html",
        {
            "rates": paged(
                request, selectors.rates_list(viewer=viewer_of(request), currency=currency)
            ),
            "currency": currency,
            "policy": ledger.policy(),
            "today": ledger.company_today().isoformat(),
        },
    )


# --- disposition costs and provider rates -------------------------------------------------------


@login_required
@portal_not_found
@permission_required("finance.view_dispositioncost", raise_exception=True)
@require_http_methods(["GET", "POST"])
def unit_costs(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    if request.method == "POST":
        if not request.user.has_perm("finance.change_dispositioncost"):
            raise PermissionDenied
        _run(request, lambda: _unit_cost_from(request), lambda c: _("Disposition cost saved."))
        return redirect("web:finance-unit-costs")
    return render(
        request,
        "web/finance/ledger/unit_costs.html",
        {
            "costs": paged(request, selectors.unit_costs_list(viewer=viewer_of(request))),
            "kinds": DispositionKind.choices,
            "models": DeviceModel.objects.order_by("name").only("pk", "name"),
            "company_currency": ledger.policy().company_currency,
        },
    )


def _unit_cost_from(request: HttpRequest) -> Any:
    model_pk = _pk(request.POST.get("device_model"))
    model = None
    if request.POST.get("device_model"):
        model = DeviceModel.objects.filter(pk=model_pk).first() if model_pk else None
        if model is None:
            raise NotFound(_("Device model not found."), where="device_model")
    return ledger.unit_cost_set(
        actor=request.user,  # type: ignore[arg-type]
        kind=request.POST.get("kind", ""),
        device_model=model,
        unit_cost=request.POST.get("unit_cost", ""),
        currency=request.POST.get("currency", ""),
    )


@login_required
@portal_not_found
@permission_required("finance.delete_dispositioncost", raise_exception=True)
@require_POST
def unit_cost_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    try:
        cost = selectors.unit_cost_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    _run(
        request,
        lambda: ledger.unit_cost_delete(actor=request.user, cost=cost),  # type: ignore[arg-type]
        lambda _done: _("Disposition cost deleted."),
    )
    return redirect("web:finance-unit-costs")


@login_required
@portal_not_found
@permission_required("finance.view_providerrate", raise_exception=True)
@require_http_methods(["GET", "POST"])
def provider_rates(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    if request.method == "POST":
        if not request.user.has_perm("finance.change_providerrate"):
            raise PermissionDenied
        _run(
            request,
            lambda: _provider_rate_from(request),
            lambda r: _("Rates of %(provider)s saved.") % {"provider": r.provider.name},
        )
        return redirect("web:finance-provider-rates")
    return render(
        request,
        "web/finance/ledger/provider_rates.html",
        {
            "rates": paged(request, selectors.provider_rates_list(viewer=viewer_of(request))),
            "providers": ServiceProvider.objects.order_by("name").only("pk", "name"),
            "company_currency": ledger.policy().company_currency,
        },
    )


def _provider_rate_from(request: HttpRequest) -> Any:
    pk = _pk(request.POST.get("provider"))
    provider = ServiceProvider.objects.filter(pk=pk).first() if pk else None
    if provider is None:
        raise NotFound(_("Service provider not found."), where="provider")
    return ledger.provider_rate_set(
        actor=request.user,  # type: ignore[arg-type]
        provider=provider,
        hourly_rate=request.POST.get("hourly_rate", ""),
        hours_per_work_order=request.POST.get("hours_per_work_order", ""),
        per_km=request.POST.get("per_km", ""),
        currency=request.POST.get("currency", ""),
    )


# --- the finance policy -------------------------------------------------------------------------


@login_required
@portal_not_found
@permission_required("finance.view_financepolicy", raise_exception=True)
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    if request.method == "POST":
        if not request.user.has_perm("finance.change_financepolicy"):
            raise PermissionDenied
        _run(
            request,
            lambda: ledger.policy_update(
                actor=request.user,  # type: ignore[arg-type]
                company_currency=request.POST.get("company_currency", ""),
                four_eyes_threshold=request.POST.get("four_eyes_threshold", ""),
                alert_thresholds=request.POST.get("alert_thresholds", "")
                .replace("，", ",")
                .split(","),
                postage_per_letter=request.POST.get("postage_per_letter", ""),
            ),
            lambda _p: _("Finance policy saved."),
        )
        return redirect("web:finance-policy")
    return render(
        request,
        "web/finance/ledger/policy.html",
        {
            "policy": ledger.policy(),
            "can_change": request.user.has_perm("finance.change_financepolicy"),
            "locked_currency": CostEntry.objects.filter(~Q(pk=None)).exists(),
        },
    )
