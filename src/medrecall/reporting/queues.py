"""The work queue of each role: what a person in that role has to do now, each item one click
from its action.

A queue is made of sections; a section is one exact definition (a set-based query over the
records of one context, or the compliance clock's due list), turned into ``QueueItem`` rows page
by page. Every section counts in one query and pages in one or two, whatever the number of
recalls, holders or units. A user sees the queue of every role they hold (a superuser all of
them); a portal user none. docs/reporting.md ("Home page and work queues") states each
definition; tests/reporting/test_queues.py holds each one to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, overload

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from medrecall.accounts.models import User
from medrecall.accounts.roles import ROLE_LABELS, Role
from medrecall.audit.models import AuditEntry
from medrecall.core.presentation import party_name
from medrecall.execution.lifecycle import DispositionKind, ReturnStatus, TaskStatus
from medrecall.execution.models import CarrierRate, Disposition, ReturnAuthorisation, WorkOrder
from medrecall.execution.selectors import (
    disposition_list_for,
    return_list_for,
    work_order_list_for,
)
from medrecall.finance.models_payables import RefundRequest, RefundStatus
from medrecall.finance.refunds import refund_requests
from medrecall.notices.models import OPEN_FOR_NOTICES, Kind, Notice, NoticeStatus, Offer, Reply
from medrecall.notices.notify_by import HolderNotice, holders_notify_by
from medrecall.notices.selectors import offers_for, overdue_queue
from medrecall.parties.models import Channel, Review
from medrecall.recalls.deadlines import DeadlineRow
from medrecall.recalls.hooks import document_for_deadline
from medrecall.recalls.lifecycle import Status
from medrecall.recalls.models import RecallCase
from medrecall.recalls.selectors import recall_list_for

from .errors import QueueNotYours, QueueUnknown
from .kept import keep_seconds, kept, shape_of
from .portfolio import deadlines_due_for
from .progress import recovered_by_recall

# What an item's link opens: URL name, the keyword it fills, and the section of the page.
ACTIONS: dict[str, tuple[str, str, str]] = {
    "notice": ("web:notice-detail", "pk", "#contact-form"),
    "letters": ("web:recall-notices", "pk", "#letters"),
    "notify_by": ("web:recall-notify-by", "pk", "?state=overdue"),
    "return": ("web:warehouse-return", "pk", ""),
    "work_order": ("web:work-order-detail", "pk", ""),
    "deadline": ("web:recall-detail", "pk", "#deadlines"),
    "filing": ("web:filing-list", "pk", "#doc-{key}"),
    "approval": ("web:recall-detail", "pk", "#approvals"),
    "closure": ("web:recall-detail", "pk", "#closure"),
    "disposition": ("web:disposition-detail", "pk", "#complete-form"),
    "offer": ("web:queue", "role", "#offer-{id}"),
    "refund": ("web:finance-refund-detail", "pk", "#approvers-left"),
    "payment": ("web:finance-refund-detail", "pk", ""),
}


@dataclass(frozen=True)
class QueueItem:
    """One thing to do: what it is about, by when, and the page where it is done."""

    section: str
    target: str  # a key of ACTIONS
    target_id: int
    reference: str  # what a person reads first: a holder, an RA or WO number, a recall number
    subject: str
    recall_id: int | None
    recall: str
    due_at: datetime | None
    state: str
    state_label: str
    overdue: bool = False
    detail: str = ""
    policy: bool = False  # a deadline that is company policy, not law
    document: str = ""  # the filing document that meets the deadline (target "filing")

    @property
    def action_url(self) -> str:
        name, keyword, anchor = ACTIONS[self.target]
        value: Any = Role.FINANCE if keyword == "role" else self.target_id
        return reverse(name, kwargs={keyword: value}) + anchor.format(
            id=self.target_id, key=self.document
        )

    def as_dict(self) -> dict[str, Any]:
        """The item as the command line's JSON and the API show it."""
        return {
            "section": self.section,
            "target": self.target,
            "target_id": self.target_id,
            "reference": self.reference,
            "subject": self.subject,
            "recall": self.recall,
            "recall_id": self.recall_id,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "state": self.state,
            "state_label": self.state_label,
            "overdue": self.overdue,
            "policy": self.policy,
            "detail": self.detail,
            "action_url": self.action_url,
        }


