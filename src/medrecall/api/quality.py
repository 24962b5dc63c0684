"""Quality endpoints: the dashboard, complaints (list, enter, triage, report filed, investigate,
close, link or start a recall) and CAPAs (open, root causes, actions, links, verification,
reopen, close). One small view per action; each calls one service or selector. A portal user
reads and enters its own party's complaints only and sees no CAPA."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.models import User
from medrecall.accounts.selectors import user_named, viewer_of
from medrecall.catalog.models import Lot
from medrecall.core.errors import ValidationFailed
from medrecall.parties import selectors as parties
from medrecall.quality import reporting, selectors, services
from medrecall.quality.lifecycle import ComplaintStatus
from medrecall.quality.models import (
    ActionKind,
    ActionStatus,
    Capa,
    CapaTask,
    Channel,
    Complaint,
    ReportCategory,
    ReportDecision,
    RootCause,
    RootCauseCategory,
    Verification,
)
from medrecall.recalls.models import RecallCase, Regime
from medrecall.recalls.selectors import recall_numbered

from .bounds import BoundedSerializer
from .errors import named_in_body
from .pagination import PAGE_PARAMETERS, page_of, paginated

TAGS = ["quality"]


def _need(request: Request, perm: str) -> User:
    viewer = viewer_of(request)
    if not viewer.has_perm(perm):
        raise PermissionDenied
    return viewer


def _staff(request: Request, perm: str) -> User:
    """A staff operation: portal users are refused like a role without the permission."""
    viewer = _need(request, perm)
    if viewer.party_id is not None:
        raise PermissionDenied
    return viewer


# -- serializers -------------------------------------------------------------------------------


class DecisionSerializer(BoundedSerializer):
    regime = serializers.CharField()
    reportable = serializers.BooleanField()
    category = serializers.CharField()
    rationale = serializers.CharField()
    decided_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    submission_reference = serializers.CharField()


class ClockSerializer(BoundedSerializer):
    regime = serializers.CharField()
    category = serializers.CharField()
    title = serializers.CharField()
    basis = serializers.CharField()
    starts_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["done", "open", "due_soon", "breached"])
    submitted_at = serializers.DateTimeField(allow_null=True)
    provisional = serializers.BooleanField()
    calendar_missing_years = serializers.ListField(child=serializers.IntegerField())


class ComplaintSerializer(BoundedSerializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=ComplaintStatus.values)
    channel = serializers.ChoiceField(choices=Channel.values)
    holder = serializers.CharField(source="holder.code", allow_null=True, default=None)
    reference = serializers.CharField()
    aware_at = serializers.DateTimeField()
    event_date = serializers.DateField(allow_null=True)
    barcode = serializers.CharField()
    gtin = serializers.CharField(source="gtin_text")
    lot = serializers.CharField(source="lot_text")
    serial = serializers.CharField(source="serial_text")
    resolution = serializers.CharField()
    needs_resolution = serializers.BooleanField()
    holder_not_shipped = serializers.BooleanField()
    description = serializers.CharField()
    patient_involved = serializers.BooleanField()
    injury = serializers.BooleanField()
    death = serializers.BooleanField()
    malfunction = serializers.BooleanField()
    findings = serializers.CharField()
    recall = serializers.CharField(source="recall.number", allow_null=True, default=None)


class PortalComplaintSerializer(BoundedSerializer):
    """What the portal page shows a holder of its own complaints: no triage, clocks, findings."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=ComplaintStatus.values)
    holder = serializers.CharField(source="holder.code", allow_null=True, default=None)
    aware_at = serializers.DateTimeField()
    gtin = serializers.CharField(source="gtin_text")
    lot = serializers.CharField(source="lot_text")
    serial = serializers.CharField(source="serial_text")
    resolution = serializers.CharField()
    patient_involved = serializers.BooleanField()
    injury = serializers.BooleanField()
    death = serializers.BooleanField()
    recall = serializers.CharField(source="recall.number", allow_null=True, default=None)


def _for_portal(viewer: User) -> bool:
    return viewer.party_id is not None


