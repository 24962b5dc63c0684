"""Web shell: log-in, navigation, language switch, health, master-data pages, portal isolation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.parties.models import Party
from tests.conftest import PASSWORD
from tests.factories import DeviceModelFactory, LocationFactory, PartyFactory

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_home_shows_navigation_for_the_role(analyst: User) -> None:
    page = logged_in(analyst).get("/").content.decode()
    assert "Device models" in page
    assert "/data/party/" in page
    assert "/imports/" in page
    assert "Recalls" in page


def test_the_side_menu_has_no_dead_reports_area(analyst: User, manager: User) -> None:
    """ "Reports · coming" led nowhere: the reports live where their figures are (portfolio and
    due list under Recalls, the cockpit exports, the cost reports under Finance)."""
    for user in (analyst, manager):
        page = logged_in(user).get("/")
        labels = [str(area["label"]) for area in page.context["nav_areas"]]
        assert "Reports" not in labels
        assert all(area["items"] for area in page.context["nav_areas"])
        assert "· coming" not in page.content.decode()


def test_language_defaults_from_browser(analyst: User) -> None:
    client = logged_in(analyst)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert 'lang="zh-Hans"' in page
    assert "器械型号" in page
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()


def test_language_switch_is_remembered_per_user(analyst: User) -> None:
    client = logged_in(analyst)
    response = client.post("/language/", {"language": "zh-hans", "next": "/data/party/"})
    assert (response.status_code, response["Location"]) == (302, "/data/party/")
    analyst.refresh_from_db()
    assert analyst.language == "zh-hans"
    fresh = logged_in(analyst)  # a new browser, English Accept-Language: the saved choice wins
    assert "参与方" in fresh.get("/data/party/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_language_switch_refuses_foreign_redirects(analyst: User) -> None:
    response = logged_in(analyst).post(
        "/language/", {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_healthz_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["task_queue"] == {
        "ok": True,
        "backend": "database",
        "waiting": 0,
        "running": 0,
        "stale": 0,
        "workers": 0,
    }
    from django.conf import settings

    assert ("redis" in body["checks"]) is bool(settings.REDIS_URL)


def test_healthz_503_when_redis_is_down(client: Client, settings: object) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"  # type: ignore[attr-defined]
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False


def test_master_data_list_search_detail_and_edit(analyst: User) -> None:
    client = logged_in(analyst)
    party = PartyFactory(name="广州康达医疗", code="DIST-GZ")
    PartyFactory(name="Other")
    listing = client.get("/data/party/", {"q": "康达"}).content.decode()
    assert "DIST-GZ" in listing
    assert "Other" not in listing
    assert "DIST-GZ" in client.get(f"/data/party/{party.pk}/").content.decode()
    form = {
        "code": "DIST-GZ",
        "name": "广州康达医疗器械",
        "party_type": "distributor",
        "language": "zh-hans",
        "preferred_channel": "email",
        "country": "中国",
        "province": "广东",
        "city": "广州市",
        "is_active": "on",
        "reason": "official name",
    }
    response = client.post(f"/data/party/{party.pk}/edit/", form)
    assert response.status_code == 302
    party.refresh_from_db()
    assert (party.name, party.country, party.province_code) == ("广州康达医疗器械", "CN", "CN-GD")
    entry = AuditEntry.objects.get(action="parties.party.changed")
    assert entry.changes["name"] == ["广州康达医疗", "广州康达医疗器械"]
    assert entry.reason == "official name"
    assert (
        "official name" in client.get(f"/data/party/{party.pk}/").content.decode()
    )  # history on the page


def test_edit_form_shows_errors_and_changes_nothing(analyst: User) -> None:
    model = DeviceModelFactory()
    response = logged_in(analyst).post(
        f"/data/devicemodel/{model.pk}/edit/",
        {
            "udi_di": "12345678901232",
            "issuing_agency": "GS1",
            "model_code": model.model_code,
            "name": "x",
            "tracking": "lot",
            "unit": "EA",
        },
    )
    assert response.status_code == 200
    assert "check digit 2; it should be 1" in response.content.decode()
    model.refresh_from_db()
    assert model.udi_di != "12345678901232"
    assert AuditEntry.objects.count() == 0


def test_viewer_cannot_edit(make_user: Callable[..., User]) -> None:
    party = PartyFactory()
    client = logged_in(make_user(Role.VIEWER))
    assert client.get(f"/data/party/{party.pk}/").status_code == 200
    assert client.get(f"/data/party/{party.pk}/edit/").status_code == 403


def test_portal_user_sees_only_own_party_in_the_ui(make_user: Callable[..., User]) -> None:
    mine, theirs = PartyFactory(name="我的医院"), PartyFactory(name="别人的经销商")
    LocationFactory(party=theirs, name="别人的仓库")
    client = logged_in(make_user(Role.PORTAL, party=mine))
    listing = client.get("/data/party/").content.decode()
    assert "我的医院" in listing
    assert "别人的经销商" not in listing
    assert client.get(f"/data/party/{theirs.pk}/").status_code == 404
    assert "别人的仓库" not in client.get("/data/location/").content.decode()
    assert client.get("/data/lot/").status_code == 403
    assert client.get("/imports/").status_code == 403
    assert Party.objects.count() == 2


def test_error_pages_have_no_traceback(analyst: User) -> None:
    response = logged_in(analyst).get("/data/nonsense/")
    assert response.status_code == 404
    assert "Traceback" not in response.content.decode()


def test_language_switch_on_a_page_answering_a_form_goes_back_to_the_form(
    make_user: Callable[..., User],
) -> None:
    """A page shown in answer to a POST (an error, a confirm step) cannot be asked for again by
    GET: switching the language there goes back to the page the form was on."""
    client = logged_in(make_user(Role.ADMINISTRATOR))
    shown = client.post(
        "/accounts/lockouts/",
        {"username": "nobody", "reason": "test"},
        HTTP_REFERER="http://testserver/accounts/lockouts/?from=form",
    )
    assert (
        'name="next" value="http://testserver/accounts/lockouts/?from=form"'
        in shown.content.decode()
    )
    switched = client.post(
        "/language/", {"language": "en", "next": "http://testserver/accounts/lockouts/?from=form"}
    )
    assert switched["Location"] == "http://testserver/accounts/lockouts/?from=form"
    page = client.get("/data/party/?q=x")
    assert 'name="next" value="/data/party/?q=x"' in page.content.decode()
