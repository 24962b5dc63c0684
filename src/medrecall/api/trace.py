"""Traceability endpoints: trace forward/backward, UDI parsing, event capture (template rows
and GS1 EPCIS 2.0 documents), events and positions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedModelSerializer, BoundedSerializer, query_int
from medrecall.recalls import selectors as recall_selectors
from medrecall.traceability import selectors
from medrecall.traceability.importing.events import import_event_rows
from medrecall.traceability.models import Position, TraceEvent
from medrecall.traceability.trace_sets import (
    MAX_UNITS,
    UnitRequest,
    trace_backward_set_for,
    trace_forward_set_for,
)
from medrecall.traceability.udi import parse_udi


class HolderSerializer(BoundedSerializer):
    location = serializers.CharField()
    party = serializers.CharField()
    received = serializers.IntegerField()
    on_hand = serializers.IntegerField()
    in_transit = serializers.IntegerField()


class ShippedToSerializer(BoundedSerializer):
    location = serializers.CharField()
    location_name = serializers.CharField()
    party = serializers.CharField()
    party_name = serializers.CharField()
    party_type = serializers.CharField()
    quantity = serializers.IntegerField()


class ForwardTraceSerializer(BoundedSerializer):
    lots = serializers.ListField(child=serializers.CharField())
    holders = HolderSerializer(many=True)
    total_received = serializers.IntegerField()
    total_on_hand = serializers.IntegerField()
    total_in_transit = serializers.IntegerField()
    lot_details = serializers.ListField(child=serializers.DictField())
    summary = serializers.DictField(child=serializers.IntegerField())
    holder_details = serializers.ListField(child=serializers.DictField())
    shipped_to = ShippedToSerializer(
        many=True, help_text="Portal users: where their own shipments of the unit went"
    )


UNIT_PARAMETERS = [
    OpenApiParameter("gtin", str, required=True, description="GTIN / UDI-DI of the device model"),
    OpenApiParameter("lot", str, required=False, description="Lot number (or give serial)"),
    OpenApiParameter("serial", str, required=False, description="Serial number"),
]


def _require_trace_permission(request: Request) -> None:
    """Staff with the trace permission, and portal users (the selectors scope them to their party)."""
    if not request.user.has_perm("traceability.view_traceevent"):
        raise PermissionDenied


class TraceForwardView(APIView):
    """Where every unit of a lot or serial went, down every echelon, and where it is now.

    A portal user may trace only a lot or serial its party held (anything else is 404, as an unknown
    lot): it sees its own locations' lines and ``shipped_to``, where its own shipments went."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["traceability"], parameters=UNIT_PARAMETERS, responses=ForwardTraceSerializer
    )
    def get(self, request: Request) -> Response:
        _require_trace_permission(request)
        trace = selectors.trace_forward_for(
            viewer=viewer_of(request),
            gtin=request.query_params.get("gtin", ""),
            lot=request.query_params.get("lot", ""),
            serial=request.query_params.get("serial", ""),
        )
        return Response(trace.as_dict())


class TraceUnitSerializer(serializers.Serializer[Any]):
    gtin = serializers.CharField(max_length=64, help_text="GTIN / UDI-DI of the device model")
    lot = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Lot number (or give serial)",
    )
    serial = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Serial number; with lot, the lot must be the serial's",
    )


class TraceSetInputSerializer(serializers.Serializer[Any]):
    units = serializers.ListField(
        child=TraceUnitSerializer(),
        allow_empty=False,
        max_length=MAX_UNITS,
        help_text=("The lots and serials to trace as one set; each unit in scope is counted once"),
    )


