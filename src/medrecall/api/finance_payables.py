"""Finance endpoints for vendor quotes (requests, quotes, comparison, award, scorecard) and for
refunds and compensation (requests, approval with e-signature, rejection, payment, the AP
export). One small view per action; each calls one service or selector of ``finance``.

Amounts travel as decimal strings ("1250.00") and are checked by the services, so a bad one
answers 400 with the message and the field (``where``). Portal users see nothing here."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.models import User
from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedSerializer, query_int
from medrecall.core.files import document_response
from medrecall.core.presentation import party_name
from medrecall.finance import payables_export, quotes, refunds
from medrecall.finance.ledger import Attachment
from medrecall.finance.models_payables import (
    ApExportBatch,
    PaymentMethod,
    QuoteKind,
    QuoteRequest,
    QuoteRequestStatus,
    RefundPayment,
    RefundRequest,
    RefundSource,
    RefundStatus,
)
from medrecall.parties import selectors as parties
from medrecall.recalls.models import RecallCase
from medrecall.recalls.selectors import recall_get_for

from .errors import named_in_body
from .pagination import PAGE_PARAMETERS, page_of, paginated

TAGS = ["finance"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _need(request: Request, *perms: str) -> User:
    """The viewer, if a staff user holding one of ``perms`` (portal users never)."""
    viewer = viewer_of(request)
    if viewer.party_id is not None or not any(viewer.has_perm(p) for p in perms):
        raise PermissionDenied
    return viewer


def _recall(request: Request, pk: int, *perms: str) -> tuple[User, RecallCase]:
    viewer = _need(request, *perms)
    return viewer, recall_get_for(viewer=viewer, pk=pk)


# -- quotes -------------------------------------------------------------------------------------
class QuoteSerializer(BoundedSerializer):
    id = serializers.IntegerField()
    vendor = serializers.CharField(help_text="The vendor's party code")
    vendor_name = serializers.CharField(help_text="The vendor's name in the request's language")
    price = serializers.CharField()
    currency = serializers.CharField()
    rate = serializers.CharField(allow_null=True, help_text="Null: no rate for the day")
    company_price = serializers.CharField(allow_null=True, help_text="Null: no rate for the day")
    rate_missing = serializers.BooleanField()
    lead_time_days = serializers.IntegerField()
    coverage = serializers.CharField(allow_blank=True)
    quoted_on = serializers.DateField()
    valid_until = serializers.DateField()
    expired = serializers.BooleanField()
    chosen = serializers.BooleanField()
    cheapest = serializers.BooleanField()
    fastest = serializers.BooleanField()
    attachment = serializers.CharField(allow_blank=True)


class QuoteRequestSerializer(BoundedSerializer):
    id = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    recall = serializers.CharField(source="recall.number")
    kind = serializers.ChoiceField(choices=QuoteKind.choices)
    description = serializers.CharField()
    quantity = serializers.IntegerField()
    region = serializers.CharField(help_text="ISO 3166 codes, comma-separated")
    region_name = serializers.CharField(
        source="region_label", help_text="The regions by name in the request's language"
    )
    due_on = serializers.DateField()
    status = serializers.ChoiceField(choices=QuoteRequestStatus.choices)
    awarded_vendor = serializers.CharField(
        source="awarded_quote.vendor.code", allow_null=True, default=None
    )
    awarded_vendor_name = serializers.CharField(source="awarded_vendor_label", allow_blank=True)
    award_reason = serializers.CharField(allow_blank=True)
    award_expired = serializers.BooleanField()
    award_company_price = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    cancel_reason = serializers.CharField(allow_blank=True)


class QuoteComparisonSerializer(BoundedSerializer):
    request = QuoteRequestSerializer()
    on = serializers.DateField()
    company_currency = serializers.CharField()
    quotes = QuoteSerializer(many=True)


class QuoteRequestInSerializer(BoundedSerializer):
    kind = serializers.ChoiceField(choices=QuoteKind.choices)
    description = serializers.CharField(max_length=4000)
    quantity = serializers.CharField(max_length=12, help_text="Units (a whole number)")
    region = serializers.CharField(max_length=255)
    due_on = serializers.DateField()


def _quote_request(request: Request, pk: int, *perms: str) -> tuple[User, QuoteRequest]:
    viewer = _need(request, *perms)
    return viewer, quotes.quote_request_get(pk=pk)


class QuoteRequestsView(APIView):
    """A recall's requests for quotes (GET); ask vendors to quote (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=page_of(QuoteRequestSerializer), parameters=PAGE_PARAMETERS)
    def get(self, request: Request, pk: int) -> Response:
        _viewer, recall = _recall(request, pk, "finance.view_quoterequest")
        return paginated(self, request, quotes.quote_requests_of(recall), QuoteRequestSerializer)

    @extend_schema(tags=TAGS, request=QuoteRequestInSerializer, responses=QuoteRequestSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, recall = _recall(request, pk, "finance.add_quoterequest")
        payload = QuoteRequestInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        created = quotes.quote_request_open(actor=viewer, recall=recall, **payload.validated_data)
        return Response(QuoteRequestSerializer(created).data, status=status.HTTP_201_CREATED)


def _comparison(found: QuoteRequest, on: date | None) -> dict[str, Any]:
    compared = quotes.quotes_compare(found, on=on)
    return {
        "request": found,
        "on": compared.on,
        "company_currency": compared.company_currency,
        "quotes": [row.as_dict() for row in compared.rows],
    }


class QuoteRequestDetailView(APIView):
    """One request with its quotes side by side in the company currency (rate of ``on``)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter("on", OpenApiTypes.DATE, description="Rate day (default today)")
        ],
        responses=QuoteComparisonSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        _viewer, found = _quote_request(request, pk, "finance.view_quoterequest")
        given = request.query_params.get("on", "")
        on = serializers.DateField().run_validation(given) if given else None
        return Response(QuoteComparisonSerializer(_comparison(found, on)).data)


class QuoteInSerializer(BoundedSerializer):
    vendor = serializers.CharField(max_length=64, help_text="The vendor's party code")
    price = serializers.CharField(max_length=20)
    currency = serializers.CharField(max_length=10)
    lead_time_days = serializers.CharField(max_length=6, help_text="Days")
    quoted_on = serializers.DateField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateField()
    coverage = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    attachment = serializers.FileField(required=False, allow_null=True, default=None)


class QuoteAddView(APIView):
    """Enter a vendor's quote (JSON, or multipart with the quote document as ``attachment``)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(tags=TAGS, request=QuoteInSerializer, responses=QuoteComparisonSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, found = _quote_request(request, pk, "finance.add_quote")
        payload = QuoteInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        upload = data["attachment"]
        quotes.quote_add(
            actor=viewer,
            request=found,
            terms=quotes.QuoteTerms(
                vendor=named_in_body(
                    lambda: parties.party_coded(code=data["vendor"], where="vendor")
                ),
                price=data["price"],
                currency=data["currency"],
                lead_time_days=data["lead_time_days"],
                quoted_on=data["quoted_on"] or timezone.localdate(),
                valid_until=data["valid_until"],
                coverage=data["coverage"],
                notes=data["notes"],
            ),
            attachment=Attachment(name=upload.name, content=upload.read()) if upload else None,
        )
        found = quotes.quote_request_get(pk=pk)
        return Response(
            QuoteComparisonSerializer(_comparison(found, None)).data, status=status.HTTP_201_CREATED
        )


class AwardInSerializer(BoundedSerializer):
    vendor = serializers.CharField(max_length=64, help_text="The chosen vendor's party code")
    reason = serializers.CharField(max_length=4000, allow_blank=True)
    accept_expired = serializers.BooleanField(
        required=False, default=False, help_text="Award a quote past its validity"
    )


class QuoteAwardView(APIView):
    """Choose a quote, with the reason (a quote past its validity only with ``accept_expired``)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=AwardInSerializer, responses=QuoteRequestSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, found = _quote_request(request, pk, "finance.change_quoterequest")
        payload = AwardInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        awarded = quotes.quote_award(
            actor=viewer,
            request=found,
            quote=named_in_body(lambda: quotes.quote_of(found, vendor_code=data["vendor"])),
            reason=data["reason"],
            accept_expired=data["accept_expired"],
        )
        return Response(QuoteRequestSerializer(awarded).data)


class ReasonSerializer(BoundedSerializer):
    reason = serializers.CharField(max_length=4000, allow_blank=True)


class QuoteCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=ReasonSerializer, responses=QuoteRequestSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, found = _quote_request(request, pk, "finance.change_quoterequest")
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cancelled = quotes.quote_request_cancel(
            actor=viewer, request=found, reason=payload.validated_data["reason"]
        )
        return Response(QuoteRequestSerializer(cancelled).data)


class ScoreSerializer(BoundedSerializer):
    vendor = serializers.CharField()
    vendor_name = serializers.CharField()
    recalls = serializers.IntegerField()
    awarded_recalls = serializers.IntegerField()
    awarded_without_cost = serializers.IntegerField(
        help_text="Recalls where the vendor's quote was chosen and no cost with it is posted yet"
    )
    quoted_without_cost = serializers.CharField(
        help_text="Their chosen quotes, company currency: left out of quoted and variance"
    )
    quoted = serializers.CharField(
        help_text="Chosen quotes on recalls with a cost posted, company currency"
    )
    actual_on_awarded = serializers.CharField(help_text="Ledger, recalls with a chosen quote")
    actual = serializers.CharField(help_text="Ledger, every recall")
    variance = serializers.CharField(
        allow_null=True, help_text="actual_on_awarded − quoted; null when nothing to compare"
    )
    no_cost_yet = serializers.BooleanField(
        help_text="Quotes were chosen but no cost with the vendor is posted on their recalls"
    )
    variance_percent = serializers.CharField(allow_null=True)
    returns_measured = serializers.IntegerField()
    returns_on_time = serializers.IntegerField()
    work_orders_done = serializers.IntegerField()
    work_orders_on_time = serializers.IntegerField()
    on_time_percent = serializers.CharField(allow_null=True)


class VendorScorecardView(APIView):
    """Every vendor across recalls: actual cost against quoted, and timeliness."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=ScoreSerializer(many=True))
    def get(self, request: Request) -> Response:
        _need(request, "finance.view_quoterequest")
        return Response([row.as_dict() for row in quotes.vendor_scorecard()])


# -- refunds ------------------------------------------------------------------------------------
class RefundSerializer(BoundedSerializer):
    id = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    recall = serializers.CharField(source="recall.number")
    holder = serializers.CharField(source="holder.code")
    holder_name = serializers.SerializerMethodField(
        help_text="The holder's name in the request's language"
    )
    origin = serializers.ChoiceField(source="source", choices=RefundSource.choices)
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    invoice_reference = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    rate = serializers.DecimalField(max_digits=18, decimal_places=8)
    company_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    company_currency = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=RefundStatus.choices)
    requested_by = serializers.CharField(source="requested_by.username")
    requested_at = serializers.DateTimeField()
    first_approver = serializers.CharField(
        source="first_approver.username", allow_null=True, default=None
    )
    first_approved_at = serializers.DateTimeField(allow_null=True)
    second_approver = serializers.CharField(
        source="second_approver.username", allow_null=True, default=None
    )
    second_approved_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField(allow_blank=True)
    payment = serializers.SerializerMethodField()

    def get_holder_name(self, request: RefundRequest) -> str:
        return party_name(request.holder)

    def get_payment(self, request: RefundRequest) -> str | None:
        payment = getattr(request, "payment", None) if request.status == RefundStatus.PAID else None
        return payment.number if payment is not None else None


