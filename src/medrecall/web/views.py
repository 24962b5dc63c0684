"""Web views: home, health, language, master data (list/detail/edit) and imports."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from medrecall.accounts.middleware import remember_language
from medrecall.accounts.selectors import viewer_of
from medrecall.audit import services as audit
from medrecall.audit.selectors import history_for
from medrecall.core import selectors as core_selectors
from medrecall.core import services as core_services
from medrecall.core.errors import DomainError, NotFound
from medrecall.core.files import file_response
from medrecall.core.importing import Policy
from medrecall.core.presentation import party_name
from medrecall.core.regions import country_name
from medrecall.core.registry import importer_kinds, keeps_good_rows
from medrecall.core.templates import template_csv, template_xlsx
from medrecall.parties.models import Party

from .masterdata import ENTITIES, Entity
from .paging import Paged, paged


def healthz(request: HttpRequest) -> JsonResponse:
    """Database, task queue and (when configured) Redis: 200 when all answer, else 503. The
    database queue also reports tasks waiting and running, stale tasks and live workers."""
    checks: dict[str, dict[str, Any]] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as error:  # any failure means "down"; say which
        checks["database"] = {"ok": False, "error": type(error).__name__}
    backend = str(settings.TASKS["default"]["BACKEND"])
    try:
        if "django_tasks_db" in backend:
            from medrecall.core.workers import task_counts

            # Stale tasks (left running by a worker that is gone) are reported, not a failure:
            # the queue still works; `medrecall tasks requeue` or the next worker start recovers them.
            checks["task_queue"] = {"ok": True, "backend": "database", **task_counts()}
        else:
            checks["task_queue"] = {"ok": True, "backend": backend.rsplit(".", 1)[-1]}
    except Exception as error:  # any failure means "down"
        checks["task_queue"] = {"ok": False, "error": type(error).__name__}
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
            ).ping()
            checks["redis"] = {"ok": True}
        except Exception as error:  # any failure means "down"
            checks["redis"] = {"ok": False, "error": type(error).__name__}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered on the user and in a cookie."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    if request.user.is_authenticated and getattr(request.user, "language", None) != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response = HttpResponseRedirect(target)
    remember_language(response, language)
    return response


def _entity(slug: str, request: HttpRequest, action: str) -> Entity:
    entity = ENTITIES.get(slug)
    if entity is None:
        raise Http404
    if not request.user.has_perm(entity.perm(action)):
        raise PermissionDenied
    return entity


def _cell(obj: Any, name: str) -> Any:
    value = getattr(obj, name)
    if name == "country" and value:  # stored as an ISO code; read as the country's name
        return country_name(str(value), get_language() or settings.LANGUAGE_CODE)
    if isinstance(value, Party):  # a location's, contact's… party, named in the reader's language
        return _heading(value)
    display = getattr(obj, f"get_{name}_display", None)
    return display() if callable(display) else value


def _list_cell(obj: Any, name: str) -> Any:
    """A cell of a list: a party's name in the reader's language (its detail page shows both
    names as recorded)."""
    if isinstance(obj, Party) and name == "name":
        return party_name(obj)
    return _cell(obj, name)


def _heading(obj: Any) -> str:
    """How a record is named on its page: a party by code and its name in the reader's
    language (``str()`` keeps the recorded name, for audit labels)."""
    if isinstance(obj, Party):
        return f"{obj.code} {party_name(obj)}"
    return str(obj)


@login_required
def entity_list(request: HttpRequest, slug: str) -> HttpResponse:
    entity = _entity(slug, request, "view")
    search = request.GET.get("q", "").strip()
    kwargs: dict[str, Any] = {"viewer": request.user, "search": search}
    selected = request.GET.get(entity.filter_name, "") if entity.filter_name else ""
    if entity.filter_name:
        kwargs[entity.filter_name] = selected
    page = Paginator(entity.list_selector(**kwargs), 50).get_page(request.GET.get("page"))
    rows = [{"obj": obj, "cells": [_list_cell(obj, c) for c in entity.columns]} for obj in page]
    headers = [getattr(entity.model._meta.get_field(c), "verbose_name", c) for c in entity.columns]
    context = {
        "entity": entity,
        "page": page,
        "rows": rows,
        "headers": headers,
        "search": search,
        "selected": selected,
        "can_add": request.user.has_perm(entity.perm("add")),
    }
    if getattr(request, "htmx", False):  # set by django-htmx middleware
        return render(request, "web/entity_list.html#results", context)
    return render(request, "web/entity_list.html", context)


@login_required
def entity_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    entity = _entity(slug, request, "view")
    try:
        obj = entity.get_selector(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    fields = [
        (f.verbose_name, _cell(obj, f.name))
        for f in entity.model._meta.concrete_fields
        if f.name not in ("id",)
    ]
    related = []
    for selector, title, columns in entity.related:
        rows = selector(viewer=viewer_of(request), parent=obj)
        items = paged(request, rows, param=rows.model._meta.model_name)
        related.append(
            {
                "title": title,
                "headers": [rows.model._meta.get_field(c).verbose_name for c in columns],
                "rows": [[_cell(item, c) for c in columns] for item in items],
                "paged": items,
            }
        )
    history: Paged | list[object] = (
        []
        if getattr(request.user, "party_id", None)
        else paged(request, history_for(target=obj), param="history")
    )
    return render(
        request,
        "web/entity_detail.html",
        {
            "entity": entity,
            "obj": obj,
            "heading": _heading(obj),
            "fields": fields,
            "related": related,
            "history": history,
            "can_change": request.user.has_perm(entity.perm("change")),
        },
    )


@login_required
def entity_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    entity = _entity(slug, request, "change" if pk else "add")
    instance = None
    if pk is not None:
        try:
            instance = entity.get_selector(viewer=viewer_of(request), pk=pk)
        except NotFound as missing:
            raise Http404(missing.message) from missing
    form = entity.form(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            if entity.save is not None:
                obj = entity.save(
                    form=form, actor=request.user, reason=request.POST.get("reason", "")
                )
            else:
                obj = audit.audited_save(
                    instance=form.instance,
                    actor=request.user,
                    action=f"{entity.model._meta.label_lower}",
                    reason=request.POST.get("reason", ""),
                )
        except DomainError as refused:
            form.add_error(refused.where if refused.where in form.fields else None, refused.message)
        else:
            messages.success(request, _("Saved %(record)s.") % {"record": obj})
            return redirect("web:entity-detail", slug=entity.slug, pk=obj.pk)
    return render(
        request, "web/entity_form.html", {"entity": entity, "form": form, "obj": instance}
    )


# -- imports -----------------------------------------------------------------------------------


def _import_kinds_for(user: Any) -> list[tuple[str, Any]]:
    return [
        (kind, label)
        for kind, (_imp, label, perm) in importer_kinds().items()
        if user.has_perm(perm)
    ]


def _template_kinds_for(user: Any) -> list[tuple[str, Any]]:
    return [
        (kind, label)
        for kind, (imp, label, perm) in importer_kinds().items()
        if user.has_perm(perm) and getattr(imp, "offers_template", False)
    ]


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    kinds = _import_kinds_for(request.user)
    if not kinds:
        raise PermissionDenied
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        upload = request.FILES.get("file")
        if kind not in dict(kinds):
            messages.error(request, _("Choose what the file holds."))
        elif upload is None:
            messages.error(request, _("Choose a file to import."))
        elif upload.size and upload.size > settings.MEDRECALL_MAX_UPLOAD_BYTES:
            messages.error(
                request,
                _("The file is larger than %(limit)s MB; import it with the medrecall command.")
                % {"limit": settings.MEDRECALL_MAX_UPLOAD_BYTES // (1024 * 1024)},
            )
        else:
            try:
                run = core_services.import_run_start(
                    kind=kind,
                    upload=upload,
                    file_name=upload.name or "upload",
                    policy=Policy.KEEP_GOOD if request.POST.get("keep_good") else Policy.REJECT,
                    actor=request.user,
                )
            except DomainError as refused:
                messages.error(request, refused.message)
            else:
                return redirect("web:import-detail", pk=run.pk)
    runs = core_selectors.import_run_list_for(viewer=viewer_of(request))[:30]
    chosen = (
        request.GET.get("kind", "") if request.GET.get("kind", "") in dict(kinds) else kinds[0][0]
    )
    keep_good_kinds = {kind for kind, _label in kinds if keeps_good_rows(kind)}
    return render(
        request,
        "web/import_list.html",
        {
            "kinds": kinds,
            "runs": runs,
            "keep_good_kinds": keep_good_kinds,
            "keep_good_offered": chosen in keep_good_kinds,
            "template_kinds": _template_kinds_for(request.user),
        },
    )


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run = core_selectors.import_run_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    if getattr(request, "htmx", False):  # set by django-htmx middleware
        return render(request, "web/import_detail.html#progress", {"run": run})
    return render(request, "web/import_detail.html", {"run": run})


@login_required
def import_rejected_rows(request: HttpRequest, pk: int) -> FileResponse:
    try:
        run = core_selectors.import_run_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    if not run.rejected_rows:
        raise Http404
    return file_response(
        run.rejected_rows.open("rb"),
        filename=f"rejected-{run.kind}-{run.pk}.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
def import_template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    entry = importer_kinds().get(kind)
    if (
        entry is None
        or fmt not in ("csv", "xlsx")
        or not getattr(entry[0], "offers_template", False)
    ):
        raise Http404
    columns = entry[0].columns
    if fmt == "csv":
        response = HttpResponse(template_csv(columns), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            template_xlsx(columns, kind),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="medrecall-{kind}-template.{fmt}"'
    return response


def _error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "web/error.html", {"title": title, "message": message}, status=status)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error_page(
        request,
        404,
        _("Not found"),
        _("The page or record does not exist, or you may not see it."),
    )


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error_page(request, 403, _("Not allowed"), _("Your role does not allow this."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page(
        request,
        500,
        _("Something went wrong"),
        _("The error was logged. Please try again or tell your administrator."),
    )


def reverse_entity(slug: str) -> str:
    return reverse("web:entity-list", kwargs={"slug": slug})