class ComplaintDetailSerializer(ComplaintSerializer):
    decisions = DecisionSerializer(many=True)
    clocks = ClockSerializer(many=True)


def _detail(complaint: Complaint) -> dict[str, Any]:
    decisions = list(complaint.decisions.all())
    for decision in decisions:
        decision.complaint = complaint
    data = ComplaintSerializer(complaint).data
    data["decisions"] = DecisionSerializer(decisions, many=True).data
    data["clocks"] = [row.as_dict() for row in reporting.clock_rows(decisions)]
    return dict(data)


class UnitInput(BoundedSerializer):
    labels_from = Complaint

    barcode = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    gtin = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=64, label=_l("UDI-DI / GTIN")
    )
    lot = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    serial = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


def _unit(data: dict[str, Any]) -> services.UnitGiven:
    return services.UnitGiven(data["barcode"], data["gtin"], data["lot"], data["serial"])


class ComplaintCreateSerializer(UnitInput):
    channel = serializers.ChoiceField(
        choices=[Channel.EMAIL, Channel.PHONE, Channel.STAFF, Channel.PORTAL], default=Channel.STAFF
    )
    holder = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    reporter_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=150
    )
    reporter_contact = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=255
    )
    aware_at = serializers.DateTimeField()
    event_date = serializers.DateField(required=False, allow_null=True, default=None)
    description = serializers.CharField()
    patient_involved = serializers.BooleanField(default=False)
    injury = serializers.BooleanField(default=False)
    death = serializers.BooleanField(default=False)
    malfunction = serializers.BooleanField(default=False)


def _complaint_viewer(request: Request) -> User:
    return _need(request, "quality.view_complaint")


# -- complaints --------------------------------------------------------------------------------


class ComplaintListView(APIView):
    """Complaints (GET, ``?status=&unresolved=1``; a portal user sees its party's) and entering
    one (POST; a portal user's is its own party's, through the portal channel)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=page_of(ComplaintSerializer), parameters=PAGE_PARAMETERS)
    def get(self, request: Request) -> Response:
        status_filter = request.query_params.get("status", "")
        if status_filter and status_filter not in ComplaintStatus.values:
            raise ValidationFailed(
                _("status: one of %(allowed)s.") % {"allowed": ", ".join(ComplaintStatus.values)},
                where="status",
            )
        viewer = _complaint_viewer(request)
        rows = selectors.complaint_list_for(
            viewer=viewer,
            status=status_filter,
            unresolved=request.query_params.get("unresolved") == "1",
        )
        shape = PortalComplaintSerializer if _for_portal(viewer) else ComplaintSerializer
        return paginated(self, request, rows, shape)

    @extend_schema(
        tags=TAGS, request=ComplaintCreateSerializer, responses={201: ComplaintSerializer}
    )
    def post(self, request: Request) -> Response:
        viewer = _need(request, "quality.add_complaint")
        payload = ComplaintCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if viewer.party_id is not None:
            holder, channel = viewer.party, Channel.PORTAL
        else:
            holder = (
                named_in_body(lambda: parties.party_coded(code=data["holder"], where="holder"))
                if data["holder"]
                else None
            )
            channel = data["channel"]
        complaint = services.complaint_receive(
            actor=viewer,
            channel=channel,
            description=data["description"],
            aware_at=data["aware_at"],
            holder=holder,
            unit=_unit(data),
            reference=data["reference"],
            reporter_name=data["reporter_name"],
            reporter_contact=data["reporter_contact"],
            event_date=data["event_date"],
            patient_involved=data["patient_involved"],
            injury=data["injury"],
            death=data["death"],
            malfunction=data["malfunction"],
        )
        shape = PortalComplaintSerializer if _for_portal(viewer) else ComplaintSerializer
        return Response(shape(complaint).data, status=status.HTTP_201_CREATED)


class ComplaintDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        responses=ComplaintDetailSerializer,
        description="A portal user gets only what its portal page shows (PortalComplaint).",
    )
    def get(self, request: Request, pk: int) -> Response:
        viewer = _complaint_viewer(request)
        complaint = selectors.complaint_get_for(viewer=viewer, pk=pk)
        if _for_portal(viewer):
            return Response(PortalComplaintSerializer(complaint).data)
        return Response(_detail(complaint))


def _staff_complaint(request: Request, pk: int, perm: str) -> tuple[User, Complaint]:
    viewer = _staff(request, perm)
    return viewer, selectors.complaint_get_for(viewer=viewer, pk=pk)


class ComplaintUnitView(APIView):
    """Identify the device again (a corrected lot, one imported since)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=UnitInput, responses=ComplaintDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, complaint = _staff_complaint(request, pk, "quality.change_complaint")
        payload = UnitInput(data=request.data)
        payload.is_valid(raise_exception=True)
        complaint = services.complaint_resolve_unit(
            complaint=complaint, actor=viewer, unit=_unit(payload.validated_data)
        )
        return Response(_detail(complaint))


