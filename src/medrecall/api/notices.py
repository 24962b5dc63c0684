"""Notice endpoints: templates, send runs, notices and their delivery, the overdue queue,
replies (staff and portal), the customer timeline and offers. One small view per action."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.models import User
from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedModelSerializer, BoundedSerializer, query_int
from medrecall.core import bounds
from medrecall.core.errors import NotFound, ValidationFailed
from medrecall.core.files import file_response
from medrecall.notices import (
    delivery,
    notify_by,
    postal,
    relations,
    replies,
    selectors,
    send_runs,
    template_control,
)
from medrecall.notices.models import Kind, Notice, NoticeStatus, NoticeTemplate, Offer, Reply
from medrecall.parties import selectors as party_selectors
from medrecall.parties.models import Language, Party, PartyType
from medrecall.recalls import selectors as recall_selectors
from medrecall.recalls.models import RecallCase, Regime

from .errors import named_in_body
from .pagination import PAGE_PARAMETERS, page_of, paginated
from .permissions import any_of


def _viewer(request: Request, perm: str) -> User:
    viewer = viewer_of(request)
    if not viewer.has_perm(perm):
        raise PermissionDenied
    return viewer


def _staff_viewer(request: Request, perm: str) -> User:
    """Staff tools (the overdue queue, customer search and timeline): refused to portal users, as
    the web pages are, although their role may view their own notices."""
    viewer = _viewer(request, perm)
    if viewer.party_id is not None:
        raise PermissionDenied
    return viewer


def _recall(request: Request, pk: int) -> RecallCase:
    return recall_selectors.recall_get_for(viewer=viewer_of(request), pk=pk)


class TemplateSerializer(BoundedModelSerializer[NoticeTemplate]):
    class Meta:
        model = NoticeTemplate
        fields = [
            "id",
            *selectors.TEMPLATE_CONTENT,
            "created_by",
            "approved_by",
            "approved_at",
            "created_at",
        ]
        read_only_fields = fields


class SectionSerializer(BoundedSerializer):
    key = serializers.CharField()
    heading = serializers.CharField(allow_blank=True)
    body = serializers.CharField(allow_blank=True)


class TemplateSaveSerializer(BoundedSerializer):
    regime = serializers.ChoiceField(choices=Regime.choices)
    language = serializers.ChoiceField(choices=Language.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    title = serializers.CharField(max_length=200)
    subject = serializers.CharField(max_length=255)
    sections = SectionSerializer(many=True)
    change_note = serializers.CharField(required=False, allow_blank=True, default="")


class TemplateListView(APIView):
    """Notice templates (GET, ?status=) and saving an edit as a new draft version (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notices"],
        responses=page_of(TemplateSerializer),
        parameters=[
            OpenApiParameter("status", str, enum=["draft", "approved", "retired"]),
            *PAGE_PARAMETERS,
        ],
    )
    def get(self, request: Request) -> Response:
        _viewer(request, "notices.view_noticetemplate")
        templates = selectors.template_list(status=request.query_params.get("status", ""))
        return paginated(self, request, templates, TemplateSerializer)

    @extend_schema(
        tags=["notices"], request=TemplateSaveSerializer, responses={201: TemplateSerializer}
    )
    def post(self, request: Request) -> Response:
        viewer = _viewer(request, "notices.add_noticetemplate")
        payload = TemplateSaveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        template = template_control.template_save(actor=viewer, **payload.validated_data)
        return Response(TemplateSerializer(template).data, status=status.HTTP_201_CREATED)


class TemplateDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["notices"], responses=TemplateSerializer)
    def get(self, request: Request, pk: int) -> Response:
        _viewer(request, "notices.view_noticetemplate")
        return Response(TemplateSerializer(selectors.template_get(pk)).data)


