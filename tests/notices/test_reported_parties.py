"""A sub-consignee typed on a reply form (no log-in) never attaches to a party we already know:
it becomes a new party "reported by <holder>, unverified", notified of the units the holder
passed to it and nothing else, and its reply link answers for it alone."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.notices import links, replies, selectors, send_runs
from medrecall.notices.models import Notice, Reply, SubConsignee
from medrecall.parties import services as party_services
from medrecall.parties.models import Contact, Party
from medrecall.recalls.models import RecallCase
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)

ATTACKER = "mallory@evil.example"


def notice_of(code: str) -> Notice:
    return Notice.objects.filter(party__code=code, kind="initial").order_by("pk").first()  # type: ignore[return-value]


def key_of(notice: Notice, lot: str = "C1") -> str:
    return next(line.key for line in replies.expected_lines(notice) if line.lot == lot)


def naming(party: Party, **overrides: Any) -> replies.SubConsigneeInput:
    """A sub-consignee row that names ``party`` exactly, with the attacker's address."""
    values = {
        "name": party.name,
        "country": party.country,
        "city": party.city,
        "address": party.address or "1 Road",
        "lot": "C1",
        "quantity": 20,
        "type": "hospital",
        "contact_name": "Mallory",
        "email": ATTACKER,
    }
    return replies.SubConsigneeInput(**(values | overrides))


@pytest.fixture
def only_sub_notified(recall: RecallCase, manager: User, smtp: Any) -> RecallCase:
    """Notices went to the sub-distributor SUB only; HOSP (70 units on hand) has none yet."""
    send_runs.notice_run_start(
        recall=recall, actor=manager, parties=[Party.objects.get(code="SUB").pk]
    )
    work_off_queue()
    smtp.messages.clear()
    return recall


def test_a_reply_naming_an_existing_party_exactly_creates_a_new_unverified_party(
    only_sub_notified: RecallCase, smtp: Any, client: Client
) -> None:
    hosp = Party.objects.get(code="HOSP")
    contacts_before = list(Contact.objects.filter(party=hosp).values_list("name", "email"))
    notice = notice_of("SUB")
    replies.reply_submit(
        notice=notice,
        respondent_name="Chen Jie",
        sub_consignees=[naming(hosp)],
        quantities={key_of(notice): {"on_hand": 80, "to_return": 80, "distributed": 20}},
    )
    work_off_queue()

    # A (HOSP) gained no contact, got no notice, and no mail speaks of its holdings.
    assert list(Contact.objects.filter(party=hosp).values_list("name", "email")) == contacts_before
    assert Notice.objects.filter(party=hosp).count() == 0
    # The sub-consignee is a new party, reported by SUB and unverified.
    reported = Party.objects.get(reported_by__code="SUB")
    assert reported.pk != hosp.pk
    assert (reported.name, reported.review, reported.party_type) == (
        hosp.name,
        "unverified",
        "hospital",
    )
    assert list(reported.contacts.values_list("name", "email")) == [("Mallory", ATTACKER)]
    assert SubConsignee.objects.get().party_id == reported.pk
    # It is told of the 20 units SUB passed to it, and nothing else.
    sent = Notice.objects.get(party=reported)
    assert [(line["lot"], line["quantity"]) for line in sent.lines] == [("C1", 20)]
    assert [rcpt for rcpt, _message in smtp.messages] == [[ATTACKER]]
    # Its reply link answers for the reported party only, never for HOSP.
    path = links.reply_path(sent)
    page = client.get(path).content.decode()
    assert hosp.code not in page
    assert [line.quantity for line in replies.expected_lines(sent)] == [20]
    answered = client.post(path, {f"q-{key_of(sent)}-on_hand": "20", "respondent_name": "Mallory"})
    assert answered.status_code == 200
    assert list(Reply.objects.order_by("pk").values_list("party__code", flat=True)) == [
        "SUB",
        reported.code,
    ]
    assert Reply.objects.filter(party=hosp).count() == 0


def test_rows_naming_one_sub_consignee_twice_in_a_reply_share_one_new_party(
    only_sub_notified: RecallCase,
) -> None:
    hosp = Party.objects.get(code="HOSP")
    notice = notice_of("SUB")
    replies.reply_submit(
        notice=notice,
        respondent_name="Chen Jie",
        sub_consignees=[naming(hosp, quantity=5), naming(hosp, quantity=15, address="2 Quay")],
        quantities={key_of(notice): {"on_hand": 80, "distributed": 20}},
    )
    reported = Party.objects.get(review="unverified")
    assert (reported.reported_by.code, reported.locations.count(), reported.contacts.count()) == (
        "SUB",
        2,
        1,
    )
    assert sorted(SubConsignee.objects.values_list("party_id", "quantity")) == [
        (reported.pk, 5),
        (reported.pk, 15),
    ]
    assert Party.objects.filter(name=hosp.name).count() == 2


