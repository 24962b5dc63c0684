"""Units left in quarantine when a recall closes under a closure exception are still
dispositioned after closure; the warehouse page offers only what the closed recall allows."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from medrecall.catalog.models import Lot
from medrecall.execution import services as execution
from medrecall.execution.models import Disposition
from medrecall.parties.models import Location, Party
from medrecall.recalls import closure, services
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.execution.conftest import approve, open_recall
from tests.execution.test_pages import client_for
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db


def closed_with_quarantine(manager: Any, make_user: Any) -> tuple[RecallCase, Any]:
    recall = approve(open_recall(manager), make_user)
    ra = execution.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    execution.return_receive(ra=ra, actor=manager, gtin=CATH, lot="C1", quantity=5)
    recall = services.recall_transition(recall=recall, target="effectiveness_check", actor=manager)
    closure.closure_exception_sign(
        recall=recall,
        actor=manager,
        reason="Holders unreachable",
        password=PASSWORD,
        username=manager.username,
    )
    recall = services.recall_update(
        recall=recall, actor=manager, version=recall.version, completed_at=timezone.now()
    )
    return services.recall_transition(recall=recall, target="closed", actor=manager), ra


def test_units_in_quarantine_are_dispositioned_after_closure(
    world: Any, manager: Any, make_user: Any
) -> None:
    recall, _ra = closed_with_quarantine(manager, make_user)
    d = execution.disposition_create(
        recall=recall,
        kind="destroy",
        lot=Lot.objects.get(number="C1"),
        location=Location.objects.get(code="QUAR"),
        quantity=5,
        actor=manager,
    )
    assert (recall.status, Disposition.objects.get().pk, d.quantity) == ("closed", d.pk, 5)


@pytest.mark.parametrize(
    ("page", "shown"),
    [
        pytest.param(
            "/execution/warehouse/{ra}/",
            {
                'class="toolbar disposition-form"': True,
                'id="blocked-disposition"': False,
                'id="scan-form"': False,
                'id="lot-form"': False,
                'id="blocked-handle_return"': True,
            },
            id="warehouse page: dispositions, not receipts",
        ),
        pytest.param(
            "/execution/returns/{ra}/",
            {
                'id="blocked-handle_return"': True,
                'id="amend-form"': False,
                'action="/execution/returns/{ra}/status/"': False,
            },
            id="return page: no return change",
        ),
    ],
)
def test_pages_of_a_closed_recall_offer_dispositions_and_no_return_change(
    world: Any, manager: Any, make_user: Any, page: str, shown: dict[str, bool]
) -> None:
    _recall, ra = closed_with_quarantine(manager, make_user)
    content = client_for(manager).get(page.format(ra=ra.pk)).content.decode()
    assert {marker.format(ra=ra.pk): marker.format(ra=ra.pk) in content for marker in shown} == {
        marker.format(ra=ra.pk): expected for marker, expected in shown.items()
    }
