"""Reads of import runs: a user sees their own runs, administrators all."""

from __future__ import annotations

from django.db.models import QuerySet

from medrecall.core.errors import NotFound
from medrecall.core.types import Viewer

from .models import ImportRun


def import_run_list_for(*, viewer: Viewer, kind: str = "") -> QuerySet[ImportRun]:
    runs = ImportRun.objects.select_related("created_by")
    if kind:
        runs = runs.filter(kind=kind)
    if viewer.party_id is not None:
        return runs.none()
    if not viewer.has_perm("core.view_importrun"):
        runs = runs.filter(created_by_id=viewer.pk)
    return runs


def import_run_get_for(*, viewer: Viewer, pk: int) -> ImportRun:
    run = import_run_list_for(viewer=viewer).filter(pk=pk).first()
    if run is None:
        from django.utils.translation import gettext as _

        raise NotFound(_("Import not found."))
    return run