class TemplateApproveView(APIView):
    """Approve a draft (someone other than its author); the version before is retired."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["notices"], request=None, responses=TemplateSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer = _viewer(request, "notices.approve_noticetemplate")
        return Response(
            TemplateSerializer(
                template_control.template_approve(template=selectors.template_get(pk), actor=viewer)
            ).data
        )


class NoticeSerializer(BoundedModelSerializer[Notice]):
    recall = serializers.CharField(source="recall.number")
    party = serializers.CharField(source="party.code")
    party_name = serializers.CharField(source="party.name")
    contact = serializers.CharField(source="contact.name", default="")

    class Meta:
        model = Notice
        fields = [
            "id",
            "recall",
            "party",
            "party_name",
            "contact",
            "kind",
            "sequence",
            "regime",
            "language",
            "channel",
            "email",
            "subject",
            "status",
            "total_units",
            "lines",
            "attempts",
            "next_attempt_at",
            "last_error",
            "message_id",
            "reply_due_at",
            "created_at",
            "sent_at",
            "delivered_at",
            "opened_at",
            "acknowledged_at",
            "replied_at",
            "escalated_at",
        ]
        read_only_fields = fields


class NoticeListView(APIView):
    """Notices the viewer may see (portal users: their own), with filters."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notices"],
        responses=page_of(NoticeSerializer),
        parameters=[
            OpenApiParameter("recall", int),
            OpenApiParameter("status", str),
            OpenApiParameter("channel", str),
            OpenApiParameter("kind", str),
            OpenApiParameter("search", str),
            *PAGE_PARAMETERS,
        ],
    )
    def get(self, request: Request) -> Response:
        viewer = _viewer(request, "notices.view_notice")
        params = request.query_params
        notices = selectors.notice_list_for(
            viewer=viewer,
            recall_id=query_int(request, "recall"),
            status=params.get("status", ""),
            channel=params.get("channel", ""),
            kind=params.get("kind", ""),
            search=params.get("search", ""),
        )
        return paginated(self, request, notices, NoticeSerializer)


class NoticeDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["notices"], responses=NoticeSerializer)
    def get(self, request: Request, pk: int) -> Response:
        viewer = _viewer(request, "notices.view_notice")
        return Response(NoticeSerializer(selectors.notice_get_for(viewer=viewer, pk=pk)).data)


class NoticePdfView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["notices"], responses={(200, "application/pdf"): bytes})
    def get(self, request: Request, pk: int) -> FileResponse:
        viewer = _viewer(request, "notices.view_notice")
        notice = selectors.notice_get_for(viewer=viewer, pk=pk)
        if not notice.pdf:
            raise NotFound(_("The notice has not been rendered yet."))
        return file_response(
            notice.pdf.open("rb"),
            content_type="application/pdf",
            inline=True,
            filename=f"{notice.recall.number}-{notice.pk}.pdf",
        )


class RunSerializer(BoundedSerializer):
    id = serializers.IntegerField()
    recall = serializers.CharField()
    status = serializers.CharField()
    total = serializers.IntegerField()
    rendered = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    bounced = serializers.IntegerField()
    percent = serializers.IntegerField()
    error = serializers.CharField()
    by_status = serializers.DictField(child=serializers.IntegerField())


class RunStartSerializer(BoundedSerializer):
    kind = serializers.ChoiceField(
        choices=[(Kind.INITIAL.value, Kind.INITIAL.label)], default=Kind.INITIAL.value
    )
    parties = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="Party codes; empty: every holder in scope",
    )


class RunStartView(APIView):
    """Queue notices to every holder of an approved recall (or the parties named); poll the run."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["notices"], request=RunStartSerializer, responses={202: RunSerializer})
    def post(self, request: Request, pk: int) -> Response:
        viewer = _viewer(request, "notices.add_noticerun")
        recall = _recall(request, pk)
        payload = RunStartSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        parties = named_in_body(
            lambda: party_selectors.parties_coded(codes=payload.validated_data["parties"])
        )
        run = send_runs.notice_run_start(
            recall=recall, actor=viewer, parties=[party.pk for party in parties] or None
        )
        return Response(selectors.run_progress(run), status=status.HTTP_202_ACCEPTED)


class RunDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["notices"], responses=RunSerializer)
    def get(self, request: Request, pk: int) -> Response:
        viewer = _viewer(request, "notices.view_notice")
        return Response(selectors.run_progress(selectors.run_get_for(viewer=viewer, pk=pk)))


class ContactLogSerializer(BoundedSerializer):
    channel = serializers.ChoiceField(choices=list(delivery.CONTACT_TYPES))
    note = serializers.CharField(required=False, allow_blank=True, default="")
    acknowledged = serializers.BooleanField(required=False, default=False)


class ContactLogView(APIView):
    """Log a call, a posted letter or a note against a notice (who and when are recorded)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notices"], request=ContactLogSerializer, responses={201: NoticeSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        viewer = _viewer(request, "notices.change_notice")
        notice = selectors.notice_get_for(viewer=viewer, pk=pk)
        payload = ContactLogSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        delivery.notice_contact_log(notice=notice, actor=viewer, **payload.validated_data)
        return Response(
            NoticeSerializer(selectors.notice_get_for(viewer=viewer, pk=pk)).data,
            status=status.HTTP_201_CREATED,
        )


