"""The import task on both real queues: the database queue and, when Redis runs, RQ."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction

from medrecall.accounts.models import User
from medrecall.catalog.models import DeviceModel
from medrecall.core import services
from medrecall.core.models import ImportRun

pytestmark = pytest.mark.django_db(transaction=True)

PRODUCTS = b"gtin,model_code,name,tracking\n06950000000019,PUMP-1,pump,serial\n"


def test_database_queue_runs_the_import_once(analyst: User) -> None:
    with transaction.atomic():
        run = services.import_run_start(
            kind="products",
            upload=ContentFile(PRODUCTS),
            file_name="p.csv",
            policy="reject",
            actor=analyst,
        )
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    run.refresh_from_db()
    assert (run.status, run.created_count) == ("accepted", 1)
    assert (
        services.import_run_execute(run_id=run.pk).status == "accepted"
    )  # a second run changes nothing
    assert DeviceModel.objects.count() == 1


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="REDIS_URL is not set (CI sets it on the PostgreSQL run)",
)
def test_redis_queue_runs_the_import(analyst: object, tmp_path: Path) -> None:
    import django_rq
    from django_tasks_rq import Job

    from medrecall.core.tasks import import_run_execute

    run = ImportRun(kind="products", file_name="p.csv", policy="reject", created_by=analyst)  # type: ignore[misc]
    run.source.save("p.csv", ContentFile(PRODUCTS), save=True)
    result = import_run_execute.using(backend="rq").enqueue(run_id=run.pk)
    queue = django_rq.get_queue("default", job_class=Job)
    worker = django_rq.get_worker("default", job_class=Job)
    worker.work(burst=True)
    run.refresh_from_db()
    assert (run.status, run.created_count) == ("accepted", 1)
    assert result.id
    queue.empty()
