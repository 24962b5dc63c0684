"""The ledger summed per recall and day (issue F performance: reports of a recall with 100,000
entries read this table, not the entries).

One row per (recall, day, category, source, currency, vendor, holder): how many entries and their
amounts in their own currency and in the company currency, reversals included. Kept by
``finance.rollup.rollup_add`` in the transaction that posts the entries (``ledger.cost_post``,
``ledger.cost_reverse``): an ``INSERT … ON CONFLICT DO UPDATE`` that adds, so two postings at
once to the same row both count, once each."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from medrecall.recalls.models import RecallCase

__all__ = ["CostRollup"]


class CostRollup(models.Model):
    recall = models.ForeignKey(
        RecallCase, on_delete=models.CASCADE, related_name="+", verbose_name=_("recall")
    )
    day = models.DateField(_("date"))
    category = models.CharField(_("category"), max_length=16)
    source = models.CharField(_("source"), max_length=12)
    currency = models.CharField(_("currency"), max_length=3)
    # The party's id, 0 for none: a key column the unique constraint compares on every database
    # (NULLs would be distinct and let a row be inserted twice).
    vendor_pk = models.BigIntegerField(_("vendor"), default=0)
    holder_pk = models.BigIntegerField(_("holder"), default=0)
    entries = models.IntegerField(_("entries"), default=0)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=0)
    company_amount = models.DecimalField(
        _("amount in company currency"), max_digits=18, decimal_places=2, default=0
    )

    class Meta:
        verbose_name = _("cost rollup")
        verbose_name_plural = _("cost rollups")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "recall",
                    "day",
                    "category",
                    "source",
                    "currency",
                    "vendor_pk",
                    "holder_pk",
                ],
                name="finance_rollup_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recall_id} {self.day} {self.category}: {self.company_amount}"
