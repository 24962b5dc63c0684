"""Admin pages for accounts. Signatures are shown, never added, changed or deleted here:
a signature is written only by ``signatures.signature_apply`` and is part of the record."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django.contrib import admin
from django.http import HttpRequest

from medrecall.audit.admin import AuditedAdmin

from .models import Signature


@admin.register(Signature)
class SignatureAdmin(AuditedAdmin):
    regulated = True
    list_display = ("signed_at", "signer_name", "meaning", "target_type", "target_id", "step")
    list_filter = ("meaning", "target_type")
    search_fields = ("signer_name", "target_id", "content_hash")
    date_hierarchy = "signed_at"
    readonly_fields = (
        "signer",
        "signer_name",
        "signed_at",
        "meaning",
        "target_type",
        "target_id",
        "content_hash",
        "content",
        "reason",
        "step",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Signature | None = None) -> bool:
        return False


@admin.register(AccessAttempt)
class LoginAttemptAdmin(AuditedAdmin):
    """Failed log-ins as axes counts them, read-only: unlocking deletes counts, and is done on
    the lock-out page (``/accounts/lockouts/``), the API or ``medrecall accounts unlock`` so that
    it is audited with its reason."""

    list_display = (
        "attempt_time",
        "username",
        "ip_address",
        "failures_since_start",
        "path_info",
        "user_agent",
    )
    search_fields = ("username", "ip_address")
    date_hierarchy = "attempt_time"
    readonly_fields = (
        "attempt_time",
        "username",
        "ip_address",
        "user_agent",
        "failures_since_start",
        "path_info",
        "http_accept",
    )
    exclude = ("get_data", "post_data")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AccessAttempt | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
