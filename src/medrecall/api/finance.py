"""Finance endpoints of the cost ledger: a recall's entries (list, totals, post by hand with an
attachment, what its source records still owe), one entry (read; changing it is refused: 409),
reversing, the sweep of automatic postings, exchange rates (list, set, import), disposition
costs and service provider rates. One small view per action; each calls one service or
selector. Finance is staff-only: a portal user is refused (403), whatever its permissions."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedModelSerializer, BoundedSerializer
from medrecall.catalog.models import DeviceModel
from medrecall.core import bounds
from medrecall.core.errors import NotFound, ValidationFailed
from medrecall.core.files import file_response, type_of_stored
from medrecall.execution.lifecycle import DispositionKind
from medrecall.execution.models import ServiceProvider
from medrecall.finance import ledger, postings, selectors
from medrecall.finance.errors import EntryPosted
from medrecall.finance.models import (
    CostCategory,
    CostEntry,
    CostSource,
    DispositionCost,
    ExchangeRate,
    ProviderRate,
)
from medrecall.parties import selectors as parties
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from medrecall.recalls.selectors import recall_get_for

from .errors import named_in_body
from .pagination import PAGE_PARAMETERS, page_of, paginated

TAGS = ["finance"]


def _need(request: Request, perm: str) -> Any:
    viewer = viewer_of(request)
    if viewer.party_id is not None or not viewer.has_perm(perm):
        raise PermissionDenied
    return viewer


def _recall(request: Request, pk: int, perm: str) -> RecallCase:
    return recall_get_for(viewer=_need(request, perm), pk=pk)


def _party(code: str, where: str) -> Party | None:
    return named_in_body(lambda: parties.party_coded(code=code, where=where)) if code else None


# --- entries --------------------------------------------------------------------------------


class CostEntrySerializer(BoundedModelSerializer[CostEntry]):
    recall = serializers.CharField(source="recall.number", read_only=True)
    vendor = serializers.CharField(source="vendor.code", read_only=True, allow_null=True)
    holder = serializers.CharField(source="holder.code", read_only=True, allow_null=True)
    reverses = serializers.CharField(source="reverses.number", read_only=True, allow_null=True)
    reversed_by = serializers.SerializerMethodField()
    posted_by = serializers.CharField(source="posted_by.username", read_only=True, allow_null=True)
    has_attachment = serializers.SerializerMethodField()

    class Meta:
        model = CostEntry
        fields = [
            "id",
            "number",
            "recall",
            "category",
            "amount",
            "currency",
            "rate",
            "company_amount",
            "company_currency",
            "incurred_on",
            "units",
            "vendor",
            "holder",
            "document_reference",
            "description",
            "source",
            "source_key",
            "reverses",
            "reversed_by",
            "reason",
            "attachment_name",
            "has_attachment",
            "posted_by",
            "posted_at",
        ]
        read_only_fields = fields

    def get_reversed_by(self, entry: CostEntry) -> str | None:
        reversal = getattr(entry, "reversed_by", None)
        return reversal.number if reversal is not None else None

    def get_has_attachment(self, entry: CostEntry) -> bool:
        return bool(entry.attachment)


class CostEntryInput(BoundedSerializer):
    category = serializers.ChoiceField(choices=CostCategory.choices)
    amount = serializers.CharField(help_text="More than zero, at most two decimals")
    currency = serializers.CharField(max_length=3)
    incurred_on = serializers.DateField()
    units = serializers.IntegerField(min_value=0, max_value=bounds.INT32[1], default=0)
    vendor = serializers.CharField(required=False, allow_blank=True, default="")
    holder = serializers.CharField(required=False, allow_blank=True, default="")
    document_reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    attachment = serializers.FileField(required=False, allow_null=True, default=None)


class TotalsSerializer(BoundedSerializer):
    company_currency = serializers.CharField()
    company_amount = serializers.CharField()
    entries = serializers.IntegerField()
    categories = serializers.ListField(child=serializers.DictField())


FILTERS = [
    OpenApiParameter("category", str, enum=CostCategory.values, required=False),
    OpenApiParameter("source", str, enum=CostSource.values, required=False),
    OpenApiParameter("vendor", str, required=False, description="The vendor's party code"),
]


def _only(request: Request) -> selectors.LedgerFilter:
    return selectors.LedgerFilter.checked(
        request.query_params.get("category", ""),
        request.query_params.get("source", ""),
        request.query_params.get("vendor", ""),
    )


class RecallEntriesView(APIView):
    """A recall's entries (GET, paged, ``?category=&source=&vendor=``) and posting one by hand
    (POST, JSON or multipart with an ``attachment``)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        tags=TAGS, responses=page_of(CostEntrySerializer), parameters=[*PAGE_PARAMETERS, *FILTERS]
    )
    def get(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, selectors.VIEW_ENTRIES)
        entries = selectors.entries_for(
            viewer=viewer_of(request), recall=recall, only=_only(request)
        )
        return paginated(self, request, entries, CostEntrySerializer)

    @extend_schema(
        tags=TAGS,
        request={"application/json": CostEntryInput, "multipart/form-data": CostEntryInput},
        responses={201: CostEntrySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _need(request, "finance.add_costentry")
        recall = _recall(request, pk, "finance.add_costentry")
        payload = CostEntryInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        upload = data.get("attachment")
        entry = ledger.cost_post(
            actor=actor,
            recall=recall,
            line=ledger.CostLine(
                category=data["category"],
                amount=data["amount"],
                currency=data["currency"],
                incurred_on=data["incurred_on"],
                units=data["units"],
                vendor=_party(data["vendor"], "vendor"),
                holder=_party(data["holder"], "holder"),
                document_reference=data["document_reference"],
                description=data["description"],
            ),
            attachment=(
                ledger.Attachment(upload.name or "attachment", upload.read()) if upload else None
            ),
        )
        found = selectors.entry_get_for(viewer=actor, pk=entry.pk)
        return Response(CostEntrySerializer(found).data, status=status.HTTP_201_CREATED)


class RecallTotalsView(APIView):
    """A recall's totals per category, in the entries' currencies and the company's (SQL)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=TotalsSerializer, parameters=FILTERS)
    def get(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, selectors.VIEW_ENTRIES)
        totals = selectors.totals_for(
            viewer=viewer_of(request),
            recall=recall,
            only=_only(request),
            company_currency=ledger.policy().company_currency,
        )
        return Response(totals.as_dict())


class DueSerializer(BoundedSerializer):
    source = serializers.CharField()  # type: ignore[assignment]
    key = serializers.CharField()
    record = serializers.CharField()
    waiting = serializers.CharField(help_text="rate, unit_cost, or empty: ready to post")
    problem = serializers.CharField()
    amount = serializers.CharField(allow_null=True)
    currency = serializers.CharField(allow_null=True)


def _due(item: postings.Due) -> dict[str, Any]:
    return {
        "source": item.source,
        "key": item.key,
        "record": str(item.record),
        "waiting": item.waiting,
        "problem": item.problem,
        "amount": str(item.line.amount) if item.line else None,
        "currency": item.line.currency if item.line else None,
    }


class RecallDueView(APIView):
    """What the recall's source records owe the ledger and is not posted: each ready, or
    waiting for a rate or a unit cost (with what is missing)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=DueSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, selectors.VIEW_ENTRIES)
        return Response([_due(item) for item in postings.waiting_for(recall)])


class SweepResultSerializer(BoundedSerializer):
    posted = serializers.ListField(child=serializers.CharField())
    waiting = serializers.ListField(child=serializers.DictField())


class SweepView(APIView):
    """Post every cost the source records owe and that is not posted (what the sweep task does)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=None, responses=SweepResultSerializer)
    def post(self, request: Request) -> Response:
        _need(request, "finance.add_costentry")
        return Response(postings.postings_sweep().as_dict())


class EntryView(APIView):
    """One entry (GET). A posted entry is never changed: PUT and PATCH answer 409
    ``entry_posted`` and change nothing; correct it by reversing it."""

    permission_classes = [IsAuthenticated]

    def _entry(self, request: Request, pk: int) -> CostEntry:
        return selectors.entry_get_for(viewer=_need(request, selectors.VIEW_ENTRIES), pk=pk)

    @extend_schema(tags=TAGS, responses=CostEntrySerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(CostEntrySerializer(self._entry(request, pk)).data)

    def _refuse(self, request: Request, pk: int) -> Response:
        entry = self._entry(request, pk)
        raise EntryPosted(
            _(
                "%(number)s is posted and cannot be changed. Reverse it (with a reason) and post "
                "the correct entry."
            )
            % {"number": entry.number}
        )

    @extend_schema(tags=TAGS, request=OpenApiTypes.OBJECT, responses={409: OpenApiTypes.OBJECT})
    def put(self, request: Request, pk: int) -> Response:
        return self._refuse(request, pk)

    @extend_schema(tags=TAGS, request=OpenApiTypes.OBJECT, responses={409: OpenApiTypes.OBJECT})
    def patch(self, request: Request, pk: int) -> Response:
        return self._refuse(request, pk)


class ReverseInput(BoundedSerializer):
    reason = serializers.CharField()


class EntryReverseView(APIView):
    """Reverse an entry with a reason: its opposite is posted (once; a reversal is not reversed)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=ReverseInput, responses={201: CostEntrySerializer})
    def post(self, request: Request, pk: int) -> Response:
        actor = _need(request, "finance.add_costentry")
        entry = selectors.entry_get_for(viewer=actor, pk=pk)
        payload = ReverseInput(data=request.data)
        payload.is_valid(raise_exception=True)
        reversal = ledger.cost_reverse(
            actor=actor, entry=entry, reason=payload.validated_data["reason"]
        )
        found = selectors.entry_get_for(viewer=actor, pk=reversal.pk)
        return Response(CostEntrySerializer(found).data, status=status.HTTP_201_CREATED)


