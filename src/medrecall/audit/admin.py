"""The audit log in the admin: read-only, with a page that verifies the hash chain; and the
one mixin every ModelAdmin of the project uses, so the admin is no back door around the trail.

``AuditedAdmin``: every save and delete through the admin (inlines and many-to-many included)
writes an ``admin.<app>.<model>.created|changed|deleted`` entry with old → new, in the admin's
own transaction. ``regulated = True`` (records the audit trail covers: recalls, approval steps,
signatures, events, holds, …) removes deletion altogether: no delete button, no bulk action.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db import models, transaction
from django.forms import BaseModelFormSet, ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from . import services as audit
from .models import AuditEntry
from .services import verify_chain

if TYPE_CHECKING:
    _Base = admin.ModelAdmin[Any]
else:
    _Base = admin.ModelAdmin

_SKIPPED = {"created_at", "updated_at"}


def _action(obj: models.Model, verb: str) -> str:
    return f"admin.{obj._meta.app_label}.{obj._meta.model_name}.{verb}"


def _stored(model: type[models.Model], pks: list[Any]) -> dict[Any, dict[str, Any]]:
    """The rows as the database holds them (the form has already changed the instances)."""
    if not pks:
        return {}
    return {row.pk: audit.snapshot(row) for row in model._default_manager.filter(pk__in=pks)}


def _changes(before: dict[str, Any], obj: models.Model) -> dict[str, list[Any]]:
    changes = audit.diff(before, audit.snapshot(obj))
    for name in _SKIPPED:
        changes.pop(name, None)
    return changes


def _m2m(obj: models.Model) -> dict[str, list[Any]]:
    if obj.pk is None:
        return {}
    return {
        f.name: sorted(getattr(obj, f.name).values_list("pk", flat=True))
        for f in obj._meta.many_to_many
    }


class AuditedAdmin(_Base):
    """Audit every admin change; refuse deletion of regulated records."""

    regulated = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if self.regulated else super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if self.regulated:
            actions.pop("delete_selected", None)
        return actions

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        before = (
            _stored(type(obj), [obj.pk]).get(obj.pk, {}) if change and obj.pk is not None else {}
        )
        super().save_model(request, obj, form, change)
        changes = _changes(before, obj)
        if not change or changes:
            audit.record(
                actor=request.user,
                action=_action(obj, "changed" if change else "created"),
                target=obj,
                changes=changes,
            )

    def save_related(
        self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool
    ) -> None:
        obj = form.instance
        before = _m2m(obj)
        super().save_related(request, form, formsets, change)
        after = _m2m(obj)
        if changed := {
            name: [before.get(name, []), pks]
            for name, pks in after.items()
            if before.get(name, []) != pks
        }:
            audit.record(
                actor=request.user, action=_action(obj, "changed"), target=obj, changes=changed
            )

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm[Any],
        formset: BaseModelFormSet[Any, Any],
        change: bool,
    ) -> None:
        pks = {id(f.instance): f.instance.pk for f in formset.forms if f.instance.pk is not None}
        model: type[models.Model] = formset.model  # type: ignore[assignment]
        before = _stored(model, list(pks.values()))
        super().save_formset(request, form, formset, change)
        for obj in formset.deleted_objects:  # their pk is gone now: use the one they had
            pk = pks.get(id(obj))
            audit.record(
                actor=request.user,
                action=_action(obj, "deleted"),
                target_type=obj._meta.label_lower,
                target_id=str(pk),
                target_label=str(obj)[:255],
                changes={
                    name: [value, None]
                    for name, value in before.get(pk, {}).items()
                    if name not in _SKIPPED
                },
            )
        for obj in formset.new_objects:
            audit.record(
                actor=request.user,
                action=_action(obj, "created"),
                target=obj,
                changes=_changes({}, obj),
            )
        for obj, _fields in formset.changed_objects:
            if changes := _changes(before.get(obj.pk, {}), obj):
                audit.record(
                    actor=request.user, action=_action(obj, "changed"), target=obj, changes=changes
                )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._record_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        with transaction.atomic():  # the bulk action runs outside the admin's transaction
            for obj in queryset:
                self._record_deletion(request, obj)
            super().delete_queryset(request, queryset)

    def _record_deletion(self, request: HttpRequest, obj: models.Model) -> None:
        audit.record(
            actor=request.user,
            action=_action(obj, "deleted"),
            target=obj,
            changes={
                name: [value, None]
                for name, value in audit.snapshot(obj).items()
                if name not in _SKIPPED
            },
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditedAdmin):
    list_display = (
        "sequence",
        "recorded_at",
        "actor_name",
        "action",
        "target_type",
        "target_id",
        "target_label",
    )
    list_filter = ("action", "target_type")
    search_fields = ("actor_name", "action", "target_id", "target_label", "reason")
    ordering = ("-sequence",)
    change_list_template = "admin/audit/auditentry/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    regulated = True

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "verify/",
                self.admin_site.admin_view(self.verify_view),
                name="audit_auditentry_verify",
            ),
            *super().get_urls(),
        ]

    def verify_view(self, request: HttpRequest) -> HttpResponse:
        broken = verify_chain()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Verify the audit trail"),
            "broken": broken,
            "total": AuditEntry.objects.count(),
            "opts": self.model._meta,
            "first_bad": AuditEntry.objects.filter(sequence=broken.sequence).first()
            if broken
            else None,
        }
        return TemplateResponse(request, "admin/audit/verify.html", context)
