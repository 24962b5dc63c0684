"""The early-warning thresholds in the admin: one row, changed by an administrator (every change
is audited by ``AuditedAdmin``); the signals page shows what is in force."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from medrecall.audit.admin import AuditedAdmin

from .models import SignalPolicy


@admin.register(SignalPolicy)
class SignalPolicyAdmin(AuditedAdmin):
    regulated = True
    list_display = [
        "__str__",
        "min_complaints",
        "significance",
        "min_units",
        "min_ratio",
        "window_weeks",
        "recent_weeks",
        "cluster_days",
        "min_holders",
        "prior_complaints",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not SignalPolicy.objects.exists()

    def get_queryset(self, request: HttpRequest) -> Any:
        from .signals import policy

        policy()  # the row exists with its defaults before anyone opens the list
        return super().get_queryset(request)
