"""Generating and sending notices: one per recipient with exactly that holder's lines, in
their language and regime, HTML + PDF, through a real SMTP server; retries, bounces and
never twice."""

from __future__ import annotations

import io
import smtplib
from email.header import decode_header, make_header
from typing import Any

import pytest
from django.test import override_settings
from pypdf import PdfReader

from medrecall.accounts.models import User
from medrecall.core.errors import ValidationFailed
from medrecall.core.states import ActionNotAllowed
from medrecall.notices import delivery, followup, send_runs
from medrecall.notices.models import Notice, NoticeEvent, NoticeRun
from medrecall.recalls.models import RecallCase
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_run_sends_one_notice_per_recipient_with_their_own_lines(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    run = send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    run.refresh_from_db()
    assert run.status == NoticeRun.Status.DONE
    notices = {n.recipient_key: n for n in Notice.objects.select_related("party", "contact")}
    by_party: dict[str, list[Notice]] = {}
    for notice in notices.values():
        by_party.setdefault(notice.party.code, []).append(notice)
    # DIST has two contacts → two notices; HOSP has none → one letter; our own site gets none.
    assert {code: len(items) for code, items in by_party.items()} == {
        "DIST": 2,
        "SUB": 1,
        "HOSP": 1,
        "HOSP2": 1,
    }
    assert {code: items[0].total_units for code, items in by_party.items()} == {
        "DIST": 350,
        "SUB": 100,
        "HOSP": 70,
        "HOSP2": 50,
    }
    assert by_party["HOSP"][0].channel == "letter"
    assert by_party["HOSP"][0].status == "generated"
    assert run.total == 5
    assert run.rendered == 5
    sent = {rcpt[0]: message for rcpt, message in smtp.messages}
    assert set(sent) == {
        "wang@dist.example",
        "zhao@dist.example",
        "chen@sub.example",
        "smith@hosp2.example",
    }
    assert all(n.status == "sent" for n in notices.values() if n.channel == "email")
    assert sorted(NoticeEvent.objects.filter(type="sent").values_list("note", flat=True)) == sorted(
        n.email for n in notices.values() if n.channel == "email"
    )  # each send is in the communication log
    sent_at = [n.sent_at for n in notices.values() if n.channel == "email"]
    assert all(
        at is not None
        and at.tzinfo is not None
        and abs((at - run.created_at).total_seconds()) < 600
        for at in sent_at
    )
    chinese = sent["chen@sub.example"]
    assert "医疗器械召回通知" in chinese["Subject"]
    assert recall.number in chinese["Subject"]
    html = chinese.get_body(("html",)).get_content()
    assert "召回原因" in html
    assert "C1" in html
    assert "/n/r/" in html
    assert "/n/o/" in html  # the sent copy counts opening; the stored copy staff view does not
    assert "/n/o/" not in Notice.objects.get(email="chen@sub.example").body_html
    attachment = next(chinese.iter_attachments())
    text = pdf_text(attachment.get_content())
    assert "医疗器械召回通知" in text
    assert "C1" in text
    assert "100" in text
    english = sent["smith@hosp2.example"]
    assert "Medical device recall" in english["Subject"]
    assert "What you must do" in english.get_body(("html",)).get_content()
    assert "50" in pdf_text(next(english.iter_attachments()).get_content())
    recall.refresh_from_db()
    assert recall.initiated_at is not None  # the first holder was notified: the NMPA clock moves on
    # Running again sends nothing twice.
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    assert len(smtp.messages) == 4
    assert Notice.objects.count() == 5


def test_each_regime_uses_its_template(
    tmp_path: Any, manager: User, make_user: Any, smtp: Any, settings: Any
) -> None:
    from medrecall.notices import fsn
    from tests.conftest import PASSWORD
    from tests.notices.conftest import approved_recall

    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "srn": "CN-MF-000012345"}
    recall = approved_recall(tmp_path, manager, make_user, regimes=("fda", "eu_mdr"))
    fsn.fsn_override_sign(
        recall=recall,
        actor=manager,
        reason="Patients at risk today.",
        authority="BfArM",
        reference="phone call 2025-03-01",
        password=PASSWORD,
        username=manager.username,
    )
    from medrecall.parties.models import Party

    Party.objects.filter(code__in=["DIST", "SUB"]).update(country="US")
    Party.objects.filter(code="HOSP2").update(country="DE")
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    regimes = dict(Notice.objects.values_list("party__code", "regime").distinct())
    assert regimes["DIST"] == "fda"
    assert regimes["HOSP2"] == "eu_mdr"
    subjects = {rcpt[0]: str(m["Subject"]).strip() for rcpt, m in smtp.messages}
    assert subjects["smith@hosp2.example"].startswith("Urgent Field Safety Notice")
    assert subjects["chen@sub.example"].startswith(
        "紧急（URGENT）：医疗器械召回"
    )  # FDA letter, in Chinese for this contact
    html = {rcpt[0]: m.get_body(("html",)).get_content() for rcpt, m in smtp.messages}
    assert "Transmission of this notice" in html["smith@hosp2.example"]
    assert "#b00020" in html["smith@hosp2.example"]  # marked urgent


def test_notices_need_an_approved_recall(recall: RecallCase, manager: User) -> None:
    RecallCase.objects.filter(pk=recall.pk).update(status="assessment")
    recall.refresh_from_db()
    with pytest.raises(
        ActionNotAllowed,
        match=r"is Assessment \(possible when it is: Approved / in execution, "
        r"Effectiveness check\)",
    ):
        send_runs.notice_run_start(recall=recall, actor=manager)
    assert NoticeRun.objects.count() == 0


