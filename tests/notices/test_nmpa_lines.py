"""An NMPA notice prints model/specification (型号规格), registration no. and the production
and expiry dates on every line, in the e-mail, its text and the PDF; other regimes keep their
columns."""

from __future__ import annotations

import pytest

from medrecall.catalog.models import DeviceModel
from medrecall.notices import documents, recipients
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.notices.test_sending import pdf_text
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db

REGISTRATION = "国械注准20253030001"


def rendered(recall: RecallCase, language: str, regime: str) -> documents.Rendered:
    DeviceModel.objects.filter(udi_di=CATH).update(registration_no=REGISTRATION)
    dist = Party.objects.get(code="DIST")
    lines = recipients.holder_lines(recall, [dist.pk])[dist.pk]
    return documents.render_notice(
        template_title="召回通知",
        template_subject="召回通知",
        sections=[],
        values={"units_total": sum(line["quantity"] for line in lines)},
        lines=lines,
        language=language,
        urgent=True,
        regime=regime,
    )


def test_every_line_of_an_nmpa_notice_carries_model_registration_and_dates(
    recall: RecallCase,
) -> None:
    dist = Party.objects.get(code="DIST")
    line = recipients.holder_lines(recall, [dist.pk])[dist.pk][0]
    assert (line["model_code"], line["manufactured_on"], line["expires_on"]) == (
        "CATH",
        "2025-01-10",
        "2028-01-09",
    )
    notice = rendered(recall, "zh-hans", "nmpa")
    for header in ("型号规格", "注册证号", "生产日期", "失效日期"):
        assert f'<th style="text-align: left;">{header}</th>' in notice.html
    assert "<td>CATH</td><td>国械注准20253030001</td><td>06950000000019</td>" in notice.html
    assert "<td>2025-01-10</td><td>2028-01-09</td>" in notice.html
    assert (
        "型号规格: CATH · 注册证号: 国械注准20253030001 · 生产日期: 2025-01-10 · "
        "失效日期: 2028-01-09" in notice.text
    )
    pdf = pdf_text(notice.pdf).replace("\n", "")  # a narrow column wraps
    for value in ("CATH", REGISTRATION, "2025-01-10", "2028-01-09", "型号规格"):
        assert value in pdf


def test_an_english_nmpa_notice_names_the_columns_in_english(recall: RecallCase) -> None:
    notice = rendered(recall, "en", "nmpa")
    assert '<th style="text-align: left;">Model/specification</th>' in notice.html
    assert "Expiry date: 2028-01-09" in notice.text


def test_an_fda_letter_keeps_its_columns(recall: RecallCase) -> None:
    notice = rendered(recall, "en", "fda")
    assert "Model/specification" not in notice.html
    assert REGISTRATION not in notice.html + notice.text
