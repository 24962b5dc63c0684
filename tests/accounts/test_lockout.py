"""Log-in lock-out: wrong passwords lock a user name from one address, audited; administrators
see and unlock (web, API, CLI), audited with the reason."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import TYPE_CHECKING

import pytest
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from medrecall.accounts import lockout
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from tests.conftest import PASSWORD

if TYPE_CHECKING:  # the stubs' name for a test client's response
    from django.test.client import _MonkeyPatchedWSGIResponse

ADDRESS = "198.51.100.7"


def _login(
    client: Client, username: str, password: str, address: str = ADDRESS, path: str = "/login/"
) -> _MonkeyPatchedWSGIResponse:
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def _lock(client: Client, username: str, address: str = ADDRESS) -> None:
    for _ in range(5):
        _login(client, username, "wrong-password", address)


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMINISTRATOR, username="admin-1")


def test_thirty_wrong_passwords_then_the_right_one_is_refused(make_user):
    user = make_user(Role.VIEWER, username="emily")
    client = Client()

    answers = [_login(client, "emily", f"wrong-{n}").status_code for n in range(30)]
    right = _login(client, "emily", PASSWORD)

    assert answers[:4] == [200, 200, 200, 200]
    assert set(answers[4:]) == {429}
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "this account is locked for 30 minutes" in right.content.decode()
    assert right.headers["Retry-After"] == "1800"
    assert [
        (e.action, e.target_id, e.changes)
        for e in AuditEntry.objects.filter(action__startswith="accounts.login")
    ] == [
        (
            "accounts.login_locked",
            str(user.pk),
            {"ip_address": ADDRESS, "failures": 5, "cool_off_minutes": 30},
        )
    ]


def test_the_lock_holds_for_one_user_name_from_one_address(make_user):
    make_user(Role.VIEWER, username="emily")
    make_user(Role.VIEWER, username="wang")
    _lock(Client(), "emily")

    other_address = Client()
    other_user = Client()

    assert _login(other_address, "emily", PASSWORD, address="203.0.113.9").status_code == 302
    assert _login(other_user, "wang", PASSWORD).status_code == 302
    assert [
        (lock.username, lock.ip_address, lock.failures) for lock in lockout.lockouts_active()
    ] == [("emily", ADDRESS, 5)]


def test_four_wrong_passwords_then_the_right_one_logs_in_and_clears_the_count(make_user):
    make_user(Role.VIEWER, username="emily")
    client = Client()
    for _ in range(4):
        _login(client, "emily", "wrong")

    response = _login(client, "emily", PASSWORD)

    assert response.status_code == 302
    assert AccessAttempt.objects.count() == 0
    assert not AuditEntry.objects.filter(action="accounts.login_locked").exists()


def test_the_lock_ends_after_the_cool_off(make_user):
    make_user(Role.VIEWER, username="emily")
    _lock(Client(), "emily")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))

    assert lockout.lockouts_active() == []
    assert _login(Client(), "emily", PASSWORD).status_code == 302


def test_without_cool_off_the_lock_holds_until_unlocked(make_user, settings):
    settings.MEDRECALL_LOGIN_COOLOFF_MINUTES = 0
    settings.AXES_COOLOFF_TIME = None
    make_user(Role.VIEWER, username="emily")
    _lock(Client(), "emily")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(days=30))

    response = _login(Client(), "emily", PASSWORD)

    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    assert "Ask an administrator to unlock it." in response.content.decode()
    assert [lock.locked_until for lock in lockout.lockouts_active()] == [None]


def test_the_admin_site_log_in_is_locked_too(make_user):
    make_user(Role.ADMINISTRATOR, username="root")
    client = Client()
    for _ in range(5):
        _login(client, "root", "wrong", path="/admin/login/")

    response = _login(client, "root", PASSWORD, path="/admin/login/")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_locked_page_speaks_chinese(make_user):
    make_user(Role.VIEWER, username="emily")
    client = Client()
    client.cookies["medrecall_language"] = "zh-hans"
    _lock(client, "emily")

    body = _login(client, "emily", PASSWORD).content.decode()

    assert "登录失败次数过多：该账户已锁定 30 分钟。请稍后再试，或请管理员解锁。" in body
    assert "Traceback" not in body


def test_an_administrator_unlocks_on_the_page_with_a_reason(make_user, admin_user):
    user = make_user(Role.VIEWER, username="emily")
    _lock(Client(), "emily")
    page = Client()
    page.force_login(admin_user)

    listed = page.get("/accounts/lockouts/")
    unlocked = page.post(
        "/accounts/lockouts/",
        {"username": "emily", "ip_address": ADDRESS, "reason": "Called the user; identity checked"},
    )

    assert listed.status_code == 200
    assert "emily" in listed.content.decode()
    assert ADDRESS in listed.content.decode()
    assert unlocked.status_code == 302
    assert lockout.lockouts_active() == []
    entry = AuditEntry.objects.get(action="accounts.login_unlocked")
    assert (entry.actor_id, entry.target_id, entry.reason, entry.changes) == (
        admin_user.pk,
        str(user.pk),
        "Called the user; identity checked",
        {"ip_addresses": [ADDRESS], "failures": 5},
    )
    assert _login(Client(), "emily", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "emily", "reason": ""}, "Give the reason for unlocking the account."),
        ({"username": "nobody", "reason": "checked"}, "The account “nobody” is not locked."),
    ],
    ids=["no-reason", "not-locked"],
)
def test_an_unlock_is_refused_and_changes_nothing(make_user, admin_user, data, message):
    make_user(Role.VIEWER, username="emily")
    _lock(Client(), "emily")
    page = Client()
    page.force_login(admin_user)
    entries = AuditEntry.objects.count()

    response = page.post("/accounts/lockouts/", data)

    assert response.status_code in (400, 404)
    assert message in response.content.decode()
    assert AccessAttempt.objects.get().failures_since_start == 5
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize(
    ("role", "get_status", "post_status"),
    [
        (None, 302, 302),
        (Role.VIEWER, 403, 403),
        (Role.QA_RA_MANAGER, 403, 403),
        (Role.PORTAL, 403, 403),
        (Role.ADMINISTRATOR, 200, 302),
    ],
    ids=["anonymous", "viewer", "qa-manager", "portal", "administrator"],
)
def test_who_may_see_and_unlock_on_the_page(make_user, role, get_status, post_status):
    from tests.factories import PartyFactory

    make_user(Role.VIEWER, username="emily")
    _lock(Client(), "emily")
    client = Client()
    if role:
        client.force_login(make_user(role, party=PartyFactory() if role == Role.PORTAL else None))

    assert client.get("/accounts/lockouts/").status_code == get_status
    assert (
        client.post("/accounts/lockouts/", {"username": "emily", "reason": "checked"}).status_code
        == post_status
    )
    assert len(lockout.lockouts_active()) == (0 if role == Role.ADMINISTRATOR else 1)


@pytest.mark.parametrize(
    ("role", "list_status", "unlock_status"),
    [
        (None, 403, 403),
        (Role.VIEWER, 403, 403),
        (Role.ADMINISTRATOR, 200, 200),
    ],
    ids=["anonymous", "viewer", "administrator"],
)
def test_the_api_lists_and_unlocks(make_user, api_as, role, list_status, unlock_status):
    make_user(Role.VIEWER, username="emily")
    _lock(Client(), "emily")
    client = api_as(make_user(role) if role else None)

    listed = client.get("/api/accounts/lockouts/")
    unlocked = client.post(
        "/api/accounts/lockouts/unlock/", {"username": "emily", "reason": "checked"}, format="json"
    )

    assert (listed.status_code, unlocked.status_code) in {(list_status, unlock_status), (401, 401)}
    if role == Role.ADMINISTRATOR:
        assert [(row["username"], row["ip_address"], row["failures"]) for row in listed.json()] == [
            ("emily", ADDRESS, 5)
        ]
        assert unlocked.json()["username"] == "emily"
        assert [row["ip_address"] for row in unlocked.json()["unlocked"]] == [ADDRESS]
        assert AuditEntry.objects.filter(action="accounts.login_unlocked").count() == 1
    else:
        assert len(lockout.lockouts_active()) == 1
        assert not AuditEntry.objects.filter(action="accounts.login_unlocked").exists()


def test_the_api_refuses_an_unlock_of_an_account_that_is_not_locked(make_user, api_as):
    response = api_as(make_user(Role.ADMINISTRATOR)).post(
        "/api/accounts/lockouts/unlock/", {"username": "emily", "reason": "checked"}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_locked"
    assert not AuditEntry.objects.filter(action="accounts.login_unlocked").exists()


def test_the_command_lists_and_unlocks(make_user, admin_user):
    make_user(Role.VIEWER, username="emily")
    _lock(Client(), "emily")
    listed = StringIO()
    call_command("accounts", "locked", "--json", stdout=listed)
    out = StringIO()

    call_command(
        "accounts", "unlock", "emily", "--reason", "ticket 42", "--user", "admin-1", stdout=out
    )

    assert [
        (row["username"], row["ip_address"], row["failures"])
        for row in json.loads(listed.getvalue())
    ] == [("emily", ADDRESS, 5)]
    assert out.getvalue() == f"The account “emily” is unlocked ({ADDRESS}).\n"
    assert AuditEntry.objects.get(action="accounts.login_unlocked").reason == "ticket 42"
    empty = StringIO()
    call_command("accounts", "locked", stdout=empty)
    assert empty.getvalue() == "No log-in is locked.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["unlock", "emily", "--reason", "x", "--user", "viewer-x"],
            "viewer-x may not unlock log-ins.",
        ),
        (["unlock", "emily", "--user", "admin-1"], "Give the reason for unlocking the account."),
        (["unlock", "--reason", "x", "--user", "admin-1"], "Give the user name to unlock."),
    ],
    ids=["not-an-administrator", "no-reason", "no-user-name"],
)
def test_the_command_refuses_and_changes_nothing(make_user, admin_user, args, message):
    make_user(Role.VIEWER, username="viewer-x")
    make_user(Role.VIEWER, username="emily")
    _lock(Client(), "emily")

    with pytest.raises(CommandError, match=message):
        call_command("accounts", *args)

    assert len(lockout.lockouts_active()) == 1
    assert not AuditEntry.objects.filter(action="accounts.login_unlocked").exists()


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "203.0.113.5", "192.0.2.1"),
        (1, "10.0.0.2", "203.0.113.5", "203.0.113.5"),
        (1, "10.0.0.2", "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        (2, "10.0.0.2", "1.2.3.4, 203.0.113.5", "1.2.3.4"),
        (1, "10.0.0.2", "", "10.0.0.2"),
        (0, "", "", lockout.UNKNOWN_ADDRESS),
        (1, "10.0.0.2", "not-an-address", lockout.UNKNOWN_ADDRESS),
    ],
    ids=[
        "no-proxy-ignores-header",
        "one-proxy",
        "spoofed-left-entry-ignored",
        "two-proxies",
        "header-missing",
        "no-address",
        "garbage",
    ],
)
def test_the_client_address(settings, rf, proxies, remote, forwarded, expected):
    settings.MEDRECALL_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert lockout.client_address(request) == expected


@pytest.mark.parametrize(
    "path", ["/accounts/lockouts/", "/api/accounts/lockouts/"], ids=["page", "api"]
)
def test_the_lockout_lists_take_the_same_queries_for_one_lock_as_for_three(
    make_user, admin_user, path
):
    client = Client()
    client.force_login(admin_user)
    _lock(Client(), "emily")
    client.get(path)  # warm the session

    with CaptureQueriesContext(connection) as one:
        assert client.get(path).status_code == 200
    _lock(Client(), "wang", address="203.0.113.1")
    _lock(Client(), "li", address="203.0.113.2")
    with CaptureQueriesContext(connection) as three:
        listed = client.get(path)

    assert len(lockout.lockouts_active()) == 3
    assert listed.status_code == 200
    assert len(three.captured_queries) == len(one.captured_queries)
