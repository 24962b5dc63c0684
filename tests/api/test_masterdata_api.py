"""Master-data API: CRUD, validation errors as JSON, audit on write, portal scoping."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel
from tests.factories import (
    ContactFactory,
    DeviceModelFactory,
    LocationFactory,
    LotFactory,
    PartyFactory,
)

pytestmark = pytest.mark.django_db


def test_create_device_model_validates_gtin_and_audits(
    api_as: Callable[[User | None], APIClient], analyst: User
) -> None:
    client = api_as(analyst)
    bad = client.post(
        "/api/device-models/",
        {"udi_di": "12345678901232", "model_code": "M1", "name": "泵", "tracking": "serial"},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"
    assert "check digit 2" in bad.json()["message"]
    assert DeviceModel.objects.count() == 0
    good = client.post(
        "/api/device-models/",
        {"udi_di": "12345678901231", "model_code": "M1", "name": "泵", "tracking": "serial"},
        format="json",
    )
    assert good.status_code == 201, good.json()
    assert good.json()["udi_di"] == "12345678901231"
    assert AuditEntry.objects.filter(action="catalog.devicemodel.created").count() == 1


def test_update_is_audited_with_reason(
    api_as: Callable[[User | None], APIClient], analyst: User
) -> None:
    model = DeviceModelFactory(name="旧")
    response = api_as(analyst).patch(
        f"/api/device-models/{model.pk}/",
        {"name": "新"},
        format="json",
        HTTP_X_CHANGE_REASON="typo",
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="catalog.devicemodel.changed")
    assert (entry.changes["name"], entry.reason) == (["旧", "新"], "typo")


def test_viewer_cannot_write(
    api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    client = api_as(make_user(Role.VIEWER))
    assert client.get("/api/device-models/").status_code == 200
    response = client.post(
        "/api/device-models/",
        {"udi_di": "12345678901231", "model_code": "M", "name": "x", "tracking": "lot"},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_gets_json_401_or_403(api_client: APIClient) -> None:
    response = api_client.get("/api/parties/")
    assert response.status_code in (401, 403)
    assert set(response.json()) >= {"code", "message"}


@pytest.mark.parametrize("endpoint", ["parties", "locations", "contacts"])
def test_portal_user_sees_only_own_party(
    api_as: Callable[[User | None], APIClient], make_user: Callable[..., User], endpoint: str
) -> None:
    mine, theirs = PartyFactory(), PartyFactory()
    for party in (mine, theirs):
        LocationFactory(party=party)
        ContactFactory(party=party)
    client = api_as(make_user(Role.PORTAL, party=mine))
    listing = client.get(f"/api/{endpoint}/").json()
    assert listing["count"] == 1
    other_id = {
        "parties": theirs.pk,
        "locations": theirs.locations.get().pk,
        "contacts": theirs.contacts.get().pk,
    }[endpoint]
    assert client.get(f"/api/{endpoint}/{other_id}/").status_code == 404


def test_portal_user_sees_no_lots_and_cannot_write(
    api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    party = PartyFactory()
    LotFactory()
    client = api_as(make_user(Role.PORTAL, party=party))
    assert client.get("/api/lots/").status_code == 403  # no view permission on lots
    assert (
        client.patch(f"/api/parties/{party.pk}/", {"name": "hacked"}, format="json").status_code
        == 403
    )


def test_list_query_count_does_not_grow_with_rows(
    api_as: Callable[[User | None], APIClient],
    analyst: User,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    client = api_as(analyst)
    LocationFactory()
    with django_assert_max_num_queries(8) as one:  # type: ignore[attr-defined]
        client.get("/api/locations/")
    LocationFactory.create_batch(30)
    with django_assert_max_num_queries(len(one.captured_queries)):  # type: ignore[attr-defined]
        client.get("/api/locations/")


def test_schema_is_served_and_documents_errors(api_client: APIClient) -> None:
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = (
        response.json()
        if hasattr(response, "json") and response["Content-Type"].endswith("json")
        else None
    )
    if schema is None:
        import yaml  # type: ignore[import-untyped]

        schema = yaml.safe_load(response.content)
    post = schema["paths"]["/api/device-models/"]["post"]["responses"]
    assert {"201", "400", "403"} <= set(post)
    assert api_client.get("/api/docs/").status_code == 200
