"""Similar-recall search (English and Chinese), recalls like a recall case, statistics."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from medrecall.accounts.roles import Role
from medrecall.intelligence import selectors
from medrecall.intelligence.glossary import read_query
from medrecall.intelligence.importers import FdaRecallImporter
from medrecall.recalls.services import recall_open
from tests.factories import DeviceModelFactory
from tests.intelligence.samples import RECALL_CSV, download, search_records, varied

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(tmp_path):
    importer = FdaRecallImporter()
    importer.run(RECALL_CSV, file_name=RECALL_CSV.name)
    path = download(tmp_path / "search.json", search_records())
    assert importer.run(path, file_name=path.name).created == 6


def _keys(found):
    return [item.record.key for item in found.results]


def test_english_words_rank_the_obviously_similar_recall_first(history):
    found = selectors.similar_recalls(
        selectors.criteria_from(text="infusion pump software miscalculates the dose")
    )

    assert _keys(found)[0] == "900001"
    assert found.results[0].matched == ("text",)
    assert found.read.words == ["infusion", "pump", "software", "miscalculates", "dose"]


def test_a_chinese_query_ranks_the_obviously_similar_recall_first(history):
    found = selectors.similar_recalls(selectors.criteria_from(text="输液泵软件剂量计算错误"))

    assert _keys(found)[0] == "900001"
    assert found.read.unknown == []
    assert set(found.read.words) >= {"infusion", "pump", "software", "dose", "calculation"}


def test_a_chinese_root_cause_becomes_a_criterion():
    read = read_query("软件设计 导致 剂量 错误")

    assert read.root_causes == ["Software design"]
    assert read.words == ["software", "design", "dose", "dosage", "error", "incorrect"]
    assert read.unknown == ["导致"]


def test_product_code_and_root_cause_add_to_the_words(history):
    found = selectors.similar_recalls(
        selectors.criteria_from(text="pump", product_code="FRN", root_cause="Software design")
    )

    assert _keys(found)[:2] == ["900001", "900002"]
    assert found.results[0].matched == ("text", "product_code", "root_cause")
    assert found.results[1].matched == ("text", "product_code")
    assert found.results[0].score > found.results[1].score > found.results[2].score


def test_a_firm_alone_finds_its_recalls(history):
    found = selectors.similar_recalls(selectors.criteria_from(firm="Hospira, Inc"))

    with RECALL_CSV.open(encoding="utf-8") as handle:
        hospira = [
            r["cfres_id"] for r in csv.DictReader(handle) if r["recalling_firm"] == "Hospira Inc"
        ]
    assert len(hospira) == 4
    assert sorted(_keys(found)) == sorted(hospira)
    assert {item.matched for item in found.results} == {("firm",)}


def test_no_criteria_find_nothing_and_unknown_words_find_nothing(history):
    assert selectors.similar_recalls(selectors.criteria_from(text="")).results == []
    assert selectors.similar_recalls(selectors.criteria_from(text="zzzqqq")).results == []


def test_search_runs_a_constant_number_of_queries(tmp_path):
    importer = FdaRecallImporter()
    criteria = selectors.criteria_from(
        text="infusion pump software dose", product_code="FRN", firm="Example Infusion Systems"
    )
    importer.run(download(tmp_path / "few.json", search_records()[:2]), file_name="few.json")
    with CaptureQueriesContext(connection) as few:
        assert len(selectors.similar_recalls(criteria).results) == 2
    many = [varied(search_records()[0], "cfres_id", f"8{n:05d}") for n in range(60)]
    importer.run(download(tmp_path / "many.json", many), file_name="many.json")
    with CaptureQueriesContext(connection) as lots:
        assert len(selectors.similar_recalls(criteria, limit=50).results) == 50

    # PostgreSQL reads its column statistics for the query's words first (search._postgresql).
    expected = 5 if connection.vendor == "postgresql" else 4
    assert len(lots.captured_queries) == len(few.captured_queries) == expected


def test_recalls_like_a_case_use_its_reason_and_clearances(history, make_user):
    pump = DeviceModelFactory(name="输液泵", name_en="Infusion pump", clearance_no="K900263")
    recall = recall_open(
        actor=make_user(Role.QA_RA_MANAGER),
        title="输液泵软件剂量计算错误",
        title_en="Infusion pump software dose error",
        products=[pump],
        reason="软件在调整速率时剂量计算错误",
        reason_en="The pump software miscalculates the dose when the rate changes.",
    )

    found = selectors.similar_to_case(recall)

    assert _keys(found)[0] == "900001"
    assert "k_number" in found.results[0].matched  # the example record's 510(k) K900263
    assert found.criteria.k_numbers == ("K900263",)


def test_statistics_of_the_real_extract(history):
    stats = selectors.recall_statistics(selectors.Filters(source="recall"))

    with RECALL_CSV.open(encoding="utf-8") as handle:
        causes = Counter(row["root_cause_description"] for row in csv.DictReader(handle))
    assert stats["records"] == 106
    by_cause = {row["value"]: row["count"] for row in stats["by_root_cause"]}
    assert by_cause["Device Design"] == causes["Device Design"] + 1
    assert by_cause["Software design"] == causes["Software design"] + 2
    assert stats["by_device_class"] == [{"value": 2, "count": 106}]
    assert stats["by_year"] == [{"value": 2019, "count": 5}, {"value": 2024, "count": 1}]
    assert stats["duration"]["terminated"] == 6
    assert stats["duration"]["median_days"] == 496
    assert stats["duration"]["buckets"][3:5] == [
        {"from": 181, "to": 365, "count": 1},  # the pump: 264 days
        {"from": 366, "to": 730, "count": 5},  # the example record and its variants: 496 days
    ]
    assert stats["code_info_unread"] == 0


def test_statistics_filters(history):
    stats = selectors.recall_statistics(
        selectors.Filters(product_codes=("FRN",), year_from=2024, year_to=2024)
    )

    assert stats["records"] == 1
    assert stats["quantity"] == {
        "with_quantity": 1,
        "total": 1200,
        "median": 1200,
        "buckets": [
            {"from": 0, "to": 10, "count": 0},
            {"from": 11, "to": 100, "count": 0},
            {"from": 101, "to": 1000, "count": 0},
            {"from": 1001, "to": 10000, "count": 1},
            {"from": 10001, "to": 100000, "count": 0},
            {"from": 100001, "to": None, "count": 0},
        ],
    }
    assert stats["duration"]["average_days"] == (date(2024, 11, 20) - date(2024, 3, 1)).days


def test_an_unknown_source_is_refused():
    with pytest.raises(selectors.SearchInvalid):
        selectors.recall_statistics(selectors.Filters(source="drugs"))


def test_tip_is_in_the_glossary():
    """尖端 (tip), as the glossary and the demo's Chinese recall write it, is read as "tip"."""
    read = read_query("导管尖端脱落")

    assert sorted(read.words) == ["catheter", "detach", "tip"]
    assert read.unknown == []