class TriageItemSerializer(BoundedSerializer):
    labels_from = ReportDecision

    regime = serializers.ChoiceField(choices=Regime.values)
    reportable = serializers.BooleanField()
    category = serializers.ChoiceField(
        choices=["", *ReportCategory.values], required=False, default=""
    )
    rationale = serializers.CharField()


class TriageSerializer(BoundedSerializer):
    decisions = TriageItemSerializer(many=True, label=_l("Triage decisions"))
    death = serializers.BooleanField(
        required=False, allow_null=True, default=None, label=_l("Death (corrects the complaint)")
    )
    injury = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        label=_l("Serious injury (corrects the complaint)"),
    )
    harm_confirmation = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        label=_l("Reason to keep a category that contradicts the recorded harm"),
    )


class ComplaintTriageView(APIView):
    """Per regime: reportable or not, the category (it starts the reporting clock), why."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=TriageSerializer, responses=ComplaintDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, complaint = _staff_complaint(request, pk, "quality.triage_complaint")
        payload = TriageSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        complaint = services.complaint_triage(
            complaint=complaint,
            actor=viewer,
            decisions=[services.Triage(**item) for item in payload.validated_data["decisions"]],
            harm=_harm(complaint, payload.validated_data),
            harm_confirmation=payload.validated_data["harm_confirmation"],
        )
        return Response(_detail(complaint))


def _harm(complaint: Complaint, data: dict[str, Any]) -> services.Harm | None:
    """The corrected harm flags; a flag not given keeps the complaint's value."""
    if data["death"] is None and data["injury"] is None:
        return None
    return services.Harm(
        death=complaint.death if data["death"] is None else data["death"],
        injury=complaint.injury if data["injury"] is None else data["injury"],
    )


class ReportSerializer(BoundedSerializer):
    labels_from = ReportDecision

    regime = serializers.ChoiceField(choices=Regime.values)
    reference = serializers.CharField(max_length=100, label=_l("Report reference"))
    submitted_at = serializers.DateTimeField(
        help_text="When the report was filed: not in the future, not before the awareness date."
    )


class ComplaintReportView(APIView):
    """Record that the report to a regime was filed: its clock stops."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=ReportSerializer, responses=ComplaintDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, complaint = _staff_complaint(request, pk, "quality.triage_complaint")
        payload = ReportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.complaint_mark_reported(
            complaint=complaint, actor=viewer, **payload.validated_data
        )
        return Response(_detail(complaint))


class FindingsSerializer(BoundedSerializer):
    labels_from = Complaint

    findings = serializers.CharField()


class ComplaintInvestigateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=FindingsSerializer, responses=ComplaintDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, complaint = _staff_complaint(request, pk, "quality.triage_complaint")
        payload = FindingsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        complaint = services.complaint_investigate(
            complaint=complaint, actor=viewer, findings=payload.validated_data["findings"]
        )
        return Response(_detail(complaint))


class ComplaintCloseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=None, responses=ComplaintDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, complaint = _staff_complaint(request, pk, "quality.triage_complaint")
        return Response(_detail(services.complaint_close(complaint=complaint, actor=viewer)))


class RecallLinkSerializer(BoundedSerializer):
    labels_from = Complaint

    recall = serializers.CharField(max_length=40)


class ComplaintRecallView(APIView):
    """Link the complaint to an existing recall (by number)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=RecallLinkSerializer, responses=ComplaintDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, complaint = _staff_complaint(request, pk, "quality.triage_complaint")
        payload = RecallLinkSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        recall = named_in_body(lambda: recall_numbered(number=payload.validated_data["recall"]))
        complaint = services.complaint_link_recall(complaint=complaint, actor=viewer, recall=recall)
        return Response(_detail(complaint))


