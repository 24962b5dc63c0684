"""How filings are rendered and labelled in each language: the company, the consignees and the
countries in the document's language, the NMPA level only under NMPA, FDA classes as Chinese
RA writes them, versions without periods on one-off documents, full-width colons, column
widths, named download files."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.filings import services
from medrecall.filings.downloads import file_stem
from medrecall.filings.rendering import blocks, column_widths, docx
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.filings.conftest import signed_plan
from tests.filings.test_eu import eu_recall  # noqa: F401 - the EU recall fixture

pytestmark = pytest.mark.django_db


def _word_text(data: bytes) -> str:
    from docx import Document

    word = Document(io.BytesIO(data))
    cells = [c.text for t in word.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in word.paragraphs] + cells)


def _rows(document: dict[str, Any]) -> dict[str, str]:
    found = dict(document["rows"])
    for block in document["blocks"]:
        found |= dict(block.get("rows") or [])
    return found


def test_the_chinese_plan_names_the_company_countries_and_level_in_chinese(
    recall: RecallCase, manager: User
) -> None:
    filing = signed_plan(recall, manager)
    zh, en = blocks(filing, "zh-hans"), blocks(filing, "en")
    assert "MedRecall 演示医疗器械有限公司，中国苏州市演示路1号" in _rows(zh).values()
    assert "MedRecall Demo Medical Co., Ltd., 1 Demo Road, Suzhou, China" in _rows(en).values()
    assert zh["footer"].startswith("MedRecall 演示医疗器械有限公司 · ")
    with translation.override("zh-hans"):
        countries = _rows(zh)[_("Countries and regions")]
        level = _rows(zh)[_("NMPA level")]
    assert (countries, level) == ("中国", "二级")
    assert (_rows(en)["Countries and regions"], _rows(en)["NMPA level"]) == ("China", "Level II")


def test_a_one_off_document_has_a_version_and_no_period(recall: RecallCase, manager: User) -> None:
    filing = signed_plan(recall, manager)
    assert (blocks(filing, "zh-hans")["version"], blocks(filing, "en")["version"]) == (
        "第 1 版",
        "Version 1",
    )
    progress = services.filing_generate(
        recall=recall, doc_type="nmpa.progress_report", actor=manager
    )
    assert blocks(progress, "zh-hans")["version"] == "第 1 期，第 1 版"


def test_the_word_file_says_production_date_with_full_width_colons_and_sized_columns(
    recall: RecallCase, manager: User
) -> None:
    filing = signed_plan(recall, manager)
    filing.change_note = "批次C2加入"
    filing.addressees = [{"zh": "江苏省药品监督管理局", "en": "Jiangsu MPA"}]
    document = blocks(filing, "zh-hans")
    text = _word_text(docx(document))
    assert "生产日期" in text
    assert "生产入库" not in text
    assert "失效日期" in text
    assert "变更内容：批次C2加入" in text
    assert "至：江苏省药品监督管理局" in text
    assert "Jiangsu MPA" not in text
    table = next(
        b["table"]
        for b in document["blocks"]
        if "lot" in str(b["heading"]).lower() or "批" in str(b["heading"])
    )
    widths = column_widths(table)
    assert round(sum(widths), 6) == 16.0
    assert min(widths) >= 1.6


def test_the_fda_status_report_names_consignees_in_the_documents_language(
    fda_recall: RecallCase, manager: User
) -> None:
    Party.objects.filter(code="HOSP").update(name="杭州示范医院", name_en="Hangzhou Model Hospital")
    Party.objects.filter(code="HOSP2").update(name="无英文名医院", name_en="")
    filing = services.filing_generate(
        recall=fda_recall, doc_type="fda.status_report", actor=manager
    )
    en = blocks(filing, "en")
    zh = blocks(filing, "zh-hans")
    names_en = [row[0] for b in en["blocks"] if b.get("table") for row in b["table"]["rows"]]
    names_zh = [row[0] for b in zh["blocks"] if b.get("table") for row in b["table"]["rows"]]
    assert "HOSP Hangzhou Model Hospital" in names_en
    assert "HOSP2 无英文名医院" in names_en  # no English name: the original
    assert "HOSP 杭州示范医院" in names_zh
    assert not any("NMPA" in str(label) for label in _rows(en))  # no NMPA level row


def test_the_806_writes_addresses_in_the_documents_language_and_the_class_as_ra_writes_it(
    fda_recall: RecallCase, manager: User
) -> None:
    Party.objects.filter(code="HOSP").update(
        name="杭州示范医院",
        name_en="Hangzhou Model Hospital",
        address="西湖大道1号",
        city="杭州市",
        province="浙江省",
        province_code="CN-ZJ",
        postal_code="310000",
        country="CN",
    )
    fda_recall.regimes.filter(regime="fda").update(fda_class="II")
    filing = services.filing_generate(recall=fda_recall, doc_type="fda.report_806", actor=manager)
    en, zh = blocks(filing, "en"), blocks(filing, "zh-hans")
    rows_en = [r for b in en["blocks"] if b.get("table") for r in b["table"]["rows"]]
    rows_zh = [r for b in zh["blocks"] if b.get("table") for r in b["table"]["rows"]]
    hosp_en = next(r for r in rows_en if r[0].startswith("HOSP "))
    hosp_zh = next(r for r in rows_zh if r[0].startswith("HOSP "))
    # Name, domestic or foreign (the location's country: the fixture's sites are in the US), address.
    assert hosp_en[:3] == [
        "HOSP Hangzhou Model Hospital",
        "Domestic",
        "西湖大道1号, 杭州市, Zhejiang, China, 310000",
    ]
    assert hosp_zh[:3] == ["HOSP 杭州示范医院", "美国境内", "中国 浙江省 杭州市 西湖大道1号 310000"]
    assert _rows(en)["FDA classification"] == "Class II"
    with translation.override("zh-hans"):
        assert _rows(zh)[_("FDA classification")] == "II 类"


def test_downloads_are_named_by_document_and_recall_number(
    recall: RecallCase, manager: User
) -> None:
    filing = signed_plan(recall, manager)
    assert file_stem(filing, "zh-hans") == f"{recall.number}_召回计划_v1_zh"
    assert file_stem(filing, "en") == f"{recall.number}_Recall-plan_v1_en"
    progress = services.filing_generate(
        recall=recall, doc_type="nmpa.progress_report", actor=manager
    )
    stem = file_stem(progress, "en")
    assert stem == f"{recall.number}_Recall-plan-implementation-(progress)-report_No1_v1_en"
    assert re.fullmatch(r"[\w.()\-]+", stem)


def test_the_chinese_fsca_reports_name_the_company_and_countries_in_chinese(
    eu_recall: RecallCase,  # noqa: F811 - the fixture imported above
    manager: User,
) -> None:
    report = services.filing_generate(
        recall=eu_recall, doc_type="eu_mdr.fsca_report", actor=manager
    )
    final = services.filing_generate(recall=eu_recall, doc_type="eu_mdr.fsca_final", actor=manager)
    zh, en = _rows(blocks(report, "zh-hans")), _rows(blocks(report, "en"))
    with translation.override("zh-hans"):
        assert zh[_("Manufacturer")] == "MedRecall 演示医疗器械有限公司，中国苏州市演示路1号"
        assert zh[_("Affected EEA countries")] == "德国"
    assert en["Manufacturer"] == "MedRecall Demo Medical Co., Ltd., 1 Demo Road, Suzhou, China"
    assert en["Affected EEA countries"] == "Germany"
    with translation.override("zh-hans"):
        heading = _("Reconciliation per country")
    table = next(b["table"] for b in blocks(final, "zh-hans")["blocks"] if b["heading"] == heading)
    assert [row[0] for row in table["rows"]] == ["德国", "法国"]


def test_each_document_has_one_chinese_name_of_its_own() -> None:
    from medrecall.filings.documents import DOCUMENT_TYPES

    with translation.override("zh-hans"):
        names = {kind.code: (kind.title_zh, str(kind.label)) for kind in DOCUMENT_TYPES}
    assert {code for code, (title, label) in names.items() if title != label} == set()
    titles = [title for title, _label in names.values()]
    assert len(set(titles)) == len(titles)
