"""Recall endpoints: one small view per action (open, edit, evaluate, classify, scope,
freeze, impact, transition). Each calls one service or selector."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedModelSerializer, BoundedSerializer
from medrecall.catalog.models import DeviceModel
from medrecall.catalog.selectors import device_models_with_gtins
from medrecall.core.errors import NotFound, ValidationFailed
from medrecall.recalls import selectors, services
from medrecall.recalls.lifecycle import Action, Status, action_blockers, blockers
from medrecall.recalls.models import (
    EDITABLE,
    ActionType,
    Depth,
    EffectivenessLevel,
    HazardEvaluation,
    IncidentCategory,
    Initiation,
    RecallCase,
    Regime,
    ScopeRule,
)
from medrecall.reporting.deadlines import kept_done_from_records

from .errors import named_in_body
from .pagination import PAGE_PARAMETERS, page_of, paginated


class RegimeSerializer(BoundedSerializer):
    regime = serializers.CharField()
    proposed_class = serializers.CharField()
    recall_class = serializers.CharField()
    override_reason = serializers.CharField()
    fda_class = serializers.CharField()
    fda_event_id = serializers.CharField()
    fda_z_numbers = serializers.JSONField()
    fda_classified_on = serializers.DateField(allow_null=True)


class RecallListSerializer(BoundedModelSerializer[RecallCase]):
    """A recall in a list: its fields without ``blocked``, whose guards read the case's
    scope, approvals and accounting (the detail answers it, one recall at a time)."""

    products: serializers.SlugRelatedField[DeviceModel] = serializers.SlugRelatedField(
        slug_field="udi_di", many=True, read_only=True
    )
    regimes = RegimeSerializer(many=True, read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True)
    actions = serializers.SerializerMethodField()

    class Meta:
        model = RecallCase
        fields = [
            "id",
            "number",
            "status",
            "version",
            "products",
            "regimes",
            "owner",
            *EDITABLE,
            "created_at",
            "updated_at",
            "actions",
        ]
        read_only_fields = fields

    def get_actions(self, recall: RecallCase) -> dict[str, list[str]]:
        """Why each action is refused in the recall's status (empty list: allowed); a refused
        action answers 409 ``action_not_allowed`` with the same words."""
        return {str(action): action_blockers(recall, action) for action in Action}


class RecallSerializer(RecallListSerializer):
    blocked = serializers.SerializerMethodField()

    class Meta(RecallListSerializer.Meta):
        fields = [*RecallListSerializer.Meta.fields, "blocked"]
        read_only_fields = fields

    def get_blocked(self, recall: RecallCase) -> dict[str, list[str]]:
        """Why each next step is not possible yet (empty list: allowed)."""
        from medrecall.recalls.lifecycle import TRANSITIONS

        return {
            str(target): blockers(recall, target) for target in TRANSITIONS[Status(recall.status)]
        }


class RecallOpenSerializer(BoundedSerializer):
    title = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="Chinese title (give this or title_en)",
    )
    title_en = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    products = serializers.ListField(
        child=serializers.CharField(), help_text="GTINs of the device models"
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="in Chinese"
    )
    reason_en = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="in English"
    )
    regimes = serializers.ListField(
        child=serializers.ChoiceField(choices=Regime.values),
        required=False,
        default=list,
    )
    action_type = serializers.ChoiceField(
        choices=ActionType.values, required=False, default=ActionType.REMOVAL
    )
    initiation = serializers.ChoiceField(
        choices=Initiation.values, required=False, default=Initiation.VOLUNTARY
    )
    depth = serializers.ChoiceField(choices=Depth.values, required=False, default=Depth.USER)
    decision_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class RecallUpdateSerializer(BoundedSerializer):
    version = serializers.IntegerField(
        help_text="The version you edited; a newer one refuses the change (409)."
    )
    reason_for_change = serializers.CharField(required=False, allow_blank=True, default="")
    title = serializers.CharField(required=False)
    title_en = serializers.CharField(required=False, allow_blank=True, max_length=255)
    reason = serializers.CharField(required=False, allow_blank=True)
    reason_en = serializers.CharField(required=False, allow_blank=True)
    defect_description = serializers.CharField(required=False, allow_blank=True)
    defect_description_en = serializers.CharField(required=False, allow_blank=True)
    hazard_description = serializers.CharField(required=False, allow_blank=True)
    hazard_description_en = serializers.CharField(required=False, allow_blank=True)
    depth = serializers.ChoiceField(choices=Depth.values, required=False)
    public_warning = serializers.BooleanField(required=False)
    effectiveness_level = serializers.ChoiceField(choices=EffectivenessLevel.values, required=False)
    effectiveness_percent = serializers.IntegerField(required=False, min_value=11, max_value=99)
    strategy = serializers.CharField(required=False, allow_blank=True)
    progress_interval_days = serializers.IntegerField(required=False, min_value=1)
    fda_status_interval_days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    decision_at = serializers.DateTimeField(required=False)
    initiated_at = serializers.DateTimeField(required=False)
    completed_at = serializers.DateTimeField(required=False)
    aware_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="EU MDR Art. 87: when the manufacturer became aware of the serious incident.",
    )
    eu_incident = serializers.ChoiceField(
        choices=IncidentCategory.values,
        required=False,
        allow_blank=True,
        help_text="EU MDR serious-incident category (2, 10 or 15 days after awareness).",
    )


def _products(gtins: list[str]) -> list[DeviceModel]:
    return named_in_body(lambda: device_models_with_gtins(gtins=gtins, where="products"))


def _recall(request: Request, pk: int, perm: str = "recalls.view_recallcase") -> RecallCase:
    viewer = viewer_of(request)
    recall = selectors.recall_get_for(viewer=viewer, pk=pk)
    if not viewer.has_perm(perm):
        raise PermissionDenied
    return recall


CHANGE = "recalls.change_recallcase"


def _input(
    request: Request, shape: type[serializers.Serializer[Any]], *, partial: bool = False
) -> dict[str, Any]:
    """The request body checked against its input serializer (400 with the field errors)."""
    payload = shape(data=request.data, partial=partial)
    payload.is_valid(raise_exception=True)
    return dict(payload.validated_data)


def _credentials(request: Request, fields: dict[str, Any]) -> dict[str, Any]:
    """The re-entered password (and the user name on a session's first signature)."""
    return {
        "password": fields["password"],
        "username": fields["username"] or None,
        "session": getattr(request, "session", None),
    }


class RecallListView(APIView):
    """Recalls (GET) and opening a new one in draft (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["recalls"], responses=page_of(RecallListSerializer), parameters=PAGE_PARAMETERS
    )
    def get(self, request: Request) -> Response:
        recalls = selectors.recall_list_for(
            viewer=viewer_of(request),
            status=request.query_params.get("status", ""),
            search=request.query_params.get("search", ""),
        )
        return paginated(
            self,
            request,
            recalls.select_related("owner").prefetch_related("products", "regimes"),
            RecallListSerializer,
        )

    @extend_schema(
        tags=["recalls"], request=RecallOpenSerializer, responses={201: RecallSerializer}
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        if not viewer.has_perm("recalls.add_recallcase"):
            raise PermissionDenied
        fields = _input(request, RecallOpenSerializer)
        recall = services.recall_open(
            actor=viewer,
            title=fields.pop("title"),
            products=_products(fields.pop("products")),
            reason=fields.pop("reason"),
            regimes=fields.pop("regimes"),
            **fields,
        )
        return Response(RecallSerializer(recall).data, status=status.HTTP_201_CREATED)


class RecallDetailView(APIView):
    """One recall (GET) and editing its fields with optimistic locking (PATCH)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["recalls"], responses=RecallSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(RecallSerializer(_recall(request, pk)).data)

    @extend_schema(tags=["recalls"], request=RecallUpdateSerializer, responses=RecallSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, CHANGE)
        changes = _input(request, RecallUpdateSerializer, partial=True)
        if "version" not in changes:
            raise ValidationFailed(_("Give the version you edited."), where="version")
        updated = services.recall_update(
            recall=recall,
            actor=viewer_of(request),
            version=changes.pop("version"),
            change_reason=changes.pop("reason_for_change", ""),
            **changes,
        )
        return Response(RecallSerializer(updated).data)


class HazardSerializer(BoundedSerializer):
    severity = serializers.ChoiceField(choices=HazardEvaluation.Severity.values)
    likelihood = serializers.ChoiceField(choices=HazardEvaluation.Likelihood.values)
    injuries_reported = serializers.IntegerField(min_value=0, default=0)
    deaths_reported = serializers.IntegerField(min_value=0, default=0)
    populations_at_risk = serializers.CharField(required=False, allow_blank=True, default="")
    consequences = serializers.CharField(required=False, allow_blank=True, default="")
    defect_description = serializers.CharField(
        required=False, allow_blank=True, help_text="the defect, in Chinese"
    )
    defect_description_en = serializers.CharField(
        required=False, allow_blank=True, help_text="the defect, in English"
    )
    hazard_description = serializers.CharField(
        required=False, allow_blank=True, help_text="the possible harm, in Chinese"
    )
    hazard_description_en = serializers.CharField(
        required=False, allow_blank=True, help_text="the possible harm, in English"
    )


class HazardView(APIView):
    """Record the health hazard evaluation; the response carries the class proposed per regime."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["recalls"], request=HazardSerializer, responses=RecallSerializer)
    def post(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, CHANGE)
        services.hazard_evaluate(
            recall=recall, actor=viewer_of(request), **_input(request, HazardSerializer)
        )
        return Response(RecallSerializer(_recall(request, pk)).data)


class ClassifySerializer(BoundedSerializer):
    regime = serializers.ChoiceField(choices=Regime.values)
    recall_class = serializers.CharField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ClassifyView(APIView):
    """Set the class of one regime (an override of the proposal needs a reason)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["recalls"], request=ClassifySerializer, responses=RecallSerializer)
    def post(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, CHANGE)
        choice = _input(request, ClassifySerializer)
        with transaction.atomic():
            services.recall_regime_add(
                recall=recall, regime=choice["regime"], actor=viewer_of(request)
            )
            services.recall_classify(recall=recall, actor=viewer_of(request), **choice)
        return Response(RecallSerializer(_recall(request, pk)).data)