class EntryAttachmentView(APIView):
    """The entry's attachment (an attachment download, typed by its content)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> FileResponse:
        entry = selectors.entry_get_for(viewer=_need(request, selectors.VIEW_ENTRIES), pk=pk)
        kind = type_of_stored(entry.attachment.name or "") if entry.attachment else None
        if kind is None:
            raise NotFound(_("This entry has no attachment."), where="attachment")
        stem = (entry.attachment_name.rsplit(".", 1)[0] or entry.number)[:100]
        return file_response(
            entry.attachment.open("rb"),
            filename=f"{stem}{kind.extension}",
            content_type=kind.content_type,
        )


# --- exchange rates -------------------------------------------------------------------------


class RateSerializer(BoundedModelSerializer[ExchangeRate]):
    class Meta:
        model = ExchangeRate
        fields = ["currency", "rate_on", "rate", "source"]
        read_only_fields = ["source"]


class RateInput(BoundedSerializer):
    currency = serializers.CharField(max_length=3)
    rate_on = serializers.DateField()
    rate = serializers.CharField(help_text="Company-currency units per unit, up to 8 decimals")


class RatesView(APIView):
    """Exchange rates (GET, ``?currency=``) and entering one day's rate (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        responses=page_of(RateSerializer),
        parameters=[*PAGE_PARAMETERS, OpenApiParameter("currency", str, required=False)],
    )
    def get(self, request: Request) -> Response:
        viewer = _need(request, "finance.view_exchangerate")
        rates = selectors.rates_list(
            viewer=viewer, currency=request.query_params.get("currency", "")
        )
        return paginated(self, request, rates, RateSerializer)

    @extend_schema(tags=TAGS, request=RateInput, responses={201: RateSerializer})
    def post(self, request: Request) -> Response:
        actor = _need(request, "finance.add_exchangerate")
        payload = RateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        rate = ledger.rate_set(
            actor=actor, currency=data["currency"], rate_on=data["rate_on"], rate=data["rate"]
        )
        return Response(RateSerializer(rate).data, status=status.HTTP_201_CREATED)


