from typing import Any, TypeVar

from django.contrib import admin
from django.db import models

from .models import ImportRun, TaskWorker

_M = TypeVar("_M", bound=models.Model)


class ReadOnlyAdmin(admin.ModelAdmin[_M]):
    """A record nobody adds, changes or deletes in the admin: every field shown read-only.
    (``core`` sits below ``audit``, so its admins cannot use ``AuditedAdmin``; with no change
    and no delete there is nothing to audit.)"""

    def get_readonly_fields(self, request: Any, obj: _M | None = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin[ImportRun]):
    """Read-only: an import run is the record of what came in."""

    list_display = (
        "created_at",
        "kind",
        "file_name",
        "status",
        "rows",
        "created_count",
        "rejected_count",
        "created_by",
    )
    list_filter = ("kind", "status")


# --- the task queue: stale tasks and workers ------------------------------------------------


def _register_task_admin() -> None:
    """django-tasks-db's task admin, plus what a gone worker left behind: a 'stale' filter, a
    warning with their number, and an action that recovers the chosen ones (core/workers.py)."""
    from django.contrib import messages
    from django.db.models import QuerySet
    from django.http import HttpRequest, HttpResponse
    from django.utils.translation import gettext as _
    from django.utils.translation import gettext_lazy
    from django_tasks_db.admin import DBTaskResultAdmin
    from django_tasks_db.models import DBTaskResult

    from . import workers

    class StaleFilter(admin.SimpleListFilter):
        title = gettext_lazy("stale")
        parameter_name = "stale"

        def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, Any]]:
            return [("yes", gettext_lazy("Left running by a worker that is gone"))]

        def queryset(self, request: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
            if self.value() == "yes":
                return queryset.filter(pk__in=[s.id for s in workers.stale_tasks()])
            return queryset

    class TaskResultAdmin(DBTaskResultAdmin):
        list_filter = (StaleFilter, *DBTaskResultAdmin.list_filter)  # type: ignore[assignment]
        actions = ["recover_stale"]

        def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
            if request.method == "GET" and (stale := workers.stale_tasks()):
                self.message_user(
                    request,
                    _(
                        "%(count)s task(s) were left running by a worker that is gone. Filter by "
                        "'stale' and recover them (re-queued where safe, else marked failed), "
                        "or run: medrecall tasks requeue"
                    )
                    % {"count": len(stale)},
                    messages.WARNING,
                )
            return super().changelist_view(request, extra_context)

        @admin.action(
            description=gettext_lazy(
                "Recover the chosen stale tasks (re-queue where safe, else mark failed)"
            ),
            permissions=["view"],
        )
        def recover_stale(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
            if not request.user.is_superuser:
                self.message_user(
                    request, _("Only an administrator may recover tasks."), messages.ERROR
                )
                return
            done = workers.stale_tasks_recover(
                ids={str(pk) for pk in queryset.values_list("pk", flat=True)}
            )
            requeued = sum(1 for s in done if s.action == workers.REQUEUE)
            self.message_user(
                request,
                _(
                    "%(requeued)s re-queued, %(failed)s marked failed; %(skipped)s of the chosen "
                    "were not stale."
                )
                % {
                    "requeued": requeued,
                    "failed": len(done) - requeued,
                    "skipped": queryset.count() - len(done),
                },
            )

    if admin.site.is_registered(DBTaskResult):
        admin.site.unregister(DBTaskResult)
    admin.site.register(DBTaskResult, TaskResultAdmin)


@admin.register(TaskWorker)
class TaskWorkerAdmin(ReadOnlyAdmin[TaskWorker]):
    """Read-only: the workers' heartbeats, written by the workers themselves."""

    list_display = ("worker_id", "hostname", "pid", "started_at", "seen_at", "stopped_at")


_register_task_admin()
