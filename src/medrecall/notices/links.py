"""Signed, expiring, single-recipient links in notices: the reply form, the survey and the
open-tracking image. A link names one notice and carries that notice's random nonce, so it
cannot be guessed, reused for another holder or altered; it expires after
``MEDRECALL_REPLY_LINK_DAYS``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from .errors import LinkExpired, LinkInvalid

if TYPE_CHECKING:
    from .models import Notice

SALTS = {
    "reply": "medrecall.notices.reply",
    "survey": "medrecall.notices.survey",
    "open": "medrecall.notices.open",
}


def token_for(notice: Notice, purpose: str) -> str:
    return signing.dumps(
        {"n": notice.pk, "k": notice.token_nonce}, salt=SALTS[purpose], compress=True
    )


def reply_path(notice: Notice) -> str:
    return reverse("web:notice-reply", kwargs={"token": token_for(notice, "reply")})


def survey_path(notice: Notice) -> str:
    return reverse("web:notice-survey", kwargs={"token": token_for(notice, "survey")})


def open_path(notice: Notice) -> str:
    return reverse("web:notice-opened", kwargs={"token": token_for(notice, "open")})


def notice_for_token(token: str, purpose: str) -> Notice:
    """The notice a link names, or a clear refusal (tampered, unknown or expired)."""
    from .models import Notice

    try:
        payload = signing.loads(
            token, salt=SALTS[purpose], max_age=settings.MEDRECALL_REPLY_LINK_DAYS * 86400
        )
    except signing.SignatureExpired as expired:
        raise LinkExpired(
            _("This link has expired. Please call or e-mail us and we will send you a new one.")
        ) from expired
    except signing.BadSignature as bad:
        raise LinkInvalid(
            _(
                "This link is not valid: it may have been changed or cut short. Open the link exactly "
                "as it appears in the notice."
            )
        ) from bad
    notice = (
        Notice.objects.select_related("recall", "party", "contact", "parent")
        .filter(pk=payload.get("n"), token_nonce=payload.get("k"))
        .first()
    )
    if notice is None:
        raise LinkInvalid(_("This link is no longer valid: a newer notice replaced it."))
    return notice