class DeliverySerializer(BoundedSerializer):
    message_id = serializers.CharField()
    outcome = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in (NoticeStatus.DELIVERED, NoticeStatus.BOUNCED)]
    )
    detail = serializers.CharField(required=False, allow_blank=True, default="")


class DeliveryView(APIView):
    """What the mail system reports later about a message (delivery status notification)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["notices"], request=DeliverySerializer, responses=NoticeSerializer)
    def post(self, request: Request) -> Response:
        viewer = _viewer(request, "notices.change_notice")
        payload = DeliverySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(
            NoticeSerializer(
                delivery.notice_delivery_report(actor=viewer, **payload.validated_data)
            ).data
        )


class OverdueNoticeSerializer(NoticeSerializer):
    reply_difference = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Units the reply reports less units on our records; null without a reply",
    )
    reply_mismatched_lines = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta(NoticeSerializer.Meta):
        fields = [*NoticeSerializer.Meta.fields, "reply_difference", "reply_mismatched_lines"]
        read_only_fields = fields


class OverdueView(APIView):
    """The customer-service work queue (with replies that disagree with our records)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notices"], responses=page_of(OverdueNoticeSerializer), parameters=PAGE_PARAMETERS
    )
    def get(self, request: Request) -> Response:
        viewer = _staff_viewer(request, "notices.view_notice")
        return paginated(
            self, request, selectors.overdue_queue(viewer=viewer), OverdueNoticeSerializer
        )


class NotifyBySerializer(BoundedSerializer):
    party_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField(help_text="The holder's name as recorded (Chinese).")
    name_en = serializers.CharField(help_text="Its English name; empty when none is recorded.")
    regimes = serializers.ListField(child=serializers.CharField())
    in_scope = serializers.BooleanField(help_text="False: a sub-consignee reported in a reply.")
    notify_by = serializers.DateTimeField(allow_null=True)
    notified_at = serializers.DateTimeField(
        allow_null=True,
        help_text="First delivered, opened, acknowledged, replied or reached by phone (a "
        "notice only sent does not notify).",
    )
    how = serializers.CharField(
        help_text="delivered, opened, acknowledged, replied, call or empty."
    )
    state = serializers.CharField(
        help_text="on_time, late, overdue, pending, no_deadline (no class or decision yet) or "
        "outside (its country falls under none of the recall's regimes: no regulatory "
        "notify-by; notify it all the same)."
    )
    state_label = serializers.CharField()
    overdue = serializers.BooleanField()
    outside = serializers.BooleanField(
        help_text="Under none of the recall's regimes: no regime's clock, counted in no "
        "regime's notify-holders deadline."
    )
    outside_countries = serializers.ListField(
        child=serializers.CharField(),
        help_text="Countries of the holder's locations under none of the recall's regimes.",
    )


