"""API errors found by fuzzing: a referenced record's delete is 409 with what refers to it, not 500;
unmatched URLs under /api/ answer JSON; a bad or missing token is 401 with WWW-Authenticate."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.execution import services as execution
from medrecall.parties.models import Location, Party
from medrecall.recalls.models import RecallCase
from tests.execution.conftest import pump_recall, world  # noqa: F401 - fixtures used by name
from tests.factories import (
    DeviceModelFactory,
    LocationFactory,
    LotFactory,
    PartyFactory,
    SerialFactory,
)
from tests.traceability.scenario import PUMP

pytestmark = pytest.mark.django_db


def test_deleting_a_device_model_with_lots_is_409_naming_them(
    api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    model = DeviceModelFactory(model_code="M-REF")
    first, second = (
        LotFactory(device_model=model, number="L-A"),
        LotFactory(device_model=model, number="L-B"),
    )
    SerialFactory(device_model=model, lot=first, serial="S-1")
    client = api_as(make_user(Role.ADMINISTRATOR))
    response = client.delete(f"/api/device-models/{model.pk}/")
    assert response.status_code == 409
    assert response.json() == {
        "code": "in_use",
        "message": "The record cannot be deleted while other records refer to it (lots: 2, serial numbers: 1).",
        "details": [
            {
                "kind": "catalog.lot",
                "name": "lots",
                "count": 2,
                "examples": ["M-REF / L-A", "M-REF / L-B"],
            },
            {
                "kind": "catalog.serial",
                "name": "serial numbers",
                "count": 1,
                "examples": ["M-REF / S-1"],
            },
        ],
    }
    assert DeviceModel.objects.filter(pk=model.pk).exists()
    assert sorted(Lot.objects.values_list("number", flat=True)) == ["L-A", "L-B"]
    assert not AuditEntry.objects.filter(action="catalog.devicemodel.deleted").exists()
    assert second.pk


def test_deleting_a_party_with_locations_is_409_in_chinese(make_user: Callable[..., User]) -> None:
    party = PartyFactory(code="P-REF")
    LocationFactory(party=party, code="LOC-1")
    client = APIClient()
    client.force_authenticate(make_user(Role.ADMINISTRATOR))
    response = client.delete(f"/api/parties/{party.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "in_use"
    assert body["message"] == "仍有其他记录引用该记录（地点：1），不能删除。"
    assert [(d["kind"], d["count"]) for d in body["details"]] == [("parties.location", 1)]
    assert Party.objects.filter(pk=party.pk).exists()
    assert not AuditEntry.objects.filter(action="parties.party.deleted").exists()


def test_deleting_an_unreferenced_lot_still_works(
    api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    lot = LotFactory(number="L-FREE")
    response = api_as(make_user(Role.ADMINISTRATOR)).delete(f"/api/lots/{lot.pk}/")
    assert response.status_code == 204
    assert not Lot.objects.filter(pk=lot.pk).exists()
    assert AuditEntry.objects.filter(action="catalog.lot.deleted").count() == 1


@pytest.mark.parametrize(
    ("url", "kinds"),
    [
        pytest.param("device-models", {"catalog.lot", "catalog.serial"}, id="device-model"),
        pytest.param(
            "lots", {"catalog.serial", "execution.hold", "execution.returnline"}, id="lot"
        ),
        pytest.param("serials", {"execution.hold", "execution.returnline"}, id="serial"),
        pytest.param("locations", {"execution.returnauthorisation"}, id="location"),
        pytest.param("parties", {"parties.location", "execution.returnauthorisation"}, id="party"),
    ],
)
def test_deleting_records_a_recall_refers_to_is_409(
    url: str,
    kinds: set[str],
    pump_recall: RecallCase,  # noqa: F811
    manager: User,
    make_user: Callable[..., User],
) -> None:
    ra = execution.return_create(
        recall=pump_recall, party=Party.objects.get(code="HOSP"), actor=manager
    )
    target = {
        "device-models": DeviceModel.objects.get(udi_di=PUMP),
        "lots": Lot.objects.get(number="P-L1"),
        "serials": Serial.objects.get(serial="PS-001"),
        "locations": ra.location,
        "parties": Party.objects.get(code="HOSP"),
    }[url]
    before = (
        DeviceModel.objects.count(),
        Lot.objects.count(),
        Serial.objects.count(),
        Location.objects.count(),
        Party.objects.count(),
        AuditEntry.objects.count(),
    )
    client = APIClient()
    client.force_authenticate(make_user(Role.ADMINISTRATOR))
    response = client.delete(f"/api/{url}/{target.pk}/")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "in_use"
    assert kinds <= {d["kind"] for d in body["details"]}
    assert all(d["count"] >= 1 and 1 <= len(d["examples"]) <= 3 for d in body["details"])
    assert (
        DeviceModel.objects.count(),
        Lot.objects.count(),
        Serial.objects.count(),
        Location.objects.count(),
        Party.objects.count(),
        AuditEntry.objects.count(),
    ) == before


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param(
            "/api/recalls/abc/",
            "No API operation or record at /api/recalls/abc/.",
            id="non-numeric-id",
        ),
        pytest.param(
            "/api/no-such-thing/",
            "No API operation or record at /api/no-such-thing/.",
            id="unknown-path",
        ),
        pytest.param(
            "/api/execution/work-orders/1/units/x/result/",
            "No API operation or record at /api/execution/work-orders/1/units/x/result/.",
            id="non-numeric-nested-id",
        ),
        pytest.param(
            "/api/lots/abc/", "Not found.", id="router-non-numeric-id"
        ),  # the view's own 404
    ],
)
def test_unmatched_api_urls_answer_json_404(
    path: str, message: str, api_as: Callable[[User | None], APIClient], manager: User
) -> None:
    response = api_as(manager).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "message": message}


def test_unmatched_web_urls_keep_the_html_page(client: object, manager: User) -> None:
    client.force_login(manager)  # type: ignore[attr-defined]
    response = client.get("/no-such-page/")  # type: ignore[attr-defined]
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_wrong_method_answers_json_405(
    api_as: Callable[[User | None], APIClient], manager: User
) -> None:
    response = api_as(manager).delete("/api/recalls/")
    assert response.status_code == 405
    assert response.json() == {
        "code": "method_not_allowed",
        "message": 'Method "DELETE" not allowed.',
    }


def test_server_error_under_api_answers_json(rf: object) -> None:
    from medrecall.handlers import server_error

    response = server_error(rf.get("/api/recalls/"))  # type: ignore[attr-defined]
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "code": "server_error",
        "message": "The server could not complete the request; the error was logged.",
    }


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        pytest.param({}, "Authentication credentials were not provided.", id="no-token"),
        pytest.param(
            {"HTTP_AUTHORIZATION": "Token 0123456789abcdef0123456789abcdef01234567"},
            "Invalid token.",
            id="unknown-token",
        ),
        pytest.param(
            {"HTTP_AUTHORIZATION": "Token"},
            "Invalid token header. No credentials provided.",
            id="empty-token",
        ),
    ],
)
def test_missing_or_bad_token_is_401_with_www_authenticate(
    header: dict[str, str], detail: str
) -> None:
    response = APIClient().get("/api/lots/", **header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["message"] == detail


def test_good_token_still_works(make_user: Callable[..., User]) -> None:
    token = Token.objects.create(user=make_user(Role.VIEWER))
    response = APIClient().get("/api/lots/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_session_log_in_still_works(make_user: Callable[..., User]) -> None:
    client = APIClient()
    client.force_login(make_user(Role.VIEWER))
    assert client.get("/api/lots/").status_code == 200


@pytest.mark.parametrize("url", ["/api/epcis/capture/", "/api/events/capture/", "/api/recalls/"])
def test_json_nested_thousands_of_levels_deep_is_400(
    url: str, api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    client = api_as(make_user(Role.ADMINISTRATOR))
    answer = client.post(url, "[" * 5000 + "]" * 5000, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["message"] == "JSON parse error: the document is nested too deeply."
