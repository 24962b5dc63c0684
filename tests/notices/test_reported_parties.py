"""A sub-consignee typed on a reply form (no log-in) never attaches to a party we already know:
it becomes a new party "reported by <holder>, unverified", notified of the units the holder
passed to it and nothing else, and its reply link answers for it alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from medrecall.accounts.models import User
from medrecall.notices import links, replies, services
from medrecall.notices.models import Notice, Reply, SubConsignee
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
    values = {"name": party.name, "country": party.country, "city": party.city, "address": party.address or "1 Road",
              "lot": "C1", "quantity": 20, "type": "hospital", "contact_name": "Mallory", "email": ATTACKER}
    return replies.SubConsigneeInput(**(values | overrides))


@pytest.fixture
def only_sub_notified(recall: RecallCase, manager: User, smtp: Any) -> RecallCase:
    """Notices went to the sub-distributor SUB only; HOSP (70 units on hand) has none yet."""
    services.notice_run_start(recall=recall, actor=manager, parties=[Party.objects.get(code="SUB").pk])
    work_off_queue()
    smtp.messages.clear()
    return recall


def test_a_reply_naming_an_existing_party_exactly_creates_a_new_unverified_party(
        only_sub_notified: RecallCase, smtp: Any, client: Client) -> None:
    hosp = Party.objects.get(code="HOSP")
    contacts_before = list(Contact.objects.filter(party=hosp).values_list("name", "email"))
    notice = notice_of("SUB")
    replies.reply_submit(notice=notice, respondent_name="Chen Jie", sub_consignees=[naming(hosp)],
                         quantities={key_of(notice): {"on_hand": 80, "to_return": 80, "distributed": 20}})
    work_off_queue()

    # A (HOSP) gained no contact, got no notice, and no mail speaks of its holdings.
    assert list(Contact.objects.filter(party=hosp).values_list("name", "email")) == contacts_before
    assert Notice.objects.filter(party=hosp).count() == 0
    # The sub-consignee is a new party, reported by SUB and unverified.
    reported = Party.objects.get(reported_by__code="SUB")
    assert reported.pk != hosp.pk
    assert (reported.name, reported.review, reported.party_type) == (hosp.name, "unverified", "hospital")
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
    assert list(Reply.objects.order_by("pk").values_list("party__code", flat=True)) == ["SUB", reported.code]
    assert Reply.objects.filter(party=hosp).count() == 0


def test_rows_naming_one_sub_consignee_twice_in_a_reply_share_one_new_party(
        only_sub_notified: RecallCase) -> None:
    hosp = Party.objects.get(code="HOSP")
    notice = notice_of("SUB")
    replies.reply_submit(notice=notice, respondent_name="Chen Jie",
                         sub_consignees=[naming(hosp, quantity=5), naming(hosp, quantity=15, address="2 Quay")],
                         quantities={key_of(notice): {"on_hand": 80, "distributed": 20}})
    reported = Party.objects.get(review="unverified")
    assert (reported.reported_by.code, reported.locations.count(), reported.contacts.count()) == ("SUB", 2, 1)
    assert sorted(SubConsignee.objects.values_list("party_id", "quantity")) == [(reported.pk, 5), (reported.pk, 15)]
    assert Party.objects.filter(name=hosp.name).count() == 2