def test_a_contact_named_without_phone_or_e_mail_is_kept(only_sub_notified: RecallCase) -> None:
    hosp = Party.objects.get(code="HOSP")
    notice = notice_of("SUB")
    replies.reply_submit(
        notice=notice,
        respondent_name="Chen Jie",
        sub_consignees=[naming(hosp, contact_name="李医生", email="")],
        quantities={key_of(notice): {"on_hand": 80, "distributed": 20}},
    )
    reported = Party.objects.get(review="unverified")
    assert list(reported.contacts.values_list("name", "email", "phone")) == [("李医生", "", "")]


@pytest.fixture
def reported(only_sub_notified: RecallCase) -> Party:
    """SUB's reply named HOSP2 with the attacker's address: a reported party, already mailed."""
    notice = notice_of("SUB")
    replies.reply_submit(
        notice=notice,
        respondent_name="Chen Jie",
        sub_consignees=[naming(Party.objects.get(code="HOSP2"))],
        quantities={key_of(notice): {"on_hand": 80, "distributed": 20}},
    )
    work_off_queue()
    return Party.objects.get(review="unverified")


def test_merging_moves_the_units_revokes_the_links_and_tells_the_target_through_its_own_contacts(
    reported: Party, manager: User, smtp: Any, client: Client
) -> None:
    hosp2 = Party.objects.get(code="HOSP2")
    old_link = links.reply_path(Notice.objects.get(party=reported))
    location = reported.locations.get()
    smtp.messages.clear()
    # A second notice to the typed address waits for a retry (the mail server was down).
    retry = Notice.objects.get(party=reported)
    Notice.objects.filter(pk=retry.pk).update(status="failed", next_attempt_at=timezone.now())

    party_services.party_merge(
        source=reported, target=hosp2, actor=manager, reason="Same hospital, checked by phone"
    )
    work_off_queue()

    reported.refresh_from_db()
    location.refresh_from_db()
    assert (reported.review, reported.merged_into_id, reported.is_active) == (
        "merged",
        hosp2.pk,
        False,
    )
    assert (reported.reviewed_by, location.party_id) == (manager, hosp2.pk)
    assert SubConsignee.objects.get().party_id == hosp2.pk
    # The typed contact stays with the merged party; HOSP2 keeps only its own.
    assert list(reported.contacts.values_list("email", flat=True)) == [ATTACKER]
    assert list(hosp2.contacts.values_list("email", flat=True)) == ["smith@hosp2.example"]
    # The link issued to the typed address no longer opens anything.
    assert client.get(old_link).status_code == 404
    # HOSP2 hears of its 50 units and the 20 passed on, at its own address only.
    told = Notice.objects.get(party=hosp2)
    assert (told.kind, told.email, sorted(line["quantity"] for line in told.lines)) == (
        "initial",
        "smith@hosp2.example",
        [20, 50],
    )
    assert [rcpt for rcpt, _message in smtp.messages] == [["smith@hosp2.example"]]
    entry = AuditEntry.objects.get(action="parties.reported_merged")
    assert (entry.target_id, entry.reason) == (str(reported.pk), "Same hospital, checked by phone")
    assert entry.changes["merged_into"] == [None, "HOSP2"]
    assert entry.changes["moved"][1]["locations"] == [location.code]
    assert entry.changes["moved"][1]["notices"]["scope_additions"] == 1
    assert entry.changes["moved"][1]["notices"]["links_revoked"] == 1
    assert entry.changes["moved"][1]["notices"]["notices_withdrawn"] == 1
    retry.refresh_from_db()
    assert (retry.status, retry.next_attempt_at, retry.last_error) == (
        "bounced",
        None,
        f"Withdrawn: {reported.code} was merged into HOSP2.",
    )
    assert entry.changes["contacts_not_moved"] == [None, [["Mallory", ATTACKER, ""]]]
    # Nothing of the reported party is left for customer service to chase.
    assert [n.party_id for n in selectors.overdue_queue(viewer=manager)] == []


def test_merging_into_a_holder_already_notified_sends_an_updated_notice_with_the_added_units_only(
    reported: Party, manager: User, smtp: Any
) -> None:
    hosp2 = Party.objects.get(code="HOSP2")
    send_runs.notice_run_start(
        recall=reported.sub_consignee_of.get().recall, actor=manager, parties=[hosp2.pk]
    )
    work_off_queue()
    party_services.party_merge(source=reported, target=hosp2, actor=manager)
    work_off_queue()
    update = Notice.objects.get(party=hosp2, kind="update")
    assert [(line["lot"], line["quantity"]) for line in update.lines] == [("C1", 20)]
    assert update.email == "smith@hosp2.example"


