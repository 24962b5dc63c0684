"""The early-warning thresholds on a web form (they were changeable by API and command only, the
admin being for staff): linked from the signals page, validated with the problem at its field,
audited, in both languages; only the role that may change the policy gets it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.quality import signals
from medrecall.quality.models import SignalPolicy
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/quality/signals/policy/"


def _client(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _policy() -> SignalPolicy:
    return SignalPolicy.objects.get(pk=signals.policy().pk)


def test_signals_page_links_the_form_which_shows_the_thresholds(manager: User) -> None:
    client = _client(manager)

    listed = client.get(reverse("web:quality-signals")).content.decode()
    form = client.get(URL)

    assert f'href="{URL}" id="change-thresholds"' in listed
    assert form.status_code == 200
    page = form.content.decode()
    assert 'name="min_complaints" id="policy-min_complaints" value="3"' in page
    assert 'name="significance" id="policy-significance" value="0.0100"' in page
    assert "Fewer complaints than this in the window never raise a signal." in page


def test_a_change_is_saved_and_audited(manager: User) -> None:
    response = _client(manager).post(URL, {"min_complaints": "5", "min_ratio": "2.5"})

    assert response.status_code == 302
    assert (_policy().min_complaints, _policy().min_ratio) == (5, Decimal("2.50"))
    entry = AuditEntry.objects.get(action="quality.signal_policy_changed")
    assert entry.changes == {"min_complaints": ["3", "5"], "min_ratio": ["2.00", "2.50"]}


@pytest.mark.parametrize(
    ("language", "posted", "message"),
    [
        pytest.param("en", {"min_complaints": "0"}, "minimum complaints:", id="below-range"),
        pytest.param("en", {"window_weeks": "x"}, "x is not a whole number", id="not-a-number"),
        pytest.param("zh-hans", {"min_complaints": "0"}, "最少投诉数", id="chinese"),
    ],
)
def test_a_bad_value_is_refused_at_its_field_nothing_changed(
    manager: User, language: str, posted: dict[str, str], message: str
) -> None:
    response = _client(manager, language).post(URL, posted)

    assert response.status_code == 400
    page = response.content.decode()
    name = next(iter(posted))
    assert f'id="policy-{name}-error"' in page
    assert message in page
    assert f'value="{posted[name]}"' in page  # what was typed, shown again
    assert (_policy().min_complaints, _policy().window_weeks) == (3, 52)
    assert not AuditEntry.objects.filter(action="quality.signal_policy_changed").exists()


def test_a_viewer_gets_403_and_no_link(make_user) -> None:
    viewer = make_user(Role.VIEWER)
    client = _client(viewer)

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"min_complaints": "5"}).status_code == 403
    assert "change-thresholds" not in client.get(reverse("web:quality-signals")).content.decode()
    assert _policy().min_complaints == 3
