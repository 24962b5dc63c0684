"""``medrecall finance …``: Vendor quotes and the vendor scorecard; refunds, compensation,
payments and the AP export.

  finance quotes request RECALL --kind K --description D --quantity N --region R --due YYYY-MM-DD --user U
  finance quotes add RFQ --vendor CODE --price P --currency C --lead-time DAYS --valid-until D [--quoted-on D] [--coverage T] [--attachment FILE] --user U
  finance quotes compare RFQ [--on YYYY-MM-DD]
  finance quotes award RFQ --vendor CODE --reason R [--accept-expired] --user U
  finance quotes cancel RFQ --reason R --user U
  finance quotes scorecard [--vendor CODE]
  finance refunds request RECALL --holder CODE --quantity N --unit-price P --invoice REF --amount A --currency C [--reply | --offer ID] --user U
  finance refunds approve RF --user U   (at or above the four-eyes threshold the second approval is
                                         signed: the password is asked for without echo at a
                                         terminal, or read from --password-file PATH)
  finance refunds reject RF --reason R --user U
  finance refunds pay RF --paid-on D --amount A --method bank_transfer|credit_note [--credit-note N] [--reference R] --user U
  finance refunds list [--recall RECALL] [--status S]
  finance refunds export [--batch AP-…] [--format csv|xlsx] --output FILE --user U
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from medrecall.cli.command import Subcommands
from medrecall.cli.lookups import found, party_coded, recall_numbered, user_named
from medrecall.finance import payables_export, quotes, refunds
from medrecall.finance.ledger import Attachment
from medrecall.finance.models_payables import (
    PaymentMethod,
    QuoteKind,
    RefundRequest,
    RefundStatus,
)


def declare(areas: Subcommands) -> None:
    """Add this area's subcommands to ``medrecall finance``."""
    _declare_quotes(areas.group("quotes", help="Vendor quotes.", missing="quotes action"))
    _declare_refunds(
        areas.group("refunds", help="Refunds and compensation.", missing="refunds action")
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": text}) from None


def _user_option(parser: Any) -> None:
    parser.add_argument("--user", required=True, help="The account the action is recorded under.")


def _declare_quotes(verbs: Subcommands) -> None:
    request = verbs.add("request", _quote_request, help="Ask vendors to quote for a recall.")
    request.add_argument("recall")
    request.add_argument("--kind", required=True, choices=QuoteKind.values)
    request.add_argument("--description", required=True)
    request.add_argument("--quantity", required=True)
    request.add_argument("--region", required=True, help="Region / coverage needed")
    request.add_argument("--due", required=True, help="Quotes due by (YYYY-MM-DD)")
    _user_option(request)
    add = verbs.add("add", _quote_add, help="Enter a vendor's quote.")
    add.add_argument("request", metavar="RFQ")
    add.add_argument("--vendor", required=True, help="The vendor's party code")
    add.add_argument("--price", required=True)
    add.add_argument("--currency", required=True)
    add.add_argument("--lead-time", required=True, help="Lead time in days")
    add.add_argument("--valid-until", required=True)
    add.add_argument("--quoted-on", default="", help="Default: today")
    add.add_argument("--coverage", default="")
    add.add_argument("--notes", default="")
    add.add_argument("--attachment", default="", help="The quote document (PDF, image, Excel)")
    _user_option(add)
    compare = verbs.add("compare", _quote_compare, help="The quotes side by side.")
    compare.add_argument("request", metavar="RFQ")
    compare.add_argument("--on", default="", help="Rate day (default today)")
    award = verbs.add("award", _quote_award, help="Choose a quote, with the reason.")
    award.add_argument("request", metavar="RFQ")
    award.add_argument("--vendor", required=True)
    award.add_argument("--reason", required=True)
    award.add_argument("--accept-expired", action="store_true")
    _user_option(award)
    cancel = verbs.add("cancel", _quote_cancel, help="Cancel a request for quotes.")
    cancel.add_argument("request", metavar="RFQ")
    cancel.add_argument("--reason", required=True)
    _user_option(cancel)
    score = verbs.add("scorecard", _scorecard, help="Vendors: actual against quoted, on time.")
    score.add_argument("--vendor", default="")


def _request_answer(request: Any) -> dict[str, Any]:
    return {
        "number": request.number,
        "recall": request.recall.number,
        "kind": request.kind,
        "status": request.status,
        "quantity": request.quantity,
        "region": request.region,
        "due_on": request.due_on.isoformat(),
        "awarded_vendor": request.awarded_quote.vendor.code if request.awarded_quote else None,
        "award_reason": request.award_reason,
        "message": f"{request.number}: {request.get_status_display()}",
    }


def _quote_request(o: dict[str, Any]) -> dict[str, Any]:
    request = quotes.quote_request_open(
        actor=user_named(o["user"]),
        recall=recall_numbered(o["recall"]),
        kind=o["kind"],
        description=o["description"],
        quantity=o["quantity"],
        region=o["region"],
        due_on=_day(o["due"]),
    )
    return _request_answer(request)


def _rfq(number: str) -> Any:
    return found(lambda: quotes.quote_request_numbered(number=number))


def _quote_add(o: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    attachment = None
    if o["attachment"]:
        path = Path(o["attachment"])
        try:
            attachment = Attachment(name=path.name, content=path.read_bytes())
        except OSError as error:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s.")
                % {"path": path, "error": error.strerror or error}
            ) from error
    request = _rfq(o["request"])
    quote = quotes.quote_add(
        actor=user_named(o["user"]),
        request=request,
        terms=quotes.QuoteTerms(
            vendor=party_coded(o["vendor"]),
            price=o["price"],
            currency=o["currency"],
            lead_time_days=o["lead_time"],
            quoted_on=_day(o["quoted_on"]) if o["quoted_on"] else timezone.localdate(),
            valid_until=_day(o["valid_until"]),
            coverage=o["coverage"],
            notes=o["notes"],
        ),
        attachment=attachment,
    )
    return {
        "request": request.number,
        "vendor": quote.vendor.code,
        "price": str(quote.price),
        "currency": quote.currency,
        "lead_time_days": quote.lead_time_days,
        "valid_until": quote.valid_until.isoformat(),
        "message": f"{request.number}: {quote.vendor.code} {quote.price} {quote.currency}",
    }


def _quote_compare(o: dict[str, Any]) -> dict[str, Any]:
    compared = quotes.quotes_compare(_rfq(o["request"]), on=_day(o["on"]) if o["on"] else None)
    body = compared.as_dict()
    lines = [
        f"{q['vendor']:<12} {q['price']:>12} {q['currency']}  "
        f"{q['company_price'] or _('no rate'):>12} {compared.company_currency}  "
        f"{q['lead_time_days']}d  {'*' if q['chosen'] else ''}"
        for q in body["quotes"]
    ]
    body["message"] = "\n".join([compared.request.number, *lines])
    return body


def _quote_award(o: dict[str, Any]) -> dict[str, Any]:
    request = _rfq(o["request"])
    request = quotes.quote_award(
        actor=user_named(o["user"]),
        request=request,
        quote=found(lambda: quotes.quote_of(request, vendor_code=o["vendor"])),
        reason=o["reason"],
        accept_expired=o["accept_expired"],
    )
    return _request_answer(request)


def _quote_cancel(o: dict[str, Any]) -> dict[str, Any]:
    request = quotes.quote_request_cancel(
        actor=user_named(o["user"]), request=_rfq(o["request"]), reason=o["reason"]
    )
    return _request_answer(request)


def _scorecard(o: dict[str, Any]) -> dict[str, Any]:
    vendor = party_coded(o["vendor"]) if o["vendor"] else None
    rows = [row.as_dict() for row in quotes.vendor_scorecard(vendor=vendor)]
    lines = [
        f"{r['vendor']:<12} quoted {r['quoted']:>12} actual {r['actual']:>12} "
        f"variance {r['variance'] or (_('no cost yet') if r['no_cost_yet'] else '-'):>10} "
        f"on time {r['on_time_percent'] or '-'}%"
        for r in rows
    ]
    return {"vendors": rows, "message": "\n".join(lines) or _("No vendor to score yet.")}


# -- refunds ------------------------------------------------------------------------------------
def _declare_refunds(verbs: Subcommands) -> None:
    request = verbs.add("request", _refund_request, help="Enter a refund or compensation request.")
    request.add_argument("recall")
    request.add_argument("--holder", required=True, help="The holder's party code")
    request.add_argument("--quantity", required=True)
    request.add_argument("--unit-price", required=True, help="Unit price on the holder's invoice")
    request.add_argument("--invoice", required=True, help="The invoice's document reference")
    request.add_argument("--amount", required=True)
    request.add_argument("--currency", required=True)
    request.add_argument("--reason", default="")
    origin = request.add_mutually_exclusive_group()
    origin.add_argument("--reply", action="store_true", help="From the holder's reply")
    origin.add_argument("--offer", type=int, default=0, help="From an approved credit offer (id)")
    _user_option(request)
    approve = verbs.add("approve", _refund_approve, help="Approve a request (four eyes, signed).")
    approve.add_argument("number", metavar="RF")
    approve.add_argument(
        "--password-file",
        default="",
        help="The second approval is signed: read the signing password from this file (mode "
        "600; - reads standard input). Without it the password is asked for at the terminal.",
    )
    _user_option(approve)
    reject = verbs.add("reject", _refund_reject, help="Reject a request, with the reason.")
    reject.add_argument("number", metavar="RF")
    reject.add_argument("--reason", required=True)
    _user_option(reject)
    pay = verbs.add("pay", _refund_pay, help="Record the payment of an approved request.")
    pay.add_argument("number", metavar="RF")
    pay.add_argument("--paid-on", required=True)
    pay.add_argument("--amount", required=True)
    pay.add_argument("--method", required=True, choices=PaymentMethod.values)
    pay.add_argument("--credit-note", default="", help="The credit note's number")
    pay.add_argument("--reference", default="", help="The bank's or ERP's payment reference")
    _user_option(pay)
    listing = verbs.add("list", _refund_list, help="Refund requests.")
    listing.add_argument("--recall", default="")
    listing.add_argument("--status", default="", choices=["", *RefundStatus.values])
    export = verbs.add("export", _refund_export, help="Export payments for accounts payable.")
    export.add_argument("--batch", default="", help="Export this batch again (default: a new one)")
    export.add_argument("--format", default="csv", choices=["csv", "xlsx"])
    export.add_argument("--output", required=True, help="The file to write")
    _user_option(export)


def _refund_answer(request: RefundRequest) -> dict[str, Any]:
    payment = getattr(request, "payment", None) if request.status == RefundStatus.PAID else None
    return {
        "number": request.number,
        "recall": request.recall.number,
        "holder": request.holder.code,
        "source": request.source,
        "quantity": request.quantity,
        "unit_price": str(request.unit_price),
        "invoice_reference": request.invoice_reference,
        "amount": str(request.amount),
        "currency": request.currency,
        "company_amount": str(request.company_amount),
        "status": request.status,
        "needs_second_approval": refunds.needs_second_approval(request),
        "requested_by": request.requested_by.username,
        "first_approver": request.first_approver.username if request.first_approver else None,
        "second_approver": request.second_approver.username if request.second_approver else None,
        "payment": payment.number if payment else None,
        "message": f"{request.number}: {request.get_status_display()}",
    }


def _refund_request(o: dict[str, Any]) -> dict[str, Any]:
    recall = recall_numbered(o["recall"])
    holder = party_coded(o["holder"])
    reply = found(lambda: refunds.reply_of(recall=recall, holder=holder)) if o["reply"] else None
    offer = found(lambda: refunds.offer_in(recall=recall, pk=o["offer"])) if o["offer"] else None
    request = refunds.refund_request(
        actor=user_named(o["user"]),
        recall=recall,
        claim=refunds.RefundClaim(
            holder=holder,
            quantity=o["quantity"],
            unit_price=o["unit_price"],
            invoice_reference=o["invoice"],
            amount=o["amount"],
            currency=o["currency"],
            reason=o["reason"],
        ),
        reply=reply,
        offer=offer,
    )
    return _refund_answer(request)


def _refund(number: str) -> RefundRequest:
    return found(lambda: refunds.refund_numbered(number=number))


def _refund_approve(o: dict[str, Any]) -> dict[str, Any]:
    user = user_named(o["user"])
    request = _refund(o["number"])
    password = ""
    if request.status == RefundStatus.AWAITING_SECOND:  # the signed step (21 CFR 11)
        from medrecall.cli.signing import signing_password

        password = signing_password(
            username=user.username, password_file=o["password_file"], stdin=o.get("stdin")
        )
    request = refunds.refund_approve(
        actor=user, request=request, password=password, username=user.username if password else None
    )
    return _refund_answer(refunds.refund_numbered(number=request.number))


def _refund_reject(o: dict[str, Any]) -> dict[str, Any]:
    request = refunds.refund_reject(
        actor=user_named(o["user"]), request=_refund(o["number"]), reason=o["reason"]
    )
    return _refund_answer(request)


def _refund_pay(o: dict[str, Any]) -> dict[str, Any]:
    payment = refunds.refund_pay(
        actor=user_named(o["user"]),
        request=_refund(o["number"]),
        terms=refunds.PaymentTerms(
            paid_on=_day(o["paid_on"]),
            amount=o["amount"],
            method=o["method"],
            credit_note_number=o["credit_note"],
            reference=o["reference"],
        ),
    )
    return {
        "payment": payment.number,
        "request": payment.request.number,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "method": payment.method,
        "cost_entry": payment.cost_entry.number if payment.cost_entry else None,
        "message": f"{payment.number}: {payment.request.number} {payment.amount} {payment.currency}",
    }


def _refund_list(o: dict[str, Any]) -> dict[str, Any]:
    recall = recall_numbered(o["recall"]) if o["recall"] else None
    rows = [_refund_answer(r) for r in refunds.refund_requests(recall=recall, status=o["status"])]
    return {
        "requests": rows,
        "message": "\n".join(
            f"{r['number']} {r['recall']} {r['holder']} {r['amount']} {r['currency']} {r['status']}"
            for r in rows
        )
        or _("No refund requests."),
    }


def _refund_export(o: dict[str, Any]) -> dict[str, Any]:
    user = user_named(o["user"])
    if o["batch"]:
        batch = found(lambda: payables_export.ap_batch_numbered(number=o["batch"]))
    else:
        batch = payables_export.ap_export(actor=user)
    data = (
        payables_export.ap_xlsx(batch) if o["format"] == "xlsx" else payables_export.ap_csv(batch)
    )
    Path(o["output"]).write_bytes(data)
    return {
        "batch": batch.number,
        "payments": batch.payment_count,
        "output": o["output"],
        "message": f"{batch.number}: {batch.payment_count} → {o['output']}",
    }