@dataclass(frozen=True)
class Section:
    """One definition of a queue: its rows (a query or a list) and how a page of them reads."""

    key: str
    label: Promise
    definition: Promise
    rows: QuerySet[Any] | Sequence[Any]
    to_items: Callable[[list[Any]], list[QueueItem]]

    def count(self) -> int:
        return self.rows.count() if isinstance(self.rows, QuerySet) else len(self.rows)

    def items(self, start: int = 0, stop: int | None = None) -> list[QueueItem]:
        return self.to_items(list(self.rows[start:stop]))


class QueueItems(Sequence[QueueItem]):
    """The items of several sections one after the other, counted and sliced without reading
    the sections' rows beyond the slice: what the API and the command line page through."""

    def __init__(self, sections: list[Section]) -> None:
        self.sections = sections
        self.counts = [section.count() for section in sections]

    def __len__(self) -> int:
        return sum(self.counts)

    def count(self) -> int:  # type: ignore[override]  # what DRF's paginator asks for
        return len(self)

    @overload
    def __getitem__(self, index: int) -> QueueItem: ...
    @overload
    def __getitem__(self, index: slice) -> list[QueueItem]: ...

    def __getitem__(self, index: int | slice) -> QueueItem | list[QueueItem]:
        if isinstance(index, int):
            found = self[index : index + 1]
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, _step = index.indices(len(self))
        items: list[QueueItem] = []
        offset = 0
        for section, count in zip(self.sections, self.counts, strict=True):
            low, high = max(start - offset, 0), min(stop - offset, count)
            if low < high:
                items += section.items(low, high)
            offset += count
        return items

    def __iter__(self) -> Iterator[QueueItem]:
        return iter(self[0 : len(self)])


# -- customer service: holders to call today ---------------------------------------------------


def _reply_overdue(now: datetime) -> QuerySet[Notice]:
    """The newest notice to each recipient whose reply date has passed, the holder silent and not
    yet escalated (the reminders are running; a call may bring the reply sooner)."""
    newer = Notice.objects.filter(
        recall_id=OuterRef("recall_id"),
        recipient_key=OuterRef("recipient_key"),
        kind__in=(Kind.INITIAL, Kind.REMINDER),
        sequence__gt=OuterRef("sequence"),
    )
    replied = Reply.objects.filter(recall_id=OuterRef("recall_id"), party_id=OuterRef("party_id"))
    return (
        Notice.objects.filter(
            kind__in=(Kind.INITIAL, Kind.REMINDER),
            reply_due_at__lte=now,
            replied_at__isnull=True,
            escalated_at__isnull=True,
            recall__status__in=OPEN_FOR_NOTICES,
        )
        .exclude(
            status__in=(
                NoticeStatus.GENERATED,
                NoticeStatus.QUEUED,
                NoticeStatus.BOUNCED,
                NoticeStatus.FAILED,
            )
        )
        .exclude(parent__escalated_at__isnull=False)
        .exclude(party__review=Review.MERGED)
        .filter(~Exists(newer), ~Exists(replied))
    )


# Why a holder is on the customer-service queue, in the order a reason wins.
CALL_REASONS: tuple[tuple[str, Promise, Promise], ...] = (
    (
        "silent",
        gettext_lazy("Silent after the last reminder"),
        gettext_lazy("Holders escalated after the third notice without a reply: call them."),
    ),
    (
        "overdue",
        gettext_lazy("Reply overdue"),
        gettext_lazy(
            "The newest notice to a recipient is past its reply date, the holder has not replied "
            "and is not escalated yet (reminders are running)."
        ),
    ),
    (
        "bounced",
        gettext_lazy("Bounced or undeliverable"),
        gettext_lazy(
            "Notices that bounced, or failed with no retry left, without a reply: find another way "
            "to reach the holder."
        ),
    ),
    (
        "letter",
        gettext_lazy("Letters to post"),
        gettext_lazy("Notices to send by letter, generated and not logged as posted."),
    ),
    (
        "call",
        gettext_lazy("Calls to make"),
        gettext_lazy("Notices to give by telephone, not logged as made."),
    ),
    (
        "reply_differs",
        gettext_lazy("Reply differs from our records"),
        gettext_lazy(
            "Replies whose figures disagree with ours, until a call or a note is logged after them."
        ),
    ),
)


