"""The demo has two finance log-ins, so a refund is requested by one and approved by the other
with the published demo password."""

from __future__ import annotations

import pytest
from django.test import Client

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.cli.demo import DEMO_PASSWORD, _login_plans, _Progress, _write_users
from medrecall.finance import refunds
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.finance.payables_world import claim, holder, recall  # noqa: F401 - fixtures used by name

pytestmark = pytest.mark.django_db


def test_the_demo_has_two_finance_users_who_approve_each_others_refunds(
    recall: RecallCase,  # noqa: F811
    holder: Party,  # noqa: F811
) -> None:
    staff = tuple(plan for plan in _login_plans() if not plan.party)
    assert [(p.username, p.role) for p in staff if p.role == Role.FINANCE] == [
        ("finance", "finance"),
        ("finance_approver", "finance"),
    ]
    _write_users(staff, {}, _Progress(None, len(staff)))
    for username in ("finance", "finance_approver"):
        assert Client().login(username=username, password=DEMO_PASSWORD), username
    requester = User.objects.get(username="finance")
    approver = User.objects.get(username="finance_approver")
    assert approver.has_perm("finance.approve_refundrequest")
    request = refunds.refund_request(actor=requester, recall=recall, claim=claim(holder))
    approved = refunds.refund_approve(actor=approver, request=request)
    assert (approved.status, approved.requested_by, approved.first_approver) == (
        "approved",
        requester,
        approver,
    )


def test_the_demo_roles_complete_a_refund_at_the_four_eyes_threshold(
    recall: RecallCase,  # noqa: F811
    holder: Party,  # noqa: F811
) -> None:
    """Three people, as the rule asks: customer service enters the request from the holder's
    reply, ``finance`` approves first, ``finance_approver`` signs the second approval."""
    from tests.finance.test_refund_from_reply import holder_replies

    staff = tuple(plan for plan in _login_plans() if not plan.party)
    _write_users(staff, {}, _Progress(None, len(staff)))
    service = User.objects.get(username=Role.CUSTOMER_SERVICE)
    first = User.objects.get(username="finance")
    second = User.objects.get(username="finance_approver")
    assert service.has_perm("finance.request_refund_from_reply")
    assert not service.has_perm("finance.approve_refundrequest")
    reply = holder_replies(recall, holder)
    request = refunds.refund_request(
        actor=service,
        recall=recall,
        claim=claim(holder, quantity=8, unit_price="1250", amount="10000.00"),
        reply=reply,
    )
    assert [u.username for u in refunds.approvers_left(request)] == [
        "admin",
        "finance",
        "finance_approver",
    ]
    request = refunds.refund_approve(actor=first, request=request)
    assert request.status == "awaiting_second"
    # the administrator is a superuser: Django grants it every right, so it is listed too
    assert [u.username for u in refunds.approvers_left(request)] == ["admin", "finance_approver"]
    approved = refunds.refund_approve(
        actor=second, request=request, username="finance_approver", password=DEMO_PASSWORD
    )
    assert (approved.status, approved.first_approver, approved.second_approver) == (
        "approved",
        first,
        second,
    )
