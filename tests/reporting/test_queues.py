"""Each work queue holds exactly what its definition says: for every section, an item that
belongs in it and a near miss that does not, built through the real services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import Lot
from medrecall.execution import services as execution
from medrecall.execution.models import ReturnAuthorisation, ServiceProvider, WorkOrder
from medrecall.notices import delivery, followup, postal, relations, replies, send_runs
from medrecall.notices.models import Notice, Offer
from medrecall.parties.models import Location, Party
from medrecall.recalls import deadlines, services
from medrecall.recalls.models import RecallCase
from medrecall.reporting.errors import QueueNotYours, QueueUnknown
from medrecall.reporting.queues import QueueItems, queue_for, roles_with_queues
from tests.execution.conftest import approve, open_recall, seed_carriers
from tests.factories import PartyFactory
from tests.reporting.conftest import notices_sent
from tests.traceability.scenario import CATH, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = pytest.mark.django_db


def section(user: User, role: str, key: str, **kwargs: object) -> list[tuple[str, int]]:
    """A section's items as (target, target id), in the queue's order."""
    found = {s.key: s for s in queue_for(viewer=user, role=role, **kwargs)}  # type: ignore[arg-type]
    return [(item.target, item.target_id) for item in found[key].items()]


def notice_of(code: str, sequence: int = 1) -> Notice:
    return (
        Notice.objects.filter(party__code=code, sequence=sequence, kind__in=("initial", "reminder"))
        .order_by("pk")
        .first()
    )  # type: ignore[return-value]


# -- customer service -------------------------------------------------------------------------


def test_the_letter_to_post_is_listed_until_it_is_logged_posted(
    noticed: RecallCase, manager: User, make_user: Callable[..., User]
) -> None:
    service = make_user(Role.CUSTOMER_SERVICE)
    assert section(service, Role.CUSTOMER_SERVICE, "letter") == [("letters", noticed.pk)]
    assert section(service, Role.CUSTOMER_SERVICE, "overdue") == []  # not yet past any reply date
    postal.letters_posted(notices=list(postal.letters_to_post(noticed)), actor=service)
    assert section(service, Role.CUSTOMER_SERVICE, "letter") == []


def test_replies_overdue_are_the_silent_holders_newest_notices_past_their_date(
    noticed: RecallCase, make_user: Callable[..., User]
) -> None:
    service = make_user(Role.CUSTOMER_SERVICE)
    hosp2 = notice_of("HOSP2")
    replies.reply_submit(
        notice=hosp2,
        respondent_name="Dr Smith",
        quantities={replies.expected_lines(hosp2)[0].key: {"on_hand": 50}},
    )
    due = notice_of("SUB").reply_due_at
    assert due is not None
    later = due + timedelta(minutes=1)
    expected = [
        ("notice", notice_of("DIST").pk),
        ("notice", Notice.objects.filter(party__code="DIST").order_by("pk")[1].pk),
        ("notice", notice_of("SUB").pk),
    ]
    assert section(service, Role.CUSTOMER_SERVICE, "overdue", now=later) == expected
    # A minute before the reply date nothing is overdue; the holder who replied never is.
    assert section(service, Role.CUSTOMER_SERVICE, "overdue", now=due - timedelta(minutes=1)) == []
    # The second notice goes out: the first is no longer the newest, the second not yet due.
    assert followup.reminders_send(later)[0] == 3
    assert section(service, Role.CUSTOMER_SERVICE, "overdue", now=later) == []


def test_silent_holders_are_those_escalated_after_the_third_notice(
    noticed: RecallCase, make_user: Callable[..., User]
) -> None:
    service = make_user(Role.CUSTOMER_SERVICE)
    day = timezone.now()
    for later in (
        timedelta(days=2, minutes=1),
        timedelta(days=4, hours=2),
        timedelta(days=5, hours=3),
    ):
        followup.reminders_send(day + later)  # second notice, third notice, escalation (class I)
        waiting = Notice.objects.filter(kind="reminder", status__in=("generated", "queued"))
        send_runs.notices_batch(None, list(waiting.values_list("pk", flat=True)))  # the batch task
    start = day + timedelta(days=5, hours=3)
    escalated = sorted(
        Notice.objects.filter(escalated_at__isnull=False).values_list("pk", flat=True)
    )
    assert Notice.objects.get(pk=escalated[0]).party.code == "DIST"
    silent = section(service, Role.CUSTOMER_SERVICE, "silent", now=start)
    assert silent == [("notice", pk) for pk in escalated]
    assert {Notice.objects.get(pk=pk).party.code for _t, pk in silent} == {"DIST", "SUB", "HOSP2"}
    # Escalated holders are not listed again as "reply overdue" through their later notices.
    assert section(service, Role.CUSTOMER_SERVICE, "overdue", now=start) == []


def test_bounced_notices_are_listed_and_delivered_ones_are_not(
    noticed: RecallCase, make_user: Callable[..., User]
) -> None:
    service = make_user(Role.CUSTOMER_SERVICE)
    sub, hosp2 = notice_of("SUB"), notice_of("HOSP2")
    delivery.notice_delivery_report(
        message_id=sub.message_id, outcome="bounced", detail="550 no such user"
    )
    delivery.notice_delivery_report(message_id=hosp2.message_id, outcome="delivered")
    assert section(service, Role.CUSTOMER_SERVICE, "bounced") == [("notice", sub.pk)]


def test_calls_to_make_are_phone_notices_not_logged(
    tmp_path: Path, manager: User, make_user: Callable[..., User]
) -> None:
    from tests.notices.conftest import approved_recall

    recall = approved_recall(tmp_path, manager, make_user)
    Party.objects.filter(code="HOSP").update(preferred_channel="phone")  # no contact: a call
    notices_sent(recall, manager)
    service = make_user(Role.CUSTOMER_SERVICE)
    call = Notice.objects.get(party__code="HOSP", channel="phone")
    assert section(service, Role.CUSTOMER_SERVICE, "call") == [("notice", call.pk)]
    delivery.notice_contact_log(
        notice=call, actor=service, channel="call", note="Read the notice to the ward sister"
    )
    assert section(service, Role.CUSTOMER_SERVICE, "call") == []


def test_a_reply_that_differs_is_listed_until_a_call_is_logged(
    noticed: RecallCase, make_user: Callable[..., User]
) -> None:
    service = make_user(Role.CUSTOMER_SERVICE)
    sub, hosp2 = notice_of("SUB"), notice_of("HOSP2")
    on_record = replies.expected_lines(sub)[0]
    replies.reply_submit(  # SUB says it has 10 fewer than we think
        notice=sub,
        respondent_name="Chen",
        quantities={on_record.key: {"on_hand": on_record.quantity - 10}},
    )
    agreed = replies.expected_lines(hosp2)[0]
    replies.reply_submit(  # HOSP2 agrees with our records: a near miss
        notice=hosp2,
        respondent_name="Dr Smith",
        quantities={agreed.key: {"on_hand": agreed.quantity}},
    )
    assert section(service, Role.CUSTOMER_SERVICE, "reply_differs") == [("notice", sub.pk)]
    delivery.notice_contact_log(notice=sub, actor=service, channel="call", note="Ten were used")
    assert section(service, Role.CUSTOMER_SERVICE, "reply_differs") == []


# -- warehouse --------------------------------------------------------------------------------


@pytest.fixture
def recall_c1(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> RecallCase:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    seed_carriers()
    return approve(open_recall(manager), make_user)


def test_returns_expected_today_and_in_transit_follow_pick_up_and_transit_days(
    recall_c1: RecallCase, manager: User, make_user: Callable[..., User]
) -> None:
    worker = make_user(Role.WAREHOUSE)
    picked = execution.return_create(
        recall=recall_c1, party=Party.objects.get(code="HOSP"), actor=manager
    )
    waiting = execution.return_create(
        recall=recall_c1, party=Party.objects.get(code="SUB"), actor=manager
    )
    execution.return_transition(ra=picked, target="picked_up", actor=manager)
    left = (
        AuditEntry.objects.filter(action="execution.return_status", target_id=str(picked.pk))
        .get()
        .recorded_at
    )
    days = picked.carrier.rates.get(country="CN").transit_days  # type: ignore[union-attr]
    arrival = left + timedelta(days=days)
    assert section(worker, Role.WAREHOUSE, "expected_today", now=arrival) == [("return", picked.pk)]
    assert section(worker, Role.WAREHOUSE, "in_transit", now=arrival) == []
    day_before = arrival - timedelta(days=1)
    assert section(worker, Role.WAREHOUSE, "expected_today", now=day_before) == []
    assert section(worker, Role.WAREHOUSE, "in_transit", now=day_before) == [("return", picked.pk)]
    # Moving on to "in transit" keeps the pick-up time; the authorised return is in neither list.
    execution.return_transition(ra=picked, target="in_transit", actor=manager)
    assert section(worker, Role.WAREHOUSE, "expected_today", now=arrival + timedelta(days=2)) == [
        ("return", picked.pk)
    ]
    assert waiting.pk not in {
        pk for _t, pk in section(worker, Role.WAREHOUSE, "in_transit", now=arrival)
    }
    # Received: off the queue.
    execution.return_receive(
        ra=picked,
        actor=worker,
        gtin=CATH,
        lot="C1",
        quantity=5,
        location=Location.objects.get(code="QUAR"),
    )
    execution.return_transition(
        ra=ReturnAuthorisation.objects.get(pk=picked.pk), target="received", actor=worker
    )
    assert section(worker, Role.WAREHOUSE, "expected_today", now=arrival) == []


# -- field service ----------------------------------------------------------------------------


def test_my_work_orders_are_those_of_my_provider_open_by_due_date(
    recall_c1: RecallCase, manager: User, make_user: Callable[..., User]
) -> None:
    from medrecall.catalog.models import DeviceModel

    technician, colleague = make_user(Role.FIELD_SERVICE), make_user(Role.FIELD_SERVICE)
    own = PartyFactory(code="OWN-SVC", party_type="own_site")
    for user, name in ((technician, "Li (own)"), (colleague, "Zhang (own)")):
        provider = ServiceProvider.objects.create(
            name=name,
            party=own,
            technician=user,
            skills=["inspection"],
            capacity=1,
            latitude=Decimal("31.2"),
            longitude=Decimal("121.5"),
        )
        provider.device_models.add(DeviceModel.objects.get(udi_di=CATH))
    first = execution.work_order_create(
        recall=recall_c1, party=Party.objects.get(code="HOSP"), action="inspection", actor=manager
    )
    second = execution.work_order_create(
        recall=recall_c1, party=Party.objects.get(code="HOSP2"), action="inspection", actor=manager
    )
    assert {first.provider.technician, second.provider.technician} == {technician, colleague}  # type: ignore[union-attr]
    mine = first if first.provider.technician == technician else second  # type: ignore[union-attr]
    assert section(technician, Role.FIELD_SERVICE, "my_work_orders") == [("work_order", mine.pk)]
    for unit in mine.units.all():
        execution.work_order_record(unit=unit, actor=technician, result="corrected")
    assert WorkOrder.objects.get(pk=mine.pk).status == "done"
    assert section(technician, Role.FIELD_SERVICE, "my_work_orders") == []


# -- QA/RA ------------------------------------------------------------------------------------


def test_deadlines_due_are_those_not_met_breached_or_due_within_a_week(
    recall_c1: RecallCase, manager: User
) -> None:
    def listed() -> list[tuple[int, str, object]]:
        found = {s.key: s for s in queue_for(viewer=manager, role=Role.QA_RA_MANAGER, now=now)}
        return [(row.recall_id, row.key, row.due_at) for row in found["deadlines"].rows]

    def wanted() -> list[tuple[int, str, object]]:
        rows, _missing = deadlines.deadlines_for(recall_c1, now=now)
        return [
            (r.recall_id, r.key, r.due_at)
            for r in rows
            if r.status != "done"
            and (r.status == "breached" or r.due_at <= now + timedelta(days=7))
        ]

    now = timezone.now()
    rows, _missing = deadlines.deadlines_for(recall_c1, now=now)
    met = next(r for r in rows if r.key == "nmpa.event_report")
    assert (recall_c1.pk, met.key, met.due_at) in listed()
    assert listed() == wanted()
    deadlines.deadline_mark_done(
        recall=recall_c1,
        key=met.key,
        due_at=met.due_at,
        actor=manager,
        note="Filed on paper; the acknowledgement is in the file.",
    )
    now = timezone.now()  # met from now on
    assert (recall_c1.pk, met.key, met.due_at) not in listed()
    assert listed() == wanted()


def test_signatures_waiting_list_approvals_releases_and_closures(
    recall_c1: RecallCase, manager: User, make_user: Callable[..., User]
) -> None:
    pending = open_recall(manager, values=["C1"])  # pending approval: steps to sign
    quarantine = Location.objects.get(code="QUAR")
    ra = execution.return_create(
        recall=recall_c1, party=Party.objects.get(code="HOSP"), actor=manager
    )
    execution.return_receive(
        ra=ra, actor=manager, gtin=CATH, lot="C1", quantity=6, location=quarantine
    )
    lot = Lot.objects.get(number="C1")
    release = execution.disposition_create(
        recall=recall_c1,
        kind="release",
        lot=lot,
        actor=manager,
        location=quarantine,
        quantity=3,
        target=Location.objects.get(code="FAC"),
    )
    execution.disposition_create(
        recall=recall_c1, kind="destroy", lot=lot, actor=manager, location=quarantine, quantity=3
    )
    assert section(manager, Role.QA_RA_MANAGER, "approvals") == [("approval", pending.pk)]
    assert section(manager, Role.QA_RA_MANAGER, "releases") == [("disposition", release.pk)]
    assert section(manager, Role.QA_RA_MANAGER, "closures") == []  # in execution: not yet
    services.recall_update(
        recall=recall_c1,
        actor=manager,
        version=RecallCase.objects.get(pk=recall_c1.pk).version,
        initiated_at=timezone.now(),
    )
    services.recall_transition(recall=recall_c1, target="effectiveness_check", actor=manager)
    closures = {s.key: s for s in queue_for(viewer=manager, role=Role.QA_RA_MANAGER)}["closures"]
    (item,) = closures.items()
    assert (item.target, item.target_id, item.action_url) == (
        "closure",
        recall_c1.pk,
        f"/recalls/{recall_c1.pk}/#closure",
    )
    assert item.detail == "6 of 970 units recovered"


# -- finance ----------------------------------------------------------------------------------


def test_offers_awaiting_approval_are_the_proposed_ones(
    noticed: RecallCase, manager: User, make_user: Callable[..., User]
) -> None:
    finance, service = make_user(Role.FINANCE), make_user(Role.CUSTOMER_SERVICE)
    hosp = Party.objects.get(code="HOSP")
    waiting = relations.offer_propose(
        recall=noticed,
        party=hosp,
        kind="credit",
        description="Credit for 70 catheters",
        actor=service,
        quantity=70,
        amount=Decimal("3500.00"),
    )
    decided = relations.offer_propose(
        recall=noticed, party=hosp, kind="consumables", description="Spare tips", actor=service
    )
    relations.offer_decide(offer=decided, approve=True, actor=finance)
    found = {s.key: s for s in queue_for(viewer=finance, role=Role.FINANCE)}["offers"]
    (item,) = found.items()
    assert (item.target, item.target_id, item.reference, item.detail) == (
        "offer",
        waiting.pk,
        "HOSP",
        "70 · 3500.00 CNY",
    )
    assert item.action_url == f"/queues/finance/#offer-{waiting.pk}"
    assert Offer.objects.get(pk=decided.pk).status == "approved"


def test_refunds_wait_for_the_approvers_who_may_still_approve_and_payments_once_approved(
    noticed: RecallCase, make_user: Callable[..., User]
) -> None:
    from medrecall.finance.models_payables import RefundRequest

    finance, other, service = (
        make_user(Role.FINANCE),
        make_user(Role.FINANCE),
        make_user(Role.CUSTOMER_SERVICE),
    )
    hosp = Party.objects.get(code="HOSP")
    now = timezone.now()

    def refund(number: str, status: str, **people: User) -> RefundRequest:
        return RefundRequest.objects.create(
            number=number,
            recall=noticed,
            holder=hosp,
            source="entered",
            quantity=2,
            unit_price=Decimal("50.00"),
            invoice_reference="INV-1",
            amount=Decimal("100.00"),
            currency="CNY",
            rate=Decimal("1"),
            company_amount=Decimal("100.00"),
            company_currency="CNY",
            status=status,
            requested_by=people.get("requested_by", service),
            requested_at=now,
            first_approver=people.get("first_approver"),
        )

    waiting = refund("RF-1", "requested")
    refund("RF-2", "requested", requested_by=finance)  # entered by the reader: not theirs
    second = refund("RF-3", "awaiting_second", first_approver=other)
    refund("RF-4", "awaiting_second", first_approver=finance)  # already approved by the reader
    approved = refund("RF-5", "approved", first_approver=other)
    refund("RF-6", "paid", first_approver=other)
    sections = {s.key: s for s in queue_for(viewer=finance, role=Role.FINANCE)}
    assert list(sections) == ["refunds", "payments", "offers"]
    to_approve = sections["refunds"].items()
    assert [(i.reference, i.state, i.detail) for i in to_approve] == [
        ("RF-1", "requested", "2 · 100.00 CNY"),
        ("RF-3", "awaiting_second", "2 · 100.00 CNY"),
    ]
    assert to_approve[0].action_url == f"/finance/refunds/{waiting.pk}/#approvers-left"
    assert to_approve[1].target_id == second.pk
    (payment,) = sections["payments"].items()
    assert (payment.reference, payment.action_url) == ("RF-5", f"/finance/refunds/{approved.pk}/")


# -- who sees which queue ---------------------------------------------------------------------


def test_a_user_sees_the_queue_of_each_role_they_hold(make_user: Callable[..., User]) -> None:
    from django.contrib.auth.models import Group

    user = make_user(Role.WAREHOUSE)
    user.groups.add(Group.objects.get(name=Role.FINANCE), Group.objects.get(name=Role.VIEWER))
    assert roles_with_queues(user) == [Role.WAREHOUSE, Role.FINANCE]
    assert roles_with_queues(make_user(Role.TRACEABILITY_ANALYST)) == []
    with pytest.raises(QueueNotYours):
        queue_for(viewer=user, role=Role.CUSTOMER_SERVICE)
    with pytest.raises(QueueUnknown):
        queue_for(viewer=user, role="cashier")


def test_a_portal_user_has_no_queue_even_in_a_role_group(make_user: Callable[..., User]) -> None:
    holder = PartyFactory(code="PORTAL-H", party_type="hospital")
    portal = make_user(Role.CUSTOMER_SERVICE, party=holder)
    assert roles_with_queues(portal) == []
    with pytest.raises(QueueNotYours):
        queue_for(viewer=portal, role=Role.CUSTOMER_SERVICE)


def test_queue_items_run_through_the_sections_in_order(
    noticed: RecallCase, make_user: Callable[..., User]
) -> None:
    service = make_user(Role.CUSTOMER_SERVICE)
    due = notice_of("SUB").reply_due_at
    assert due is not None
    items = QueueItems(
        queue_for(viewer=service, role=Role.CUSTOMER_SERVICE, now=due + timedelta(hours=1))
    )
    # First the holders past their notify-by time with nothing delivered (notices only sent).
    assert len(items) == 9
    assert [(i.section, i.reference) for i in items] == [
        ("not_notified", "DIST"),
        ("not_notified", "HOSP"),
        ("not_notified", "HOSP2"),
        ("not_notified", "SUB"),
        ("overdue", "DIST"),
        ("overdue", "DIST"),
        ("overdue", "SUB"),
        ("overdue", "HOSP2"),
        ("letter", "HOSP"),
    ]
    assert [i.reference for i in items[7:9]] == ["HOSP2", "HOSP"]
    assert items[8].target == "letters"


def test_a_deadline_met_by_a_filing_opens_the_filings_page_at_that_document(
    recall_c1: RecallCase, manager: User, client: Any
) -> None:
    """One click from the QA/RA queue to the action: the recall event report's deadline opens
    the recall's filings page at that document (where it is generated, signed, submitted); a
    deadline no document meets (notify holders) still opens the case's deadlines."""
    found = {s.key: s for s in queue_for(viewer=manager, role=Role.QA_RA_MANAGER)}
    items = {item.subject: item for item in found["deadlines"].items()}
    rows, _missing = deadlines.deadlines_for(recall_c1)
    titles = {r.key: r.title for r in rows}
    event = items[titles["nmpa.event_report"]]
    assert (event.target, event.document) == ("filing", "nmpa.event_report")
    assert event.action_url == f"/recalls/{recall_c1.pk}/filings/#doc-nmpa.event_report"
    notify = items.get(titles.get("nmpa.notify_holders", ""))
    if notify is not None:
        assert notify.action_url == f"/recalls/{recall_c1.pk}/#deadlines"
    client.force_login(manager)
    page = client.get(event.action_url.split("#")[0]).content.decode()
    assert 'id="doc-nmpa.event_report"' in page
