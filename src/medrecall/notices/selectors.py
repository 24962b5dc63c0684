"""Reads for notices and customer relations, scoped by the viewer: portal users see only
their own party's notices, replies and timeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.core.errors import NotFound
from medrecall.core.presentation import user_display_name
from medrecall.core.registry import Registry
from medrecall.core.selectors import one_or_not_found
from medrecall.core.types import Viewer
from medrecall.parties.models import Party, Review
from medrecall.recalls.models import AffectedLine, ScopeSnapshot

from .models import (
    OPEN_FOR_NOTICES,
    Kind,
    Notice,
    NoticeEvent,
    NoticeRun,
    NoticeStatus,
    NoticeTemplate,
    Offer,
    Reply,
    SubConsignee,
)


def _scoped(queryset: QuerySet[Any], viewer: Viewer, field: str = "party_id") -> QuerySet[Any]:
    if viewer.party_id is not None:
        return queryset.filter(**{field: viewer.party_id})
    return queryset


def notice_list_for(
    *,
    viewer: Viewer,
    recall_id: int | None = None,
    status: str = "",
    channel: str = "",
    kind: str = "",
    search: str = "",
) -> QuerySet[Notice]:
    notices = _scoped(Notice.objects.select_related("recall", "party", "contact"), viewer)
    if recall_id:
        notices = notices.filter(recall_id=recall_id)
    if status:
        notices = notices.filter(status=status)
    if channel:
        notices = notices.filter(channel=channel)
    if kind:
        notices = notices.filter(kind=kind)
    if search:
        notices = notices.filter(
            Q(party__name__icontains=search)
            | Q(party__code__icontains=search)
            | Q(email__icontains=search)
            | Q(recall__number__icontains=search)
        )
    return notices.order_by("-created_at", "-id")


def notice_get_for(*, viewer: Viewer, pk: int) -> Notice:
    notice: Notice | None = (
        _scoped(
            Notice.objects.select_related("recall", "party", "contact", "template", "parent"),
            viewer,
        )
        .filter(pk=pk)
        .first()
    )
    if notice is None:
        raise NotFound(_("Notice %(id)s was not found.") % {"id": pk})
    return notice


def status_counts(recall_id: int) -> dict[str, int]:
    rows = Notice.objects.filter(recall_id=recall_id).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def overdue_queue(*, viewer: Viewer, now: datetime | None = None) -> QuerySet[Notice]:
    """The customer-service work queue: holders escalated after the last reminder, notices
    that could not be delivered, letters or calls still to make, and replies that disagree with
    our records (until a call or note is logged after the reply). Each notice carries
    ``reply_difference`` (units reported less units on record, ``None`` without a reply) and
    ``reply_mismatched_lines``."""
    now = now or timezone.now()
    unanswered = Q(
        Q(escalated_at__isnull=False)
        | Q(status=NoticeStatus.BOUNCED)
        | Q(status=NoticeStatus.FAILED, next_attempt_at__isnull=True)
        | Q(
            status=NoticeStatus.GENERATED,
            channel__in=("letter", "phone"),
            kind__in=(Kind.INITIAL, Kind.REMINDER),
        ),
        replied_at__isnull=True,
    )
    followed_up = NoticeEvent.objects.filter(
        recall_id=OuterRef("recall_id"),
        party_id=OuterRef("party_id"),
        type__in=(NoticeEvent.Type.CALL, NoticeEvent.Type.NOTE),
        at__gt=OuterRef("submitted_at"),
    )
    disagreeing = (
        _with_differences(Reply.objects.all())
        .filter(mismatched_lines__gt=0)
        .exclude(Exists(followed_up))
        .values("notice_id")
    )
    own_reply = Reply.objects.filter(notice_id=OuterRef("pk")).order_by()
    # A reported party merged into an existing one: its notices were withdrawn, nothing to chase.
    queue = (
        Notice.objects.filter(
            unanswered | Q(pk__in=disagreeing), recall__status__in=OPEN_FOR_NOTICES
        )
        .exclude(party__review=Review.MERGED)
        .annotate(
            reply_difference=Subquery(_with_differences(own_reply).values("difference")[:1]),
            reply_mismatched_lines=Subquery(
                _with_differences(own_reply).values("mismatched_lines")[:1]
            ),
        )
    )
    return _scoped(
        queue.select_related("recall", "party", "contact", "assigned_to"), viewer
    ).order_by("reply_due_at", "pk")


# -- replies against our records ---------------------------------------------------------
ACCOUNTED_FOR = ("on_hand", "destroyed", "used", "distributed")  # "to return" is part of "on hand"


def _reported(prefix: str = "") -> Any:
    """What a reply line accounts for: on hand + destroyed + used + passed on."""
    first, *rest = ACCOUNTED_FOR
    total: Any = F(f"{prefix}{first}")
    for name in rest:
        total = total + F(f"{prefix}{name}")
    return total


def _with_differences(replies: QuerySet[Reply]) -> QuerySet[Any]:
    """Per reply, in SQL: units on record, units reported, their difference and the number of
    lines where the holder's figures and ours disagree."""
    return (
        replies.order_by()
        .annotate(
            on_record=Sum("lines__expected"),
            reported=Sum(_reported("lines__")),
            mismatched_lines=Count("lines", filter=~Q(lines__expected=_reported("lines__"))),
        )
        .annotate(difference=F("reported") - F("on_record"))
    )


