"""Every page, list and download runs the same number of queries for one recall's records as
for three recalls' records: no query per row; lists page instead of cutting rows off."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from medrecall.accounts.models import User
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.core.models import ImportRun
from medrecall.execution.models import Disposition, ReturnAuthorisation, WorkOrder
from medrecall.notices.models import Notice, NoticeTemplate
from medrecall.parties.models import Party
from tests.budgets import BudgetWorld, budget_world, count_queries
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/imports/",
    "/imports/{import_run}/",
    "/recalls/",
    "/recalls/due-this-week/",
    "/recalls/{recall}/",
    "/recalls/{recall}/impact.xlsx",
    "/recalls/{recall}/notices/",
    "/notices/templates/",
    "/notices/templates/{template}/",
    "/notices/overdue/",
    "/notices/{notice}/",
    "/customers/?q=H",
    "/customers/{party}/",
    "/execution/",
    "/execution/recalls/{recall}/",
    "/execution/returns/{return}/",
    "/execution/warehouse/",
    "/execution/warehouse/{return}/",
    "/execution/dispositions/{disposition}/",
    "/execution/work-orders/",
    "/execution/work-orders/{work_order}/",
    "/trace/?gtin=" + CATH + "&lot={lot}",
    "/events/",
    "/data/devicemodel/",
    "/data/devicemodel/{device_model}/",
    "/data/lot/",
    "/data/lot/{lot_id}/",
    "/data/serial/",
    "/data/party/",
    "/data/party/{party}/",
    "/parties/reported/?review=all",
    "/data/location/",
    "/data/contact/",
]


def _newest(world: BudgetWorld) -> dict[str, object]:
    recall = world.recalls[0]
    lot = recall.current_snapshot.lines.values_list("lot__number", "lot_id")[0]  # type: ignore[union-attr]
    return {
        "recall": recall.pk,
        "lot": lot[0],
        "lot_id": lot[1],
        "import_run": ImportRun.objects.order_by("-pk").values_list("pk", flat=True)[0],
        "template": NoticeTemplate.objects.order_by("pk").values_list("pk", flat=True)[0],
        "notice": Notice.objects.filter(recall=recall)
        .order_by("-pk")
        .values_list("pk", flat=True)[0],
        "return": ReturnAuthorisation.objects.filter(recall=recall).values_list("pk", flat=True)[0],
        "disposition": Disposition.objects.filter(recall=recall).values_list("pk", flat=True)[0],
        "work_order": WorkOrder.objects.filter(recall=recall).values_list("pk", flat=True)[0],
        "party": Party.objects.get(code="HOSP").pk,
        "device_model": DeviceModel.objects.get(udi_di=CATH).pk,
    }


@pytest.fixture
def world(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> BudgetWorld:
    return budget_world(tmp_path, manager, make_user)


def _counts(world: BudgetWorld, client: Client) -> dict[str, int]:
    counts = {}
    for url in PAGES:
        counts[url], response = count_queries(
            lambda url=url: client.get(url.format(**_newest(world)))
        )
        assert response.status_code == 200, (url, response.status_code)  # type: ignore[attr-defined]
    return counts


def test_page_query_counts_do_not_grow_with_rows(world: BudgetWorld) -> None:
    client = Client()
    client.force_login(world.manager)
    small = _counts(world, client)
    world.grow(2)
    assert _counts(world, client) == small
    assert Lot.objects.count() >= 3