class TraceForwardSetView(APIView):
    """Where every unit of a set of lots and serials went, answered at once as one trace.

    The same answer as ``/api/trace/forward/`` with holders summed over the set (one line per
    location) and ``lots`` listing every lot in scope. A list with any unknown or malformed unit
    is refused whole (400 ``trace_set_rejected``, ``details``: row, column, code and message per
    bad unit, ``row`` counting the units from 1). A portal user may list only lots and serials its
    party held (others are refused as unknown) and sees only its own lines, as for one unit."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["traceability"], request=TraceSetInputSerializer, responses=ForwardTraceSerializer
    )
    def post(self, request: Request) -> Response:
        _require_trace_permission(request)
        payload = TraceSetInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(
            trace_forward_set_for(
                viewer=viewer_of(request), units=_units_of(payload)
            ).trace.as_dict()
        )


def _units_of(payload: TraceSetInputSerializer) -> list[UnitRequest]:
    return [
        UnitRequest(
            gtin=unit["gtin"].strip(),
            lot=unit["lot"].strip(),
            serial=unit["serial"].strip(),
            source="units",
            row=row,
        )
        for row, unit in enumerate(payload.validated_data["units"], start=1)
    ]


class TraceBackwardSetView(APIView):
    """The backward trace of each listed lot or serial, in the order listed (a unit listed twice
    once), each exactly as ``/api/trace/backward/`` answers it alone; refused whole like the
    forward set. A portal user: only units its party held, each cut as for one unit."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["traceability"],
        request=TraceSetInputSerializer,
        responses=serializers.ListField(child=serializers.DictField()),
    )
    def post(self, request: Request) -> Response:
        _require_trace_permission(request)
        payload = TraceSetInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(trace_backward_set_for(viewer=viewer_of(request), units=_units_of(payload)))


class TraceBackwardView(APIView):
    """The chain of holders of a serial or lot back to production, and its component lots.

    A portal user (a lot or serial its party held): only the events into or out of its own locations."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["traceability"], parameters=UNIT_PARAMETERS, responses=serializers.DictField()
    )
    def get(self, request: Request) -> Response:
        _require_trace_permission(request)
        return Response(
            selectors.trace_backward_for(
                viewer=viewer_of(request),
                gtin=request.query_params.get("gtin", ""),
                lot=request.query_params.get("lot", ""),
                serial=request.query_params.get("serial", ""),
            )
        )


class UdiInputSerializer(BoundedSerializer):
    barcode = serializers.CharField(trim_whitespace=False, max_length=500)


class UdiResultSerializer(BoundedSerializer):
    symbology = serializers.CharField(allow_blank=True)
    gtin = serializers.CharField(allow_null=True)
    lot = serializers.CharField(allow_null=True)
    serial = serializers.CharField(allow_null=True)
    expiry = serializers.CharField(allow_null=True)
    production_date = serializers.CharField(allow_null=True)
    valid = serializers.BooleanField()
    error = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField(
        allow_null=True,
        help_text="Units in the package: HIBC $$8/$$9 or /Q; null when the barcode gives none.",
    )
    match = serializers.DictField(allow_null=True)
    recalls = serializers.ListField(
        child=serializers.DictField(),
        help_text=(
            "Recalls whose frozen scope holds the unit (its lot, or its serial): id, number, title, status"
        ),
    )


class UdiParseView(APIView):
    """Parse a scanned UDI (GS1 element string, GS1 Digital Link or HIBC) and find our records."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["traceability"], request=UdiInputSerializer, responses=UdiResultSerializer)
    def post(self, request: Request) -> Response:
        payload = UdiInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        parsed = parse_udi(payload.validated_data["barcode"])
        body: dict[str, Any] = dict(parsed.as_dict())
        body["match"] = (
            selectors.udi_match(parsed)
            if parsed.valid and not getattr(request.user, "party_id", None)
            else None
        )
        body["recalls"] = (
            [
                {"id": r.pk, "number": r.number, "title": r.title, "status": r.status}
                for r in recall_selectors.recalls_holding(
                    viewer=viewer_of(request),
                    lot_id=body["match"]["lot_id"],
                    serial_id=body["match"]["serial_id"],
                )
            ]
            if body["match"]
            else []
        )
        return Response(body)


class EventRowSerializer(BoundedSerializer):
    event_id = serializers.CharField(max_length=200)
    event_type = serializers.CharField()
    event_time = serializers.CharField(help_text="ISO 8601 with UTC offset")
    gtin = serializers.CharField()
    lot = serializers.CharField()
    serial = serializers.CharField(required=False, allow_blank=True, default="")
    quantity = serializers.CharField(required=False, allow_blank=True, default="")
    from_location = serializers.CharField(required=False, allow_blank=True, default="")
    to_location = serializers.CharField(required=False, allow_blank=True, default="")
    document_ref = serializers.CharField(required=False, allow_blank=True, default="")
    manufactured = serializers.CharField(required=False, allow_blank=True, default="")
    expiry = serializers.CharField(required=False, allow_blank=True, default="")
    into_gtin = serializers.CharField(required=False, allow_blank=True, default="")
    into_lot = serializers.CharField(required=False, allow_blank=True, default="")


