"""Sending e-mail notices exactly once in practice.

A send *claims* its notices with one conditional UPDATE (status queued/failed-and-due/
stale-sending -> sending, with a claim token), and each notice is marked sent in its own
statement right after the SMTP server accepted it. A worker killed mid-batch leaves at most the
one notice it was handing over in ``sending``; the lease (``MEDRECALL_SEND_LEASE_SECONDS``)
returns it to the sweep, and the stable Message-ID lets mail systems drop the rare duplicate of
that single message. Failures retry with a back-off up to ``MEDRECALL_SEND_MAX_ATTEMPTS``; a
refused recipient bounces at once.
"""

from __future__ import annotations

import contextlib
import smtplib
import time
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.parties.models import Channel
from medrecall.recalls.models import RecallCase

from . import links, mail
from .models import (
    Notice,
    NoticeEvent,
    NoticeStatus,
)


def _backoff(attempts: int, now: datetime) -> datetime | None:
    if attempts >= settings.MEDRECALL_SEND_MAX_ATTEMPTS:
        return None
    seconds = settings.MEDRECALL_SEND_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return now + timedelta(seconds=min(seconds, 6 * 3600))


def sendable() -> Q:
    """Notices a send may claim now: queued, failed and due, or stuck in a lapsed claim."""
    now = timezone.now()
    lease = now - timedelta(seconds=settings.MEDRECALL_SEND_LEASE_SECONDS)
    return (
        Q(status=NoticeStatus.QUEUED)
        | Q(status=NoticeStatus.FAILED, next_attempt_at__lte=now)
        | Q(status=NoticeStatus.SENDING, claimed_at__lt=lease)
    )


def _fail(notice: Notice, claim: str, error: str, *, permanent: bool) -> None:
    now = timezone.now()
    retry = None if permanent else _backoff(notice.attempts, now)
    status = NoticeStatus.BOUNCED if permanent else NoticeStatus.FAILED
    Notice.objects.filter(pk=notice.pk, claim=claim).update(
        status=status, next_attempt_at=retry, last_error=error[:2000]
    )
    NoticeEvent.objects.create(
        notice=notice,
        party_id=notice.party_id,
        recall_id=notice.recall_id,
        type=NoticeEvent.Type.BOUNCED if permanent else NoticeEvent.Type.FAILED,
        at=now,
        note=error[:2000],
    )


def _message(notice: Notice, pdf: bytes) -> bytes:
    """The notice as an e-mail. The open-tracking image goes into the sent copy only: staff
    viewing the stored notice must not count as the holder opening it."""
    pixel = f'<img src="{settings.MEDRECALL_BASE_URL}{links.open_path(notice)}" width="1" height="1" alt="">'
    return mail.compose(
        sender=settings.DEFAULT_FROM_EMAIL,
        recipient=notice.email,
        subject=notice.subject,
        message_id=notice.message_id,
        text=notice.body_text,
        html=notice.body_html.replace("</body>", pixel + "</body>", 1),
        attachment_name=f"{notice.recall.number}-{notice.pk}.pdf",
        attachment=pdf,
        extra_headers={"X-MedRecall-Notice": str(notice.pk)},
    )


def _mark_sent(notice: Notice, claim: str) -> None:
    """Record one accepted message at once (plain SQL: this runs per notice). On PostgreSQL one
    statement marks the notice and logs it; SQLite, in-process, takes two in a transaction."""
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    notices, events = Notice._meta.db_table, NoticeEvent._meta.db_table
    mark = (
        f"UPDATE {notices} SET status = %s, sent_at = %s, next_attempt_at = NULL, last_error = '' "  # noqa: S608
        "WHERE id = %s AND claim = %s"
    )
    log = (
        f"INSERT INTO {events} (notice_id, party_id, recall_id, type, at, actor_id, note) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, NULL, %s)"
    )
    marked: list[Any] = [NoticeStatus.SENT.value, at, notice.pk, claim]
    logged: list[Any] = [
        notice.pk,
        notice.party_id,
        notice.recall_id,
        NoticeEvent.Type.SENT.value,
        at,
        notice.email,
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH marked AS ({mark} RETURNING id) INSERT INTO {events} "  # noqa: S608
                "(notice_id, party_id, recall_id, type, at, actor_id, note) "
                "SELECT id, %s, %s, %s, %s, NULL, %s FROM marked",
                marked + logged[1:],
            )
        else:
            with transaction.atomic():
                cursor.execute(mark, marked)
                cursor.execute(log, logged)


