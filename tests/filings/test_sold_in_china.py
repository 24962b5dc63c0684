"""A recall abroad (no NMPA regime) of a device also sold in China is flagged even with zero
Chinese units: on the case and with the closure findings."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import DeviceModel
from medrecall.parties.models import Location
from medrecall.recalls import closure
from medrecall.recalls.models import RecallCase, RecallRegime
from medrecall.recalls.selectors import sold_in_china
from tests.conftest import PASSWORD
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db

WARNING = (
    "Also sold in China (CATH): the NMPA recall event report (召回事件报告表) is due even with "
    "no units in China. Add the NMPA regime or file the report."
)


def abroad(recall: RecallCase) -> RecallCase:
    RecallRegime.objects.filter(recall=recall).update(regime="fda")
    return recall


def test_a_registered_device_recalled_abroad_is_flagged_on_the_case_and_at_closure(
    recall: RecallCase, make_user: Callable[..., User]
) -> None:
    abroad(recall)
    Location.objects.update(country="US")  # not one unit in China
    assert sold_in_china(recall) == ["CATH"]
    assert WARNING in closure.closure_report(recall).information
    client = Client()
    user = make_user(Role.VIEWER)
    assert client.login(username=user.username, password=PASSWORD)
    page = client.get(f"/recalls/{recall.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<p class="message warning" id="sold-in-china">{WARNING}</p>' in page
    # The closure section is shown while executing, with what keeps the recall from closing;
    # the warning is said once on the page (at the top, not again among the information).
    assert recall.status == "in_execution"
    assert page.count(WARNING) == 1
    assert '<ul id="closure-blocking">' in page
    blocking = closure.closure_report(recall).blocking
    assert blocking
    assert all(f'<li class="step-blocked">{line}</li>' in page for line in blocking)


def test_the_trace_in_china_flags_a_device_without_a_registration_no(recall: RecallCase) -> None:
    abroad(recall)
    DeviceModel.objects.filter(udi_di=CATH).update(registration_no="")
    assert sold_in_china(recall) == ["CATH"]  # the trace has its lots at Chinese locations
    Location.objects.update(country="US")
    assert sold_in_china(recall) == []
    assert WARNING not in closure.closure_report(recall).information


def test_a_recall_with_the_nmpa_regime_is_not_flagged(recall: RecallCase) -> None:
    assert sold_in_china(recall) == []
    assert WARNING not in closure.closure_report(recall).information
