"""Log-in throttling and lock-out (django-axes), audited, with an unlock for administrators.

Axes counts wrong passwords per (user name, client address) in ``axes.AccessAttempt``; at
``MEDRECALL_LOGIN_FAILURE_LIMIT`` it refuses that combination for
``MEDRECALL_LOGIN_COOLOFF_MINUTES`` (each further attempt while locked restarts the wait).
This module adds what a regulated system needs on top (docs/security.md):

- the lock-out is written to the audit trail (``accounts.login_locked``) when it happens;
- ``lockouts_active`` lists who is locked, ``login_unlock`` unlocks with a reason, audited
  (``accounts.login_unlocked``); the web page, the API and ``medrecall accounts`` call these;
- the refused user gets a translated page (or JSON under ``/api/``), status 429.

Axes announces a lock-out only by its ``user_locked_out`` signal; ``on_user_locked_out`` is
the one receiver (connected in ``apps.py``) and calls ``login_lock_record``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.audit import services as audit
from medrecall.core.errors import ValidationFailed

# re-exported: callers catch these here too
from .errors import NotLocked as NotLocked
from .models import User

UNKNOWN_ADDRESS = "0.0.0.0"  # noqa: S104 - a placeholder for "no address", never bound to


@dataclass(frozen=True, slots=True)
class Lockout:
    """One locked (user name, client address) combination."""

    username: str
    ip_address: str
    failures: int
    last_failure: datetime
    locked_until: datetime | None  # None: until an administrator unlocks it

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "ip_address": self.ip_address,
            "failures": self.failures,
            "last_failure": self.last_failure.isoformat(),
            "locked_until": self.locked_until.isoformat() if self.locked_until else None,
        }


def lockout_viewer(viewer: User, *, unlock: bool = False) -> User:
    """The viewer, if it may see the lock-outs (``axes.view_accessattempt``) or, with ``unlock``,
    unlock them (``axes.delete_accessattempt``): administrators. ``PermissionDenied`` (403)
    otherwise; the page, the API and nothing else ask here."""
    if (
        viewer.is_portal
        or not viewer.has_perm("axes.view_accessattempt")
        or (unlock and not viewer.has_perm("axes.delete_accessattempt"))
    ):
        raise PermissionDenied
    return viewer


def client_address(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind ``MEDRECALL_PROXY_COUNT`` reverse proxies
    the address the outermost of them saw (counted from the right of X-Forwarded-For, so a
    client cannot choose its address by sending the header itself)."""
    address = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.MEDRECALL_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return UNKNOWN_ADDRESS


def cool_off() -> timedelta | None:
    minutes = settings.MEDRECALL_LOGIN_COOLOFF_MINUTES
    return timedelta(minutes=minutes) if minutes > 0 else None


def lockouts_active() -> list[Lockout]:
    """Every combination locked now, the most recent first (one query). Like axes, the failures
    of one user name and address are summed over its rows (one per browser user agent) within
    the cool-off window."""
    wait = cool_off()
    attempts = AccessAttempt.objects.all()
    if wait is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - wait)
    rows = (
        attempts.values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last", "username")
    )
    return [
        Lockout(
            username=row["username"] or "",
            ip_address=row["ip_address"] or "",
            failures=row["failures"],
            last_failure=row["last"],
            locked_until=row["last"] + wait if wait else None,
        )
        for row in rows
    ]


def _user_target(username: str) -> dict[str, Any]:
    user = User.objects.filter(username=username).only("pk", "username").first()
    if user is not None:
        return {"target": user}
    return {"target_type": "accounts.user", "target_id": "", "target_label": username[:255]}


@transaction.atomic
def login_lock_record(*, username: str, ip_address: str, failures: int) -> None:
    """Write the lock-out of one (user name, address) to the audit trail."""
    wait = cool_off()
    audit.record(
        actor=None,
        action="accounts.login_locked",
        **_user_target(username),
        changes={
            "ip_address": ip_address,
            "failures": failures,
            "cool_off_minutes": int(wait.total_seconds() // 60) if wait else None,
        },
    )


@transaction.atomic
def login_unlock(*, username: str, actor: User, reason: str, ip_address: str = "") -> list[Lockout]:
    """Unlock a user name (from every address, or from ``ip_address`` only): its failure counts
    are deleted and the unlock is audited with the reason. Refused when nothing is locked."""
    username, reason, ip_address = username.strip(), reason.strip(), ip_address.strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for unlocking the account."), where="reason")
    locked = [
        lock
        for lock in lockouts_active()
        if lock.username == username and (not ip_address or lock.ip_address == ip_address)
    ]
    if not locked:
        raise NotLocked(
            _("The account “%(username)s” is not locked.") % {"username": username},
            where="username",
        )
    attempts = AccessAttempt.objects.select_for_update().filter(username=username)
    if ip_address:
        attempts = attempts.filter(ip_address=ip_address)
    attempts.delete()
    audit.record(
        actor=actor,
        action="accounts.login_unlocked",
        **_user_target(username),
        reason=reason,
        changes={
            "ip_addresses": sorted(lock.ip_address for lock in locked),
            "failures": max(lock.failures for lock in locked),
        },
    )
    return locked


class LockoutBackend(AxesStandaloneBackend):  # type: ignore[misc]
    """Axes' check, first in ``AUTHENTICATION_BACKENDS``. A password checked without a request
    (the test client, a shell) is not a log-in over the network and has no address to lock;
    axes would refuse it outright, this lets the next backend decide."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)  # type: ignore[no-any-return]


def on_user_locked_out(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    """Axes' ``user_locked_out`` fires on the failure that reaches the limit and again on every
    refused attempt while locked; only the first is a new lock-out."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures != settings.AXES_FAILURE_LIMIT:
        return
    login_lock_record(
        username=username or "", ip_address=ip_address or UNKNOWN_ADDRESS, failures=failures
    )


def lockout_message() -> str:
    wait = cool_off()
    if wait is None:
        return _(
            "Too many failed log-in attempts: this account is locked. Ask an administrator to unlock it."
        )
    return _(
        "Too many failed log-in attempts: this account is locked for %(minutes)s minutes. Try again later "
        "or ask an administrator to unlock it."
    ) % {"minutes": int(wait.total_seconds() // 60)}


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """What a locked-out client sees (``AXES_LOCKOUT_CALLABLE``): a translated page, or JSON
    for the API; 429 with Retry-After when the lock ends by itself."""
    wait = cool_off()
    headers = {"Retry-After": str(int(wait.total_seconds()))} if wait else {}
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "login_locked", "message": message}, status=429, headers=headers
        )
    response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    for name, value in headers.items():
        response[name] = value
    return response
