"""Reads shared by every context (``one_or_not_found``) and of import runs: a user sees their
own runs, administrators all."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from medrecall.core.errors import NotFound
from medrecall.core.types import Viewer

from .models import ImportRun

_Row = TypeVar("_Row", bound=Model)


def one_or_not_found(rows: QuerySet[_Row], missing: str) -> _Row:
    """The first of ``rows`` (already narrowed to what the viewer may see), or ``NotFound`` with
    the message ``missing``: a record that is not there and one the viewer may not see answer
    alike, so a portal user learns nothing of another party's records."""
    found = rows.first()
    if found is None:
        raise NotFound(missing)
    return found


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
    return one_or_not_found(
        import_run_list_for(viewer=viewer).filter(pk=pk), _("Import not found.")
    )
