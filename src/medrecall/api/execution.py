"""Execution endpoints: accounting, holds, returns (create, status, receive, waybill),
dispositions (create, complete) and work orders (open, record a result, upload evidence).
One small view per action; each calls one service or selector."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedModelSerializer, BoundedSerializer, query_int
from medrecall.catalog.models import Lot, Serial
from medrecall.core import bounds
from medrecall.core.errors import NotFound
from medrecall.core.files import document_response, file_response
from medrecall.execution import selectors, services
from medrecall.execution.documents import waybill_pdf
from medrecall.execution.lifecycle import DispositionKind, FieldAction, ReturnStatus, UnitResult
from medrecall.execution.models import Disposition, ReturnAuthorisation, WorkOrder
from medrecall.parties import selectors as parties
from medrecall.parties.models import Location, Party
from medrecall.recalls.models import RecallCase

from .errors import named_in_body
from .pagination import PAGE_PARAMETERS, page_of, paginated


def _need(request: Request, perm: str) -> Any:
    viewer = viewer_of(request)
    if not viewer.has_perm(perm):
        raise PermissionDenied
    return viewer


def _return_viewer(request: Request) -> Any:
    """Returns are read by staff with the view permission and by portal users (their own party's,
    as the selector scopes them); the pages ask the same."""
    viewer = viewer_of(request)
    if viewer.party_id is None and not viewer.has_perm("execution.view_returnauthorisation"):
        raise PermissionDenied
    return viewer


def _recall(request: Request, pk: int, perm: str) -> RecallCase:
    viewer = _need(request, perm)
    return selectors.recall_for(viewer=viewer, pk=pk)


def _location(code: str, where: str) -> Location | None:
    """An optional location named by its code (blank: none given)."""
    return named_in_body(lambda: parties.location_coded(code=code, where=where)) if code else None


def _holder(code: str) -> Party:
    return named_in_body(lambda: parties.party_coded(code=code, where="holder"))


def _unit(recall: RecallCase, data: dict[str, Any]) -> tuple[Lot, Serial | None]:
    """The lot (and serial) the body names, of the recall's device models."""
    return named_in_body(
        lambda: selectors.unit_in_recall(recall=recall, lot=data["lot"], serial=data["serial"])
    )


class AccountingView(APIView):
    """Per lot: affected = at holders + own stock + in transit + in quarantine + dispositioned + used."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["execution"], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            selectors.recall_accounting(_recall(request, pk, "execution.view_hold")).as_dict()
        )


class HoldSerializer(BoundedSerializer):
    lot = serializers.CharField(source="lot.number")
    serial = serializers.CharField(source="serial.serial", allow_null=True, default=None)
    placed_at = serializers.DateTimeField()
    released_at = serializers.DateTimeField(allow_null=True)
    release_reason = serializers.CharField()


class HoldReleaseSerializer(BoundedSerializer):
    reason = serializers.CharField()
    lot = serializers.CharField(required=False, allow_blank=True, default="")
    serial = serializers.CharField(required=False, allow_blank=True, default="")


class HoldsView(APIView):
    """The recall's holds (GET); place holds for the current scope (POST, idempotent)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["execution"], responses=page_of(HoldSerializer), parameters=PAGE_PARAMETERS
    )
    def get(self, request: Request, pk: int) -> Response:
        return paginated(
            self,
            request,
            selectors.holds_of(_recall(request, pk, "execution.view_hold")),
            HoldSerializer,
        )

    @extend_schema(
        tags=["execution"],
        request=None,
        responses=page_of(HoldSerializer),
        parameters=PAGE_PARAMETERS,
    )
    def post(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, "execution.change_hold")
        services.hold_place(recall=recall, actor=viewer_of(request))
        return paginated(self, request, selectors.holds_of(recall), HoldSerializer)