class NotifyByView(APIView):
    """Each holder of a recall: by when it must be notified, when it was, whether overdue."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notices"],
        responses=page_of(NotifyBySerializer),
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("state", str, enum=list(notify_by.STATES)),
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk)  # another party's recall: 404
        viewer = _staff_viewer(request, "notices.view_notice")
        rows = notify_by.in_state(
            notify_by.holders_for(viewer=viewer, recall=recall),
            request.query_params.get("state", "").strip(),
        )
        return paginated(self, request, rows, NotifyBySerializer)


class ReplyLineSerializer(BoundedSerializer):
    lot = serializers.CharField()
    serial = serializers.CharField(required=False, allow_blank=True, default="")
    on_hand = serializers.IntegerField(min_value=0, default=0)
    to_return = serializers.IntegerField(min_value=0, default=0)
    destroyed = serializers.IntegerField(min_value=0, default=0)
    used = serializers.IntegerField(min_value=0, default=0)
    distributed = serializers.IntegerField(min_value=0, default=0)


class SubConsigneeSerializer(BoundedSerializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(
        choices=[(code, kind.label) for code, kind in replies.SUB_CONSIGNEE_TYPES.items()],
        default=PartyType.HOSPITAL.value,
    )
    country = serializers.CharField()
    province = serializers.CharField(required=False, allow_blank=True, default="")
    city = serializers.CharField()
    address = serializers.CharField()
    contact_name = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    email = serializers.CharField(required=False, allow_blank=True, default="")
    lot = serializers.CharField()
    serial = serializers.CharField(required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(min_value=1)


class ReplySerializer(BoundedSerializer):
    respondent_name = serializers.CharField()
    respondent_title = serializers.CharField(required=False, allow_blank=True, default="")
    respondent_email = serializers.CharField(required=False, allow_blank=True, default="")
    respondent_phone = serializers.CharField(required=False, allow_blank=True, default="")
    read_and_understood = serializers.BooleanField(default=False)
    users_informed = serializers.BooleanField(default=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    lines = ReplyLineSerializer(many=True)
    sub_consignees = SubConsigneeSerializer(many=True, required=False, default=list)


class ReplyOutSerializer(BoundedModelSerializer[Reply]):
    recall = serializers.CharField(source="recall.number")
    party = serializers.CharField(source="party.code")
    sub_consignees = serializers.SerializerMethodField()
    on_record = serializers.IntegerField(read_only=True)
    reported = serializers.IntegerField(read_only=True)
    difference = serializers.IntegerField(
        read_only=True,
        help_text="reported - on_record; not 0: the reply disagrees with our records",
    )

    class Meta:
        model = Reply
        fields = [
            "id",
            "recall",
            "party",
            "respondent_name",
            "via",
            "submitted_at",
            "sub_consignees",
            "on_record",
            "reported",
            "difference",
        ]

    def get_sub_consignees(self, reply: Reply) -> list[dict[str, Any]]:
        return [
            {
                "party": s.party.code,
                "name": s.party.name,
                "lot": s.lot.number,
                "quantity": s.quantity,
            }
            for s in reply.sub_consignees.select_related("party", "lot")
        ]


class ReplyDifferenceSerializer(BoundedSerializer):
    lot = serializers.CharField()
    serial = serializers.CharField()
    on_record = serializers.IntegerField()
    reported = serializers.IntegerField()
    difference = serializers.IntegerField()


class ReplyListSerializer(BoundedModelSerializer[Reply]):
    recall = serializers.CharField(source="recall.number")
    party = serializers.CharField(source="party.code")
    on_record = serializers.IntegerField(help_text="Units our records put at the holder")
    reported = serializers.IntegerField(
        help_text="On hand + destroyed + used + passed on, as replied"
    )
    difference = serializers.IntegerField(help_text="reported - on_record")
    differences = serializers.SerializerMethodField()

    class Meta:
        model = Reply
        fields = [
            "id",
            "recall",
            "party",
            "respondent_name",
            "via",
            "submitted_at",
            "on_record",
            "reported",
            "difference",
            "differences",
        ]

    @extend_schema_field(ReplyDifferenceSerializer(many=True))
    def get_differences(self, reply: Reply) -> list[dict[str, Any]]:
        return [
            {
                "lot": d.lot,
                "serial": d.serial,
                "on_record": d.on_record,
                "reported": d.reported,
                "difference": d.difference,
            }
            for d in selectors.reply_differences(reply)
        ]


class RecallRepliesView(APIView):
    """A recall's replies, each with how far it is from our records (lines that disagree)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["notices"], responses=ReplyListSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        viewer = _viewer(request, "notices.view_reply")
        recall = _recall(request, pk)
        return Response(
            ReplyListSerializer(
                selectors.replies_for(viewer=viewer, recall_id=recall.pk), many=True
            ).data
        )


