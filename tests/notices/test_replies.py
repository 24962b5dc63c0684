"""Replies: link security, quantities checked against what the holder had, sub-consignees
(typed or from a file) becoming holders with their own notices, one reply per holder, and
portal isolation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.core.errors import ImportRejected, ValidationFailed
from medrecall.core.states import ActionNotAllowed
from medrecall.notices import links, replies, selectors, send_runs
from medrecall.notices.models import Notice, Reply, SubConsignee
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(recall: RecallCase, manager: User, smtp: Any) -> RecallCase:
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    return recall


def notice_of(code: str) -> Notice:
    return Notice.objects.filter(party__code=code, kind="initial").order_by("pk").first()  # type: ignore[return-value]


def key_of(notice: Notice, lot: str = "C1") -> str:
    return next(line.key for line in replies.expected_lines(notice) if line.lot == lot)


def sub(**overrides: Any) -> replies.SubConsigneeInput:
    values = {
        "name": "Xiamen Clinic",
        "country": "中国",
        "city": "Xiamen",
        "address": "1 Harbour Road",
        "lot": "C1",
        "quantity": 20,
        "contact_name": "Dr Lin",
        "email": "lin@clinic.example",
    }
    return replies.SubConsigneeInput(**(values | overrides))


def test_the_reply_link_opens_the_form_for_that_holder_only(
    sent: RecallCase, client: Client
) -> None:
    notice = notice_of("SUB")
    page = client.get(links.reply_path(notice))
    assert page.status_code == 200
    body = page.content.decode()
    assert notice.party.name in body
    assert "C1" in body
    assert "reply-form" in body
    assert notice_of("HOSP2").party.name not in body
    assert 'id="reply-due"' in body
    pdf = client.get(links.reply_path(notice) + "notice.pdf")
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert client.get("/n/r/forged-token/notice.pdf").status_code == 404


def test_tampered_unknown_and_expired_links_are_refused(
    sent: RecallCase, client: Client, settings: Any
) -> None:
    notice = notice_of("SUB")
    path = links.reply_path(notice)
    token = path.rstrip("/").split("/")[-1]
    tampered = client.get(
        path.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    )
    assert tampered.status_code == 404
    assert "changed or cut short" in tampered.content.decode()
    forged = signing.dumps(
        {"n": notice.pk, "k": "0" * 16}, salt=links.SALTS["reply"], compress=True
    )
    assert (
        client.get(f"/n/r/{forged}/").status_code == 404
    )  # signed right, wrong nonce: no other holder's form
    other_purpose = links.token_for(notice, "survey")
    assert client.get(f"/n/r/{other_purpose}/").status_code == 404
    settings.MEDRECALL_REPLY_LINK_DAYS = 0
    expired = client.get(path)
    assert expired.status_code == 410
    assert "expired" in expired.content.decode()


def test_a_valid_reply_is_recorded_signed_and_audited(sent: RecallCase) -> None:
    notice = notice_of("SUB")
    reply = replies.reply_submit(
        notice=notice,
        respondent_name="Chen Jie",
        read_and_understood=True,
        quantities={key_of(notice): {"on_hand": 60, "to_return": 60, "used": 40}},
    )
    assert reply.via == "link"
    line = reply.lines.get()
    assert (line.expected, line.on_hand, line.to_return, line.used) == (100, 60, 60, 40)
    notice.refresh_from_db()
    assert notice.status == "replied"
    assert notice.replied_at is not None
    entry = AuditEntry.objects.filter(action="notices.reply_received").get()
    assert "Chen Jie" in entry.reason
    assert entry.actor is None


def test_quantities_above_what_the_holder_had_are_refused(sent: RecallCase) -> None:
    notice = notice_of("SUB")
    # SUB had 200 (100 still there or on the way to it, 100 passed on to HOSP).
    with pytest.raises(ValidationFailed, match="but you had 200") as refused:
        replies.reply_submit(
            notice=notice,
            respondent_name="Chen Jie",
            quantities={key_of(notice): {"on_hand": 150, "destroyed": 60}},
        )
    assert refused.value.where.startswith("lines.")
    with pytest.raises(ValidationFailed, match="at most the 5 units on hand"):
        replies.reply_submit(
            notice=notice,
            respondent_name="Chen Jie",
            quantities={key_of(notice): {"on_hand": 5, "to_return": 6}},
        )
    with pytest.raises(ValidationFailed, match="Sign the reply"):
        replies.reply_submit(notice=notice, respondent_name=" ", quantities={})
    assert Reply.objects.count() == 0


def test_passed_on_units_must_match_the_sub_consignees(sent: RecallCase) -> None:
    notice = notice_of("SUB")
    with pytest.raises(
        ValidationFailed, match="passed on 30 units, but the sub-consignees listed add up to 20"
    ):
        replies.reply_submit(
            notice=notice,
            respondent_name="Chen",
            sub_consignees=[sub()],
            quantities={key_of(notice): {"on_hand": 70, "distributed": 30}},
        )
    with pytest.raises(ValidationFailed) as refused:
        replies.reply_submit(
            notice=notice,
            respondent_name="Chen",
            sub_consignees=[
                sub(country="Atlantis", lot="ZZ9", quantity=0, contact_name="", email="")
            ],
            quantities={key_of(notice): {"on_hand": 100}},
        )
    wheres = {d["where"] for d in refused.value.details}
    assert {
        "sub_consignees.0.country",
        "sub_consignees.0.lot",
        "sub_consignees.0.quantity",
        "sub_consignees.0.contact_name",
    } <= wheres or {
        "sub_consignees.1.country",
        "sub_consignees.1.lot",
        "sub_consignees.1.quantity",
        "sub_consignees.1.contact_name",
    } <= wheres
    assert Reply.objects.count() == 0
    assert Party.objects.filter(name="Xiamen Clinic").count() == 0


def test_sub_consignees_become_holders_with_their_own_notices(sent: RecallCase, smtp: Any) -> None:
    notice = notice_of("SUB")
    replies.reply_submit(
        notice=notice,
        respondent_name="Chen Jie",
        sub_consignees=[sub()],
        quantities={key_of(notice): {"on_hand": 80, "to_return": 80, "distributed": 20}},
    )
    clinic = Party.objects.get(name="Xiamen Clinic")
    assert (clinic.country, clinic.party_type) == ("CN", "hospital")
    addition = SubConsignee.objects.get()
    assert (addition.reported_by.code, addition.quantity, addition.lot.number) == ("SUB", 20, "C1")
    assert list(selectors.scope_additions(sent.pk)) == [addition]
    work_off_queue()
    new_notice = Notice.objects.get(party=clinic)
    assert new_notice.total_units == 20
    assert new_notice.status == "sent"
    assert new_notice.lines[0]["lot"] == "C1"
    assert any(rcpt == ["lin@clinic.example"] for rcpt, _m in smtp.messages)
    # The clinic now has its own reply link and can report further.
    assert replies.expected_lines(new_notice)[0].quantity == 20


def test_a_sub_consignee_file_with_bad_rows_is_refused_whole(
    sent: RecallCase, tmp_path: Path
) -> None:
    path = tmp_path / "subs.csv"
    path.write_text(
        "name,country,city,address,lot,quantity,contact_name,email\n"
        "Good Clinic,CN,Xiamen,1 Road,C1,5,Dr A,a@x.example\n"
        ",Narnia,Xiamen,2 Road,C1,many,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as rejected:
        replies.sub_consignees_from_file(path, file_name="subs.csv")
    problems = {(e.row, e.column) for e in rejected.value.errors}
    assert {(3, "name"), (3, "country"), (3, "quantity"), (3, "contact_name")} <= problems
    assert all(e.row == 3 for e in rejected.value.errors)
    path.write_text(
        "name,country,city,address,lot,quantity,contact_name\nGood Clinic,China,Xiamen,1 Road,C1,5,Dr A\n",
        encoding="utf-8",
    )
    entries = replies.sub_consignees_from_file(path, file_name="subs.csv")
    assert [(e.name, e.quantity, e.row) for e in entries] == [("Good Clinic", 5, 2)]


@pytest.mark.parametrize("quantity", ["٣", "1_000", "²", "--5", "9" * 30, "1e3"])
def test_sub_consignee_quantities_are_whole_numbers_the_column_holds(
    tmp_path: Path, quantity: str
) -> None:
    path = tmp_path / "subs.csv"
    path.write_text(
        "name,country,city,address,lot,quantity,contact_name\n"
        f"Good Clinic,China,Xiamen,1 Road,C1,{quantity},Dr A\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as rejected:
        replies.sub_consignees_from_file(path, file_name="subs.csv")
    assert {(e.row, e.column) for e in rejected.value.errors} == {(2, "quantity")}
    assert (
        "whole number" in rejected.value.errors[0].message
        or "too large" in rejected.value.errors[0].message
    )


def test_one_reply_per_holder(sent: RecallCase) -> None:
    first, second = Notice.objects.filter(party__code="DIST").order_by("pk")
    replies.reply_submit(
        notice=first, respondent_name="Wang Li", quantities={key_of(first): {"on_hand": 350}}
    )
    with pytest.raises(replies.AlreadyReplied, match="already replied"):
        replies.reply_submit(
            notice=second, respondent_name="Zhao Min", quantities={key_of(second): {"on_hand": 1}}
        )
    second.refresh_from_db()
    assert second.status == "replied"  # both contacts' notices count as answered


def test_the_reply_form_round_trip_over_http(sent: RecallCase, client: Client) -> None:
    notice = notice_of("SUB")
    path = links.reply_path(notice)
    key = key_of(notice)
    chinese = client.get(path).content.decode()
    assert "签名并提交回执" in chinese  # the holder's language by default
    client.cookies["medrecall_language"] = "en"  # the holder switched to English on the page
    bad = client.post(path, {f"q-{key}-on_hand": "250", "respondent_name": "Chen"})
    assert bad.status_code == 400
    assert "but you had 200" in bad.content.decode()
    assert 'value="250"' in bad.content.decode()
    good = client.post(
        path,
        {
            f"q-{key}-on_hand": "80",
            f"q-{key}-distributed": "20",
            "respondent_name": "Chen",
            "sc-rows": "3",
            "sc-0-name": "Harbour Hospital",
            "sc-0-type": "hospital",
            "sc-0-country": "CN",
            "sc-0-city": "Xiamen",
            "sc-0-address": "9 Quay",
            "sc-0-phone": "0592-1234567",
            "sc-0-lot": "C1",
            "sc-0-quantity": "20",
        },
    )
    assert good.status_code == 200
    assert "reply-received" in good.content.decode()
    assert Party.objects.filter(name="Harbour Hospital").exists()
    again = client.get(path)
    assert "already-replied" in again.content.decode()


def test_acknowledge_and_open_tracking(sent: RecallCase, client: Client) -> None:
    notice = notice_of("SUB")
    token = links.token_for(notice, "reply")
    assert client.post(f"/n/r/{token}/acknowledge/").status_code == 302
    notice.refresh_from_db()
    assert notice.status == "acknowledged"
    other = notice_of("HOSP2")
    pixel = client.get(links.open_path(other))
    assert pixel["Content-Type"] == "image/gif"
    other.refresh_from_db()
    assert other.status == "opened"
    assert client.get("/n/o/garbage.gif").status_code == 200  # an image never errors


def test_replies_close_with_the_recall(sent: RecallCase) -> None:
    RecallCase.objects.filter(pk=sent.pk).update(status="closed")
    with pytest.raises(
        ActionNotAllowed,
        match=r"Recording a holder's reply is not possible while recall .* is Closed",
    ):
        replies.reply_submit(notice=notice_of("SUB"), respondent_name="Chen", quantities={})


def test_portal_users_see_and_answer_only_their_own_notices(
    sent: RecallCase, make_user: Any, client: Client
) -> None:
    sub_party = Party.objects.get(code="SUB")
    portal = make_user(Role.PORTAL, party=sub_party)
    client.force_login(portal)
    listing = client.get("/portal/notices/")
    assert listing.status_code == 200
    assert sent.number in listing.content.decode()
    own, foreign = notice_of("SUB"), notice_of("HOSP2")
    assert client.get(f"/portal/notices/{own.pk}/reply/").status_code == 200
    assert client.get(f"/portal/notices/{foreign.pk}/reply/").status_code == 404
    visible = selectors.notice_list_for(viewer=portal)
    assert {n.party_id for n in visible} == {sub_party.pk}
    key = key_of(own)
    response = client.post(
        f"/portal/notices/{own.pk}/reply/", {f"q-{key}-on_hand": "100", "respondent_name": "Chen"}
    )
    assert response.status_code == 200
    assert Reply.objects.get().via == "portal"


def test_link_lifetime_is_the_setting(sent: RecallCase, settings: Any) -> None:
    notice = notice_of("SUB")
    token = links.token_for(notice, "reply")
    assert links.notice_for_token(token, "reply") == notice
    settings.MEDRECALL_REPLY_LINK_DAYS = 0
    with pytest.raises(links.LinkExpired):
        links.notice_for_token(token, "reply")


def test_a_broken_sub_consignee_file_on_the_form_names_its_rows_and_keeps_nothing(
    sent: RecallCase, client: Client
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    notice = notice_of("SUB")
    key = key_of(notice)
    client.cookies["medrecall_language"] = "en"
    bad = SimpleUploadedFile(
        "subs.csv",
        b"name,country,city,address,lot,quantity\nClinic,Narnia,X,1 Road,C1,many\n",
        content_type="text/csv",
    )
    response = client.post(
        links.reply_path(notice),
        {
            f"q-{key}-on_hand": "90",
            f"q-{key}-distributed": "10",
            "respondent_name": "Chen",
            "sub_consignee_file": bad,
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "subs.csv, row 2, country" in body
    assert "subs.csv, row 2, quantity" in body
    assert Reply.objects.count() == 0
    assert not Party.objects.filter(name="Clinic").exists()


def test_a_missing_sub_consignee_field_is_named_by_its_label_in_either_language(
    sent: RecallCase,
) -> None:
    notice = notice_of("SUB")
    for language, message in (
        ("en", "Street address is required."),
        ("zh-hans", "详细地址 为必填项。"),
    ):
        with translation.override(language), pytest.raises(ValidationFailed) as refused:
            replies.reply_submit(
                notice=notice,
                respondent_name="Chen",
                sub_consignees=[sub(address="", quantity=30)],
                quantities={key_of(notice): {"on_hand": 70, "distributed": 30}},
            )
        assert [d["message"] for d in refused.value.details if d["where"].endswith(".address")] == [
            message
        ]
    assert Reply.objects.count() == 0