class StartedRecallSerializer(BoundedSerializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()


class StartRecallSerializer(BoundedSerializer):
    confirm_overlap = serializers.BooleanField(
        required=False,
        default=False,
        label=_l("Start another recall for this lot all the same"),
        help_text="Start another recall although recalls already cover the complaint's lot "
        "(refused with recall_overlap_unconfirmed and their numbers otherwise).",
    )


class ComplaintStartRecallView(APIView):
    """Open a draft recall from the complaint: its device model, its lot or serial as scope."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS, request=StartRecallSerializer, responses={201: StartedRecallSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        viewer, complaint = _staff_complaint(request, pk, "quality.triage_complaint")
        if not viewer.has_perm("recalls.add_recallcase"):
            raise PermissionDenied
        payload = StartRecallSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        recall = services.complaint_start_recall(
            complaint=complaint,
            actor=viewer,
            confirm_overlap=payload.validated_data["confirm_overlap"],
        )
        return Response(StartedRecallSerializer(recall).data, status=status.HTTP_201_CREATED)


# -- CAPAs -------------------------------------------------------------------------------------


class RootCauseSerializer(BoundedSerializer):
    labels_from = RootCause

    id = serializers.IntegerField(read_only=True)
    category = serializers.ChoiceField(choices=RootCauseCategory.values)
    statement = serializers.CharField()
    whys = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    fishbone = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False, default=dict
    )


class ActionSerializer(BoundedSerializer):
    labels_from = CapaTask

    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=ActionKind.values)
    description = serializers.CharField()
    owner = serializers.CharField(source="owner.username")
    due_on = serializers.DateField()
    status = serializers.ChoiceField(choices=ActionStatus.values, read_only=True)
    done_at = serializers.DateTimeField(read_only=True, allow_null=True)
    note = serializers.CharField(read_only=True)


class VerificationSerializer(BoundedSerializer):
    labels_from = Verification

    method = serializers.CharField()
    result = serializers.CharField()
    effective = serializers.BooleanField()
    verified_at = serializers.DateTimeField(read_only=True)
    verified_by = serializers.CharField(source="verified_by.username", read_only=True)


class CapaSerializer(BoundedSerializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    problem = serializers.CharField()
    status = serializers.CharField()
    owner = serializers.CharField(source="owner.username")
    due_on = serializers.DateField()
    overdue = serializers.BooleanField(
        source="is_overdue", help_text="Not closed and its due date is past."
    )
    closed_at = serializers.DateTimeField(allow_null=True)


class CapaDetailSerializer(CapaSerializer):
    root_causes = RootCauseSerializer(many=True)
    actions = ActionSerializer(many=True)
    verifications = VerificationSerializer(many=True)
    recalls = serializers.ListField(child=serializers.CharField())
    complaints = serializers.ListField(child=serializers.CharField())
    lots = serializers.ListField(child=serializers.DictField())
    suppliers = serializers.ListField(child=serializers.CharField())


def _capa_detail(capa: Capa) -> dict[str, Any]:
    detail = selectors.capa_detail(capa)
    data = dict(CapaSerializer(capa).data)
    root_causes: list[RootCause] = detail["root_causes"]
    actions: list[CapaTask] = detail["actions"]
    verifications: list[Verification] = detail["verifications"]
    data["root_causes"] = RootCauseSerializer(root_causes, many=True).data
    data["actions"] = ActionSerializer(actions, many=True).data
    data["verifications"] = VerificationSerializer(verifications, many=True).data
    data["recalls"] = [r.number for r in detail["recalls"]]
    data["complaints"] = [c.number for c in detail["complaints"]]
    data["lots"] = [{"gtin": lot.device_model.udi_di, "lot": lot.number} for lot in detail["lots"]]
    data["suppliers"] = [p.code for p in detail["suppliers"]]
    return data


class LinksSerializer(BoundedSerializer):
    labels_from = Capa

    recalls = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    complaints = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    lots = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        required=False,
        default=list,
        help_text="Each {gtin, lot}.",
    )


def _recall(number: str) -> RecallCase:
    return named_in_body(lambda: recall_numbered(number=number))


def _complaint_numbered(viewer: User, number: str) -> Complaint:
    return named_in_body(lambda: selectors.complaint_numbered_for(viewer=viewer, number=number))


def _links(viewer: User, data: dict[str, Any]) -> dict[str, Any]:
    recalls = [_recall(number) for number in data["recalls"]]
    complaints = [_complaint_numbered(viewer, number) for number in data["complaints"]]
    lots = []
    for item in data["lots"]:
        found = Lot.objects.filter(
            device_model__udi_di=item.get("gtin", ""), number=item.get("lot", "")
        ).first()
        if found is None:
            raise ValidationFailed(
                _("Lot %(lot)s of GTIN %(gtin)s is not known.")
                % {"lot": item.get("lot", ""), "gtin": item.get("gtin", "")},
                where="lots",
            )
        lots.append(found)
    return {"recalls": recalls, "complaints": complaints, "lots": lots}


class CapaCreateSerializer(LinksSerializer):
    title = serializers.CharField(max_length=255)
    problem = serializers.CharField()
    owner = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    due_on = serializers.DateField()
    confirm_past_due = serializers.BooleanField(
        required=False,
        default=False,
        label=_l("Open it overdue all the same"),
        help_text="Open the CAPA although its due date is already past, company time zone "
        "(refused with capa_past_due_unconfirmed otherwise).",
    )


def _user(name: str) -> User:
    return named_in_body(lambda: user_named(username=name))


class CapaListView(APIView):
    """CAPAs (GET, ``?status=``, ``?overdue=1``) and opening one (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        responses=page_of(CapaSerializer),
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("status", str, description="Only CAPAs in this status."),
            OpenApiParameter("overdue", bool, description="Only CAPAs not closed and past due."),
        ],
    )
    def get(self, request: Request) -> Response:
        viewer = _staff(request, "quality.view_capa")
        return paginated(
            self,
            request,
            selectors.capa_list_for(
                viewer=viewer,
                status=request.query_params.get("status", ""),
                overdue=request.query_params.get("overdue", "") in ("1", "true"),
            ),
            CapaSerializer,
        )

    @extend_schema(tags=TAGS, request=CapaCreateSerializer, responses={201: CapaDetailSerializer})
    def post(self, request: Request) -> Response:
        viewer = _staff(request, "quality.add_capa")
        payload = CapaCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        capa = services.capa_open(
            actor=viewer,
            title=data["title"],
            problem=data["problem"],
            owner=_user(data["owner"]) if data["owner"] else viewer,
            due_on=data["due_on"],
            confirm_past_due=data["confirm_past_due"],
            **_links(viewer, data),
        )
        return Response(_capa_detail(capa), status=status.HTTP_201_CREATED)