def test_verifying_keeps_the_reported_party_as_it_is_and_is_audited(
    reported: Party, manager: User
) -> None:
    party_services.party_verify(party=reported, actor=manager, reason="Called the clinic")
    reported.refresh_from_db()
    assert (reported.review, reported.reviewed_by, reported.is_active) == (
        "verified",
        manager,
        True,
    )
    entry = AuditEntry.objects.get(action="parties.reported_verified")
    assert entry.changes == {"review": ["unverified", "verified"], "reported_by": [None, "SUB"]}
    with pytest.raises(party_services.ReviewRefused, match="already reviewed"):
        party_services.party_verify(party=reported, actor=manager)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("itself", "cannot be merged into itself"),
        ("source_established", "was not reported by a holder"),
        ("source_verified", "was already reviewed"),
        ("target_own_site", "can only be merged into a distributor"),
        ("target_unverified", "is itself Reported, unverified"),
        ("target_inactive", "is inactive"),
    ],
)
def test_a_refused_merge_says_why_and_changes_nothing(
    reported: Party, manager: User, case: str, message: str
) -> None:
    source, target = reported, Party.objects.get(code="HOSP2")
    if case == "itself":
        target = reported
    elif case == "source_established":
        source = Party.objects.get(code="HOSP")
    elif case == "source_verified":
        party_services.party_verify(party=reported, actor=manager)
    elif case == "target_own_site":
        target = Party.objects.get(code="OWN")
    elif case == "target_unverified":
        source = Party.objects.create(
            code="SC-X",
            name="Other",
            party_type="hospital",
            review="unverified",
            reported_by=Party.objects.get(code="SUB"),
        )
        target = reported
    elif case == "target_inactive":
        Party.objects.filter(pk=target.pk).update(is_active=False)
    entries = AuditEntry.objects.count()
    before = list(
        Party.objects.order_by("pk").values_list("pk", "review", "merged_into", "is_active")
    )
    with pytest.raises(party_services.MergeRefused, match=message):
        party_services.party_merge(source=source, target=target, actor=manager)
    assert AuditEntry.objects.count() == entries
    assert (
        list(Party.objects.order_by("pk").values_list("pk", "review", "merged_into", "is_active"))
        == before
    )
    assert SubConsignee.objects.get().party_id == reported.pk
    assert reported.locations.count() == 1


def test_the_migration_puts_parties_reported_before_the_review_under_review(
    reported: Party,
) -> None:
    from django.apps import apps

    migration = importlib.import_module("medrecall.notices.migrations.0006_reply_hardening")
    Party.objects.filter(pk=reported.pk).update(
        review="established", reported_by=None
    )  # as the old code left it
    migration.mark_reported(apps, None)
    reported.refresh_from_db()
    assert (reported.review, reported.reported_by.code) == ("unverified", "SUB")
    assert (
        Party.objects.filter(review="unverified").count() == 1
    )  # SUB, HOSP2 and the others stay established
    migration.unmark_reported(apps, None)
    reported.refresh_from_db()
    assert (reported.review, reported.reported_by) == ("established", None)


def test_notice_pages_mark_the_reported_party_and_the_form_says_it_is_checked(
    reported: Party, manager: User, client: Client
) -> None:
    staff = Client()
    staff.force_login(manager)
    staff.cookies["medrecall_language"] = "en"
    recall_page = staff.get(
        f"/recalls/{reported.sub_consignee_of.get().recall_id}/notices/"
    ).content.decode()
    assert "Reported, unverified" in recall_page
    customer = staff.get(f"/customers/{reported.pk}/").content.decode()
    assert "Reported by " + Party.objects.get(code="SUB").name + ", unverified" in customer
    form = client.get(links.reply_path(Notice.objects.get(party=reported))).content.decode()
    assert (
        "在我方核实后才会与任何已有客户关联" in form
    )  # the reported party's language is Chinese (CN)


def test_a_return_to_the_reported_party_follows_the_units_to_the_target(
    reported: Party, manager: User
) -> None:
    """A reply cannot authorise a return for units outside the frozen scope, but staff may
    record one by hand; the merge takes it along with the location it picks up from."""
    from medrecall.execution.models import ReturnAuthorisation
    from medrecall.parties.models import Location

    ra = ReturnAuthorisation.objects.create(
        number="RA-TEST-1",
        recall=reported.sub_consignee_of.get().recall,
        party=reported,
        location=reported.locations.get(),
        quarantine=Location.objects.get(code="QUAR"),
        weight_kg=1,
        created_by=manager,
    )
    hosp2 = Party.objects.get(code="HOSP2")
    party_services.party_merge(source=reported, target=hosp2, actor=manager)
    ra.refresh_from_db()
    assert (ra.party_id, ra.location.party_id) == (hosp2.pk, hosp2.pk)
    entry = AuditEntry.objects.get(action="parties.reported_merged")
    assert entry.changes["moved"][1]["execution"] == {"returns": ["RA-TEST-1"], "work_orders": []}