class RefundInSerializer(BoundedSerializer):
    holder = serializers.CharField(max_length=64, help_text="The holder's party code")
    quantity = serializers.CharField(max_length=12)
    unit_price = serializers.CharField(max_length=20, help_text="Unit price on the invoice")
    invoice_reference = serializers.CharField(max_length=100, allow_blank=True)
    amount = serializers.CharField(max_length=20)
    currency = serializers.CharField(max_length=10)
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    from_reply = serializers.BooleanField(
        required=False, default=False, help_text="From the holder's reply to the recall"
    )
    offer = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="From this approved credit offer"
    )


class RefundListView(APIView):
    """Refund and compensation requests (``?recall=<id>``, ``?status=``), newest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="finance_refunds_list",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("recall", int, description="Recall id"),
            OpenApiParameter("status", str, enum=RefundStatus.values),
        ],
        responses=page_of(RefundSerializer),
    )
    def get(self, request: Request) -> Response:
        viewer = _need(request, "finance.view_refundrequest")
        recall_pk = query_int(request, "recall")
        recall = recall_get_for(viewer=viewer, pk=recall_pk) if recall_pk is not None else None
        wanted = request.query_params.get("status", "")
        if wanted and wanted not in RefundStatus.values:
            raise serializers.ValidationError(
                {"status": [f"One of {', '.join(RefundStatus.values)}."]}
            )
        return paginated(
            self, request, refunds.refund_requests(recall=recall, status=wanted), RefundSerializer
        )


class RefundCreateView(APIView):
    """Enter a refund or compensation request for a holder of the recall."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=RefundInSerializer, responses=RefundSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, recall = _recall(
            request, pk, "finance.add_refundrequest", "finance.request_refund_from_reply"
        )
        payload = RefundInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if not refunds.refund_may_request(viewer, from_reply=data["from_reply"]):
            raise PermissionDenied
        holder = named_in_body(lambda: parties.party_coded(code=data["holder"], where="holder"))
        reply = (
            named_in_body(lambda: refunds.reply_of(recall=recall, holder=holder))
            if data["from_reply"]
            else None
        )
        offer = (
            named_in_body(lambda: refunds.offer_in(recall=recall, pk=data["offer"]))
            if data["offer"]
            else None
        )
        created = refunds.refund_request(
            actor=viewer,
            recall=recall,
            claim=refunds.RefundClaim(
                holder=holder,
                quantity=data["quantity"],
                unit_price=data["unit_price"],
                invoice_reference=data["invoice_reference"],
                amount=data["amount"],
                currency=data["currency"],
                reason=data["reason"],
            ),
            reply=reply,
            offer=offer,
        )
        return Response(
            RefundSerializer(refunds.refund_get(pk=created.pk)).data, status=status.HTTP_201_CREATED
        )


