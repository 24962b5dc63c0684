"""Sessions end after 30 minutes without a request and 8 hours after log-in (settings)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.test import Client

from medrecall.accounts.middleware import SESSION_SEEN, SESSION_STARTED
from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from tests.conftest import PASSWORD


def _signed_in(make_user: Callable[..., User], *, started_ago: int, seen_ago: int) -> Client:
    client = Client()
    client.force_login(make_user(Role.VIEWER))
    session = client.session
    now = int(time.time())
    session[SESSION_STARTED], session[SESSION_SEEN] = now - started_ago, now - seen_ago
    session.save()
    return client


@pytest.mark.parametrize(
    ("started_ago", "seen_ago", "signed_in"),
    [
        (3600, 29 * 60, True),
        (3600, 31 * 60, False),
        (8 * 3600 - 60, 10, True),
        (8 * 3600 + 60, 10, False),
    ],
    ids=["idle-29-min", "idle-31-min", "7h59-active", "8h01-active"],
)
def test_idle_and_absolute_limits(make_user, started_ago, seen_ago, signed_in):
    client = _signed_in(make_user, started_ago=started_ago, seen_ago=seen_ago)

    response = client.get("/")

    assert ("_auth_user_id" in client.session) is signed_in
    if signed_in:
        assert response.status_code == 200
    else:
        assert (response.status_code, response["Location"]) == (302, "/login/?next=/")


@pytest.mark.parametrize(
    ("seen_ago", "message"),
    [
        (31 * 60, "You were logged out after 30 minutes without activity."),
        (10, "Your session reached its limit of 8 hours: log in again."),
    ],
    ids=["idle", "absolute"],
)
def test_the_log_in_page_says_why(make_user, seen_ago, message):
    client = _signed_in(
        make_user, started_ago=9 * 3600 if seen_ago == 10 else 3600, seen_ago=seen_ago
    )

    page = client.get("/", follow=True)

    assert message in page.content.decode()


def test_the_limits_are_settings(make_user, settings):
    settings.MEDRECALL_SESSION_IDLE_MINUTES = 5
    client = _signed_in(make_user, started_ago=600, seen_ago=6 * 60)

    assert client.get("/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_an_api_request_on_an_idle_session_is_refused(make_user):
    client = _signed_in(make_user, started_ago=3600, seen_ago=31 * 60)

    response = client.get("/api/recalls/")

    assert response.status_code in (401, 403)
    assert "_auth_user_id" not in client.session


def test_a_request_moves_the_last_seen_time(make_user):
    client = _signed_in(make_user, started_ago=3600, seen_ago=20 * 60)
    before = int(time.time())

    client.get("/")

    assert client.session[SESSION_SEEN] >= before
    assert client.session[SESSION_STARTED] <= before - 3600


def test_logging_in_again_starts_the_clocks_again(make_user):
    user = make_user(Role.VIEWER)
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_STARTED], session[SESSION_SEEN] = int(time.time()) - 7 * 3600, int(time.time())
    session.save()
    before = int(time.time())

    client.post(
        "/login/", {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="192.0.2.1"
    )

    assert client.session[SESSION_STARTED] >= before