class ScopeRuleSerializer(BoundedModelSerializer[ScopeRule]):
    gtin = serializers.CharField(write_only=True)

    class Meta:
        model = ScopeRule
        fields = ["id", "kind", "gtin", "device_model", "values", "range_from", "range_to"]
        read_only_fields = ["id", "device_model"]


class ScopeRuleView(APIView):
    """Scope rules of a recall (GET) and adding one (POST; refused when it matches nothing)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["recalls"], responses=ScopeRuleSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        return Response(ScopeRuleSerializer(_recall(request, pk).scope_rules.all(), many=True).data)

    @extend_schema(
        tags=["recalls"], request=ScopeRuleSerializer, responses={201: ScopeRuleSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, "recalls.add_scoperule")
        wanted = _input(request, ScopeRuleSerializer)
        (model,) = _products([wanted["gtin"]])
        rule = services.scope_rule_add(
            recall=recall,
            actor=viewer_of(request),
            kind=wanted["kind"],
            device_model=model,
            values=wanted.get("values", []),
            range_from=wanted.get("range_from", ""),
            range_to=wanted.get("range_to", ""),
        )
        return Response(ScopeRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class ScopeFreezeView(APIView):
    """Resolve the rules into a new frozen snapshot; the answer shows the difference to the last one."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["recalls"], request=None, responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, "recalls.add_scopesnapshot")
        previous = recall.current_snapshot
        snapshot = services.scope_freeze(recall=recall, actor=viewer_of(request))
        body: dict[str, Any] = {
            "snapshot": snapshot.sequence,
            "total_units": snapshot.total_units,
            "total_holders": snapshot.total_holders,
        }
        if previous is not None:
            body["difference"] = services.snapshot_difference(previous, snapshot)
        return Response(body, status=status.HTTP_201_CREATED)