def _refund(request: Request, pk: int, *perms: str) -> tuple[User, RefundRequest]:
    viewer = _need(request, *perms)
    return viewer, refunds.refund_get(pk=pk)


class RefundDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=RefundSerializer)
    def get(self, request: Request, pk: int) -> Response:
        _viewer, found = _refund(request, pk, "finance.view_refundrequest")
        return Response(RefundSerializer(found).data)


class ApproveInSerializer(BoundedSerializer):
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        style={"input_type": "password"},
        help_text="The second approval (at or above the four-eyes threshold): your password",
    )
    username = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=150,
        help_text="The second approval: your user ID, typed (an API call has no signing "
        "session, so both components are needed every time)",
    )


class RefundApproveView(APIView):
    """Approve: the first approval, or the second, signed one at or above the threshold."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=ApproveInSerializer, responses=RefundSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, found = _refund(request, pk, "finance.approve_refundrequest")
        payload = ApproveInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        refunds.refund_approve(
            actor=viewer,
            request=found,
            password=payload.validated_data["password"],
            username=payload.validated_data["username"] or None,
        )
        return Response(RefundSerializer(refunds.refund_get(pk=pk)).data)


class RefundRejectView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=ReasonSerializer, responses=RefundSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, found = _refund(request, pk, "finance.approve_refundrequest")
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        refunds.refund_reject(actor=viewer, request=found, reason=payload.validated_data["reason"])
        return Response(RefundSerializer(refunds.refund_get(pk=pk)).data)


class PayInSerializer(BoundedSerializer):
    paid_on = serializers.DateField()
    amount = serializers.CharField(max_length=20)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    credit_note_number = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class PaymentSerializer(BoundedSerializer):
    number = serializers.CharField()
    request = serializers.CharField(source="request.number")
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    credit_note_number = serializers.CharField(allow_blank=True)
    reference = serializers.CharField(allow_blank=True)
    cost_entry = serializers.CharField(source="cost_entry.number", allow_null=True, default=None)
    batch = serializers.CharField(source="batch.number", allow_null=True, default=None)


class RefundPayView(APIView):
    """Record the payment of an approved request (once); it posts the cost to the ledger."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=PayInSerializer, responses=PaymentSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, found = _refund(request, pk, "finance.add_refundpayment")
        payload = PayInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        payment: RefundPayment = refunds.refund_pay(
            actor=viewer, request=found, terms=refunds.PaymentTerms(**payload.validated_data)
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


# -- the AP export ------------------------------------------------------------------------------
class BatchSerializer(BoundedSerializer):
    id = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    payment_count = serializers.IntegerField()
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()


class ApExportsView(APIView):
    """The AP export batches (GET); export the payments not yet exported as a new batch (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=page_of(BatchSerializer), parameters=PAGE_PARAMETERS)
    def get(self, request: Request) -> Response:
        _need(request, "finance.export_refundpayment")
        return paginated(self, request, payables_export.ap_batches(), BatchSerializer)

    @extend_schema(tags=TAGS, request=None, responses=BatchSerializer)
    def post(self, request: Request) -> Response:
        viewer = _need(request, "finance.export_refundpayment")
        batch: ApExportBatch = payables_export.ap_export(actor=viewer)
        return Response(
            BatchSerializer(payables_export.ap_batches().get(pk=batch.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class ApExportFileView(APIView):
    """One batch as the AP import file (``?file=csv``, the default, or ``xlsx``); the same
    rows every time it is fetched."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        parameters=[OpenApiParameter("file", str, enum=["csv", "xlsx"])],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, XLSX): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        _need(request, "finance.export_refundpayment")
        batch = payables_export.ap_batch_get(pk=pk)
        if request.query_params.get("file") == "xlsx":
            return document_response(
                payables_export.ap_xlsx(batch), filename=f"{batch.number}.xlsx", content_type=XLSX
            )
        return document_response(
            payables_export.ap_csv(batch),
            filename=f"{batch.number}.csv",
            content_type="text/csv; charset=utf-8",
        )