def _staff_capa(request: Request, pk: int, perm: str) -> tuple[User, Capa]:
    viewer = _staff(request, perm)
    return viewer, selectors.capa_get_for(viewer=viewer, pk=pk)


class CapaDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=CapaDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        _viewer, capa = _staff_capa(request, pk, "quality.view_capa")
        return Response(_capa_detail(capa))


class CapaRootCauseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=RootCauseSerializer, responses={201: CapaDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        viewer, capa = _staff_capa(request, pk, "quality.change_capa")
        payload = RootCauseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.root_cause_add(capa=capa, actor=viewer, **payload.validated_data)
        return Response(_capa_detail(capa), status=status.HTTP_201_CREATED)


class ActionCreateSerializer(BoundedSerializer):
    labels_from = CapaTask

    kind = serializers.ChoiceField(choices=ActionKind.values)
    description = serializers.CharField()
    owner = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    due_on = serializers.DateField()


class CapaActionsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=ActionCreateSerializer, responses={201: CapaDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        viewer, capa = _staff_capa(request, pk, "quality.change_capa")
        payload = ActionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        services.capa_action_add(
            capa=capa,
            actor=viewer,
            kind=data["kind"],
            description=data["description"],
            owner=_user(data["owner"]) if data["owner"] else viewer,
            due_on=data["due_on"],
        )
        return Response(_capa_detail(capa), status=status.HTTP_201_CREATED)


class ActionUpdateSerializer(BoundedSerializer):
    labels_from = CapaTask