class HoldReleaseView(APIView):
    """Release the recall's holds: all, one lot, or one serial; a reason is required."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["execution"], request=HoldReleaseSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, "execution.change_hold")
        payload = HoldReleaseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        lot_id, serial_id = named_in_body(
            lambda: selectors.held_unit(recall=recall, lot=data["lot"], serial=data["serial"])
        )
        released = services.hold_release(
            recall=recall,
            actor=viewer_of(request),
            reason=data["reason"],
            lot_id=lot_id,
            serial_id=serial_id,
        )
        return Response({"released": released})


class ReturnLineSerializer(BoundedSerializer):
    lot = serializers.CharField()
    serial = serializers.CharField(allow_blank=True)
    expected = serializers.IntegerField()
    received = serializers.IntegerField()
    outcome = serializers.CharField()


class ReturnSerializer(BoundedModelSerializer[ReturnAuthorisation]):
    recall = serializers.CharField(source="recall.number", read_only=True)
    holder = serializers.CharField(source="party.code", read_only=True)
    location = serializers.CharField(source="location.code", read_only=True)
    quarantine = serializers.CharField(source="quarantine.code", read_only=True)
    carrier = serializers.CharField(source="carrier.code", read_only=True, allow_null=True)
    lines = serializers.SerializerMethodField()

    class Meta:
        model = ReturnAuthorisation
        fields = [
            "id",
            "number",
            "recall",
            "holder",
            "location",
            "quarantine",
            "status",
            "source",
            "reply_ref",
            "weight_kg",
            "volume_l",
            "urgent",
            "carrier",
            "carrier_reason",
            "expected_cost",
            "currency",
            "waybill_number",
            "lines",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ReturnLineSerializer(many=True))
    def get_lines(self, ra: ReturnAuthorisation) -> list[dict[str, Any]]:
        return selectors.return_lines(ra)


class ReturnLineInput(BoundedSerializer):
    lot = serializers.CharField()
    serial = serializers.CharField(required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(min_value=1)


class ReturnCreateSerializer(BoundedSerializer):
    recall = serializers.IntegerField(min_value=bounds.ID[0], max_value=bounds.ID[1])
    holder = serializers.CharField(help_text="Party code of the holder")
    location = serializers.CharField(required=False, allow_blank=True, default="")
    quarantine = serializers.CharField(required=False, allow_blank=True, default="")
    lines = ReturnLineInput(
        many=True, required=False, help_text="Default: every affected unit at the location"
    )
    weight_kg = serializers.DecimalField(
        max_digits=9, decimal_places=2, required=False, allow_null=True, default=None
    )
    volume_l = serializers.DecimalField(
        max_digits=9, decimal_places=2, required=False, default=Decimal(0)
    )
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=ReturnAuthorisation.Source.choices,
        required=False,
        default=ReturnAuthorisation.Source.STAFF.value,
    )
    reply_ref = serializers.CharField(required=False, allow_blank=True, default="")


class ReturnListView(APIView):
    """Return authorisations (GET, ``?recall=ID&status=``; a portal user sees its party's) and authorising one (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["execution"], responses=page_of(ReturnSerializer), parameters=PAGE_PARAMETERS
    )
    def get(self, request: Request) -> Response:
        viewer = _return_viewer(request)
        returns = selectors.return_list_for(
            viewer=viewer, status=request.query_params.get("status", "")
        )
        if (recall := query_int(request, "recall")) is not None:
            returns = returns.filter(recall_id=recall)
        return paginated(self, request, returns, ReturnSerializer)

    @extend_schema(
        tags=["execution"], request=ReturnCreateSerializer, responses={201: ReturnSerializer}
    )
    def post(self, request: Request) -> Response:
        _need(
            request, "execution.add_returnauthorisation"
        )  # refused before the input is read: 403, not 400
        payload = ReturnCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        recall = _recall(request, data["recall"], "execution.add_returnauthorisation")
        party = _holder(data["holder"])
        lines = None
        if data.get("lines"):
            units = named_in_body(
                lambda: selectors.units_in_recall(
                    recall=recall,
                    units=[(line["lot"], line["serial"]) for line in data["lines"]],
                    where="lines",
                )
            )
            lines = [
                (lot, serial, line["quantity"])
                for (lot, serial), line in zip(units, data["lines"], strict=True)
            ]
        ra = services.return_create(
            recall=recall,
            party=party,
            actor=viewer_of(request),
            lines=lines,
            location=_location(data["location"], "location"),
            quarantine=_location(data["quarantine"], "quarantine"),
            weight_kg=data["weight_kg"],
            volume_l=data["volume_l"],
            source=data["source"],
            reply_ref=data["reply_ref"],
        )
        return Response(ReturnSerializer(ra).data, status=status.HTTP_201_CREATED)


class ReturnDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["execution"], responses=ReturnSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            ReturnSerializer(selectors.return_get_for(viewer=_return_viewer(request), pk=pk)).data
        )


