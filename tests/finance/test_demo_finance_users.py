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
