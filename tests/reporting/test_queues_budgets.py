"""The home page, the portfolio, every work queue and their API run the same number of queries
for one recall's records as for three recalls' records (each queue section growing too)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.execution import services as execution
from medrecall.execution.models import ReturnAuthorisation, ServiceProvider, WorkOrder
from medrecall.notices import relations
from medrecall.notices.models import Notice, Offer
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from medrecall.reporting.queues import QUEUES, QueueItems, queue_for
from tests.budgets import BudgetWorld, budget_world, count_queries

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/?recalls=2&due=2&overdue=2",
    "/portfolio/",
    *(f"/queues/{role}/" for role in QUEUES),
]
API = [
    "/api/home/",
    "/api/home/recalls/",
    "/api/home/deadlines/",
    "/api/home/deadlines/?state=overdue",
    "/api/portfolio/",
    "/api/portfolio/products/",
    *(f"/api/queues/{role}/" for role in QUEUES),
]


def _feed(world: BudgetWorld, boss: User) -> None:
    """What the budget world leaves out of the queues: returns on their way, an offer waiting
    per recall, the service partner's technician being the one who looks."""
    for ra in ReturnAuthorisation.objects.filter(status="authorised"):
        execution.return_transition(ra=ra, target="picked_up", actor=world.manager)
    for recall in RecallCase.objects.filter(status="in_execution").exclude(offers__isnull=False):
        relations.offer_propose(
            recall=recall,
            party=Party.objects.get(code="HOSP"),
            kind="credit",
            description="Credit",
            actor=world.manager,
            amount=Decimal("10.00"),
        )
    ServiceProvider.objects.update(technician=boss)


@pytest.fixture
def world(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> BudgetWorld:
    return budget_world(tmp_path, manager, make_user)


@pytest.fixture
def boss(make_user: Callable[..., User]) -> User:
    """A superuser: every queue is theirs."""
    user = make_user(Role.QA_RA_MANAGER)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


def _sizes(boss: User) -> dict[str, list[int]]:
    return {role: QueueItems(queue_for(viewer=boss, role=role)).counts for role in QUEUES}


def _counts(urls: list[str], get: Callable[[str], object]) -> dict[str, int]:
    found = {}
    for url in urls:
        found[url], response = count_queries(lambda url=url: get(url))
        assert response.status_code == 200, (url, response.status_code)  # type: ignore[attr-defined]
    return found


def test_pages_and_api_query_counts_do_not_grow_with_recalls(
    world: BudgetWorld, boss: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The session's "last seen" is written at most once a minute: a request that happens to
    # write it runs three more queries (savepoint, update, release), whatever the page.
    monkeypatch.setattr("medrecall.accounts.middleware.SEEN_RESOLUTION", 10**9)
    _feed(world, boss)
    client, api = Client(), APIClient()
    client.force_login(boss)
    api.force_authenticate(boss)
    small = {**_counts(PAGES, client.get), **_counts(API, api.get)}
    sizes = _sizes(boss)
    world.grow(2)
    _feed(world, boss)
    grown = _sizes(boss)
    for role in (Role.WAREHOUSE, Role.FIELD_SERVICE, Role.QA_RA_MANAGER, Role.FINANCE):
        assert sum(grown[role]) > sum(sizes[role]), role  # every queue has more rows now
    assert grown[Role.CUSTOMER_SERVICE] != sizes[Role.CUSTOMER_SERVICE]
    assert Offer.objects.count() == 3
    assert WorkOrder.objects.filter(provider__technician=boss).count() == 3
    assert Notice.objects.count() > 0
    assert {**_counts(PAGES, client.get), **_counts(API, api.get)} == small


def test_the_queue_and_open_recalls_commands_keep_their_query_counts_as_recalls_grow(
    world: BudgetWorld, boss: User
) -> None:
    import io

    from django.core.management import call_command

    commands = [
        *(["queue", role, "--user", boss.username, "--json"] for role in QUEUES),
        ["recall", "list", "--open", "--json"],
    ]

    def counts() -> dict[str, int]:
        found = {}
        for args in commands:
            out = io.StringIO()
            found[" ".join(args)], _ = count_queries(
                lambda args=args, out=out: call_command(*args, stdout=out)
            )
            assert out.getvalue().startswith(("[", "{")), args
        return found

    _feed(world, boss)
    small = counts()
    before = RecallCase.objects.count()
    world.grow(2)
    _feed(world, boss)
    assert RecallCase.objects.count() > before
    assert counts() == small
