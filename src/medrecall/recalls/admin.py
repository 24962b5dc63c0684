from django.contrib import admin

from medrecall.audit.admin import AuditedAdmin

from .models import ApprovalStep, RecallCase


@admin.register(ApprovalStep)
class ApprovalStepAdmin(AuditedAdmin):
    """Which signatures each regime and class needs before a recall is approved (changes audited;
    never deleted: past approvals were checked against them)."""

    regulated = True

    list_display = ("regime", "recall_class", "step", "label", "group", "distinct_signer")
    list_filter = ("regime", "recall_class")


@admin.register(RecallCase)
class RecallCaseAdmin(AuditedAdmin):
    """Read-only overview; recalls change through their own pages so every change is audited."""

    regulated = True

    list_display = ("number", "title", "status", "owner", "decision_at")
    search_fields = ("number", "title")
    list_filter = ("status",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
