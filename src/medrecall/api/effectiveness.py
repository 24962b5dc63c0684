"""Effectiveness endpoints under ``/api/recalls/{id}/effectiveness/``: levels, samples, checks,
results, completion (with the outstanding units, paged), unit exceptions, closing signature and
the close blockers. Each calls one service or selector; portal users get 404 (staff recalls)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedSerializer
from medrecall.core.errors import NotFound
from medrecall.effectiveness import selectors, services
from medrecall.effectiveness.models import CheckPlan, CheckRecord, ContactMethod, Sample
from medrecall.parties.selectors import party_coded
from medrecall.recalls import selectors as recall_selectors
from medrecall.recalls.lifecycle import Status, blockers
from medrecall.recalls.models import RecallCase, Regime

from .errors import named_in_body
from .pagination import PAGE_PARAMETERS, page_of, paginated
from .recalls import SigningSerializer, _credentials, _input

VIEW = "effectiveness.view_checkplan"
PLAN = "effectiveness.change_checkplan"
CHECK = "effectiveness.add_checkrecord"


def _recall(request: Request, pk: int, perm: str = VIEW) -> RecallCase:
    viewer = viewer_of(request)
    if viewer.party_id is not None:  # staff only: a portal user sees no recall here
        raise NotFound(_("Recall not found."))
    recall = recall_selectors.recall_get_for(viewer=viewer, pk=pk)
    if not viewer.has_perm(perm):
        raise PermissionDenied
    return recall


class ResultsSerializer(BoundedSerializer):
    regime = serializers.CharField()
    level = serializers.CharField()
    share = serializers.IntegerField(allow_null=True)
    consignees = serializers.IntegerField()
    sample_size = serializers.IntegerField()
    seed = serializers.IntegerField(allow_null=True)
    checked = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    pending = serializers.IntegerField()
    unresolved_escalations = serializers.IntegerField()
    checked_percent = serializers.FloatField()
    passed_percent = serializers.FloatField()
    failed_percent = serializers.FloatField()
    pending_percent = serializers.FloatField()
    by_stratum = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField())
    )
    criteria_met = serializers.BooleanField()


class LevelSerializer(BoundedSerializer):
    labels_from = CheckPlan

    regime = serializers.ChoiceField(choices=Regime.choices)
    level = serializers.CharField(max_length=1, help_text="A, B, C, D or E.")
    share = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=32767,
        help_text="Level B only: 10 to 100 (%).",
    )


class ResultsView(APIView):
    """The effectiveness-check level and results of each regime of the recall (GET); set a
    regime's level (PUT)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["effectiveness"], responses=ResultsSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        return Response([r.as_dict() for r in selectors.results(_recall(request, pk))])

    @extend_schema(
        tags=["effectiveness"], request=LevelSerializer, responses=ResultsSerializer(many=True)
    )
    def put(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, PLAN)
        body = _input(request, LevelSerializer)
        services.plan_set(recall=recall, actor=viewer_of(request), **body)
        return Response([r.as_dict() for r in selectors.results(recall)])


class SampleInSerializer(BoundedSerializer):
    regime = serializers.ChoiceField(choices=Regime.choices)
    seed = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=2**53 - 1
    )
    size = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=2147483647
    )


class MemberSerializer(BoundedSerializer):
    party = serializers.CharField(source="party.code")
    name = serializers.CharField(source="party.name")
    stratum = serializers.CharField()
    units = serializers.IntegerField()
    latest_check = serializers.IntegerField(source="latest_id", allow_null=True)
    latest_passed = serializers.BooleanField(allow_null=True)


class SampleSerializer(BoundedSerializer):
    regime = serializers.CharField(source="plan.regime")
    seed = serializers.IntegerField()
    consignees = serializers.IntegerField(source="population")
    size = serializers.IntegerField()
    snapshot = serializers.IntegerField(source="snapshot_sequence")
    drawn_at = serializers.DateTimeField()


