"""Recall intelligence: the public recall history (openFDA device recalls and enforcement reports).

One row per published record, both sources in one table so that a search and the statistics see
them together. The original free text is always kept beside what was parsed from it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy

from medrecall.core.models import TimeStampedModel


class Source(models.TextChoices):
    RECALL = "recall", pgettext_lazy("public recall", "FDA device recall")
    ENFORCEMENT = "enforcement", pgettext_lazy("public recall", "FDA enforcement report")


class PublicRecall(TimeStampedModel):
    """One openFDA record: ``device/recall`` (key ``cfres_id``) or ``device/enforcement`` (key
    ``recall_number``). ``codes`` holds what ``code_info`` says, parsed (lots, lot ranges,
    serials, serial ranges, models, software versions, UDIs); ``code_info_parsed`` is false when
    there was code information and nothing could be read from it."""

    source = models.CharField(
        pgettext_lazy("public recall", "source"), max_length=12, choices=Source.choices
    )
    key = models.CharField(pgettext_lazy("public recall", "natural key"), max_length=40)
    recall_number = models.CharField(
        pgettext_lazy("public recall", "FDA recall number"), max_length=40, blank=True
    )
    event_number = models.CharField(
        pgettext_lazy("public recall", "FDA event number"), max_length=20, blank=True
    )
    status = models.CharField(pgettext_lazy("public recall", "status"), max_length=40, blank=True)
    recall_class = models.PositiveSmallIntegerField(
        pgettext_lazy("public recall", "recall class"), null=True, blank=True
    )
    device_class = models.PositiveSmallIntegerField(
        pgettext_lazy("public recall", "device class"), null=True, blank=True
    )
    firm = models.CharField(
        pgettext_lazy("public recall", "recalling firm"), max_length=255, blank=True
    )
    firm_key = models.CharField(
        pgettext_lazy("public recall", "recalling firm (for matching)"), max_length=255, blank=True
    )
    city = models.CharField(pgettext_lazy("public recall", "city"), max_length=100, blank=True)
    state = models.CharField(pgettext_lazy("public recall", "state"), max_length=40, blank=True)
    postal_code = models.CharField(
        pgettext_lazy("public recall", "postal code"), max_length=20, blank=True
    )
    country = models.CharField(pgettext_lazy("public recall", "country"), max_length=60, blank=True)
    product_code = models.CharField(
        pgettext_lazy("public recall", "FDA product code"), max_length=8, blank=True
    )
    device_name = models.CharField(
        pgettext_lazy("public recall", "device name"), max_length=255, blank=True
    )
    product_description = models.TextField(pgettext_lazy("public recall", "product"), blank=True)
    reason = models.TextField(pgettext_lazy("public recall", "reason for the recall"), blank=True)
    root_cause = models.CharField(
        pgettext_lazy("public recall", "root cause"), max_length=100, blank=True
    )
    action = models.TextField(pgettext_lazy("public recall", "action"), blank=True)
    initiated_on = models.DateField(
        pgettext_lazy("public recall", "initiated on"), null=True, blank=True
    )
    posted_on = models.DateField(
        pgettext_lazy("public recall", "posted or reported on"), null=True, blank=True
    )
    classified_on = models.DateField(
        pgettext_lazy("public recall", "created or classified on"), null=True, blank=True
    )
    terminated_on = models.DateField(
        pgettext_lazy("public recall", "terminated on"), null=True, blank=True
    )
    days_open = models.PositiveIntegerField(
        pgettext_lazy("public recall", "days from initiation to termination"), null=True, blank=True
    )
    quantity_text = models.TextField(
        pgettext_lazy("public recall", "product quantity (as published)"), blank=True
    )
    quantity = models.BigIntegerField(
        pgettext_lazy("public recall", "quantity"), null=True, blank=True
    )
    quantity_unit = models.CharField(
        pgettext_lazy("public recall", "quantity unit"), max_length=40, blank=True
    )
    code_info = models.TextField(
        pgettext_lazy("public recall", "code information (as published)"), blank=True
    )
    codes = models.JSONField(
        pgettext_lazy("public recall", "codes read from the code information"),
        default=dict,
        blank=True,
    )
    code_info_parsed = models.BooleanField(
        pgettext_lazy("public recall", "code information read"), default=True
    )
    distribution_text = models.TextField(
        pgettext_lazy("public recall", "distribution pattern (as published)"), blank=True
    )
    nationwide = models.BooleanField(pgettext_lazy("public recall", "US nationwide"), default=False)
    worldwide = models.BooleanField(pgettext_lazy("public recall", "worldwide"), default=False)
    states = models.JSONField(pgettext_lazy("public recall", "US states"), default=list, blank=True)
    countries = models.JSONField(
        pgettext_lazy("public recall", "countries"), default=list, blank=True
    )
    k_numbers = models.JSONField(
        pgettext_lazy("public recall", "510(k) numbers"), default=list, blank=True
    )
    search_document = models.TextField(
        pgettext_lazy("public recall", "searchable text"), blank=True
    )

    class Meta:
        verbose_name = pgettext_lazy("public recall", "public recall record")
        verbose_name_plural = pgettext_lazy("public recall", "public recall records")
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="intelligence_source_key")
        ]
        indexes = [
            models.Index(fields=["product_code", "initiated_on"], name="intel_code_initiated"),
            models.Index(fields=["root_cause", "initiated_on"], name="intel_cause_initiated"),
            models.Index(fields=["firm_key", "initiated_on"], name="intel_firm_initiated"),
            models.Index(fields=["initiated_on"], name="intel_initiated"),
            # The statistics read only these columns: an index-only scan instead of the wide
            # rows (about 3 KB each with their texts). Migration 0002.
            models.Index(
                fields=[
                    "source",
                    "root_cause",
                    "recall_class",
                    "device_class",
                    "initiated_on",
                    "days_open",
                    "quantity",
                    "code_info_parsed",
                    "id",
                ],
                name="intel_statistics",
            ),
        ]
        ordering = ["-initiated_on", "-id"]

    def __str__(self) -> str:
        return self.recall_number or f"{self.source} {self.key}"
