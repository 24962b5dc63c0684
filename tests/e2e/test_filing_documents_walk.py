"""Browser: a QA/RA manager opens a signed recall plan and downloads its Word file in their
language: named by the document and the recall number, the registrant, countries, level and
dates in that language; a portal user of a holder gets 404 on every file of it."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.parties.models import Party
from tests.e2e.test_browser import log_in
from tests.filings.conftest import signed_plan
from tests.notices.conftest import approved_recall
from tests.traceability.scenario import CATH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPECTED = {
    "en": {
        "link": "Word English",
        "name": "_Recall-plan_v1_en.docx",
        "words": ("MedRecall Demo Medical Co., Ltd.", "China", "Level II", "Production date"),
        "absent": ("演示医疗器械",),
    },
    "zh-hans": {
        "link": "Word 中文",
        "name": "_召回计划_v1_zh.docx",
        "words": ("MedRecall 演示医疗器械有限公司", "中国", "二级", "生产日期", "第 1 版"),
        "absent": ("Demo Medical", "生产入库", "第 1 期"),
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_manager_downloads_the_plan_in_their_language(
    page: Any,
    live_server: Any,
    make_user: Callable[..., User],
    tmp_path: Path,
    language: str,
) -> None:
    from docx import Document

    manager = make_user(Role.QA_RA_MANAGER, language=language)
    recall = approved_recall(tmp_path, manager, make_user, recall_class="II")
    DeviceModel.objects.filter(udi_di=CATH).update(registration_no="国械注准20203030001")
    Lot.objects.filter(device_model__udi_di=CATH).update(quantity_produced=1000)
    filing = signed_plan(recall, manager)
    expected = EXPECTED[language]
    log_in(page, live_server, manager)

    page.goto(f"{live_server.url}/recalls/{recall.pk}/filings/{filing.pk}/")
    with page.expect_download() as caught:
        page.click(f"#filing-downloads a:text-is('{expected['link']}')")
    download = caught.value
    assert download.suggested_filename == f"{recall.number}{expected['name']}"
    word = Document(io.BytesIO(Path(download.path()).read_bytes()))
    text = "\n".join(
        [p.text for p in word.paragraphs]
        + [c.text for t in word.tables for row in t.rows for c in row.cells]
    )
    for wanted in expected["words"]:
        assert wanted in text, wanted
    for unwanted in expected["absent"]:
        assert unwanted not in text, unwanted

    # A portal user of a holder reaches none of the plan's files.
    page.context.clear_cookies()
    portal = make_user(Role.PORTAL, party=Party.objects.get(code="HOSP"))
    log_in(page, live_server, portal)
    for name in ("pdf_zh", "pdf_en", "docx_zh", "docx_en"):
        response = page.request.get(
            f"{live_server.url}/recalls/{recall.pk}/filings/{filing.pk}/files/{name}/"
        )
        assert response.status == 404
        assert b"PK" not in response.body()[:2]
    api = page.request.get(
        f"{live_server.url}/api/recalls/{recall.pk}/filings/{filing.pk}/files/docx_zh/"
    )
    assert api.status in (403, 404)
