"""The home page, the queue pages, the portfolio, their API and ``medrecall queue``: what each
role sees, what a portal user never sees, and refusals answered without a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.notices import relations
from medrecall.notices.models import Offer
from medrecall.notices.notify_by import holders_notify_by
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def offer(noticed: RecallCase, make_user: Callable[..., User]) -> Offer:
    return relations.offer_propose(
        recall=noticed,
        party=Party.objects.get(code="HOSP"),
        kind="credit",
        description="Credit for 70 catheters",
        actor=make_user(Role.CUSTOMER_SERVICE),
        quantity=70,
        amount=Decimal("3500.00"),
    )


@pytest.fixture
def portal(make_user: Callable[..., User]) -> User:
    """A holder's portal user, even put in staff role groups: it sees none of this."""
    from django.contrib.auth.models import Group

    user = make_user(Role.PORTAL, party=Party.objects.get(code="HOSP"))
    for role in (Role.CUSTOMER_SERVICE, Role.QA_RA_MANAGER, Role.FINANCE):
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.mark.parametrize(
    ("role", "queue_cards", "master_data"),
    [
        ("customer_service", ["customer_service"], False),
        ("warehouse", ["warehouse"], False),
        ("field_service", ["field_service"], False),
        ("qa_ra_manager", ["qa_ra_manager"], False),
        ("finance", ["finance"], False),
        ("traceability_analyst", [], True),
        ("viewer", [], False),
    ],
)
def test_home_shows_each_role_its_queues_and_every_open_recall(
    noticed: RecallCase,
    make_user: Callable[..., User],
    role: str,
    queue_cards: list[str],
    master_data: bool,
) -> None:
    page = logged_in(make_user(role)).get("/").content.decode()
    assert 'id="open-recalls"' in page
    assert f'data-recall="{noticed.number}"' in page
    assert "China NMPA I" in " ".join(page.split())  # the level per regime
    cards = [role for role in Role.__dict__.values() if f'data-role="{role}"' in page]
    assert cards == queue_cards
    assert ('id="master-data"' in page) is master_data


def test_administrator_keeps_the_master_data_counts(make_user: Callable[..., User]) -> None:
    page = logged_in(make_user(Role.ADMINISTRATOR)).get("/").content.decode()
    assert 'id="master-data"' in page
    assert "/data/party/" in page


def test_portal_users_see_none_of_it(noticed: RecallCase, portal: User, offer: Offer) -> None:
    client = logged_in(portal)
    home = client.get("/").content.decode()
    for hidden in ('id="open-recalls"', 'id="my-queues"', "data-role=", 'id="master-data"'):
        assert hidden not in home
    # The recall is named only on the holder's own notice to answer (its portal home).
    own = home[home.index('id="portal-notices"') : home.index('id="portal-returns"')]
    assert home.count(noticed.number) == own.count(noticed.number) == 1
    for url in ("/portfolio/", "/queues/customer_service/", "/queues/finance/"):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/queues/finance/offers/{offer.pk}/", {"decision": "approve"}).status_code
        == 404
    )
    api = APIClient()
    api.force_authenticate(portal)
    for url in (
        "/api/home/",
        "/api/home/recalls/",
        "/api/home/deadlines/",
        "/api/portfolio/",
        "/api/portfolio/products/",
        "/api/queues/customer_service/",
    ):
        assert api.get(url).status_code == 403, url
    assert Offer.objects.get(pk=offer.pk).status == "proposed"


def test_queue_page_links_each_item_to_its_action(
    noticed: RecallCase, make_user: Callable[..., User]
) -> None:
    page = logged_in(make_user(Role.CUSTOMER_SERVICE)).get("/queues/customer_service/")
    text = page.content.decode()
    assert page.status_code == 200
    assert f'href="/recalls/{noticed.pk}/notices/#letters"' in text  # the letter to HOSP
    assert 'id="silent"' in text
    assert 'id="reply_differs"' in text


def test_a_queue_not_held_is_refused_and_an_unknown_one_is_not_found(
    make_user: Callable[..., User],
) -> None:
    client = logged_in(make_user(Role.WAREHOUSE))
    assert client.get("/queues/finance/").status_code == 403
    assert client.get("/queues/cashier/").status_code == 404
    api = APIClient()
    api.force_authenticate(make_user(Role.WAREHOUSE))
    refused = api.get("/api/queues/finance/")
    assert (refused.status_code, refused.json()["code"]) == (403, "queue_not_yours")
    unknown = api.get("/api/queues/cashier/")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "queue_unknown")
    assert (
        "customer_service, warehouse, field_service, qa_ra_manager, finance"
        in unknown.json()["message"]
    )