def test_server_down_then_retried_with_back_off_and_sent_once(
    recall: RecallCase, manager: User, smtp: Any, settings: Any
) -> None:
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9  # nothing listens there
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    failed = Notice.objects.filter(channel="email")
    assert {n.status for n in failed} == {"failed"}
    assert all(n.attempts == 1 for n in failed)
    assert all(n.next_attempt_at is not None for n in failed)
    assert "unreachable" in failed[0].last_error
    assert followup.retries_due() == 0  # not due yet: back-off
    Notice.objects.update(next_attempt_at="2000-01-01T00:00:00Z")
    settings.EMAIL_PORT = port
    assert followup.retries_due() == 4
    work_off_queue()
    assert {n.status for n in Notice.objects.filter(channel="email")} == {"sent"}
    assert len(smtp.messages) == 4
    assert followup.retries_due() == 0
    work_off_queue()
    assert len(smtp.messages) == 4


def test_attempts_stop_after_the_limit(
    recall: RecallCase, manager: User, smtp: Any, settings: Any
) -> None:
    settings.EMAIL_PORT, settings.MEDRECALL_SEND_MAX_ATTEMPTS = 9, 2
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    Notice.objects.update(next_attempt_at="2000-01-01T00:00:00Z")
    followup.retries_due()
    work_off_queue()
    notice = Notice.objects.filter(channel="email").first()
    assert notice is not None
    assert notice.attempts == 2
    assert notice.next_attempt_at is None
    from medrecall.notices.selectors import overdue_queue

    assert notice in overdue_queue(viewer=manager)  # customer service takes over


class Refusing:
    """An SMTP handler that refuses one recipient permanently."""

    def __init__(self, inbox: Any) -> None:
        self.inbox = inbox

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("zhao@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        return await self.inbox.handle_DATA(server, session, envelope)


def test_a_refused_recipient_bounces_and_the_others_go(
    recall: RecallCase, manager: User, smtp: Any, settings: Any
) -> None:
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Refusing(smtp), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_PORT = port
    try:
        send_runs.notice_run_start(recall=recall, actor=manager)
        work_off_queue()
    finally:
        controller.stop()
    statuses = dict(Notice.objects.filter(channel="email").values_list("email", "status"))
    assert statuses == {
        "wang@dist.example": "sent",
        "zhao@dist.example": "bounced",
        "chen@sub.example": "sent",
        "smith@hosp2.example": "sent",
    }
    assert NoticeEvent.objects.filter(type="bounced").count() == 1
    assert len(smtp.messages) == 3


def test_delivery_reports_move_notices_forward_only(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    notice = Notice.objects.filter(channel="email").first()
    assert notice is not None
    delivery.notice_delivery_report(message_id=notice.message_id, outcome="delivered")
    delivery.notice_opened(notice=notice)
    delivery.notice_delivery_report(
        message_id=notice.message_id, outcome="delivered"
    )  # late, changes nothing
    notice.refresh_from_db()
    assert notice.status == "opened"
    assert notice.delivered_at
    assert notice.opened_at
    with pytest.raises(ValidationFailed, match="delivered or bounced"):
        delivery.notice_delivery_report(message_id=notice.message_id, outcome="lost")
    with pytest.raises(Exception, match="No notice"):
        delivery.notice_delivery_report(message_id="<nope@x>", outcome="delivered")


def test_letters_and_calls_are_logged_with_who_and_when(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    letter = Notice.objects.get(channel="letter")
    assert letter.pdf
    assert letter.pdf.size > 1000
    delivery.notice_contact_log(notice=letter, actor=manager, channel="letter", note="EMS 1234")
    letter.refresh_from_db()
    assert letter.status == "sent"
    with pytest.raises(ValidationFailed, match="call achieved"):
        delivery.notice_contact_log(notice=letter, actor=manager, channel="call")
    delivery.notice_contact_log(
        notice=letter, actor=manager, channel="call", note="Head nurse confirmed", acknowledged=True
    )
    letter.refresh_from_db()
    assert letter.status == "acknowledged"
    logged = list(
        NoticeEvent.objects.filter(notice=letter, actor=manager).values_list("type", flat=True)
    )
    assert logged == ["letter", "call", "acknowledged"]


@override_settings(MEDRECALL_SEND_BATCH=2)
def test_smtp_errors_mid_batch_leave_the_rest_for_retry(
    recall: RecallCase, manager: User, smtp: Any, monkeypatch: Any
) -> None:
    calls = {"n": 0}
    original = smtplib.SMTP.sendmail

    def flaky(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise smtplib.SMTPServerDisconnected("connection dropped")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "sendmail", flaky)
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    statuses = sorted(Notice.objects.filter(channel="email").values_list("status", flat=True))
    assert statuses.count("failed") == 1
    assert statuses.count("sent") == 3
    Notice.objects.filter(status="failed").update(next_attempt_at="2000-01-01T00:00:00Z")
    followup.retries_due()
    work_off_queue()
    assert len(smtp.messages) == 4
    assert len({m["Message-ID"] for _r, m in smtp.messages}) == 4


def test_other_mail_backends_receive_the_same_message(
    recall: RecallCase, manager: User, settings: Any
) -> None:
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    assert len(mail.outbox) == 4
    chinese = next(m for m in mail.outbox if m.to == ["chen@sub.example"]).message()
    assert "医疗器械召回通知" in str(make_header(decode_header(chinese["Subject"])))
    assert [part.get_content_type() for part in chinese.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
    ]
