"""The review of reported parties over the API: permissions, filters, verify, merge with its
refusals (409 with every reason), and a list whose query count does not grow with rows."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import cast

import pytest
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.parties.models import Party
from tests.budgets import count_queries
from tests.factories import PartyFactory
from tests.parties.test_review_pages import reported_party


def _party(**fields: object) -> Party:
    return cast(Party, PartyFactory(**fields))


pytestmark = pytest.mark.django_db


@pytest.fixture
def holder() -> Party:
    return _party(code="B", name="Holder B", party_type="distributor")


@pytest.fixture
def existing() -> Party:
    return _party(code="A", name="Existing A", party_type="hospital")


@pytest.mark.parametrize(
    ("role", "portal", "list_status", "verify_status"),
    [
        (
            "anonymous",
            False,
            403,
            403,
        ),  # DRF's answer without credentials (401 is being taken up elsewhere)
        (Role.PORTAL, True, 403, 403),
        (Role.FINANCE, False, 200, 403),
        (Role.CUSTOMER_SERVICE, False, 200, 200),
    ],
)
def test_permission_matrix(
    holder: Party,
    make_user: Callable[..., User],
    api_as: Callable[..., APIClient],
    role: str,
    portal: bool,
    list_status: int,
    verify_status: int,
) -> None:
    party = reported_party(holder, 1)
    client = api_as(
        None if role == "anonymous" else make_user(role, party=holder if portal else None)
    )
    anonymous = {401, 403} if role == "anonymous" else set()
    assert client.get("/api/parties/reported/").status_code in {list_status} | anonymous
    assert client.get(f"/api/parties/reported/{party.pk}/").status_code in {list_status} | anonymous
    assert (
        client.post(f"/api/parties/reported/{party.pk}/verify/", {}, format="json").status_code
        in {verify_status} | anonymous
    )
    party.refresh_from_db()
    assert party.review == ("verified" if verify_status == 200 else "unverified")


def test_list_filters_and_detail(
    holder: Party, existing: Party, manager: User, api_as: Callable[..., APIClient]
) -> None:
    first, second = reported_party(holder, 1), reported_party(existing, 2)
    client = api_as(manager)
    body = client.get("/api/parties/reported/").json()
    assert body["count"] == 2
    row = next(r for r in body["results"] if r["code"] == first.code)
    assert (
        row["review"],
        row["reported_by"],
        row["reported_by_name"],
        row["location_count"],
        row["contact_count"],
        row["merged_into"],
    ) == ("unverified", "B", "Holder B", 1, 1, None)
    assert [
        r["code"] for r in client.get("/api/parties/reported/?reported_by=A").json()["results"]
    ] == [second.code]
    assert client.get("/api/parties/reported/?review=merged").json()["count"] == 0
    bad = client.get("/api/parties/reported/?review=nonsense")
    assert (bad.status_code, bad.json()["where"]) == (400, "review")
    detail = client.get(f"/api/parties/reported/{first.pk}/").json()
    assert (detail["units"], detail["contacts"]) == (
        [],
        [
            {
                "name": "Typed 1",
                "email": "typed1@example.com",
                "phone": detail["contacts"][0]["phone"],
            }
        ],
    )
    assert (
        client.get(f"/api/parties/reported/{existing.pk}/").status_code == 404
    )  # not a reported party
    party = client.get(f"/api/parties/{first.pk}/").json()
    assert (party["review"], party["reported_by"]) == ("unverified", "B")


def test_merge_over_the_api(
    holder: Party, existing: Party, manager: User, api_as: Callable[..., APIClient]
) -> None:
    party = reported_party(holder, 1)
    response = api_as(manager).post(
        f"/api/parties/reported/{party.pk}/merge/",
        {"target": "A", "reason": "Same site"},
        format="json",
    )
    assert response.status_code == 200
    assert (
        response.json()["review"],
        response.json()["merged_into"],
        response.json()["is_active"],
    ) == ("merged", "A", False)
    entry = AuditEntry.objects.get(action="parties.reported_merged")
    assert (entry.changes["merged_into"], entry.reason) == ([None, "A"], "Same site")


@pytest.mark.parametrize(
    ("target", "status", "code"),
    [
        ("NOPE", 404, "not_found"),
        ("SELF", 409, "merge_refused"),
        ("OWN", 409, "merge_refused"),
    ],
)
def test_a_refused_merge_over_the_api_changes_nothing(
    holder: Party,
    manager: User,
    api_as: Callable[..., APIClient],
    target: str,
    status: int,
    code: str,
) -> None:
    party = reported_party(holder, 1)
    _party(code="OWN", party_type="own_site")
    response = api_as(manager).post(
        f"/api/parties/reported/{party.pk}/merge/",
        {"target": party.code if target == "SELF" else target},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (status, code)
    party.refresh_from_db()
    assert (party.review, party.merged_into_id, party.locations.count()) == ("unverified", None, 1)
    assert AuditEntry.objects.filter(action__startswith="parties.reported").count() == 0


def test_the_list_runs_the_same_number_of_queries_for_one_row_and_many(
    holder: Party, existing: Party, manager: User, api_as: Callable[..., APIClient]
) -> None:
    client = api_as(manager)
    first = reported_party(holder, 1)
    urls = (
        "/api/parties/reported/?review=all",
        f"/api/parties/reported/{first.pk}/",
        "/api/parties/",
    )
    small = [count_queries(partial(client.get, url))[0] for url in urls]
    for n in range(2, 8):
        reported_party(_party(code=f"R{n}"), n)
    large = [count_queries(partial(client.get, url))[0] for url in urls]
    assert large == small