def replies_for(*, viewer: Viewer, recall_id: int) -> QuerySet[Reply]:
    """A recall's replies with their totals per quantity and how far they are from our records
    (``on_record``, ``reported``, ``difference``, ``mismatched_lines``); lines prefetched."""
    from django.db.models import Prefetch

    from .models import ReplyLine

    replies = _scoped(Reply.objects.filter(recall_id=recall_id), viewer)
    totals = {f"total_{name}": Sum(f"lines__{name}") for name in (*ACCOUNTED_FOR, "to_return")}
    found: QuerySet[Reply] = (
        _with_differences(replies)
        .annotate(**totals)
        .select_related("party", "entered_by", "recall")
        .prefetch_related(
            Prefetch("lines", queryset=ReplyLine.objects.select_related("lot", "serial"))
        )
        .order_by("-submitted_at", "pk")
    )
    return found


@dataclass(frozen=True)
class LineDifference:
    lot: str
    serial: str
    on_record: int
    reported: int

    @property
    def difference(self) -> int:
        return self.reported - self.on_record


def reply_differences(reply: Reply) -> list[LineDifference]:
    """The lines of a reply whose figures disagree with ours (uses prefetched lines)."""
    found = []
    for line in reply.lines.all():
        reported = sum(getattr(line, name) for name in ACCOUNTED_FOR)
        if reported != line.expected:
            found.append(
                LineDifference(
                    line.lot.number,
                    line.serial.serial if line.serial else "",
                    line.expected,
                    reported,
                )
            )
    return found


def run_get(pk: int) -> NoticeRun:
    return one_or_not_found(
        NoticeRun.objects.select_related("recall").filter(pk=pk),
        _("Send run %(id)s was not found.") % {"id": pk},
    )


def run_get_for(*, viewer: Viewer, pk: int) -> NoticeRun:
    """A send run as the viewer may see it: a run covers every holder of a recall, so it is staff
    work; a portal user gets "not found" for every run, as for one that does not exist."""
    if viewer.party_id is not None:
        raise NotFound(_("Send run %(id)s was not found.") % {"id": pk})
    return run_get(pk)


def run_progress(run: NoticeRun) -> dict[str, Any]:
    counts = dict(run.notices.values_list("status").annotate(n=Count("id")))
    finished = counts.get(NoticeStatus.SENT, 0) + sum(
        counts.get(s, 0)
        for s in (
            NoticeStatus.DELIVERED,
            NoticeStatus.OPENED,
            NoticeStatus.ACKNOWLEDGED,
            NoticeStatus.REPLIED,
        )
    )
    return {
        "id": run.pk,
        "recall": run.recall.number,
        "status": run.status,
        "total": run.total,
        "rendered": run.rendered,
        "sent": finished,
        "failed": counts.get(NoticeStatus.FAILED, 0),
        "bounced": counts.get(NoticeStatus.BOUNCED, 0),
        "by_status": counts,
        "error": run.error,
        "percent": 100
        if run.status == NoticeRun.Status.DONE
        else int(100 * (run.rendered + finished) / (2 * run.total))
        if run.total
        else 0,
    }


def template_list(*, status: str = "") -> QuerySet[NoticeTemplate]:
    templates = NoticeTemplate.objects.select_related("created_by", "approved_by")
    return templates.filter(status=status) if status else templates


def template_get(pk: int) -> NoticeTemplate:
    return one_or_not_found(
        NoticeTemplate.objects.filter(pk=pk), _("Template %(id)s was not found.") % {"id": pk}
    )


def scope_additions(recall_id: int) -> QuerySet[SubConsignee]:
    return SubConsignee.objects.filter(recall_id=recall_id).select_related(
        "party", "reported_by", "lot", "location", "serial"
    )


def offers_for(
    *, viewer: Viewer, recall_id: int | None = None, party_id: int | None = None
) -> QuerySet[Offer]:
    offers = _scoped(
        Offer.objects.select_related(
            "recall", "party", "proposed_by", "decided_by", "fulfilled_by"
        ),
        viewer,
    )
    if recall_id:
        offers = offers.filter(recall_id=recall_id)
    if party_id:
        offers = offers.filter(party_id=party_id)
    return offers


# --- the customer timeline ---------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    recall: str
    what: str
    detail: str
    who: str = ""
    area: str = "notices"


# Later contexts (returns, field work) add entries for a party: f(party_id) -> entries,
# registered from their ``AppConfig.ready()`` (``TIMELINE_SOURCES.register(name, source)``).
TIMELINE_SOURCES: Registry[Callable[[int], list[TimelineEntry]]] = Registry("timeline source")