def test_finance_approves_an_offer_from_its_queue(
    offer: Offer, make_user: Callable[..., User]
) -> None:
    client = logged_in(make_user(Role.FINANCE))
    queue = client.get("/queues/finance/").content.decode()
    assert f'id="offer-{offer.pk}"' in queue
    assert f'action="/queues/finance/offers/{offer.pk}/"' in queue
    response = client.post(f"/queues/finance/offers/{offer.pk}/", {"decision": "approve"})
    assert (response.status_code, response["Location"]) == (302, "/queues/finance/")
    assert Offer.objects.get(pk=offer.pk).status == "approved"
    assert f'id="offer-{offer.pk}"' not in client.get("/queues/finance/").content.decode()


def test_rejecting_without_a_note_is_refused_and_changes_nothing(
    offer: Offer, make_user: Callable[..., User]
) -> None:
    client = logged_in(make_user(Role.FINANCE))
    entries = AuditEntry.objects.count()
    response = client.post(
        f"/queues/finance/offers/{offer.pk}/", {"decision": "reject"}, follow=True
    )
    assert response.status_code == 200
    assert "message error" in response.content.decode()
    assert Offer.objects.get(pk=offer.pk).status == "proposed"
    assert AuditEntry.objects.count() == entries


def test_a_role_without_the_approval_may_not_decide(
    offer: Offer, make_user: Callable[..., User]
) -> None:
    client = logged_in(make_user(Role.CUSTOMER_SERVICE))
    assert (
        client.post(f"/queues/finance/offers/{offer.pk}/", {"decision": "approve"}).status_code
        == 403
    )
    assert Offer.objects.get(pk=offer.pk).status == "proposed"


def test_portfolio_page_says_root_causes_are_missing(
    noticed: RecallCase, make_user: Callable[..., User]
) -> None:
    page = logged_in(make_user(Role.VIEWER)).get("/portfolio/").content.decode()
    assert 'id="root-cause-missing"' in page
    assert 'id="chart-months"' in page
    assert "portfolio-data" in page
    assert "/static/web/portfolio.js" in page


# -- API --------------------------------------------------------------------------------------


def test_api_home_counts_and_open_recalls(noticed: RecallCase, manager: User) -> None:
    api = APIClient()
    api.force_authenticate(manager)
    home = api.get("/api/home/").json()
    assert home["open_recalls"] == 1
    assert home["overdue"] > 0
    assert [q["role"] for q in home["queues"]] == ["qa_ra_manager"]
    deadlines = home["queues"][0]["sections"][0]
    assert (deadlines["key"], deadlines["count"]) == (
        "deadlines",
        home["due_this_week"] + home["overdue"],
    )
    recalls = api.get("/api/home/recalls/").json()
    assert recalls["count"] == 1
    (row,) = recalls["results"]
    assert (
        row["number"],
        row["levels"],
        row["affected"],
        row["recovered"],
        row["percent_recovered"],
    ) == (
        noticed.number,
        [{"regime": "nmpa", "recall_class": "I"}],
        970,
        0,
        0.0,
    )
    assert row["next_deadline"]["status"] == "breached"
    overdue = api.get("/api/home/deadlines/?state=overdue&limit=2").json()
    assert overdue["count"] == home["overdue"]
    assert len(overdue["results"]) == 2
    assert {"legal", "provisional", "recall"} <= set(overdue["results"][0])
    bad = api.get("/api/home/deadlines/?state=soon")
    assert (bad.status_code, bad.json()["code"], bad.json()["where"]) == (400, "invalid", "state")


def test_api_queue_pages_its_items(noticed: RecallCase, make_user: Callable[..., User]) -> None:
    api = APIClient()
    api.force_authenticate(make_user(Role.CUSTOMER_SERVICE))
    body = api.get("/api/queues/customer_service/?limit=1").json()
    assert [s["key"] for s in body["sections"]] == [
        "not_notified",
        "silent",
        "overdue",
        "bounced",
        "letter",
        "call",
        "reply_differs",
    ]
    # First the holders past their notify-by time with nothing delivered or acknowledged.
    overdue = [h for h in holders_notify_by([noticed])[noticed.pk] if h.overdue]
    assert overdue
    assert body["count"] == len(overdue) + 1
    (item,) = body["results"]
    assert (item["section"], item["target"], item["reference"], item["action_url"]) == (
        "not_notified",
        "notify_by",
        overdue[0].code,
        f"/recalls/{noticed.pk}/notices/holders/?state=overdue",
    )
    letters = api.get(f"/api/queues/customer_service/?limit=1&offset={len(overdue)}").json()
    (item,) = letters["results"]
    assert (item["section"], item["target"], item["reference"], item["action_url"]) == (
        "letter",
        "letters",
        "HOSP",
        f"/recalls/{noticed.pk}/notices/#letters",
    )


