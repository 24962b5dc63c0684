from django.contrib import admin

from .models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin[ImportRun]):
    """Read-only: an import run is the record of what came in. (``core`` sits below ``audit``,
    so this one cannot use ``AuditedAdmin``; with no change and no delete there is nothing to audit.)"""

    list_display = ("created_at", "kind", "file_name", "status", "rows", "created_count", "rejected_count", "created_by")
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
