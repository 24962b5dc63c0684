"""Admin pages for accounts. Signatures are shown, never added, changed or deleted here:
a signature is written only by ``signatures.signature_apply`` and is part of the record."""

from __future__ import annotations

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
    readonly_fields = ("signer", "signer_name", "signed_at", "meaning", "target_type", "target_id",
                       "content_hash", "content", "reason", "step")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Signature | None = None) -> bool:
        return False