def timeline_for(
    *, viewer: Viewer, party_id: int
) -> tuple[Party, list[TimelineEntry], list[dict[str, Any]]]:
    """Everything that passed between us and a party across recalls, newest first, and the
    affected units they hold per recall."""
    party = one_or_not_found(
        _scoped(Party.objects.all(), viewer, "pk").filter(pk=party_id),
        _("Party %(id)s was not found.") % {"id": party_id},
    )
    entries = [
        TimelineEntry(
            e.at,
            e.recall.number,
            e.get_type_display(),
            f"{e.notice.get_kind_display()} #{e.notice.sequence}"
            + (f" · {e.note}" if e.note else ""),
            user_display_name(e.actor),
        )
        for e in NoticeEvent.objects.filter(party=party).select_related("recall", "notice", "actor")
    ]
    for reply in (
        Reply.objects.filter(party=party).select_related("recall").prefetch_related("lines")
    ):
        totals = {
            q: sum(getattr(line, q) for line in reply.lines.all())
            for q in ("on_hand", "to_return", "destroyed", "used", "distributed")
        }
        entries.append(
            TimelineEntry(
                reply.submitted_at,
                reply.recall.number,
                _("Reply"),
                _(
                    "Signed by %(name)s: on hand %(on_hand)s, to return %(to_return)s, destroyed %(destroyed)s, used "
                    "%(used)s, passed on %(distributed)s"
                )
                % ({"name": reply.respondent_name} | totals),
            )
        )
    entries += [
        TimelineEntry(
            addition.created_at,
            addition.recall.number,
            _("Sub-consignee"),
            _("%(holder)s passed %(quantity)s of lot %(lot)s on to %(to)s")
            % {
                "holder": addition.reported_by.name,
                "quantity": addition.quantity,
                "lot": addition.lot.number,
                "to": addition.party.name,
            },
        )
        for addition in SubConsignee.objects.filter(
            Q(party=party) | Q(reported_by=party)
        ).select_related("recall", "party", "reported_by", "lot")
    ]
    entries += [
        TimelineEntry(
            offer.updated_at,
            offer.recall.number,
            _("Offer"),
            f"{offer.get_kind_display()} · {offer.get_status_display()} · {offer.description}",
        )
        for offer in Offer.objects.filter(party=party).select_related("recall")
    ]
    for source in TIMELINE_SOURCES:
        entries += source(party.pk)
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return party, entries, _units_held(party)


def _units_held(party: Party) -> list[dict[str, Any]]:
    """The affected units the party holds, per recall, in each recall's current snapshot."""
    current = (
        ScopeSnapshot.objects.filter(recall_id=OuterRef("snapshot__recall_id"))
        .order_by("-sequence")
        .values("pk")[:1]
    )
    lines = (
        AffectedLine.objects.filter(party=party, snapshot_id=Subquery(current))
        .select_related("snapshot__recall", "lot", "serial", "location")
        .order_by("snapshot__recall__number", "lot__number")
    )
    return [
        {
            "recall": line.snapshot.recall.number,
            "lot": line.lot.number,
            "serial": line.serial.serial if line.serial else "",
            "location": line.location.name,
            "quantity": line.on_hand + line.in_transit,
        }
        for line in lines
    ]


def customer_search(*, viewer: Viewer, query: str, limit: int | None = 50) -> QuerySet[Party]:
    """Parties by name, code, contact name, phone or e-mail, or by a lot or serial they hold
    or held in a recall's scope."""
    query = query.strip()
    if not query:
        return Party.objects.none()
    holders = AffectedLine.objects.filter(
        Q(lot__number__iexact=query) | Q(serial__serial__iexact=query)
    ).values("party_id")
    passed_on = SubConsignee.objects.filter(
        Q(lot__number__iexact=query) | Q(serial__serial__iexact=query)
    ).values("party_id")
    parties = Party.objects.filter(
        Q(name__icontains=query)
        | Q(name_en__icontains=query)
        | Q(code__iexact=query)
        | Q(contacts__name__icontains=query)
        | Q(contacts__phone__icontains=query)
        | Q(contacts__email__icontains=query)
        | Q(pk__in=holders)
        | Q(pk__in=passed_on)
    ).distinct()
    found = _scoped(parties, viewer, "pk").order_by("name", "pk")
    return found if limit is None else found[:limit]


def offer_get_for(*, viewer: Viewer, pk: int) -> Offer:
    """An offer by id, as the viewer may see it (a portal user: its own party's)."""
    return one_or_not_found(
        offers_for(viewer=viewer).filter(pk=pk), _("Offer %(id)s was not found.") % {"id": pk}
    )


# A template's content as it is edited and versioned: what ``medrecall notices template-show``
# prints (and ``template-save`` reads back), and the heart of the API's template fields.
TEMPLATE_CONTENT = (
    "regime",
    "language",
    "kind",
    "version",
    "status",
    "title",
    "subject",
    "sections",
    "change_note",
)


def template_content(template: NoticeTemplate) -> dict[str, Any]:
    """A template's content fields (``TEMPLATE_CONTENT``) and their values."""
    return {field: getattr(template, field) for field in TEMPLATE_CONTENT}