class SampleView(APIView):
    """Draw the sample of a regime (POST): the seed given or a new random one, recorded."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["effectiveness"], request=SampleInSerializer, responses={201: SampleSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, PLAN)
        body = _input(request, SampleInSerializer)
        sample = services.sample_draw(recall=recall, actor=viewer_of(request), **body)
        return Response(SampleSerializer(sample).data, status=status.HTTP_201_CREATED)


class SampleMembersView(APIView):
    """The sampled consignees of a regime with their latest check (paged)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["effectiveness"], responses=page_of(MemberSerializer), parameters=PAGE_PARAMETERS
    )
    def get(self, request: Request, pk: int, regime: str) -> Response:
        recall = _recall(request, pk)
        if regime not in Regime.values:
            raise NotFound(
                _("There is no regime %(regime)s; the regimes are: %(allowed)s.")
                % {"regime": regime, "allowed": ", ".join(Regime.values)},
                where="regime",
            )
        plan = recall.check_plans.filter(regime=regime).first()  # no level yet: nobody sampled
        sample: Sample | None = selectors.current_sample(plan) if plan else None
        rows: Any = selectors.sample_members(sample) if sample else []
        return paginated(self, request, rows, MemberSerializer)


class CheckInSerializer(BoundedSerializer):
    party = serializers.CharField(help_text="The holder's party code.")
    regime = serializers.ChoiceField(choices=Regime.choices, required=False, default="")
    contacted_how = serializers.ChoiceField(choices=ContactMethod.choices)
    notice_received = serializers.BooleanField()
    instructions_followed = serializers.BooleanField()
    units_found = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=2147483647
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CheckSerializer(BoundedSerializer):
    id = serializers.IntegerField()
    party = serializers.CharField(source="consignee.party.code")
    regime = serializers.CharField(source="consignee.sample.plan.regime")
    contacted_how = serializers.CharField()
    notice_received = serializers.BooleanField()
    instructions_followed = serializers.BooleanField()
    units_found = serializers.IntegerField()
    note = serializers.CharField()
    passed = serializers.BooleanField()
    checked_at = serializers.DateTimeField()
    renotified_notices = serializers.ListField(child=serializers.IntegerField())
    escalated_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolution = serializers.CharField()


class ChecksView(APIView):
    """The checks recorded on the recall (GET, paged, newest first); record one (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["effectiveness"], responses=page_of(CheckSerializer), parameters=PAGE_PARAMETERS
    )
    def get(self, request: Request, pk: int) -> Response:
        return paginated(self, request, selectors.checks_of(_recall(request, pk)), CheckSerializer)

    @extend_schema(
        tags=["effectiveness"], request=CheckInSerializer, responses={201: CheckSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, CHECK)
        body = _input(request, CheckInSerializer)
        party = named_in_body(lambda: party_coded(code=body.pop("party")))
        check = services.check_record(recall=recall, party=party, actor=viewer_of(request), **body)
        check = selectors.checks_of(recall).get(pk=check.pk)
        return Response(CheckSerializer(check).data, status=status.HTTP_201_CREATED)


class ResolveSerializer(BoundedSerializer):
    reason = serializers.CharField()


class ResolveView(APIView):
    """Resolve the escalation of a failed check with a reason."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["effectiveness"], request=ResolveSerializer, responses=CheckSerializer)
    def post(self, request: Request, pk: int, check: int) -> Response:
        recall = _recall(request, pk, CHECK)
        body = _input(request, ResolveSerializer)
        found: CheckRecord | None = selectors.checks_of(recall).filter(pk=check).first()
        if found is None:
            from medrecall.core.errors import NotFound

            raise NotFound(_("No such check."), where="check")
        services.check_resolve(check=found, actor=viewer_of(request), reason=body["reason"])
        return Response(CheckSerializer(selectors.checks_of(recall).get(pk=check)).data)


