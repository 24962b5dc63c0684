"""Finance pages for vendor quotes and refunds: a recall's requests for quotes and refund
requests (with the forms to start them), one request for quotes with its quotes side by side,
the award and cancellation, the vendor scorecard, the refund requests across recalls, one
refund request with its approvals (the second one signed), rejection and payment, and the AP
export batches with their files. Portal users never see these pages; a refused action shows
the service's message on the same page, with what was typed kept."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from medrecall.accounts.models import User
from medrecall.accounts.signatures import signing_needs_user_id
from medrecall.core.errors import DomainError, NotFound, ValidationFailed
from medrecall.core.files import document_response
from medrecall.core.presentation import party_name
from medrecall.finance import payables_export, quotes, refunds
from medrecall.finance.ledger import Attachment, company_today, policy
from medrecall.finance.models_payables import (
    PaymentMethod,
    QuoteKind,
    QuoteRequest,
    RefundRequest,
    RefundStatus,
)
from medrecall.parties import selectors as parties
from medrecall.recalls.models import RecallCase
from medrecall.recalls.selectors import recall_get_for

from .paging import paged

T = TypeVar("T")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATES = "web/finance/payables/"


def _staff(request: HttpRequest, *perms: str) -> User:
    """A staff user holding one of ``perms``; portal users and everyone else are refused."""
    user = request.user
    if isinstance(user, User) and user.party_id is not None:
        raise Http404(_("Not found."))  # finance does not exist for a portal user
    if not isinstance(user, User) or not any(user.has_perm(p) for p in perms):
        raise PermissionDenied
    return user


def _found(lookup: Callable[[], T]) -> T:
    try:
        return lookup()
    except NotFound as missing:
        raise Http404(missing.message) from missing


def _named(lookup: Callable[[], T]) -> T:
    """A record the form names (a party code, a vendor): one that is not there is bad input
    (400, the field named), not a missing page."""
    try:
        return lookup()
    except NotFound as missing:
        raise ValidationFailed(missing.message, where=missing.where) from missing


def _day(value: str, *, where: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(_("Give the date as YYYY-MM-DD."), where=where) from None


def _refused(refused: DomainError) -> dict[str, Any]:
    return {"error": refused.message, "error_where": refused.where}


# -- a recall's quotes and refunds --------------------------------------------------------------
def _holder_units(request: HttpRequest, recall: RecallCase) -> dict[str, Any]:
    """A page of the scope's holders with what each can still be refunded (the form's cap)."""
    found = paged(request, refunds.holders_units(recall=recall), param="holders")
    return {"holder_pages": found, "holder_units": [refunds.HolderUnits.of(p) for p in found]}


def _recall_page(
    request: HttpRequest, user: User, recall: RecallCase, *, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        TEMPLATES + "recall.html",
        {
            "recall": recall,
            "quote_requests": paged(request, quotes.quote_requests_of(recall), param="rfq"),
            "refund_rows": paged(request, refunds.refund_requests(recall=recall), param="refunds"),
            **_holder_units(request, recall),
            "kinds": QuoteKind.choices,
            "can_request_quotes": user.has_perm("finance.add_quoterequest"),
            "can_request_refund": refunds.refund_may_request(user, from_reply=True),
            "refund_from_reply_only": not user.has_perm("finance.add_refundrequest"),
            "company_currency": policy().company_currency,
            "today": company_today().isoformat(),
            "form": request.POST if request.method == "POST" else {},
            **extra,
        },
        status=status,
    )


@login_required
def recall_payables(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request, "finance.view_quoterequest", "finance.view_refundrequest")
    return _recall_page(request, user, _found(lambda: recall_get_for(viewer=user, pk=pk)))


@login_required
@require_POST
def quote_request_open(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request, "finance.add_quoterequest")
    recall = _found(lambda: recall_get_for(viewer=user, pk=pk))
    post = request.POST
    try:
        created = quotes.quote_request_open(
            actor=user,
            recall=recall,
            kind=post.get("kind", ""),
            description=post.get("description", ""),
            quantity=post.get("quantity", ""),
            region=post.get("region", ""),
            due_on=_day(post.get("due_on", ""), where="due_on"),
        )
    except DomainError as refused:
        return _recall_page(
            request, user, recall, status=refused.status, form_name="rfq", **_refused(refused)
        )
    messages.success(request, _("%(number)s is open for quotes.") % {"number": created.number})
    return redirect("web:finance-quote-request", pk=created.pk)


@login_required
@require_POST
def refund_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request, "finance.add_refundrequest", "finance.request_refund_from_reply")
    recall = _found(lambda: recall_get_for(viewer=user, pk=pk))
    post = request.POST
    from_reply = post.get("from_reply") == "on"
    if not refunds.refund_may_request(user, from_reply=from_reply):
        raise PermissionDenied
    try:
        holder = _named(
            lambda: parties.party_coded(code=post.get("holder", "").strip(), where="holder")
        )
        created = refunds.refund_request(
            actor=user,
            recall=recall,
            claim=refunds.RefundClaim(
                holder=holder,
                quantity=post.get("quantity", ""),
                unit_price=post.get("unit_price", ""),
                invoice_reference=post.get("invoice_reference", ""),
                amount=post.get("amount", ""),
                currency=post.get("currency", ""),
                reason=post.get("reason", ""),
            ),
            reply=_named(lambda: refunds.reply_of(recall=recall, holder=holder))
            if from_reply
            else None,
        )
    except DomainError as refused:
        return _recall_page(
            request, user, recall, status=refused.status, form_name="refund", **_refused(refused)
        )
    messages.success(request, _("%(number)s is entered.") % {"number": created.number})
    return redirect("web:finance-refund-detail", pk=created.pk)


# -- one request for quotes ---------------------------------------------------------------------
def _award_choices(rows: list[Any]) -> list[tuple[str, str]]:
    """The award list's options: each quoting vendor by its name in the reader's language (the
    English name for English readers, the Chinese one otherwise, each falling back to the
    other), its code added only where two vendors share a name."""
    names = [(row.quote.vendor.code, party_name(row.quote.vendor)) for row in rows]
    counted = Counter(name for _code, name in names)
    return [
        (code, f"{name} ({code})" if counted[name] > 1 or not name else name)
        for code, name in names
    ]


def _rfq_page(
    request: HttpRequest, user: User, found: QuoteRequest, *, status: int = 200, **extra: Any
) -> HttpResponse:
    on: date | None = None
    if request.GET.get("on"):
        try:
            on = _day(request.GET["on"], where="on")
        except ValidationFailed as refused:
            extra = {**extra, **_refused(refused)}
    comparison = quotes.quotes_compare(found, on=on)
    return render(
        request,
        TEMPLATES + "quote_request.html",
        {
            "rfq": found,
            "comparison": comparison,
            "award_choices": _award_choices(comparison.rows),
            "vendor_choices": quotes.vendor_choices() if found.status == "open" else [],
            "can_add": user.has_perm("finance.add_quote") and found.status == "open",
            "can_award": user.has_perm("finance.change_quoterequest") and found.status == "open",
            "today": company_today().isoformat(),
            "form": request.POST if request.method == "POST" else {},
            **extra,
        },
        status=status,
    )


@login_required
def quote_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request, "finance.view_quoterequest")
    return _rfq_page(request, user, _found(lambda: quotes.quote_request_get(pk=pk)))


@login_required
@require_POST
def quote_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request, "finance.add_quote")
    found = _found(lambda: quotes.quote_request_get(pk=pk))
    post, upload = request.POST, request.FILES.get("attachment")
    try:
        quotes.quote_add(
            actor=user,
            request=found,
            terms=quotes.QuoteTerms(
                vendor=_named(
                    lambda: parties.party_coded(code=post.get("vendor", "").strip(), where="vendor")
                ),
                price=post.get("price", ""),
                currency=post.get("currency", ""),
                lead_time_days=post.get("lead_time_days", ""),
                quoted_on=_day(
                    post.get("quoted_on") or timezone.localdate().isoformat(), where="quoted_on"
                ),
                valid_until=_day(post.get("valid_until", ""), where="valid_until"),
                coverage=post.get("coverage", ""),
                notes=post.get("notes", ""),
            ),
            attachment=Attachment(name=upload.name or "", content=upload.read())
            if upload
            else None,
        )
    except DomainError as refused:
        return _rfq_page(
            request, user, found, status=refused.status, form_name="quote", **_refused(refused)
        )
    return redirect("web:finance-quote-request", pk=found.pk)


@login_required
@require_POST
def quote_award(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request, "finance.change_quoterequest")
    found = _found(lambda: quotes.quote_request_get(pk=pk))
    post = request.POST
    try:
        quotes.quote_award(
            actor=user,
            request=found,
            quote=_named(lambda: quotes.quote_of(found, vendor_code=post.get("vendor", ""))),
            reason=post.get("reason", ""),
            accept_expired=post.get("accept_expired") == "on",
        )
    except DomainError as refused:
        return _rfq_page(
            request, user, found, status=refused.status, form_name="award", **_refused(refused)
        )
    messages.success(request, _("%(number)s is awarded.") % {"number": found.number})
    return redirect("web:finance-quote-request", pk=found.pk)


@login_required
@require_POST
def quote_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request, "finance.change_quoterequest")
    found = _found(lambda: quotes.quote_request_get(pk=pk))
    try:
        quotes.quote_request_cancel(
            actor=user, request=found, reason=request.POST.get("reason", "")
        )
    except DomainError as refused:
        return _rfq_page(
            request, user, found, status=refused.status, form_name="cancel", **_refused(refused)
        )
    return redirect("web:finance-quote-request", pk=found.pk)


@login_required
def scorecard(request: HttpRequest) -> HttpResponse:
    _staff(request, "finance.view_quoterequest")
    return render(request, TEMPLATES + "scorecard.html", {"rows": quotes.vendor_scorecard()})


# -- refunds ------------------------------------------------------------------------------------
@login_required
def refund_list(request: HttpRequest) -> HttpResponse:
    _staff(request, "finance.view_refundrequest")
    wanted = request.GET.get("status", "")
    if wanted not in RefundStatus.values:
        wanted = ""
    return render(
        request,
        TEMPLATES + "refunds.html",
        {
            "rows": paged(request, refunds.refund_requests(status=wanted)),
            "status": wanted,
            "statuses": RefundStatus.choices,
        },
    )


def _refund_page(
    request: HttpRequest, user: User, found: RefundRequest, *, status: int = 200, **extra: Any
) -> HttpResponse:
    from medrecall.accounts.signatures import signature_manifest

    awaiting = found.status in (RefundStatus.REQUESTED, RefundStatus.AWAITING_SECOND)
    refusal = refunds.approval_refusal(found, user) if awaiting else None
    return render(
        request,
        TEMPLATES + "refund_detail.html",
        {
            "refund": found,
            "payment": getattr(found, "payment", None)
            if found.status == RefundStatus.PAID
            else None,
            "needs_second": refunds.needs_second_approval(found),
            "threshold": policy().four_eyes_threshold,
            "company_currency": found.company_currency,
            "signature": signature_manifest(found.second_signature)
            if found.second_signature
            else None,
            "can_approve": awaiting and refusal is None,
            "can_reject": awaiting and user.has_perm("finance.approve_refundrequest"),
            "approval_refusal": refusal if awaiting else None,
            "approvers_left": refunds.approvers_left(found) if awaiting else None,
            "can_pay": user.has_perm("finance.add_refundpayment")
            and found.status == RefundStatus.APPROVED,
            "signing": found.status == RefundStatus.AWAITING_SECOND,
            "signing_needs_user_id": signing_needs_user_id(request.session, user),
            "methods": PaymentMethod.choices,
            "today": company_today().isoformat(),
            "form": request.POST if request.method == "POST" else {},
            **extra,
        },
        status=status,
    )


def _refund(pk: int) -> RefundRequest:
    return _found(lambda: refunds.refund_get(pk=pk))


@login_required
def refund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request, "finance.view_refundrequest")
    return _refund_page(request, user, _refund(pk))


@login_required
@require_POST
def refund_approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request, "finance.approve_refundrequest")
    found = _refund(pk)
    try:
        approved = refunds.refund_approve(
            actor=user,
            request=found,
            password=request.POST.get("password", ""),
            username=request.POST.get("username") or None,
            session=request.session,
        )
    except DomainError as refused:
        return _refund_page(
            request,
            user,
            _refund(pk),
            status=refused.status,
            form_name="approve",
            **_refused(refused),
        )
    messages.success(
        request,
        _("%(number)s: %(status)s.")
        % {"number": approved.number, "status": approved.get_status_display()},
    )
    return redirect("web:finance-refund-detail", pk=pk)


@login_required
@require_POST
def refund_reject(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request, "finance.approve_refundrequest")
    found = _refund(pk)
    try:
        refunds.refund_reject(actor=user, request=found, reason=request.POST.get("reason", ""))
    except DomainError as refused:
        return _refund_page(
            request, user, found, status=refused.status, form_name="reject", **_refused(refused)
        )
    return redirect("web:finance-refund-detail", pk=pk)


@login_required
@require_POST
def refund_pay(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request, "finance.add_refundpayment")
    found = _refund(pk)
    post = request.POST
    try:
        payment = refunds.refund_pay(
            actor=user,
            request=found,
            terms=refunds.PaymentTerms(
                paid_on=_day(post.get("paid_on", ""), where="paid_on"),
                amount=post.get("amount", ""),
                method=post.get("method", ""),
                credit_note_number=post.get("credit_note_number", ""),
                reference=post.get("reference", ""),
            ),
        )
    except DomainError as refused:
        return _refund_page(
            request, user, _refund(pk), status=refused.status, form_name="pay", **_refused(refused)
        )
    messages.success(request, _("%(number)s is paid.") % {"number": payment.number})
    return redirect("web:finance-refund-detail", pk=pk)


# -- the AP export ------------------------------------------------------------------------------
@login_required
def ap_exports(request: HttpRequest) -> HttpResponse:
    user = _staff(request, "finance.export_refundpayment")
    if request.method == "POST":
        try:
            batch = payables_export.ap_export(actor=user)
        except DomainError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                _("%(number)s: %(count)s payments exported.")
                % {"number": batch.number, "count": batch.payment_count},
            )
        return redirect("web:finance-ap-exports")
    return render(
        request,
        TEMPLATES + "ap_exports.html",
        {"rows": paged(request, payables_export.ap_batches()), "columns": payables_export.COLUMNS},
    )


@login_required
def ap_export_file(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request, "finance.export_refundpayment")
    batch = _found(lambda: payables_export.ap_batch_get(pk=pk))
    if request.GET.get("file") == "xlsx":
        return document_response(
            payables_export.ap_xlsx(batch), filename=f"{batch.number}.xlsx", content_type=XLSX
        )
    return document_response(
        payables_export.ap_csv(batch),
        filename=f"{batch.number}.csv",
        content_type="text/csv; charset=utf-8",
    )