def notices_send(
    notice_ids: list[int] | None = None, *, pdfs: dict[int, bytes] | None = None
) -> int:
    """Claim and send e-mail notices (these, or every sendable one); each is marked sent the
    moment the server accepts it. Returns how many were sent."""
    claim, claimed = _claim(notice_ids)
    if not claimed:
        return 0
    mailer = get_connection(fail_silently=False)
    try:
        mailer.open()
    except (OSError, smtplib.SMTPException) as error:
        _fail_all(claimed, claim, _("The mail server is unreachable: %(error)s") % {"error": error})
        return 0
    sent = 0
    renewed = time.monotonic()
    try:
        for index, notice in enumerate(claimed):
            renewed = _renew_claim(claim, renewed)
            try:
                sent += _send_one(mailer, notice, claim, (pdfs or {}).get(notice.pk))
            except _ServerStopped as stopped:
                _fail_all(
                    claimed[index if stopped.this_one_too else index + 1 :], claim, stopped.reason
                )
                break
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            mailer.close()
    if sent:
        RecallCase.objects.filter(
            pk__in={n.recall_id for n in claimed}, initiated_at__isnull=True
        ).update(initiated_at=timezone.now())
    return sent


def _renew_claim(claim: str, renewed: float) -> float:
    """Keep a live batch's claim from lapsing: every third of the lease, its notices still
    ``sending`` get a fresh ``claimed_at``, so only a dead worker's claim returns to the sweep."""
    now = time.monotonic()
    if now - renewed < settings.MEDRECALL_SEND_LEASE_SECONDS / 3:
        return renewed
    Notice.objects.filter(claim=claim, status=NoticeStatus.SENDING).update(
        claimed_at=timezone.now()
    )
    return now


def _claim(notice_ids: list[int] | None) -> tuple[str, list[Notice]]:
    """Claim the sendable e-mail notices (of ``notice_ids``) in one conditional UPDATE: a notice
    claimed here is claimed by no other send until the lease lapses."""
    claim = uuid4().hex
    # The conditions stand in the UPDATE's own WHERE, not in a subquery: a send that waited on a
    # row another send was claiming re-checks them on the row as that send left it (PostgreSQL
    # re-evaluates the WHERE of a blocked UPDATE), so it skips a notice claimed meanwhile.
    candidates = Notice.objects.filter(sendable(), channel=Channel.EMAIL).exclude(body_html="")
    if notice_ids is not None:
        candidates = candidates.filter(pk__in=notice_ids)
    candidates.update(
        status=NoticeStatus.SENDING,
        claim=claim,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    claimed = list(
        Notice.objects.filter(claim=claim, status=NoticeStatus.SENDING)
        .select_related("recall")
        .order_by("pk")
    )
    return claim, claimed


def _fail_all(notices: list[Notice], claim: str, error: str) -> None:
    for notice in notices:
        _fail(notice, claim, error, permanent=False)


class _ServerStopped(Exception):
    """The mail server will take no more of this batch: the rest fail with ``reason`` and are
    retried (``this_one_too``: the notice being handed over as well)."""

    def __init__(self, reason: str, *, this_one_too: bool) -> None:
        super().__init__(reason)
        self.reason, self.this_one_too = reason, this_one_too


def _send_one(mailer: BaseEmailBackend, notice: Notice, claim: str, pdf: bytes | None) -> int:
    """Hand one notice to the server and record it sent: 1, or 0 when the server refused it for
    good (bounced). ``_ServerStopped`` when the server takes no more of the batch."""
    if pdf is None and notice.pdf:
        with notice.pdf.open("rb") as stored:
            pdf = stored.read()
    try:
        raw = _message(notice, pdf or b"")
        if isinstance(mailer, SmtpBackend) and mailer.connection is not None:
            mailer.connection.sendmail(settings.DEFAULT_FROM_EMAIL, [notice.email], raw)
        else:  # the console, file or in-memory backends of development set-ups
            mailer.send_messages(
                [mail.RawEmail(raw, sender=settings.DEFAULT_FROM_EMAIL, recipient=notice.email)]
            )
    except smtplib.SMTPRecipientsRefused as error:
        _fail(
            notice,
            claim,
            _("The recipient was refused: %(error)s") % {"error": error},
            permanent=True,
        )
        return 0
    except smtplib.SMTPResponseException as error:
        permanent = 500 <= error.smtp_code < 600
        _fail(notice, claim, _server_answer(error), permanent=permanent)
        if permanent:
            return 0
        raise _ServerStopped(
            _("Not attempted: the mail server refused to continue."), this_one_too=False
        ) from error
    except (OSError, smtplib.SMTPException) as error:
        raise _ServerStopped(
            _("The connection to the mail server failed: %(error)s") % {"error": error},
            this_one_too=True,
        ) from error
    _mark_sent(notice, claim)
    return 1


def _server_answer(error: smtplib.SMTPResponseException) -> str:
    return _("The mail server answered %(code)s: %(error)s") % {
        "code": error.smtp_code,
        "error": error.smtp_error.decode(errors="replace")
        if isinstance(error.smtp_error, bytes)
        else error.smtp_error,
    }