class RatesImportInput(BoundedSerializer):
    file = serializers.FileField(help_text="CSV: currency,date,rate")


class RatesImportResult(BoundedSerializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class RatesImportView(APIView):
    """Import rates from a CSV (``currency,date,rate``): all rows or none; a refusal lists each
    problem with its row and column."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=TAGS,
        request={"multipart/form-data": RatesImportInput},
        responses=RatesImportResult,
    )
    def post(self, request: Request) -> Response:
        actor = _need(request, "finance.add_exchangerate")
        payload = RatesImportInput(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        result = ledger.rates_import(
            actor=actor, content=upload.read(), file_name=upload.name or "rates.csv"
        )
        return Response(result.as_dict())


# --- disposition costs and provider rates -------------------------------------------------------


# The disposition's code as plain text: the same choices as a disposition's own ``kind`` would
# make a second, hash-suffixed enum of the schema's ``DispositionKindEnum``.
KINDS = "One of " + ", ".join(DispositionKind.values)


class UnitCostSerializer(BoundedModelSerializer[DispositionCost]):
    kind = serializers.CharField(read_only=True, help_text=KINDS)
    device_model = serializers.CharField(
        source="device_model.udi_di", allow_null=True, read_only=True
    )

    class Meta:
        model = DispositionCost
        fields = ["id", "kind", "device_model", "unit_cost", "currency"]
        read_only_fields = fields


class UnitCostInput(BoundedSerializer):
    kind = serializers.CharField(help_text=KINDS)
    device_model = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="GTIN (UDI-DI); blank: any model"
    )
    unit_cost = serializers.CharField()
    currency = serializers.CharField(max_length=3)


class UnitCostsView(APIView):
    """Disposition costs per unit (GET) and setting one (POST: per model, or for any model)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=page_of(UnitCostSerializer), parameters=PAGE_PARAMETERS)
    def get(self, request: Request) -> Response:
        viewer = _need(request, "finance.view_dispositioncost")
        return paginated(
            self, request, selectors.unit_costs_list(viewer=viewer), UnitCostSerializer
        )

    @extend_schema(tags=TAGS, request=UnitCostInput, responses={201: UnitCostSerializer})
    def post(self, request: Request) -> Response:
        actor = _need(request, "finance.change_dispositioncost")
        payload = UnitCostInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        model = None
        if data["device_model"]:
            model = DeviceModel.objects.filter(udi_di=data["device_model"]).first()
            if model is None:
                raise ValidationFailed(
                    _("There is no device model with GTIN %(gtin)s.")
                    % {"gtin": data["device_model"]},
                    where="device_model",
                )
        cost = ledger.unit_cost_set(
            actor=actor,
            kind=data["kind"],
            device_model=model,
            unit_cost=data["unit_cost"],
            currency=data["currency"],
        )
        return Response(UnitCostSerializer(cost).data, status=status.HTTP_201_CREATED)


