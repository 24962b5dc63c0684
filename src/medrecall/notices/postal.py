"""Letters to post: the print queue of a recall, the letters bundled into one PDF to print, and
logging them as posted.
"""

from __future__ import annotations

import io

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.parties.models import Channel
from medrecall.recalls.models import RecallCase

from . import hooks
from .delivery import notice_contact_log
from .errors import NoLettersToPrint
from .models import (
    Notice,
    NoticeStatus,
)


def letters_to_post(recall: RecallCase) -> QuerySet[Notice]:
    """Letters rendered and not posted yet: the print queue of a recall."""
    return (
        Notice.objects.filter(recall=recall, channel=Channel.LETTER, status=NoticeStatus.GENERATED)
        .exclude(pdf="")
        .select_related("party")
        .order_by("party__code", "sequence", "pk")
    )


def letters_bundle(notices: QuerySet[Notice] | list[Notice]) -> bytes:
    """The letters as one PDF to print, each starting on a new page in the order given."""
    import pikepdf

    bundle = pikepdf.new()
    for notice in notices:
        with notice.pdf.open("rb") as stored, pikepdf.open(io.BytesIO(stored.read())) as letter:
            bundle.pages.extend(letter.pages)
    if not len(bundle.pages):
        raise NoLettersToPrint(_("There are no letters to print."))
    out = io.BytesIO()
    bundle.save(out)
    return out.getvalue()


@transaction.atomic
def letters_posted(*, notices: list[Notice], actor: User, note: str = "") -> int:
    """Log the letters as posted (who and when), as if one by one from each notice page."""
    with hooks.batched():  # one call for the batch, not one per letter
        for notice in notices:
            notice_contact_log(notice=notice, actor=actor, channel="letter", note=note)
    return len(notices)