def _call_reason() -> Case:
    has_reply = Exists(Reply.objects.filter(notice_id=OuterRef("pk")))
    return Case(
        When(has_reply, then=Value("reply_differs")),
        When(escalated_at__isnull=False, then=Value("silent")),
        When(status__in=(NoticeStatus.BOUNCED, NoticeStatus.FAILED), then=Value("bounced")),
        When(status=NoticeStatus.GENERATED, channel=Channel.LETTER, then=Value("letter")),
        When(status=NoticeStatus.GENERATED, channel=Channel.PHONE, then=Value("call")),
        default=Value("overdue"),
        output_field=CharField(),
    )


def holders_to_call(*, viewer: User, now: datetime) -> QuerySet[Any]:
    """The notices behind the customer-service queue, each with its ``reason`` (a key of
    ``CALL_REASONS``): notices' own overdue queue (``notices.selectors.overdue_queue``) and the
    replies overdue."""
    listed = overdue_queue(viewer=viewer, now=now).values("pk")
    late = _reply_overdue(now)
    if viewer.party_id is not None:
        late = late.filter(party_id=viewer.party_id)
    return (
        Notice.objects.filter(Q(pk__in=listed) | Q(pk__in=late.values("pk")))
        .annotate(reason=_call_reason())
        .select_related("recall", "party", "contact")
        .order_by("reply_due_at", "pk")
    )


def _notice_items(section: str, now: datetime) -> Callable[[list[Notice]], list[QueueItem]]:
    def items(notices: list[Notice]) -> list[QueueItem]:
        return [
            QueueItem(
                section=section,
                target="letters" if section == "letter" else "notice",
                target_id=n.recall_id if section == "letter" else n.pk,
                reference=n.party.code,
                subject=party_name(n.party),
                recall_id=n.recall_id,
                recall=n.recall.number,
                due_at=n.reply_due_at,
                state=n.status,
                state_label=n.get_status_display(),
                overdue=bool(n.reply_due_at and n.reply_due_at <= now),
                detail=" · ".join(
                    part
                    for part in (
                        str(n.get_channel_display()),
                        n.contact.phone if n.contact else "",
                        n.email or (n.contact.email if n.contact else ""),
                    )
                    if part
                ),
            )
            for n in notices
        ]

    return items


def holders_not_notified(*, viewer: User, now: datetime) -> list[tuple[HolderNotice, str]]:
    """Holders of recalls in execution past their notify-by time with no notice delivered or
    acknowledged (``notices.notify_by``), with their recall's number: call them first."""
    recalls = list(
        recall_list_for(viewer=viewer).filter(status__in=OPEN_FOR_NOTICES).order_by("pk")
    )
    numbers = {recall.pk: recall.number for recall in recalls}
    found = holders_notify_by(recalls, now=now)
    return [
        (row, numbers[recall_id])
        for recall_id, rows in found.items()
        for row in rows
        if row.overdue and (viewer.party_id is None or row.party_id == viewer.party_id)
    ]


def _not_notified_items(rows: list[tuple[HolderNotice, str]]) -> list[QueueItem]:
    return [
        QueueItem(
            section="not_notified",
            target="notify_by",
            target_id=row.recall_id,
            reference=row.code,
            subject=party_name(row),
            recall_id=row.recall_id,
            recall=number,
            due_at=row.notify_by,
            state=row.state,
            state_label=row.state_label,
            overdue=True,
            detail=", ".join(regime.upper() for regime in row.regimes),
        )
        for row, number in rows
    ]