class ReplyView(APIView):
    """Reply to a notice: a portal user for their own party, or staff on a holder's behalf."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["notices"], request=ReplySerializer, responses={201: ReplyOutSerializer})
    def post(self, request: Request, pk: int) -> Response:
        viewer = viewer_of(request)
        notice = selectors.notice_get_for(viewer=viewer, pk=pk)
        if viewer.party_id is None and not viewer.has_perm("notices.add_reply"):
            raise PermissionDenied
        payload = ReplySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        keys = {(line.lot, line.serial): line.key for line in replies.expected_lines(notice)}
        quantities: dict[str, dict[str, int]] = {}
        for index, line in enumerate(data.pop("lines")):
            key = keys.get((line["lot"], line["serial"]))
            if key is None:
                raise ValidationFailed(
                    _("Lot %(lot)s %(serial)s is not a line of this notice.")
                    % {"lot": line["lot"], "serial": line["serial"]},
                    where=f"lines[{index}]",
                )
            quantities[key] = {q: line[q] for q in replies.QUANTITIES}
        subs = [
            replies.SubConsigneeInput(row=index + 1, **entry)
            for index, entry in enumerate(data.pop("sub_consignees"))
        ]
        reply = replies.reply_submit(
            notice=notice,
            quantities=quantities,
            sub_consignees=subs,
            actor=viewer,
            via=Reply.Via.PORTAL if viewer.party_id else Reply.Via.STAFF,
            **data,
        )
        reply = selectors.replies_for(viewer=viewer, recall_id=reply.recall_id).get(pk=reply.pk)
        return Response(ReplyOutSerializer(reply).data, status=status.HTTP_201_CREATED)


class TimelineEntrySerializer(BoundedSerializer):
    at = serializers.DateTimeField()
    recall = serializers.CharField()
    what = serializers.CharField()
    detail = serializers.CharField()
    who = serializers.CharField()
    area = serializers.CharField()


class PartyBriefSerializer(BoundedModelSerializer[Party]):
    class Meta:
        model = Party
        fields = ["id", "code", "name", "party_type", "country", "city"]


class AffectedHoldingSerializer(BoundedSerializer):
    recall = serializers.CharField(read_only=True, help_text="Recall number")
    lot = serializers.CharField(read_only=True, help_text="Lot number")
    serial = serializers.CharField(
        read_only=True, allow_blank=True, help_text="Serial number; blank for a lot"
    )
    location = serializers.CharField(read_only=True, help_text="Location name")
    quantity = serializers.IntegerField(read_only=True, help_text="On hand + in transit")


class TimelineSerializer(BoundedSerializer):
    party = PartyBriefSerializer(read_only=True)
    entries = TimelineEntrySerializer(many=True, read_only=True)
    units = AffectedHoldingSerializer(
        many=True,
        read_only=True,
        help_text="Affected units the party holds per recall (current snapshots)",
    )


class CustomerSearchView(APIView):
    """Find a customer by name, code, contact name, phone, e-mail, lot or serial."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notices"],
        responses=page_of(PartyBriefSerializer),
        parameters=[OpenApiParameter("q", str, required=True), *PAGE_PARAMETERS],
    )
    def get(self, request: Request) -> Response:
        viewer = _staff_viewer(request, "notices.view_notice")
        found = selectors.customer_search(
            viewer=viewer, query=request.query_params.get("q", ""), limit=None
        )
        return paginated(self, request, found, PartyBriefSerializer)


class TimelineView(APIView):
    """Everything between us and one party across recalls, newest first, and its affected units."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["notices"], responses=TimelineSerializer)
    def get(self, request: Request, pk: int) -> Response:
        viewer = _staff_viewer(request, "notices.view_notice")
        party, entries, units = selectors.timeline_for(viewer=viewer, party_id=pk)
        return Response(
            {
                "party": PartyBriefSerializer(party).data,
                "entries": TimelineEntrySerializer(entries, many=True).data,
                "units": units,
            }
        )


class OfferSerializer(BoundedModelSerializer[Offer]):
    recall = serializers.CharField(source="recall.number", read_only=True)
    party = serializers.CharField(source="party.code", read_only=True)

    class Meta:
        model = Offer
        fields = [
            "id",
            "recall",
            "party",
            "kind",
            "description",
            "quantity",
            "amount",
            "currency",
            "status",
            "proposed_by",
            "decided_by",
            "decided_at",
            "decision_note",
            "fulfilled_at",
            "fulfilment_note",
            "created_at",
        ]
        read_only_fields = fields


class OfferProposeSerializer(BoundedSerializer):
    recall = serializers.IntegerField(min_value=bounds.ID[0], max_value=bounds.ID[1])
    party = serializers.CharField(help_text="Party code")
    kind = serializers.ChoiceField(choices=Offer.OfferKind.values)
    description = serializers.CharField()
    quantity = serializers.IntegerField(min_value=0, default=0)
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), default=Decimal(0)
    )
    currency = serializers.CharField(max_length=3, default="CNY")


class OfferListView(APIView):
    """Compensation and goodwill offers (GET ?recall=&party=) and proposing one (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notices"],
        responses=page_of(OfferSerializer),
        parameters=[
            OpenApiParameter("recall", int),
            OpenApiParameter("party", int),
            *PAGE_PARAMETERS,
        ],
    )
    def get(self, request: Request) -> Response:
        viewer = _viewer(request, "notices.view_offer")
        offers = selectors.offers_for(
            viewer=viewer,
            recall_id=query_int(request, "recall"),
            party_id=query_int(request, "party"),
        )
        return paginated(self, request, offers, OfferSerializer)

    @extend_schema(
        tags=["notices"], request=OfferProposeSerializer, responses={201: OfferSerializer}
    )
    def post(self, request: Request) -> Response:
        viewer = _viewer(request, "notices.add_offer")
        payload = OfferProposeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        recall = _recall(request, data.pop("recall"))
        code = data.pop("party")
        party = named_in_body(lambda: party_selectors.party_coded(code=code))
        offer = relations.offer_propose(recall=recall, party=party, actor=viewer, **data)
        return Response(OfferSerializer(offer).data, status=status.HTTP_201_CREATED)