class CompletionSerializer(BoundedSerializer):
    complete = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)
    snapshot = serializers.IntegerField(allow_null=True)
    affected = serializers.IntegerField()
    at_holders = serializers.IntegerField()
    corrected = serializers.IntegerField()
    excepted = serializers.IntegerField()
    outstanding_at_holders = serializers.IntegerField()
    used = serializers.IntegerField()
    dispositioned = serializers.IntegerField()
    in_transit = serializers.IntegerField()
    in_quarantine = serializers.IntegerField()
    own_stock = serializers.IntegerField()
    unexplained = serializers.IntegerField()


class CompletionView(APIView):
    """Whether every unit of the frozen scope is accounted for, and when that was recorded."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["effectiveness"], responses=CompletionSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(selectors.completion_of(_recall(request, pk)).as_dict())


class OutstandingSerializer(BoundedSerializer):
    party = serializers.CharField(source="location__party__code")
    name = serializers.CharField(source="location__party__name")
    lot = serializers.CharField(source="lot__number")
    units = serializers.IntegerField()
    corrected = serializers.IntegerField()
    excepted = serializers.IntegerField()
    outstanding = serializers.IntegerField()


class OutstandingView(APIView):
    """Units still at holders per holder and lot, not corrected nor excepted (paged)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["effectiveness"], responses=page_of(OutstandingSerializer), parameters=PAGE_PARAMETERS
    )
    def get(self, request: Request, pk: int) -> Response:
        rows = selectors.outstanding_at_holders(_recall(request, pk))
        return paginated(self, request, rows, OutstandingSerializer)


class ExceptionInSerializer(SigningSerializer):
    party = serializers.CharField()
    lot = serializers.CharField()
    units = serializers.IntegerField(min_value=0, max_value=2147483647)
    reason = serializers.CharField()


class ExceptionView(APIView):
    """Sign an exception for exact units of one lot at one holder (meaning: responsible)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["effectiveness"], request=ExceptionInSerializer, responses={201: CompletionSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        from medrecall.catalog.models import Lot
        from medrecall.core.errors import NotFound

        recall = _recall(request, pk, PLAN)
        body = _input(request, ExceptionInSerializer)
        party = named_in_body(lambda: party_coded(code=body["party"]))

        def lot_named() -> Lot:
            lot = Lot.objects.filter(number=body["lot"]).first()
            if lot is None:
                raise NotFound(_("There is no lot %(lot)s.") % {"lot": body["lot"]}, where="lot")
            return lot

        services.unit_exception_sign(
            recall=recall,
            party=party,
            lot=named_in_body(lot_named),
            units=body["units"],
            reason=body["reason"],
            actor=viewer_of(request),
            **_credentials(request, body),
        )
        return Response(selectors.completion_of(recall).as_dict(), status=status.HTTP_201_CREATED)


class BlockersSerializer(BoundedSerializer):
    may_close = serializers.BooleanField()
    blockers = serializers.ListField(child=serializers.CharField())
    closing_signed = serializers.BooleanField()


def _blockers(recall: RecallCase) -> dict[str, Any]:
    found = blockers(recall, Status.CLOSED)
    return {
        "may_close": not found,
        "blockers": found,
        "closing_signed": selectors.closing_signature_in_force(recall) is not None,
    }


class CloseBlockersView(APIView):
    """Every reason closing the recall is refused now (empty: it may close)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["effectiveness"], responses=BlockersSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_blockers(_recall(request, pk)))


class ClosingSignView(APIView):
    """Sign the closure (meaning: approved); refused while anything else blocks closing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["effectiveness"], request=SigningSerializer, responses={201: BlockersSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, PLAN)
        body = _input(request, SigningSerializer)
        services.closing_sign(
            recall=recall, actor=viewer_of(request), **_credentials(request, body)
        )
        return Response(_blockers(recall), status=status.HTTP_201_CREATED)