class UnitCostView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        actor = _need(request, "finance.delete_dispositioncost")
        ledger.unit_cost_delete(actor=actor, cost=selectors.unit_cost_get_for(viewer=actor, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProviderRateSerializer(BoundedModelSerializer[ProviderRate]):
    provider_name = serializers.CharField(source="provider.name", read_only=True)

    class Meta:
        model = ProviderRate
        fields = [
            "provider",
            "provider_name",
            "hourly_rate",
            "hours_per_work_order",
            "per_km",
            "currency",
        ]
        read_only_fields = fields


class ProviderRateInput(BoundedSerializer):
    provider = serializers.IntegerField(min_value=bounds.ID[0], max_value=bounds.ID[1])
    hourly_rate = serializers.CharField()
    hours_per_work_order = serializers.CharField(default="2.00")
    per_km = serializers.CharField(default="0.00")
    currency = serializers.CharField(max_length=3)


class ProviderRatesView(APIView):
    """Service providers' labour and travel rates (GET) and setting a provider's (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=page_of(ProviderRateSerializer), parameters=PAGE_PARAMETERS)
    def get(self, request: Request) -> Response:
        viewer = _need(request, "finance.view_providerrate")
        return paginated(
            self, request, selectors.provider_rates_list(viewer=viewer), ProviderRateSerializer
        )

    @extend_schema(tags=TAGS, request=ProviderRateInput, responses={201: ProviderRateSerializer})
    def post(self, request: Request) -> Response:
        actor = _need(request, "finance.change_providerrate")
        payload = ProviderRateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        provider = ServiceProvider.objects.filter(pk=data["provider"]).first()
        if provider is None:
            raise ValidationFailed(
                _("There is no service provider %(id)s.") % {"id": data["provider"]},
                where="provider",
            )
        rate = ledger.provider_rate_set(
            actor=actor,
            provider=provider,
            hourly_rate=data["hourly_rate"],
            hours_per_work_order=data["hours_per_work_order"],
            per_km=data["per_km"],
            currency=data["currency"],
        )
        return Response(ProviderRateSerializer(rate).data, status=status.HTTP_201_CREATED)