class OfferDecisionSerializer(BoundedSerializer):
    action = serializers.ChoiceField(choices=["approve", "reject", "fulfil", "cancel"])
    note = serializers.CharField(required=False, allow_blank=True, default="")


class OfferDecisionView(APIView):
    """Approve, reject, fulfil or cancel an offer."""

    permission_classes = [IsAuthenticated, any_of("notices.approve_offer", "notices.change_offer")]

    @extend_schema(tags=["notices"], request=OfferDecisionSerializer, responses=OfferSerializer)
    def post(self, request: Request, pk: int) -> Response:
        viewer = viewer_of(request)
        payload = OfferDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        action, note = payload.validated_data["action"], payload.validated_data["note"]
        offer = selectors.offer_get_for(viewer=viewer, pk=pk)
        if action in ("approve", "reject"):
            _viewer(request, "notices.approve_offer")
            offer = relations.offer_decide(
                offer=offer, approve=action == "approve", actor=viewer, note=note
            )
        elif action == "fulfil":
            _viewer(request, "notices.change_offer")
            offer = relations.offer_fulfil(offer=offer, actor=viewer, note=note)
        else:
            _viewer(request, "notices.change_offer")
            offer = relations.offer_cancel(offer=offer, actor=viewer, note=note)
        return Response(OfferSerializer(offer).data)


class ProgressUpdateSerializer(BoundedSerializer):
    party = serializers.CharField(help_text="Party code of the holder")
    message = serializers.CharField()


class ProgressUpdateView(APIView):
    """Send a holder a progress update on their return or correction."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notices"],
        request=ProgressUpdateSerializer,
        responses={202: NoticeSerializer(many=True)},
    )
    def post(self, request: Request, pk: int) -> Response:
        viewer = _viewer(request, "notices.add_noticerun")
        recall = _recall(request, pk)
        payload = ProgressUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        party = named_in_body(
            lambda: party_selectors.party_coded(code=payload.validated_data["party"])
        )
        created = relations.progress_update_send(
            recall=recall, party=party, message=payload.validated_data["message"], actor=viewer
        )
        return Response(
            NoticeSerializer(
                Notice.objects.filter(pk__in=created).select_related("recall", "party", "contact"),
                many=True,
            ).data,
            status=status.HTTP_202_ACCEPTED,
        )


class LettersPostedSerializer(BoundedSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RecallLettersView(APIView):
    """The recall's letters not posted yet: one PDF to print (GET), and logging them posted (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["notices"], responses={(200, "application/pdf"): bytes})
    def get(self, request: Request, pk: int) -> HttpResponse:
        _viewer(request, "notices.view_notice")
        recall = _recall(request, pk)
        return HttpResponse(
            postal.letters_bundle(postal.letters_to_post(recall)),
            content_type="application/pdf",
        )

    @extend_schema(
        tags=["notices"],
        request=LettersPostedSerializer,
        responses={200: NoticeSerializer(many=True)},
    )
    def post(self, request: Request, pk: int) -> Response:
        viewer = _viewer(request, "notices.change_notice")
        recall = _recall(request, pk)
        payload = LettersPostedSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        letters = list(postal.letters_to_post(recall))
        postal.letters_posted(notices=letters, actor=viewer, note=payload.validated_data["note"])
        return Response(
            NoticeSerializer(
                Notice.objects.filter(pk__in=[n.pk for n in letters]).select_related(
                    "recall", "party", "contact"
                ),
                many=True,
            ).data
        )
