"""Every API list and detail runs the same number of queries for one recall's records as for
three recalls' records: no query per row. Lists page alike (count, next, previous, results)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.execution.models import Disposition, ReturnAuthorisation, WorkOrder
from medrecall.notices.models import Notice, NoticeRun
from medrecall.parties.models import Party
from tests.budgets import BudgetWorld, budget_world, count_queries

pytestmark = pytest.mark.django_db


def _newest(world: BudgetWorld) -> dict[str, int]:
    recall = world.recalls[0]
    return {
        "recall": recall.pk,
        "notice": Notice.objects.filter(recall=recall)
        .order_by("-pk")
        .values_list("pk", flat=True)[0],
        "run": NoticeRun.objects.filter(recall=recall)
        .order_by("-pk")
        .values_list("pk", flat=True)[0],
        "return": ReturnAuthorisation.objects.filter(recall=recall).values_list("pk", flat=True)[0],
        "disposition": Disposition.objects.filter(recall=recall).values_list("pk", flat=True)[0],
        "work_order": WorkOrder.objects.filter(recall=recall).values_list("pk", flat=True)[0],
        "party": Party.objects.get(code="HOSP").pk,
    }


LISTS = [
    "/api/recalls/",
    "/api/recalls/due-this-week/",
    "/api/notices/",
    "/api/notices/overdue/",
    "/api/notice-templates/",
    "/api/customers/?q=H",
    "/api/offers/",
    "/api/execution/returns/",
    "/api/execution/dispositions/",
    "/api/execution/work-orders/",
    "/api/device-models/",
    "/api/lots/",
    "/api/serials/",
    "/api/parties/",
    "/api/parties/reported/?review=all",
    "/api/locations/",
    "/api/contacts/",
    "/api/imports/",
    "/api/events/",
    "/api/positions/",
]

DETAILS = [
    "/api/recalls/{recall}/",
    "/api/recalls/{recall}/deadlines/",
    "/api/recalls/{recall}/impact/",
    "/api/notices/{notice}/",
    "/api/notices/runs/{run}/",
    "/api/customers/{party}/timeline/",
    "/api/execution/recalls/{recall}/accounting/",
    "/api/execution/recalls/{recall}/holds/",
    "/api/execution/returns/{return}/",
]


@pytest.fixture
def world(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> BudgetWorld:
    return budget_world(tmp_path, manager, make_user)


def _counts(world: BudgetWorld, client: Any) -> dict[str, int]:
    counts = {}
    for url in LISTS + DETAILS:
        counts[url], response = count_queries(
            lambda url=url: client.get(url.format(**_newest(world)))
        )
        assert response.status_code == 200, (url, response.content)  # type: ignore[attr-defined]
    return counts


def test_query_counts_do_not_grow_with_rows(world: BudgetWorld, api_as: Any) -> None:
    client = api_as(world.manager)
    small = _counts(world, client)
    world.grow(2)
    assert _counts(world, client) == small


def test_lists_page_alike(world: BudgetWorld, api_as: Any) -> None:
    world.grow(2)
    client = api_as(world.manager)
    for url in LISTS:
        body = client.get(url, {"limit": 1}).json()
        assert set(body) == {"count", "next", "previous", "results"}, url
        assert len(body["results"]) == min(1, body["count"]), url
        assert (body["next"] is not None) == (body["count"] > 1), url
    recalls = client.get("/api/recalls/", {"limit": 2, "offset": 2}).json()
    assert (recalls["count"], len(recalls["results"])) == (9, 2)
    assert client.get("/api/notices/", {"limit": 5000}).json()["count"] == len(
        client.get("/api/notices/", {"limit": 5000}).json()["results"]
    )
