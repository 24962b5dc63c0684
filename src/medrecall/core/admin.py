from django.contrib import admin

from .models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin[ImportRun]):
    list_display = ("created_at", "kind", "file_name", "status", "rows", "created_count", "rejected_count", "created_by")
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False