class ImpactView(APIView):
    """Impact of the current scope: by position, holder type, echelon, region and holder."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["recalls"], responses=serializers.DictField())
    def get(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk)
        snapshot = recall.current_snapshot
        if snapshot is None:
            raise NotFound(_("No scope has been frozen for this recall yet."), where="scope")
        from dataclasses import asdict

        return Response(asdict(selectors.impact_of(snapshot)))


class TransitionSerializer(BoundedSerializer):
    target = serializers.ChoiceField(choices=Status.values)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class TransitionView(APIView):
    """Move the recall along its lifecycle; a refusal lists every reason (400, code transition_refused)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["recalls"], request=TransitionSerializer, responses=RecallSerializer)
    def post(self, request: Request, pk: int) -> Response:
        moved = services.recall_transition(
            recall=_recall(request, pk, CHANGE),
            actor=viewer_of(request),
            **_input(request, TransitionSerializer),
        )
        return Response(RecallSerializer(moved).data)


# The signer's re-entered credentials (21 CFR 11.200), common to every signature (a comment,
# not a docstring: the schema would show it as each request's description).
class SigningSerializer(BoundedSerializer):
    password = serializers.CharField(style={"input_type": "password"})
    username = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed on the first signature of a session.",
    )


class SignSerializer(SigningSerializer):
    step = serializers.CharField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SignView(APIView):
    """Sign an approval step (meaning: approved), re-entering the password (21 CFR 11.200)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["recalls"], request=SignSerializer, responses={201: serializers.DictField()}
    )
    def post(self, request: Request, pk: int) -> Response:
        from medrecall.accounts.signatures import signature_manifest
        from medrecall.recalls.approvals import approval_sign, missing_approvals

        recall = _recall(request, pk, CHANGE)
        signing = _input(request, SignSerializer)
        signature = approval_sign(
            recall=recall,
            step=signing["step"],
            actor=viewer_of(request),
            reason=signing["reason"],
            **_credentials(request, signing),
        )
        return Response(
            {"signature": signature_manifest(signature), "missing": missing_approvals(recall)},
            status=status.HTTP_201_CREATED,
        )


class ClosureFindingSerializer(BoundedSerializer):
    found_by = serializers.CharField(
        help_text="Which context found it: execution, notices, deadlines."
    )
    message = serializers.CharField()
    blocking = serializers.BooleanField()


class ClosureExceptionOutSerializer(BoundedSerializer):
    reason = serializers.CharField()
    signed_by = serializers.CharField()
    signed_at = serializers.DateTimeField()
    findings = ClosureFindingSerializer(many=True)


class ClosureSerializer(BoundedSerializer):
    blocking = serializers.ListField(
        child=serializers.CharField(), help_text="What keeps the recall from closing."
    )
    information = serializers.ListField(
        child=serializers.CharField(), help_text="Shown with it; does not block."
    )
    may_close = serializers.BooleanField()
    exception = ClosureExceptionOutSerializer(allow_null=True)


class ClosureView(APIView):
    """What keeps the recall from closing (unit accounting, open returns…), information
    (holders silent, deadlines breached) and the closure exception signed, if any."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["recalls"], responses=ClosureSerializer)
    def get(self, request: Request, pk: int) -> Response:
        from medrecall.recalls.closure import closure_report

        return Response(closure_report(_recall(request, pk)).as_dict())