class ReturnStatusSerializer(BoundedSerializer):
    target = serializers.ChoiceField(choices=ReturnStatus.values)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReturnStatusView(APIView):
    """picked_up → in_transit → received (or cancelled before pick-up)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["execution"], request=ReturnStatusSerializer, responses=ReturnSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer = _need(request, "execution.change_returnauthorisation")
        payload = ReturnStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ra = services.return_transition(
            ra=selectors.return_get_for(viewer=viewer, pk=pk),
            actor=viewer,
            target=payload.validated_data["target"],
            reason=payload.validated_data["reason"],
        )
        return Response(ReturnSerializer(ra).data)


class ReturnAmendSerializer(BoundedSerializer):
    lot = serializers.CharField()
    serial = serializers.CharField(required=False, allow_blank=True, default="")
    expected = serializers.IntegerField(min_value=0)
    reason = serializers.CharField()


class ReturnAmendView(APIView):
    """Change what a return expects of one lot or serial (with a reason)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["execution"], request=ReturnAmendSerializer, responses=ReturnSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer = _need(request, "execution.change_returnauthorisation")
        payload = ReturnAmendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        ra = selectors.return_get_for(viewer=viewer, pk=pk)
        lot, serial = _unit(ra.recall, data)
        ra = services.return_amend(
            ra=ra,
            lot=lot,
            serial=serial,
            expected=data["expected"],
            actor=viewer,
            reason=data["reason"],
        )
        return Response(ReturnSerializer(ra).data)


class ReceiveSerializer(BoundedSerializer):
    barcode = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="GS1 or HIBC UDI"
    )
    gtin = serializers.CharField(required=False, allow_blank=True, default="")
    lot = serializers.CharField(required=False, allow_blank=True, default="")
    serial = serializers.CharField(required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(required=False, default=1)
    location = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Quarantine location code"
    )
    request_id = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Idempotency key: a retry with the same key adds nothing",
    )


class ReceiptOutcomeSerializer(BoundedSerializer):
    outcome = serializers.CharField(
        help_text="matched or short; refusals answer 409 with the outcome as code"
    )
    message = serializers.CharField()
    expected = serializers.IntegerField()
    received = serializers.IntegerField()
    event_id = serializers.CharField()


class ReceiveView(APIView):
    """One scan or lot entry against a return; refused scans answer 409 with the reconciliation outcome as ``code``."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["execution"],
        request=ReceiveSerializer,
        responses={201: ReceiptOutcomeSerializer, 409: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, pk: int) -> Response:
        viewer = _need(request, "execution.add_receipt")
        payload = ReceiveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        location = _location(data.pop("location"), "location")
        result = services.return_receive(
            ra=selectors.return_get_for(viewer=viewer, pk=pk),
            actor=viewer,
            location=location,
            **data,
        )
        return Response(
            {
                "outcome": result.outcome,
                "message": result.message,
                "expected": result.expected,
                "received": result.received,
                "event_id": result.receipt.event_id,
            },
            status=status.HTTP_201_CREATED,
        )


class WaybillView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["execution"], responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> HttpResponse:
        ra = selectors.return_get_for(viewer=_return_viewer(request), pk=pk)
        return document_response(
            waybill_pdf(ra),
            filename=f"{ra.waybill_number}.pdf",
            content_type="application/pdf",
            inline=True,
        )


def _stream(document: selectors.StoredDocument) -> FileResponse:
    """The kept file as issued, streamed (never a public media URL)."""
    return file_response(
        document.file.open("rb"), filename=document.filename, content_type=document.content_type
    )


class CertificateView(APIView):
    """The destruction certificate (PDF) of a done destruction, as issued."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["execution"],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        viewer = _need(request, "execution.view_disposition")
        return _stream(selectors.certificate_document_for(viewer=viewer, pk=pk))


