"""A portal user's home page: their own party's notices to answer, complaints and returns, never
the master-data counts (it showed the counts of parties, products… to a holder) and never another
party's records. Two portal users of different parties on the same recall."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.execution.models import ReturnAuthorisation
from medrecall.notices.models import Notice
from medrecall.parties.models import Party
from medrecall.quality import complaints
from medrecall.recalls.models import RecallCase

pytestmark = pytest.mark.django_db(transaction=True)


def _complaint(manager: User, holder: Party, text: str) -> str:
    return complaints.complaint_receive(
        actor=manager,
        channel="email",
        description=text,
        aware_at=timezone.now(),
        holder=holder,
    ).number


def test_a_portal_home_shows_its_own_partys_notices_complaints_and_returns(
    progressed: RecallCase, client: Any, make_user: Callable[..., User], manager: User
) -> None:
    sub, dist = Party.objects.get(code="SUB"), Party.objects.get(code="DIST")
    sub_complaint = _complaint(manager, sub, "Tip broke")
    dist_complaint = _complaint(manager, dist, "Label unreadable")
    sub_return = ReturnAuthorisation.objects.get(recall=progressed, party=sub).number
    dist_notice = Notice.objects.filter(
        recall=progressed, party=dist, kind="initial", sequence=1
    ).first()  # DIST has two contacts: two notices
    assert dist_notice is not None
    sub_notice = Notice.objects.get(recall=progressed, party=sub, kind="initial", sequence=1)
    assert sub_notice.replied_at is not None  # SUB answered: nothing left for it to answer
    assert dist_notice.replied_at is None

    client.force_login(make_user(Role.PORTAL, party=sub))
    page = client.get("/").content.decode()
    assert 'id="master-data"' not in page
    assert f'data-complaint="{sub_complaint}"' in page
    assert f'data-complaint="{dist_complaint}"' not in page
    assert f'data-return="{sub_return}"' in page
    assert f'data-notice="{sub_notice.pk}"' not in page  # replied
    assert f'data-notice="{dist_notice.pk}"' not in page  # another party's

    client.force_login(make_user(Role.PORTAL, party=dist))
    page = client.get("/").content.decode()
    assert 'id="master-data"' not in page
    assert f'data-notice="{dist_notice.pk}"' in page
    assert f"/portal/notices/{dist_notice.pk}/reply/" in page
    assert f'data-complaint="{dist_complaint}"' in page
    assert f'data-complaint="{sub_complaint}"' not in page
    assert f'data-return="{sub_return}"' not in page

    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for n in range(3):  # more of the party's complaints: the same number of queries
        _complaint(manager, dist, f"Another problem {n}")
    with CaptureQueriesContext(connection) as many:
        client.get("/")
    assert len(many) == len(few)
