"""Browser, in English and in Chinese: a QA/RA manager records FDA's class and a Z-number typed
alone, makes a new version of the submitted recall plan with what changed in Chinese, sees the
check ask for the English note, writes it and the check passes; the history names people by
name. A portal user of a holder reaches none of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.filings import services
from medrecall.filings.models import Filing
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallRegime
from tests.e2e.test_browser import log_in
from tests.filings.conftest import ACK, signed_plan
from tests.notices.conftest import approved_recall
from tests.traceability.scenario import CATH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "class": "Class II",
        "saved": "FDA's record of the recall is saved.",
        "missing": "The change note (what changed in this version) is empty in English.",
        "complete": "Nothing is missing.",
    },
    "zh-hans": {
        "class": "II 类",
        "saved": "已保存 FDA 对本次召回的记录。",
        "missing": "变更说明（本版本的变更内容）的英文内容为空。",
        "complete": "内容齐全。",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_manager_records_fda_and_files_a_plan_change_in_both_languages(
    page: Any,
    live_server: Any,
    make_user: Callable[..., User],
    tmp_path: Path,
    language: str,
) -> None:
    manager = make_user(Role.QA_RA_MANAGER, language=language)
    User.objects.filter(pk=manager.pk).update(first_name="芳", last_name="王")
    manager.refresh_from_db()
    recall = approved_recall(tmp_path, manager, make_user, regimes=("nmpa", "fda"))
    DeviceModel.objects.filter(udi_di=CATH).update(registration_no="国械注准20203030001")
    Lot.objects.filter(device_model__udi_di=CATH).update(quantity_produced=1000)
    plan = services.filing_submit(
        filing=signed_plan(recall, manager),
        actor=manager,
        authority="广东省药品监督管理局",
        reference="YJ-2025-001",
        submitted_at=datetime(2025, 3, 2, 9, tzinfo=UTC),
        acknowledgement=SimpleUploadedFile("ack.pdf", ACK),
        acknowledgement_name="ack.pdf",
    )
    words = WORDS[language]
    log_in(page, live_server, manager)

    # FDA's record: the classes in the reader's words, a Z-number typed alone.
    page.goto(f"{live_server.url}/recalls/{recall.pk}/filings/")
    page.select_option("#fda-record-form select[name=fda_class]", "II")
    page.fill("#fda-record-form input[name=z_numbers]", "Z-0001-2027")
    page.click("#fda-record-form button[type=submit]")
    page.wait_for_selector("td[data-fda='z']")
    assert words["saved"] in page.content()
    assert page.locator("td[data-fda='class']").inner_text() == words["class"]
    sep = "：" if language == "zh-hans" else ": "
    assert page.locator("td[data-fda='z']").inner_text() == f"CATH{sep}Z-0001-2027"
    regime = RecallRegime.objects.get(recall=recall, regime="fda")
    assert regime.fda_z_numbers == [{"model_code": "CATH", "z_number": "Z-0001-2027"}]

    # A new version of the plan with what changed in Chinese: the check asks for English.
    page.goto(f"{live_server.url}/recalls/{recall.pk}/filings/{plan.pk}/")
    page.fill("#filing-revise-form textarea[name=change_note]", "收回期限延长至14日。")
    page.click("#filing-revise-form button[type=submit]")
    page.wait_for_selector("#filing-problems")
    assert page.locator("#filing-problems li").all_inner_texts() == [words["missing"]]
    page.fill("#filing-change-note-form textarea[name=change_note_en]", "Time limit 14 days.")
    page.click("#filing-save")
    page.wait_for_selector("#filing-complete")
    assert page.locator("#filing-complete").inner_text() == words["complete"]
    page.click("#filing-check-button")
    page.wait_for_selector("#filing-sign-form")
    second = Filing.objects.get(previous=plan)
    assert (second.status, second.change_note, second.change_note_en) == (
        "checked",
        "收回期限延长至14日。",
        "Time limit 14 days.",
    )
    history = page.locator("#filing-history li").all_inner_texts()
    assert history
    assert all(" · 王芳 · " in line for line in history)

    # A portal user of a holder reaches neither the filings nor the new version.
    page.context.clear_cookies()
    portal = make_user(Role.PORTAL, party=Party.objects.get(code="HOSP"))
    log_in(page, live_server, portal)
    for path in (f"/recalls/{recall.pk}/filings/", f"/recalls/{recall.pk}/filings/{second.pk}/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404
        assert "收回期限延长至14日" not in page.content()
        assert "Z-0001-2027" not in page.content()