class EvidenceFileView(APIView):
    """One evidence file of a work order (JPEG, PNG or PDF), for whoever may see the order."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["execution"],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiTypes.OBJECT,
        },
    )
    def get(self, request: Request, pk: int, evidence: int) -> FileResponse:
        return _stream(
            selectors.evidence_document_for(viewer=viewer_of(request), order_pk=pk, pk=evidence)
        )


class DispositionSerializer(BoundedModelSerializer[Disposition]):
    recall = serializers.CharField(source="recall.number", read_only=True)
    lot = serializers.CharField(source="lot.number", read_only=True)
    serial = serializers.CharField(source="serial.serial", read_only=True, allow_null=True)
    location = serializers.CharField(source="location.code", read_only=True)
    certificate = serializers.CharField(
        source="certificate.number", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Disposition
        fields = [
            "id",
            "number",
            "recall",
            "kind",
            "status",
            "lot",
            "serial",
            "quantity",
            "location",
            "reason",
            "outcome",
            "certificate",
            "created_at",
            "done_at",
        ]
        read_only_fields = fields


class DispositionCreateSerializer(BoundedSerializer):
    recall = serializers.IntegerField(min_value=bounds.ID[0], max_value=bounds.ID[1])
    kind = serializers.ChoiceField(choices=DispositionKind.values)
    lot = serializers.CharField()
    serial = serializers.CharField(required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(required=False, default=1)
    location = serializers.CharField(help_text="Quarantine location code")
    target = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DispositionListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["execution"], responses=page_of(DispositionSerializer), parameters=PAGE_PARAMETERS
    )
    def get(self, request: Request) -> Response:
        found = selectors.disposition_list_for(viewer=_need(request, "execution.view_disposition"))
        return paginated(self, request, found, DispositionSerializer)

    @extend_schema(
        tags=["execution"],
        request=DispositionCreateSerializer,
        responses={201: DispositionSerializer},
    )
    def post(self, request: Request) -> Response:
        _need(
            request, "execution.add_disposition"
        )  # refused before the input is read: 403, not 400
        payload = DispositionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        recall = _recall(request, data["recall"], "execution.add_disposition")
        lot, serial = _unit(recall, data)
        location = named_in_body(
            lambda: parties.location_coded(code=data["location"], where="location")
        )
        d = services.disposition_create(
            recall=recall,
            kind=data["kind"],
            lot=lot,
            serial=serial,
            quantity=data["quantity"],
            location=location,
            actor=viewer_of(request),
            reason=data["reason"],
            target=_location(data["target"], "target"),
        )
        return Response(DispositionSerializer(d).data, status=status.HTTP_201_CREATED)


class DispositionCompleteSerializer(BoundedSerializer):
    outcome = serializers.CharField(required=False, allow_blank=True, default="")
    method = serializers.CharField(required=False, allow_blank=True, default="")
    place = serializers.CharField(required=False, allow_blank=True, default="")
    performed_by = serializers.CharField(required=False, allow_blank=True, default="")
    witnesses = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    destroyed_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Release: your password (e-signature)",
    )
    username = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=150,
        help_text="Release: your user ID, typed (e-signature: an API call has no signing "
        "session, so both components are needed every time)",
    )


class DispositionCompleteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["execution"], request=DispositionCompleteSerializer, responses=DispositionSerializer
    )
    def post(self, request: Request, pk: int) -> Response:
        viewer = _need(request, "execution.change_disposition")
        payload = DispositionCompleteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        d = services.disposition_complete(
            disposition=selectors.disposition_get_for(viewer=viewer, pk=pk),
            actor=viewer,
            username=fields.pop("username") or None,
            **fields,
        )
        return Response(DispositionSerializer(d).data)


class WorkOrderUnitSerializer(BoundedSerializer):
    """One unit (serial) or lot quantity on a work order, with its result."""

    id = serializers.IntegerField(read_only=True)
    lot = serializers.CharField(read_only=True, help_text="Lot number")
    serial = serializers.CharField(
        read_only=True, allow_null=True, help_text="Serial number; null for a lot quantity"
    )
    quantity = serializers.IntegerField(read_only=True)
    result = serializers.ChoiceField(choices=UnitResult.choices, read_only=True)


class WorkOrderSerializer(BoundedModelSerializer[WorkOrder]):
    recall = serializers.CharField(source="recall.number", read_only=True)
    holder = serializers.CharField(source="party.code", read_only=True)
    provider = serializers.CharField(source="provider.name", read_only=True, allow_null=True)
    units = serializers.SerializerMethodField()

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "recall",
            "holder",
            "action",
            "provider",
            "distance_km",
            "status",
            "due_at",
            "escalated_at",
            "units",
        ]
        read_only_fields = fields

    @extend_schema_field(WorkOrderUnitSerializer(many=True))
    def get_units(self, order: WorkOrder) -> list[dict[str, Any]]:
        return [
            {
                "id": u.pk,
                "lot": u.lot.number,
                "serial": u.serial.serial if u.serial else None,
                "quantity": u.quantity,
                "result": u.result,
            }
            for u in order.units.all()
        ]


class WorkOrderCreateSerializer(BoundedSerializer):
    recall = serializers.IntegerField(min_value=bounds.ID[0], max_value=bounds.ID[1])
    holder = serializers.CharField()
    action = serializers.ChoiceField(choices=FieldAction.values)
    instructions = serializers.CharField(required=False, allow_blank=True, default="")


class WorkOrderListView(APIView):
    """Work orders (GET: a service partner's portal users see theirs) and opening one (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["execution"], responses=page_of(WorkOrderSerializer), parameters=PAGE_PARAMETERS
    )
    def get(self, request: Request) -> Response:
        return paginated(
            self,
            request,
            selectors.work_order_list_for(viewer=viewer_of(request)),
            WorkOrderSerializer,
        )

    @extend_schema(
        tags=["execution"], request=WorkOrderCreateSerializer, responses={201: WorkOrderSerializer}
    )
    def post(self, request: Request) -> Response:
        _need(request, "execution.add_workorder")  # refused before the input is read: 403, not 400
        payload = WorkOrderCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        recall = _recall(request, data["recall"], "execution.add_workorder")
        party = _holder(data["holder"])
        order = services.work_order_create(
            recall=recall,
            party=party,
            action=data["action"],
            actor=viewer_of(request),
            instructions=data["instructions"],
        )
        return Response(WorkOrderSerializer(order).data, status=status.HTTP_201_CREATED)


