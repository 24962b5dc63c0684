"""Budget alerts (F2): when a recall's actual cost, or its forecast, reaches a threshold of its
budget (``FinancePolicy.alert_thresholds``, by default 80 % and 100 %), the recall owner and the
finance users are told by e-mail and the alert shows on the recall's budget page.

Each alert is raised once per recall, budget version, kind (actual, forecast) and threshold: the
row's unique constraint decides, so a check that runs twice, or two workers at once, raise it
once. A mail is claimed before it is sent (``mailed_at``) and the claim released if sending fails,
so a retried task mails what was not mailed and nothing twice. A changed budget (a new version)
arms the thresholds again for the new figure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.recalls.models import RecallCase

from .forecast import recall_forecast
from .ledger import policy
from .models_budget import AlertKind, BudgetAlert, RecallBudget

FINAL = ("closed", "cancelled")


def thresholds() -> list[int]:
    """The policy's thresholds as whole percentages, each once, in order (bad entries ignored)."""
    found = set()
    for value in policy().alert_thresholds or []:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number <= 1000:
            found.add(number)
    return sorted(found)


def due(amount: Decimal, budget: Decimal, levels: list[int]) -> list[int]:
    """The thresholds ``amount`` has reached (amount ≥ threshold % of budget)."""
    return [level for level in levels if amount * 100 >= budget * level]


def budget_alerts_check(recall: RecallCase) -> list[BudgetAlert]:
    """Raise the alerts the recall's figures call for and mail them; the alerts raised now."""
    budget = RecallBudget.objects.filter(recall=recall).first()
    if budget is None:
        return []
    forecast = recall_forecast(recall)
    levels = thresholds()
    raised: list[BudgetAlert] = []
    for kind, amount in ((AlertKind.ACTUAL, forecast.actual), (AlertKind.FORECAST, forecast.total)):
        for level in due(amount, budget.total, levels):
            try:
                with transaction.atomic():
                    raised.append(
                        BudgetAlert.objects.create(
                            recall=recall,
                            budget_version=budget.version,
                            kind=kind,
                            threshold=level,
                            budget=budget.total,
                            amount=amount,
                            currency=budget.currency,
                        )
                    )
            except IntegrityError:
                continue
    mail_pending(recall)
    return raised


def recipients(recall: RecallCase) -> list[str]:
    """The recall owner and every active finance user with an e-mail address."""
    users = User.objects.filter(is_active=True).filter(
        Q(pk=recall.owner_id) | Q(groups__name=Role.FINANCE)
    )
    return sorted({email for email in users.values_list("email", flat=True) if email})


def _message(alert: BudgetAlert, recall: RecallCase) -> tuple[str, str]:
    figures = {
        "number": recall.number,
        "title": recall.display_title,
        "threshold": alert.threshold,
        "amount": alert.amount,
        "budget": alert.budget,
        "currency": alert.currency,
    }
    if alert.kind == AlertKind.ACTUAL:
        subject = _("[%(number)s] Actual cost reached %(threshold)s%% of the budget") % figures
        body = (
            _(
                "Recall %(number)s %(title)s has cost %(amount)s %(currency)s so far: "
                "%(threshold)s%% or more of its budget of %(budget)s %(currency)s."
            )
            % figures
        )
    else:
        subject = _("[%(number)s] Forecast reached %(threshold)s%% of the budget") % figures
        body = (
            _(
                "Recall %(number)s %(title)s is forecast to cost %(amount)s %(currency)s: "
                "%(threshold)s%% or more of its budget of %(budget)s %(currency)s."
            )
            % figures
        )
    return subject, body


def mail_pending(recall: RecallCase) -> int:
    """Mail the recall's alerts not mailed yet, each claimed first so it goes out once."""
    sent = 0
    to = recipients(recall)
    for alert in BudgetAlert.objects.filter(recall=recall, mailed_at__isnull=True).order_by("pk"):
        claimed = BudgetAlert.objects.filter(pk=alert.pk, mailed_at__isnull=True).update(
            mailed_at=timezone.now()
        )
        if not claimed:
            continue
        if not to:
            sent += 1
            continue
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = _message(alert, recall)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)
        except Exception:
            BudgetAlert.objects.filter(pk=alert.pk).update(mailed_at=None)
            raise
        sent += 1
    return sent


def recalls_to_check() -> QuerySet[RecallCase]:
    """Recalls with a budget that are not finished."""
    return RecallCase.objects.filter(budget__isnull=False).exclude(status__in=FINAL).order_by("pk")


def budget_alerts_sweep() -> int:
    """Check every recall with a budget; the number of alerts raised."""
    return sum(len(budget_alerts_check(recall)) for recall in recalls_to_check())


def alerts_of(recall: RecallCase) -> QuerySet[BudgetAlert]:
    """The recall's budget alerts, newest first."""
    return BudgetAlert.objects.filter(recall=recall).order_by("-raised_at", "-pk")


@dataclass(frozen=True)
class AlertNow:
    """A raised alert next to today's figures: an alert is raised once and kept, but the page
    does not claim 100 % when a reversal has brought the cost back under the threshold."""

    alert: BudgetAlert
    state: str  # "reached" (still at or above), "under" (back under it), "earlier" (old budget)
    percent: Decimal | None

    @property
    def text(self) -> str:
        if self.state == "earlier":
            return _("Raised against budget version %(version)s; the budget has changed since.") % {
                "version": self.alert.budget_version
            }
        if self.state == "under":
            return _("Now %(percent)s %%: back under the threshold.") % {"percent": self.percent}
        return _("Still %(percent)s %%.") % {"percent": self.percent}


def alerts_now(
    found: Iterable[BudgetAlert],
    *,
    budget_version: int | None,
    actual_percent: Decimal | None,
    forecast_percent: Decimal | None,
) -> list[AlertNow]:
    """Each alert with the current figure of its kind (no query: the figures are given)."""
    rows = []
    for alert in found:
        percent = actual_percent if alert.kind == AlertKind.ACTUAL else forecast_percent
        if alert.budget_version != budget_version or percent is None:
            rows.append(AlertNow(alert, "earlier", percent))
        else:
            rows.append(
                AlertNow(alert, "reached" if percent >= alert.threshold else "under", percent)
            )
    return rows