class CaptureOutcomeSerializer(BoundedSerializer):
    accepted = serializers.BooleanField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())  # type: ignore[assignment]


def _outcome_response(outcome: Any) -> Response:
    body = outcome.as_dict()
    body.pop("updated", None)
    if not outcome.accepted:
        body.update(
            {
                "code": "import_rejected",
                "message": outcome.errors[0].message if outcome.errors else "",
            }
        )
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return Response(body, status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)


class EventCaptureView(APIView):
    """Capture trace events as rows of the events template (JSON list); all or nothing, idempotent by event_id."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["traceability"],
        request=EventRowSerializer(many=True),
        responses=CaptureOutcomeSerializer,
    )
    def post(self, request: Request) -> Response:
        if not request.user.has_perm("traceability.add_traceevent"):
            raise PermissionDenied
        payload = EventRowSerializer(data=request.data, many=True)
        payload.is_valid(raise_exception=True)
        rows = [
            (n, {k: str(v) for k, v in row.items()})
            for n, row in enumerate(payload.validated_data, start=1)
        ]
        outcome = import_event_rows(rows, file_name="api", kind="events", actor=request.user)
        return _outcome_response(outcome)


class EpcisCaptureView(APIView):
    """GS1 EPCIS 2.0 capture: POST an EPCISDocument (JSON or JSON-LD); all or nothing, deduplicated on eventID."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["traceability"], request=serializers.DictField(), responses=CaptureOutcomeSerializer
    )
    def post(self, request: Request) -> Response:
        if not request.user.has_perm("traceability.add_traceevent"):
            raise PermissionDenied
        from medrecall.traceability.importing.epcis import capture_epcis_document

        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"document": "An EPCIS document is a JSON object."})
        outcome = capture_epcis_document(
            dict(request.data), source_name="capture", actor=request.user
        )
        return _outcome_response(outcome)


class TraceEventSerializer(BoundedModelSerializer[TraceEvent]):
    gtin = serializers.CharField(source="lot.device_model.udi_di", read_only=True)
    lot_number = serializers.CharField(source="lot.number", read_only=True)
    serial_number = serializers.CharField(source="serial.serial", read_only=True, allow_null=True)
    from_location_code = serializers.CharField(
        source="from_location.code", read_only=True, allow_null=True
    )
    to_location_code = serializers.CharField(
        source="to_location.code", read_only=True, allow_null=True
    )

    class Meta:
        model = TraceEvent
        fields = [
            "id",
            "event_id",
            "event_type",
            "event_time",
            "gtin",
            "lot",
            "lot_number",
            "serial",
            "serial_number",
            "quantity",
            "from_location",
            "from_location_code",
            "to_location",
            "to_location_code",
            "document_ref",
            "into_lot",
            "retracted",
            "recorded_at",
        ]
        read_only_fields = fields


class TraceEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Trace events (read-only: events are captured through imports and the capture endpoints)."""

    serializer_class = TraceEventSerializer
    filterset_fields = ["event_type", "lot", "serial", "document_ref", "retracted"]

    def get_queryset(self) -> QuerySet[TraceEvent]:
        if getattr(self, "swagger_fake_view", False):
            return TraceEvent.objects.none()
        serial = query_int(self.request, "serial")  # also through its lot: the (lot, serial) index
        return selectors.event_list_for(viewer=viewer_of(self.request), serial_id=serial)


class PositionSerializer(BoundedModelSerializer[Position]):
    location_code = serializers.CharField(source="location.code", read_only=True)
    party_code = serializers.CharField(source="location.party.code", read_only=True)
    lot_number = serializers.CharField(source="lot.number", read_only=True)
    gtin = serializers.CharField(source="lot.device_model.udi_di", read_only=True)
    serial_number = serializers.CharField(source="serial.serial", read_only=True, allow_null=True)

    class Meta:
        model = Position
        fields = [
            "id",
            "gtin",
            "lot",
            "lot_number",
            "serial",
            "serial_number",
            "location",
            "location_code",
            "party_code",
            "on_hand",
            "in_transit",
        ]
        read_only_fields = fields


class PositionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Current positions (on hand and in transit per lot, serial and location), derived from events."""

    serializer_class = PositionSerializer
    filterset_fields = ["lot", "serial", "location"]

    def get_queryset(self) -> QuerySet[Position]:
        if getattr(self, "swagger_fake_view", False):
            return Position.objects.none()
        return selectors.position_list_for(viewer=viewer_of(self.request))
