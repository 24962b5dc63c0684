"""Browser: the manager sets the effectiveness-check level, draws a sample, records the checks
and sees the results; closing is refused with every reason listed until the closure is signed,
then the recall closes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.effectiveness.models import Sample
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in
from tests.effectiveness.test_closure import SUMMARY_MISSING, summary_submitted, use_up
from tests.execution.test_closure import HOLDERS, class_i_recall

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sample_checks_results_and_closing(
    page: Any,
    live_server: Any,
    manager: User,
    make_user: Callable[..., User],
    tmp_path: Path,
) -> None:
    recall = class_i_recall(tmp_path, manager, make_user)
    use_up(tmp_path, HOLDERS[1:])  # every unit accounted: returned and destroyed, or used
    log_in(page, live_server, manager)
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/recalls/{recall.pk}/effectiveness/")
    page.select_option("#level-form-nmpa select[name=level]", "C")
    with page.expect_navigation():
        page.click("#level-form-nmpa button[type=submit]")
    assert "Level C" in page.locator("#level-nmpa").inner_text()
    page.fill("#sample-form-nmpa input[name=seed]", "2026")
    with page.expect_navigation():
        page.click("#sample-form-nmpa button[type=submit]")
    assert "Sample drawn: 2 of 11 consignees (seed 2026)." in page.content()
    sampled = list(
        Sample.objects.get()
        .consignees.order_by("party__code")
        .values_list("party__code", flat=True)
    )
    for code in sampled:
        page.fill("#check-form-nmpa input[name=party]", code)
        page.select_option("#check-form-nmpa select[name=contacted_how]", "phone")
        with page.expect_navigation():
            page.click("#check-form-nmpa button[type=submit]")
        assert "Check recorded: passed." in page.content()
    results = page.locator("#results-nmpa").inner_text()
    assert "2 (100.0 %)" in results  # checked and passed

    with page.expect_navigation():
        page.click("#close-form button[type=submit]")  # refused: the closure is not signed
    assert "Sign the closure of the recall (e-signature, meaning approved)." in page.content()
    assert SUMMARY_MISSING in page.content()
    summary_submitted(recall, manager)  # the NMPA summary (filings' own browser test walks it)
    assert RecallCase.objects.get(pk=recall.pk).status == "effectiveness_check"

    page.goto(f"{live_server.url}/recalls/{recall.pk}/effectiveness/")
    page.fill("#closing-sign-form input[name=username]", manager.username)
    page.fill("#closing-sign-form input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("#closing-sign-form button[type=submit]")
    assert "Closure signed: the recall can be closed." in page.content()
    with page.expect_navigation():
        page.click("#close-form button[type=submit]")
    assert RecallCase.objects.get(pk=recall.pk).status == "closed"
    page.goto(f"{live_server.url}/recalls/{recall.pk}/effectiveness/")
    assert page.locator("#recall-closed").is_visible()
