"""Import runs and task workers are records the admin shows and never edits: no add, change or
delete, every field read-only (``core/admin.py`` ``ReadOnlyAdmin``)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client, RequestFactory

from medrecall.accounts.models import User
from medrecall.core.admin import ReadOnlyAdmin
from medrecall.core.models import ImportRun, TaskWorker


@pytest.mark.parametrize("model", [ImportRun, TaskWorker], ids=["import run", "task worker"])
def test_the_admin_of_a_record_of_what_happened_is_read_only(model: type[Model]) -> None:
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/")

    assert isinstance(model_admin, ReadOnlyAdmin)
    assert (
        model_admin.has_add_permission(request),
        model_admin.has_change_permission(request),
        model_admin.has_delete_permission(request),
    ) == (False, False, False)
    assert model_admin.get_readonly_fields(request) == [f.name for f in model._meta.fields]


def test_even_an_administrator_cannot_add_an_import_run_in_the_admin(
    db: None, client: Client
) -> None:
    client.force_login(
        User.objects.create_superuser("root", "root@example.com", "a long enough password 1")
    )

    assert client.get("/admin/core/importrun/add/").status_code == 403
    assert client.get("/admin/core/taskworker/add/").status_code == 403
    assert client.get("/admin/core/importrun/").status_code == 200
