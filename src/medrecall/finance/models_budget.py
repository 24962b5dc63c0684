"""Budget, forecast assumptions and alerts of a recall.

A recall has at most one budget: a total and, optionally, an amount per cost category, in the
company currency, set by finance (every change audited with before and after). The budget also
keeps the two assumptions the forecast needs where the records do not say yet: the disposition
path planned for units whose disposition is not decided, and the service provider planned for
work orders not yet opened. A budget alert is raised once per recall, budget version, kind and
threshold (the database refuses a second row), so a sweep that runs twice alerts once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from medrecall.execution.lifecycle import DispositionKind
from medrecall.execution.models import ServiceProvider
from medrecall.recalls.models import RecallCase

from .models import CostCategory

__all__ = ["AlertKind", "BudgetAlert", "BudgetLine", "RecallBudget"]

USER = settings.AUTH_USER_MODEL


class RecallBudget(models.Model):
    """What finance allows a recall to cost, in the company currency."""

    recall = models.OneToOneField(
        RecallCase, on_delete=models.CASCADE, related_name="budget", verbose_name=_("recall")
    )
    total = models.DecimalField(_("budget"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    planned_disposition = models.CharField(
        _("planned disposition"),
        max_length=20,
        choices=DispositionKind.choices,
        blank=True,
        help_text=_("For units whose disposition is not decided yet."),
    )
    planned_provider = models.ForeignKey(
        ServiceProvider,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("planned service provider"),
        help_text=_("For work orders not opened yet."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("recall budget")
        verbose_name_plural = _("recall budgets")
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="finance_budget_positive")
        ]

    def __str__(self) -> str:
        return f"{self.recall_id}: {self.total} {self.currency}"


class BudgetLine(models.Model):
    """The part of a budget allowed for one cost category."""

    budget = models.ForeignKey(RecallBudget, on_delete=models.CASCADE, related_name="lines")
    category = models.CharField(_("category"), max_length=16, choices=CostCategory.choices)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["budget", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "category"], name="finance_budget_line_once_per_category"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="finance_budget_line_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.budget_id} {self.category} {self.amount}"


class AlertKind(models.TextChoices):
    ACTUAL = "actual", _("Actual cost reached")
    FORECAST = "forecast", _("Forecast reached")


class BudgetAlert(models.Model):
    """A threshold of a budget crossed: raised once, mailed to the owner and finance, shown on the
    recall's budget page. The figures are those seen when it was raised."""

    recall = models.ForeignKey(
        RecallCase, on_delete=models.CASCADE, related_name="budget_alerts", verbose_name=_("recall")
    )
    budget_version = models.PositiveIntegerField(_("budget version"))
    kind = models.CharField(_("alert"), max_length=10, choices=AlertKind.choices)
    threshold = models.PositiveSmallIntegerField(_("threshold (% of budget)"))
    budget = models.DecimalField(_("budget"), max_digits=16, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    mailed_at = models.DateTimeField(_("mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("budget alert")
        verbose_name_plural = _("budget alerts")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recall", "budget_version", "kind", "threshold"],
                name="finance_budget_alert_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recall_id} {self.kind} {self.threshold}%"