def test_api_portfolio(noticed: RecallCase, manager: User) -> None:
    api = APIClient()
    api.force_authenticate(manager)
    body = api.get("/api/portfolio/").json()
    assert body["root_cause_field"] is None
    assert body["days_from_decision_to_completion"]["count"] == 0
    assert sum(m["opened"] for m in body["per_month"]) == 1
    (product,) = api.get("/api/portfolio/products/").json()["results"]
    assert (product["recalls"], product["open_recalls"]) == (1, 1)


# -- command line -----------------------------------------------------------------------------


def _command(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_medrecall_queue_json_matches_the_api(
    noticed: RecallCase, offer: Offer, make_user: Callable[..., User]
) -> None:
    finance = make_user(Role.FINANCE)
    body = json.loads(_command("queue", "finance", "--user", finance.username, "--json"))
    assert body["count"] == 1
    assert [(s["key"], s["count"]) for s in body["sections"]] == [
        ("refunds", 0),
        ("payments", 0),
        ("offers", 1),
    ]
    api = APIClient()
    api.force_authenticate(finance)
    assert body["results"] == api.get("/api/queues/finance/").json()["results"]
    text = _command("queue", "finance", "--user", finance.username)
    assert f"/queues/finance/#offer-{offer.pk}" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["finance"], "Give --user: whose queue to list."),
        (["finance", "--user", "nobody"], "There is no user"),
        (["cashier", "--user", "{user}"], "There is no work queue cashier"),
        (
            ["customer_service", "--user", "{user}"],
            "The Customer service queue is for users in that role.",
        ),
    ],
)
def test_medrecall_queue_refusals(
    make_user: Callable[..., User], args: list[str], message: str
) -> None:
    user = make_user(Role.FINANCE)
    with pytest.raises(CommandError) as refused:
        call_command("queue", *[a.format(user=user.username) for a in args])
    assert message in str(refused.value)


def test_medrecall_recall_list_open(noticed: RecallCase, manager: User) -> None:
    from medrecall.recalls import services

    services.recall_transition(
        recall=services.recall_open(actor=manager, title="x", products=[], reason="r"),
        target="cancelled",
        actor=manager,
        reason="dup",
    )
    rows: list[dict[str, Any]] = json.loads(_command("recall", "list", "--open", "--json"))
    assert [(r["number"], r["affected"], r["recovered"], r["percent_recovered"]) for r in rows] == [
        (noticed.number, 970, 0, 0.0)
    ]
    assert rows[0]["next_deadline"]["status"] == "breached"
    assert len(json.loads(_command("recall", "list", "--json"))) == 2


def test_a_company_policy_deadline_is_marked_on_the_home_page_and_the_queue(
    tmp_path: Any, manager: User, make_user: Callable[..., User]
) -> None:
    from medrecall.parties.models import Location
    from medrecall.recalls import deadlines
    from tests.notices.conftest import approved_recall

    recall = approved_recall(tmp_path, manager, make_user, regimes=("fda",), recall_class="II")
    Location.objects.filter(party__code="DIST").update(country="US")  # a US consignee: owed
    rows, _missing = deadlines.deadlines_for(recall)
    policy = next(r for r in rows if not r.legal)
    assert (policy.key, policy.status) == ("fda.notify_holders", "breached")
    page = " ".join(logged_in(manager).get("/").content.decode().split())
    assert f'{policy.title} <small class="muted company-policy">(company policy)</small>' in page
    queue = " ".join(logged_in(manager).get("/queues/qa_ra_manager/").content.decode().split())
    assert f'{policy.title} <small class="muted company-policy">(company policy)</small>' in queue
    legal = next(r for r in rows if r.legal)
    assert f'{legal.title} <small class="muted company-policy">' not in page


def test_a_user_with_several_roles_sees_several_queues_on_the_home_page(
    noticed: RecallCase, offer: Offer, make_user: Callable[..., User]
) -> None:
    from django.contrib.auth.models import Group

    user = make_user(Role.WAREHOUSE)
    user.groups.add(Group.objects.get(name=Role.FINANCE))
    page = logged_in(user).get("/").content.decode()
    cards = [role for role in Role.__dict__.values() if f'data-role="{role}"' in page]
    assert cards == [Role.WAREHOUSE, Role.FINANCE]
    assert 'href="/queues/finance/#offers"' in page
    assert logged_in(user).get("/queues/finance/").status_code == 200
    assert logged_in(user).get("/queues/warehouse/").status_code == 200
