"""The ledger in the admin: read only. Entries are posted and reversed through the ledger's
services (pages, API, command), never edited here; rates, unit costs and provider rates are
kept on the finance pages, where each change has its audit entry."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from medrecall.audit.admin import AuditedAdmin

from .models import CostEntry, DispositionCost, ExchangeRate, PostedLetter, ProviderRate


class ReadOnlyAdmin(AuditedAdmin):
    """Shown, never changed: the finance pages are where these are kept."""

    regulated = True

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CostEntry)
class CostEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "recall",
        "category",
        "amount",
        "currency",
        "company_amount",
        "incurred_on",
        "source",
        "source_key",
    ]
    list_filter = ["category", "source"]
    search_fields = ["number", "source_key", "document_reference"]
    list_select_related = ["recall"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ReadOnlyAdmin):
    list_display = ["rate_on", "currency", "rate", "source"]
    list_filter = ["currency", "source"]


@admin.register(DispositionCost)
class DispositionCostAdmin(ReadOnlyAdmin):
    list_display = ["kind", "device_model", "unit_cost", "currency"]


@admin.register(ProviderRate)
class ProviderRateAdmin(ReadOnlyAdmin):
    list_display = ["provider", "hourly_rate", "hours_per_work_order", "per_km", "currency"]


@admin.register(PostedLetter)
class PostedLetterAdmin(ReadOnlyAdmin):
    list_display = ["event", "entry"]
