from django.contrib import admin

from medrecall.audit.admin import AuditedAdmin

from .models import TraceEvent


@admin.register(TraceEvent)
class TraceEventAdmin(AuditedAdmin):
    """Read-only: events are append-only and come in through imports and capture."""

    regulated = True

    list_display = (
        "event_id",
        "event_type",
        "event_time",
        "lot",
        "serial",
        "quantity",
        "from_location",
        "to_location",
        "retracted",
    )
    search_fields = ("event_id", "document_ref", "lot__number")
    list_filter = ("event_type", "retracted")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
