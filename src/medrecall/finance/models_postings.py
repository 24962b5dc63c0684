"""What the automatic postings need beyond the ledger: which posted letters their postage
entry covers (one entry per send run and posting batch, each letter in exactly one)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from medrecall.notices.models import NoticeEvent

__all__ = ["PostedLetter"]


class PostedLetter(models.Model):
    """A posted letter (its log entry) and the postage entry that paid for it. The letter is the
    primary key, so no letter is paid for twice, whatever posts it (the task or the sweep)."""

    event = models.OneToOneField(
        NoticeEvent,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("letter posted"),
    )
    entry = models.ForeignKey(
        "finance.CostEntry",
        on_delete=models.PROTECT,
        related_name="letters",
        verbose_name=_("cost entry"),
    )

    class Meta:
        verbose_name = _("postage of a letter")
        verbose_name_plural = _("postage of letters")

    def __str__(self) -> str:
        return f"{self.event_id} → {self.entry_id}"