    status = serializers.ChoiceField(choices=ActionStatus.values)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CapaActionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=ActionUpdateSerializer, responses=CapaDetailSerializer)
    def post(self, request: Request, pk: int, action: int) -> Response:
        viewer, capa = _staff_capa(request, pk, "quality.change_capa")
        task = selectors.capa_action_get(capa=capa, pk=action)
        payload = ActionUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.capa_action_update(task=task, actor=viewer, **payload.validated_data)
        return Response(_capa_detail(capa))


class CapaLinkView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=LinksSerializer, responses=CapaDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, capa = _staff_capa(request, pk, "quality.change_capa")
        payload = LinksSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.capa_link(capa=capa, actor=viewer, **_links(viewer, payload.validated_data))
        return Response(_capa_detail(capa))


class CapaVerifyView(APIView):
    """Record a verification of effectiveness (an effective one lets the CAPA close)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=VerificationSerializer, responses={201: CapaDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        viewer, capa = _staff_capa(request, pk, "quality.change_capa")
        payload = VerificationSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.capa_verify(capa=capa, actor=viewer, **payload.validated_data)
        return Response(_capa_detail(capa), status=status.HTTP_201_CREATED)


class ReasonSerializer(BoundedSerializer):
    reason = serializers.CharField(label=_l("Reason"))


class CapaReopenView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=ReasonSerializer, responses=CapaDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, capa = _staff_capa(request, pk, "quality.change_capa")
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.capa_reopen(capa=capa, actor=viewer, reason=payload.validated_data["reason"])
        return Response(_capa_detail(capa))


class CapaCloseView(APIView):
    """Close a verified CAPA; without a recorded effective verification: 409, nothing changes."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=None, responses=CapaDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer, capa = _staff_capa(request, pk, "quality.change_capa")
        return Response(_capa_detail(services.capa_close(capa=capa, actor=viewer)))


# -- dashboard ---------------------------------------------------------------------------------


class RootCauseCountSerializer(BoundedSerializer):
    category = serializers.CharField()
    name = serializers.CharField(help_text="The category in the reader's language.")
    count = serializers.IntegerField()


class DashboardSignalSerializer(BoundedSerializer):
    id = serializers.IntegerField()
    device_model = serializers.CharField()
    lot = serializers.CharField(allow_null=True)
    ratio = serializers.FloatField(allow_null=True)
    q_value = serializers.FloatField()
    since = serializers.DateField()


class DashboardSerializer(BoundedSerializer):
    complaints_open = serializers.IntegerField()
    complaints_by_status = serializers.DictField(child=serializers.IntegerField())
    complaints_unresolved = serializers.IntegerField()
    clocks = ClockSerializer(many=True)
    capas_open = serializers.IntegerField()
    capas_overdue = serializers.ListField(child=serializers.CharField())
    capas_due = serializers.ListField(child=serializers.CharField())
    actions_overdue = serializers.IntegerField()
    root_causes = RootCauseCountSerializer(many=True)
    recalls_without_capa = serializers.ListField(child=serializers.CharField())
    recalls_closed = serializers.IntegerField(help_text="Closed recalls, with or without a CAPA.")
    signals_active = serializers.IntegerField(help_text="Early-warning signals to review")
    signals_top = DashboardSignalSerializer(many=True)


class DashboardView(APIView):
    """Open complaints, reporting clocks due or overdue, CAPAs due and overdue, top root causes,
    closed recalls without a CAPA. (Early-warning signals are not part of it yet.)"""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=DashboardSerializer)
    def get(self, request: Request) -> Response:
        viewer = _staff(request, "quality.view_complaint")
        return Response(selectors.dashboard_for(viewer=viewer).as_dict())
