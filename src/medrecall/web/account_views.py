"""Accounts locked after failed log-ins: who is locked, and the audited unlock (administrators)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from medrecall.accounts import lockout
from medrecall.accounts.selectors import viewer_of
from medrecall.core.errors import DomainError


@login_required
def lockout_list(request: HttpRequest) -> HttpResponse:
    """GET: the locked accounts. POST (user name, optional address, reason): unlock one."""
    viewer = lockout.lockout_viewer(viewer_of(request), unlock=request.method == "POST")
    can_unlock = viewer.has_perm("axes.delete_accessattempt")
    error, status = "", 200
    if request.method == "POST":
        username = request.POST.get("username", "")
        try:
            lockout.login_unlock(
                username=username,
                actor=viewer,
                reason=request.POST.get("reason", ""),
                ip_address=request.POST.get("ip_address", ""),
            )
        except DomainError as refused:
            error, status = refused.message, refused.status
        else:
            messages.success(
                request,
                _("The account “%(username)s” is unlocked.") % {"username": username.strip()},
            )
            return redirect("web:lockout-list")
    return render(
        request,
        "web/lockouts.html",
        {
            "lockouts": lockout.lockouts_active(),
            "can_unlock": can_unlock,
            "error": error,
            "post": request.POST,
        },
        status=status,
    )
