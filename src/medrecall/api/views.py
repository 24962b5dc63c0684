"""Master-data and import endpoints. Reads go through the same viewer-scoped selectors as
the web pages; writes go through ``audited_save`` so each one lands in the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.selectors import viewer_of
from medrecall.audit import services as audit
from medrecall.catalog import selectors as catalog_selectors
from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.core import selectors as core_selectors
from medrecall.core import services as core_services
from medrecall.core.models import ImportRun
from medrecall.core.registry import importer_kinds
from medrecall.parties import selectors as party_selectors
from medrecall.parties.models import Contact, Location, Party

from . import serializers as s
from .permissions import MayImport


class AuditedViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    """CRUD on one kind of master record; list/detail scoped to the viewer, writes audited."""

    model: type[Model]

    def selector(self) -> QuerySet[Any]:
        """The viewer-scoped queryset; every subclass names its selector."""
        return self.model._default_manager.none()

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return self.selector()

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        instance = self.model(**serializer.validated_data)
        serializer.instance = audit.audited_save(
            instance=instance, actor=self.request.user, action=self.model._meta.label_lower
        )

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        instance = serializer.instance
        assert instance is not None  # noqa: S101 - DRF sets it for updates
        for field, value in serializer.validated_data.items():
            setattr(instance, field, value)
        audit.audited_save(
            instance=instance,
            actor=self.request.user,
            action=self.model._meta.label_lower,
            reason=self.request.headers.get("X-Change-Reason", ""),
        )

    @transaction.atomic
    def perform_destroy(self, instance: Model) -> None:
        audit.record(
            actor=self.request.user,
            action=f"{self.model._meta.label_lower}.deleted",
            target=instance,
            changes={k: [v, None] for k, v in audit.snapshot(instance).items()},
        )
        instance.delete()


@extend_schema(tags=["catalog"])
class DeviceModelViewSet(AuditedViewSet):
    """Device models (UDI-DI/GTIN, risk classes, tracking level)."""

    model = DeviceModel
    serializer_class = s.DeviceModelSerializer
    filterset_fields = [
        "tracking",
        "implantable",
        "risk_class_nmpa",
        "risk_class_fda",
        "risk_class_eu",
        "udi_di",
    ]
    search_fields = ["udi_di", "model_code", "name", "name_en", "registration_no"]
    ordering_fields = ["model_code", "name", "udi_di"]

    def selector(self) -> QuerySet[Any]:
        return catalog_selectors.device_model_list_for(viewer=viewer_of(self.request)).order_by(
            "model_code"
        )


@extend_schema(tags=["catalog"])
class LotViewSet(AuditedViewSet):
    """Lots of a device model."""

    model = Lot
    serializer_class = s.LotSerializer
    filterset_fields = ["device_model", "number"]
    search_fields = ["number"]

    def selector(self) -> QuerySet[Any]:
        return catalog_selectors.lot_list_for(viewer=viewer_of(self.request)).order_by("pk")


@extend_schema(tags=["catalog"])
class SerialViewSet(AuditedViewSet):
    """Serial numbers (serial-tracked device models)."""

    model = Serial
    serializer_class = s.SerialSerializer
    filterset_fields = ["device_model", "lot", "serial"]
    search_fields = ["serial"]

    def selector(self) -> QuerySet[Any]:
        return catalog_selectors.serial_list_for(viewer=viewer_of(self.request)).order_by("pk")


@extend_schema(tags=["parties"])
class PartyViewSet(AuditedViewSet):
    """Parties: own sites, distributors, hospitals, end users, service partners, carriers, suppliers."""

    model = Party
    serializer_class = s.PartySerializer
    filterset_fields = ["party_type", "country", "province_code", "code"]
    search_fields = ["code", "name", "name_en", "city"]

    def selector(self) -> QuerySet[Any]:
        return party_selectors.party_list_for(viewer=viewer_of(self.request)).order_by("code")


@extend_schema(tags=["parties"])
class LocationViewSet(AuditedViewSet):
    """Locations that hold stock, each belonging to one party."""

    model = Location
    serializer_class = s.LocationSerializer
    filterset_fields = ["party", "location_type", "country", "province_code", "code"]
    search_fields = ["code", "name", "city"]

    def selector(self) -> QuerySet[Any]:
        return party_selectors.location_list_for(viewer=viewer_of(self.request)).order_by("code")


@extend_schema(tags=["parties"])
class ContactViewSet(AuditedViewSet):
    """Contacts at a party (language and preferred channel for notices)."""

    model = Contact
    serializer_class = s.ContactSerializer
    filterset_fields = ["party", "preferred_channel", "language"]
    search_fields = ["name", "email", "phone"]

    def selector(self) -> QuerySet[Any]:
        return party_selectors.contact_list_for(viewer=viewer_of(self.request)).order_by("pk")


@extend_schema(tags=["imports"])
class ImportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Import runs: status and progress of uploaded files, errors per row."""

    serializer_class = s.ImportRunSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["kind", "status"]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return ImportRun.objects.none()
        return core_selectors.import_run_list_for(viewer=viewer_of(self.request))


class ImportStartView(APIView):
    """Upload a CSV/Excel file of one kind (products, lots, serials, parties, locations, contacts, …).

    The import runs on the task queue; poll ``/api/imports/{id}/`` for progress and the outcome.
    """

    parser_classes = [parsers.MultiPartParser]
    permission_classes = [IsAuthenticated, MayImport]

    @extend_schema(
        tags=["imports"], request=s.ImportStartSerializer, responses={202: s.ImportRunSerializer}
    )
    def post(self, request: Request) -> Response:
        payload = s.ImportStartSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        kind = payload.validated_data["kind"]
        entry = importer_kinds().get(kind)
        if entry is None:
            raise serializers.ValidationError(
                {"kind": f"{kind}: one of {', '.join(importer_kinds())}"}
            )
        if not request.user.has_perm(entry[2]):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied
        upload = payload.validated_data["file"]
        run = core_services.import_run_start(
            kind=kind,
            upload=upload,
            file_name=upload.name,
            policy=payload.validated_data["policy"],
            actor=request.user,
        )
        return Response(s.ImportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
