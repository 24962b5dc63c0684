"""The audit log in the admin: read-only, with a page that verifies the hash chain."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry
from .services import verify_chain


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    list_display = ("sequence", "recorded_at", "actor_name", "action", "target_type", "target_id", "target_label")
    list_filter = ("action", "target_type")
    search_fields = ("actor_name", "action", "target_id", "target_label", "reason")
    ordering = ("-sequence",)
    change_list_template = "admin/audit/auditentry/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        return [path("verify/", self.admin_site.admin_view(self.verify_view), name="audit_auditentry_verify"),
                *super().get_urls()]

    def verify_view(self, request: HttpRequest) -> HttpResponse:
        broken = verify_chain()
        context = {**self.admin_site.each_context(request), "title": _("Verify the audit trail"),
                   "broken": broken, "total": AuditEntry.objects.count(), "opts": self.model._meta,
                   "first_bad": AuditEntry.objects.filter(sequence=broken.sequence).first() if broken else None}
        return TemplateResponse(request, "admin/audit/verify.html", context)