class ClosureExceptionSerializer(SigningSerializer):
    reason = serializers.CharField(help_text="Why the recall may close with units outstanding.")


class ClosureExceptionView(APIView):
    """Sign a closure exception (meaning: responsible; password re-entered): the recall in
    effectiveness check may then close with units outstanding. 409 in any other status."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["recalls"], request=ClosureExceptionSerializer, responses={201: ClosureSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        from medrecall.recalls.closure import closure_exception_sign, closure_report

        recall = _recall(request, pk, CHANGE)
        signing = _input(request, ClosureExceptionSerializer)
        closure_exception_sign(
            recall=recall,
            actor=viewer_of(request),
            reason=signing["reason"],
            **_credentials(request, signing),
        )
        return Response(closure_report(recall).as_dict(), status=status.HTTP_201_CREATED)


class DeadlinesView(APIView):
    """The compliance clock of a recall: every deadline with its status, and missing settings."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["recalls"], responses=serializers.DictField())
    def get(self, request: Request, pk: int) -> Response:
        from medrecall.recalls.deadlines import deadlines_for

        rows, missing = deadlines_for(_recall(request, pk))
        return Response(
            {
                "deadlines": [
                    {
                        "key": r.key,
                        "regime": r.regime,
                        "title": r.title,
                        "basis": r.basis,
                        "due_at": r.due_at.isoformat(),
                        "status": r.status,
                        "legal": r.legal,
                        "done_at": r.done_at.isoformat() if r.done_at else None,
                        **r.provisional_fields(),
                        "provisional_note": r.provisional_note,
                        # status "not_owed": the records show the recall does not owe it.
                        "not_owed": r.not_owed,
                        "not_owed_label": r.not_owed_label,
                        # partly met (a filing submitted to some of its authorities): open.
                        **r.progress_fields(),
                    }
                    for r in rows
                ],
                "missing_settings": missing,
            }
        )


class DeadlineProgressSerializer(BoundedSerializer):
    # What every deadline row adds (``DeadlineRow.progress_fields``): a deadline partly met by
    # the records (a filing submitted to some of the authorities it is addressed to) stays open
    # with its due status and says how far it got. (No docstring: see ``BoundedSerializer``.)
    progress_note = serializers.CharField(
        help_text='"Submitted to 1 of 4 authorities" in the request\'s language; "" when the '
        "deadline is not partly met"
    )
    submitted = serializers.IntegerField(
        source="partly.done",
        allow_null=True,
        help_text="Authorities that have their submission (null: not partly met)",
    )
    of = serializers.IntegerField(
        source="partly.of",
        allow_null=True,
        help_text="Authorities the filing is addressed to (null: not partly met)",
    )


class DueDeadlineSerializer(DeadlineProgressSerializer):
    recall = serializers.CharField(source="recall_number")
    recall_id = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()
    due_at = serializers.DateTimeField()
    status = serializers.CharField()
    provisional = serializers.BooleanField(
        help_text="Counted over a year whose working-day calendar is not entered"
    )
    calendar_missing_years = serializers.ListField(child=serializers.IntegerField())
    provisional_note = serializers.CharField()


class DueThisWeekView(APIView):
    """Across open recalls: deadlines due in the next seven days, and those breached."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["recalls"], responses=page_of(DueDeadlineSerializer), parameters=PAGE_PARAMETERS
    )
    def get(self, request: Request) -> Response:
        from medrecall.recalls.deadlines import due_this_week

        if (
            not viewer_of(request).has_perm("recalls.view_recallcase")
            or viewer_of(request).party_id
        ):
            raise PermissionDenied
        rows = due_this_week(done_from_records=kept_done_from_records)
        return paginated(self, request, rows, DueDeadlineSerializer)