def _may_work_on(request: Request, permission: str) -> None:
    """A user who may not record field work finds no work order to record on (404), before the
    body is read."""
    if not request.user.has_perm(permission):
        raise NotFound(_("Work order not found."))


class UnitResultSerializer(BoundedSerializer):
    result = serializers.ChoiceField(
        choices=[c for c in UnitResult.values if c != UnitResult.PENDING]
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class UnitResultView(APIView):
    """The technician records the result for one unit of a work order."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["execution"], request=UnitResultSerializer, responses=WorkOrderSerializer)
    def post(self, request: Request, pk: int, unit: int) -> Response:
        viewer = viewer_of(request)
        _may_work_on(request, "execution.change_workorder")
        order = selectors.work_order_get_for(viewer=viewer, pk=pk)
        found = selectors.work_order_unit(order=order, pk=unit)
        payload = UnitResultSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.work_order_record(unit=found, actor=viewer, **payload.validated_data)
        order.refresh_from_db()
        return Response(WorkOrderSerializer(order).data)


class EvidenceUploadSerializer(BoundedSerializer):
    file = serializers.FileField()
    unit = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=bounds.ID[0],
        max_value=bounds.ID[1],
    )


class EvidenceSerializer(BoundedSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    unit = serializers.IntegerField(source="unit_id", allow_null=True)
    uploaded_at = serializers.DateTimeField()
    download = serializers.SerializerMethodField()

    def get_download(self, evidence: Any) -> str:
        return f"/api/execution/work-orders/{evidence.work_order_id}/evidence/{evidence.pk}/"


class EvidenceView(APIView):
    """The work order's evidence (GET, with download links); upload a photo (JPEG, PNG) or PDF
    as evidence (POST; the type is checked by content, the size by setting)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=["execution"], responses=EvidenceSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        order = selectors.work_order_get_for(viewer=viewer_of(request), pk=pk)
        return Response(EvidenceSerializer(selectors.evidence_of(order), many=True).data)

    @extend_schema(
        tags=["execution"],
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, pk: int) -> Response:
        viewer = viewer_of(request)
        _may_work_on(request, "execution.add_evidence")
        order = selectors.work_order_get_for(viewer=viewer, pk=pk)
        payload = EvidenceUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        unit = order.units.filter(pk=payload.validated_data["unit"] or 0).first()
        evidence = services.evidence_add(
            order=order, actor=viewer, name=upload.name, content=upload, unit=unit
        )
        return Response(
            {
                "id": evidence.pk,
                "content_type": evidence.content_type,
                "size": evidence.size,
                "sha256": evidence.sha256,
            },
            status=status.HTTP_201_CREATED,
        )
