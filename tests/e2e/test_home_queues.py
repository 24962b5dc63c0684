"""Browser: each recall role logs in, sees its home page in English and in Chinese, opens its
work queue from the home page and follows one item to the page where the work is done."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import DeviceModel
from medrecall.execution import services as execution
from medrecall.execution.models import ServiceProvider
from medrecall.notices import relations
from medrecall.notices.models import Offer
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.e2e.test_browser import log_in
from tests.execution.conftest import open_recall, seed_carriers
from tests.factories import PartyFactory
from tests.notices.conftest import approved_recall
from tests.reporting.conftest import notices_sent
from tests.traceability.scenario import CATH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# role: (home card title in English, in Chinese, queue section, what the action page shows)
ROLES = {
    Role.CUSTOMER_SERVICE: ("Customer service", "客服", "letter", "#letters"),
    Role.WAREHOUSE: ("Warehouse", "仓库", "in_transit", "#scan-box"),
    Role.FIELD_SERVICE: ("Field service", "现场服务", "my_work_orders", "#unit-list"),
    Role.QA_RA_MANAGER: ("QA/RA manager", "质量/法规经理", "approvals", "#sign-form"),
}


def test_every_role_follows_a_queue_item_to_its_action_in_both_languages(
    page: Any, live_server: Any, make_user: Callable[..., User], tmp_path: Path
) -> None:
    manager = make_user(Role.QA_RA_MANAGER)
    recall: RecallCase = approved_recall(tmp_path, manager, make_user)
    seed_carriers()
    notices_sent(recall, manager)
    ra = execution.return_create(recall=recall, party=Party.objects.get(code="SUB"), actor=manager)
    execution.return_transition(ra=ra, target="picked_up", actor=manager)
    users = {role: make_user(role) for role in (*ROLES, Role.FINANCE)}
    provider = ServiceProvider.objects.create(
        name="Own team",
        party=PartyFactory(code="OWN-SVC", party_type="own_site"),
        technician=users[Role.FIELD_SERVICE],
        skills=["inspection"],
        latitude=Decimal("31.2"),
        longitude=Decimal("121.5"),
    )
    provider.device_models.add(DeviceModel.objects.get(udi_di=CATH))
    order = execution.work_order_create(
        recall=recall, party=Party.objects.get(code="HOSP2"), action="inspection", actor=manager
    )
    pending = open_recall(manager)
    offer = relations.offer_propose(
        recall=recall,
        party=Party.objects.get(code="HOSP"),
        kind="credit",
        description="Credit for 70 catheters",
        actor=users[Role.CUSTOMER_SERVICE],
        amount=Decimal("3500.00"),
    )
    targets = {
        Role.CUSTOMER_SERVICE: f"/recalls/{recall.pk}/notices/#letters",
        Role.WAREHOUSE: f"/execution/warehouse/{ra.pk}/",
        Role.FIELD_SERVICE: f"/execution/work-orders/{order.pk}/",
        Role.QA_RA_MANAGER: f"/recalls/{pending.pk}/#approvals",
    }
    for role, (english, chinese, section, shown) in ROLES.items():
        context = page.context
        context.clear_cookies()
        log_in(page, live_server, users[role])
        assert page.locator("h1").inner_text() == "Overview"
        card = page.locator(f'.queue-card[data-role="{role}"] .queue-link')
        assert card.inner_text() == english
        assert recall.number in page.locator("#open-recall-list").inner_text()
        with page.expect_navigation():
            page.select_option("#language-select", "zh-hans")
        assert page.locator("h1").inner_text() == "概览"
        assert page.locator(f'.queue-card[data-role="{role}"] .queue-link').inner_text() == chinese
        assert "进行中的召回" in page.locator("#open-recalls h2").inner_text()
        page.locator(f'.queue-card[data-role="{role}"] .queue-link').click()
        page.wait_for_url(f"**/queues/{role}/")
        assert "工作队列" in page.locator("#queue-title").inner_text()
        page.locator(f"#{section} .queue-action").first.click()
        page.wait_for_url(f"{live_server.url}{targets[role]}")
        page.wait_for_selector(shown, state="attached")
        page.click("#logout")
        page.wait_for_url("**/login/")

    # Finance decides the offer right in its queue, in Chinese, and stays there.
    page.context.clear_cookies()
    log_in(page, live_server, users[Role.FINANCE])
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    page.locator(f'.queue-card[data-role="{Role.FINANCE}"] .queue-link').click()
    page.wait_for_url("**/queues/finance/")
    page.locator(f"#offer-{offer.pk} .offer-approve").click()
    page.wait_for_url("**/queues/finance/")
    assert "已批准" in page.locator(".message.success").inner_text()
    assert Offer.objects.get(pk=offer.pk).status == "approved"
    assert page.locator(f"#offer-{offer.pk}").count() == 0