def _customer_service(viewer: User, now: datetime) -> list[Section]:
    notices = holders_to_call(viewer=viewer, now=now)
    late = Section(
        "not_notified",
        gettext_lazy("Not notified by the notify-by time"),
        gettext_lazy(
            "Holders past their notify-by time (NMPA 1/3/7 days by level, FDA by class) with no "
            "notice delivered or acknowledged, no reply and no call logged: reach them now."
        ),
        holders_not_notified(viewer=viewer, now=now),
        _not_notified_items,
    )
    return [late] + [
        Section(key, label, definition, notices.filter(reason=key), _notice_items(key, now))
        for key, label, definition in CALL_REASONS
    ]


# -- warehouse: returns expected today and in transit ------------------------------------------

ON_THE_WAY = (ReturnStatus.PICKED_UP, ReturnStatus.IN_TRANSIT)


def _returns_on_the_way(viewer: User, now: datetime) -> QuerySet[Any]:
    """Returns picked up or in transit, each with ``left_at`` (its first status change after
    authorisation, from the audit log: the pick-up), ``transit_days`` (the carrier's rate for the
    pick-up region: its province, else its country) and ``expected`` (arrival due today or
    earlier)."""
    left = AuditEntry.objects.filter(
        target_type=ReturnAuthorisation._meta.label_lower,
        target_id=Cast(OuterRef("pk"), CharField()),
        action="execution.return_status",
    ).order_by("sequence")
    rates = CarrierRate.objects.filter(
        carrier_id=OuterRef("carrier_id"), country=OuterRef("region_country")
    )
    found = (
        return_list_for(viewer=viewer, status="")
        .filter(status__in=ON_THE_WAY)
        .annotate(
            left_at=Subquery(left.values("recorded_at")[:1]),
            region_country=Coalesce(NullIf(F("location__country"), Value("")), "party__country"),
            region_province=Coalesce(
                NullIf(F("location__province_code"), Value("")), "party__province_code"
            ),
        )
        .annotate(
            transit_days=Coalesce(
                Subquery(
                    rates.filter(province_code=OuterRef("region_province"))
                    .exclude(province_code="")
                    .values("transit_days")[:1]
                ),
                Subquery(rates.filter(province_code="").values("transit_days")[:1]),
            )
        )
    )
    # Arrival (pick-up + transit days) on or before today ⇔ picked up before the start of
    # tomorrow less the transit days: one condition per distinct number of days (a few).
    tomorrow = timezone.make_aware(
        datetime.combine(timezone.localdate(now) + timedelta(days=1), time.min)
    )
    due = Q(pk__in=[])
    for days in CarrierRate.objects.values_list("transit_days", flat=True).distinct():
        due |= Q(transit_days=days, left_at__lt=tomorrow - timedelta(days=days))
    return found.annotate(
        expected=Case(
            When(due, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def _return_items(section: str, now: datetime) -> Callable[[list[Any]], list[QueueItem]]:
    def items(returns: list[Any]) -> list[QueueItem]:
        found = []
        for ra in returns:
            arrival = (
                ra.left_at + timedelta(days=ra.transit_days)
                if ra.left_at is not None and ra.transit_days is not None
                else None
            )
            units = sum(line.expected - line.received for line in ra.lines.all())
            found.append(
                QueueItem(
                    section=section,
                    target="return",
                    target_id=ra.pk,
                    reference=ra.number,
                    subject=party_name(ra.party),
                    recall_id=ra.recall_id,
                    recall=ra.recall.number,
                    due_at=arrival,
                    state=ra.status,
                    state_label=ra.get_status_display(),
                    overdue=bool(arrival and timezone.localdate(arrival) < timezone.localdate(now)),
                    detail=_("%(units)s units still to receive · %(carrier)s %(waybill)s")
                    % {
                        "units": max(units, 0),
                        "carrier": ra.carrier.name if ra.carrier else "—",
                        "waybill": ra.waybill_number,
                    },
                )
            )
        return found

    return items


def _warehouse(viewer: User, now: datetime) -> list[Section]:
    on_the_way = _returns_on_the_way(viewer, now)
    return [
        Section(
            "expected_today",
            gettext_lazy("Returns expected today"),
            gettext_lazy(
                "Returns picked up or in transit whose arrival (pick-up plus the carrier's transit "
                "days for the pick-up region) falls today or earlier; late ones stay until received."
            ),
            on_the_way.filter(expected=True).order_by("left_at", "pk"),
            _return_items("expected_today", now),
        ),
        Section(
            "in_transit",
            gettext_lazy("In transit"),
            gettext_lazy(
                "The other returns picked up or in transit: arriving after today, or with no "
                "carrier rate to tell when."
            ),
            on_the_way.filter(expected=False).order_by("left_at", "pk"),
            _return_items("in_transit", now),
        ),
    ]


# -- field service: my work orders by due date -------------------------------------------------

OPEN_TASKS = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


def _field_service(viewer: User, now: datetime) -> list[Section]:
    orders = (
        work_order_list_for(viewer=viewer)
        .filter(provider__technician=viewer, status__in=OPEN_TASKS)
        .order_by("due_at", "pk")
    )

    def items(found: list[WorkOrder]) -> list[QueueItem]:
        return [
            QueueItem(
                section="my_work_orders",
                target="work_order",
                target_id=order.pk,
                reference=order.number,
                subject=party_name(order.party),
                recall_id=order.recall_id,
                recall=order.recall.number,
                due_at=order.due_at,
                state=order.status,
                state_label=order.get_status_display(),
                overdue=order.due_at < now,
                detail=f"{order.get_action_display()} · {order.location.name}",
            )
            for order in found
        ]

    return [
        Section(
            "my_work_orders",
            gettext_lazy("My work orders by due date"),
            gettext_lazy(
                "Work orders open or in progress assigned to a service provider whose technician "
                "you are, earliest due first."
            ),
            orders,
            items,
        )
    ]


# -- QA/RA: deadlines due and signatures waiting ----------------------------------------------


def _deadline_items(rows: list[DeadlineRow]) -> list[QueueItem]:
    """A deadline met by a filing opens the recall's filings page at that document (where it is
    generated, signed and submitted); any other, the case's deadlines."""
    documents = {row.key: document_for_deadline(row.key) for row in rows}
    return [
        QueueItem(
            section="deadlines",
            target="filing" if documents[row.key] else "deadline",
            document=documents[row.key],
            target_id=row.recall_id,
            reference=row.recall_number,
            subject=row.title,
            recall_id=row.recall_id,
            recall=row.recall_number,
            due_at=row.due_at,
            state=row.status,
            state_label=_deadline_state(row.status),
            overdue=row.status == "breached",
            # "Submitted to 1 of 4 authorities", and the due date's provisional note.
            detail=" · ".join(note for note in (row.progress_note, row.provisional_note) if note),
            policy=not row.legal,
        )
        for row in rows
    ]


def _deadline_state(status: str) -> str:
    return {
        "open": pgettext("deadline state", "Pending"),
        "due_soon": pgettext("deadline state", "Due soon"),
        "breached": pgettext("deadline state", "Overdue"),
        "done": pgettext("deadline state", "Met"),
        "not_owed": pgettext("deadline state", "Not owed"),
    }.get(status, status)


def _recall_items(section: str, target: str) -> Callable[[list[RecallCase]], list[QueueItem]]:
    def items(recalls: list[RecallCase]) -> list[QueueItem]:
        recovered = recovered_by_recall(r.pk for r in recalls) if target == "closure" else {}
        found = []
        for recall in recalls:
            detail = ""
            units = recovered.get(recall.pk)
            if units is not None:
                affected, back = units
                detail = _("%(recovered)s of %(affected)s units recovered") % {
                    "recovered": back,
                    "affected": affected,
                }
            found.append(
                QueueItem(
                    section=section,
                    target=target,
                    target_id=recall.pk,
                    reference=recall.number,
                    subject=recall.display_title,
                    recall_id=recall.pk,
                    recall=recall.number,
                    due_at=None,
                    state=recall.status,
                    state_label=recall.get_status_display(),
                    detail=detail,
                )
            )
        return found

    return items


def _release_items(found: list[Disposition]) -> list[QueueItem]:
    return [
        QueueItem(
            section="releases",
            target="disposition",
            target_id=d.pk,
            reference=d.number,
            subject=f"{d.lot.number}{' · ' + d.serial.serial if d.serial else ''} × {d.quantity}",
            recall_id=d.recall_id,
            recall=d.recall.number,
            due_at=None,
            state=d.status,
            state_label=d.get_status_display(),
        )
        for d in found
    ]


def _qa_ra(viewer: User, now: datetime) -> list[Section]:
    due = deadlines_due_for(viewer=viewer, now=now)
    recalls = recall_list_for(viewer=viewer).order_by("updated_at", "pk")
    return [
        Section(
            "deadlines",
            gettext_lazy("Deadlines due"),
            gettext_lazy(
                "Regulatory deadlines and company-policy targets of open recalls not met: breached, "
                "or due in the next seven days. A deadline met by a filing opens the recall's "
                "filings page at that document."
            ),
            sorted(due.overdue + due.due, key=lambda row: row.due_at),
            _deadline_items,
        ),
        Section(
            "approvals",
            gettext_lazy("Approvals to sign"),
            gettext_lazy(
                "Recalls pending approval: approval steps to sign, or the move to execution once "
                "every step is signed."
            ),
            recalls.filter(status=Status.PENDING_APPROVAL),
            _recall_items("approvals", "approval"),
        ),
        Section(
            "releases",
            gettext_lazy("Releases to sign"),
            gettext_lazy(
                "Dispositions 'release after inspection' open or in progress: completing one needs "
                "an electronic signature."
            ),
            disposition_list_for(viewer=viewer)
            .filter(kind=DispositionKind.RELEASE, status__in=OPEN_TASKS)
            .order_by("created_at", "pk"),
            _release_items,
        ),
        Section(
            "closures",
            gettext_lazy("Closures to decide"),
            gettext_lazy(
                "Recalls in the effectiveness check: close them, or sign a closure exception for "
                "what is outstanding."
            ),
            recalls.filter(status=Status.EFFECTIVENESS_CHECK),
            _recall_items("closures", "closure"),
        ),
    ]


# -- finance: approvals waiting ----------------------------------------------------------------


@dataclass(frozen=True)
class MoneyFields:
    """Where a money item (a refund or payment request, an offer) reads what differs between
    them: the reference a person reads first and the subject beside it. The rest is common:
    its recall, status, quantity and amount."""

    reference: Callable[[Any], str]
    subject: Callable[[Any], str]


REFUND_FIELDS = MoneyFields(
    reference=lambda refund: refund.number,
    subject=lambda refund: f"{refund.holder.code} · {party_name(refund.holder)}",
)
OFFER_FIELDS = MoneyFields(
    reference=lambda offer: offer.party.code,
    subject=lambda offer: f"{offer.get_kind_display()} · {offer.description}",
)


def _money_items(
    section: str, target: str, read: MoneyFields
) -> Callable[[list[RefundRequest] | list[Offer]], list[QueueItem]]:
    """The items of a finance section: refunds, payments and offers read alike but for the
    fields ``read`` names."""

    def items(found: list[RefundRequest] | list[Offer]) -> list[QueueItem]:
        return [
            QueueItem(
                section=section,
                target=target,
                target_id=row.pk,
                reference=read.reference(row),
                subject=read.subject(row),
                recall_id=row.recall_id,
                recall=row.recall.number,
                due_at=None,
                state=row.status,
                state_label=row.get_status_display(),
                detail=f"{row.quantity} · {row.amount} {row.currency}",
            )
            for row in found
        ]

    return items


def _finance(viewer: User, now: datetime) -> list[Section]:
    refunds = (
        refund_requests()
        .filter(recall__in=recall_list_for(viewer=viewer))
        .order_by("requested_at", "pk")
    )
    return [
        Section(
            "refunds",
            gettext_lazy("Refunds to approve"),
            gettext_lazy(
                "Refund and compensation requests awaiting a first or a second (signed) approval "
                "that you may give: not those you entered or already approved."
            ),
            refunds.filter(status__in=[RefundStatus.REQUESTED, RefundStatus.AWAITING_SECOND])
            .exclude(requested_by=viewer)
            .exclude(first_approver=viewer),
            _money_items("refunds", "refund", REFUND_FIELDS),
        ),
        Section(
            "payments",
            gettext_lazy("Payments to make"),
            gettext_lazy("Approved refund and compensation requests not yet paid."),
            refunds.filter(status=RefundStatus.APPROVED),
            _money_items("payments", "payment", REFUND_FIELDS),
        ),
        Section(
            "offers",
            gettext_lazy("Offers awaiting approval"),
            gettext_lazy(
                "Compensation and goodwill offers proposed to holders and not yet approved or "
                "rejected."
            ),
            offers_for(viewer=viewer)
            .filter(status=Offer.Status.PROPOSED)
            .order_by("created_at", "pk"),
            _money_items("offers", "offer", OFFER_FIELDS),
        ),
    ]


QUEUES: dict[str, Callable[[User, datetime], list[Section]]] = {
    Role.CUSTOMER_SERVICE: _customer_service,
    Role.WAREHOUSE: _warehouse,
    Role.FIELD_SERVICE: _field_service,
    Role.QA_RA_MANAGER: _qa_ra,
    Role.FINANCE: _finance,
}


def queue_label(role: str) -> str:
    return str(ROLE_LABELS[role])


def roles_with_queues(user: User) -> list[str]:
    """The roles whose queues the user sees, in the order of ``QUEUES``: those they hold (a
    superuser every one); a portal user none."""
    if user.party_id is not None or not user.is_active:
        return []
    if user.is_superuser:
        return list(QUEUES)
    held = {group.name for group in user.groups.all()}
    return [role for role in QUEUES if role in held]


def queue_for(*, viewer: User, role: str, now: datetime | None = None) -> list[Section]:
    """The sections of ``role``'s queue for the viewer; refused for a role with no queue
    (``QueueUnknown``) or one the viewer does not hold (``QueueNotYours``)."""
    if role not in QUEUES:
        raise QueueUnknown(
            _("There is no work queue %(role)s; the queues are: %(roles)s.")
            % {"role": role, "roles": ", ".join(QUEUES)},
            where="role",
        )
    if role not in roles_with_queues(viewer):
        raise QueueNotYours(
            _("The %(queue)s queue is for users in that role.") % {"queue": queue_label(role)},
            where="role",
        )
    return QUEUES[role](viewer, now or timezone.now())


@dataclass(frozen=True)
class SectionCount:
    """One section of a queue with the number of its items (its label stays lazy: read in the
    reader's language wherever the count was kept)."""

    key: str
    label: Promise
    count: int


def queue_counts(user: User, *, now: datetime | None = None) -> dict[str, list[SectionCount]]:
    """Role → the sections of the user's queue with their counts, for every queue the user
    sees (one count per section)."""
    now = now or timezone.now()
    return {
        role: [
            SectionCount(section.key, section.label, section.count())
            for section in queue_for(viewer=user, role=role, now=now)
        ]
        for role in roles_with_queues(user)
    }


_COUNTS_SHAPE = shape_of(SectionCount)


def kept_queue_counts(user: User, *, stamp: int) -> dict[str, list[SectionCount]]:
    """``queue_counts`` kept until something is audited (``reporting.kept``: at most
    ``MEDRECALL_COCKPIT_CACHE_SECONDS``), per user and the roles they hold now (a role given
    or taken is counted at once)."""
    if keep_seconds() <= 0:
        return queue_counts(user)
    roles = ",".join(roles_with_queues(user))
    return kept(
        f"queues:{user.pk}:{roles}:{_COUNTS_SHAPE}", lambda: queue_counts(user), stamp=stamp
    )
