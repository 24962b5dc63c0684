"""What a new user's walk through the public recall history found: the year chart empty for
records without an initiation date, empty chart frames, headers one character per line, the
2012-era firm line kept whole, and a YAML file read as a table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.test import Client

from medrecall.accounts.roles import Role
from medrecall.core.errors import ImportRejected
from medrecall.intelligence import selectors
from medrecall.intelligence.importers import FdaEnforcementImporter, FdaRecallImporter
from medrecall.intelligence.models import PublicRecall
from medrecall.intelligence.parsing import split_old_firm
from tests.conftest import PASSWORD
from tests.intelligence.samples import FDA, RECALL_CSV

pytestmark = pytest.mark.django_db
OLD_SHAPE = Path(__file__).parent / "data" / "weekly_report_2012_shape.jsonl"
FIELDS_YAML = FDA / "devicerecall_fields_head.yaml"  # the start of openFDA's field definitions


def _client(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=user.username, password=PASSWORD)
    client.cookies["django_language"] = language
    return client


def test_the_2012_firm_line_is_split_into_its_fields():
    outcome = FdaEnforcementImporter().run(OLD_SHAPE, file_name=OLD_SHAPE.name)

    assert (outcome.accepted, outcome.created) == (True, 2)
    rows = list(
        PublicRecall.objects.order_by("key").values_list(
            "key", "firm", "city", "state", "action", "status", "initiated_on", "posted_on",
            "product_code",
        )
    )  # fmt: skip
    assert rows == [
        (
            "Z-1773-2012", "Advanced Sterilization Products", "Irvine", "CA",
            "by letter dated March 16, 2012", "Ongoing", date(2012, 3, 16), date(2012, 6, 13), "",
        ),
        (
            "Z-1795-2012", "Aesculap Implant Systems", "Center Valley", "PA",
            "by telephone and letter dated February 21, 2012; manufacturer: Aesculap AG, "
            "Tuttlingen, Germany",
            "Ongoing", date(2012, 2, 21), date(2012, 6, 13), "",
        ),
    ]  # fmt: skip


def test_a_plain_firm_name_is_left_as_it_is():
    assert split_old_firm("Baxter Healthcare Corporation") is None
    assert split_old_firm("Stryker, Mahwah, NJ, by letter dated 4/5/2004.") == {
        "firm": "Stryker",
        "city": "Mahwah",
        "state": "NJ",
        "notification": "by letter dated 4/5/2004",
    }


@pytest.mark.parametrize("name", ["devicerecall.yaml", "devicerecall.csv"])
def test_a_yaml_file_is_refused_as_not_an_openfda_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(FIELDS_YAML.read_bytes())

    with pytest.raises(ImportRejected) as refused:
        FdaRecallImporter().run(path, file_name=name)

    assert refused.value.message == (
        f"{name} is not an openFDA JSON download or CSV extract (it reads as YAML, like openFDA's "
        "field definitions). Import the device/recall download from open.fda.gov/data/downloads "
        "(.json or .json.zip) or a CSV extract whose first line names the fields (cfres_id, …)."
    )
    assert "Unknown column" not in refused.value.message
    assert PublicRecall.objects.count() == 0


def test_the_year_counts_records_by_another_date_when_initiation_is_missing():
    FdaRecallImporter().run(RECALL_CSV, file_name=RECALL_CSV.name)
    FdaEnforcementImporter().run(OLD_SHAPE, file_name=OLD_SHAPE.name)
    PublicRecall.objects.filter(key="Z-1795-2012").update(initiated_on=None)

    stats = selectors.recall_statistics(selectors.Filters())

    assert stats["records"] == 102
    assert stats["by_year"] == [{"value": 2012, "count": 2}]
    assert stats["year_dates"] == {"initiated": 1, "classified": 0, "posted": 1, "undated": 100}
    assert (
        selectors.recall_statistics(selectors.Filters(year_from=2012, year_to=2012))["records"] == 2
    )


def test_the_page_says_how_many_records_lack_a_date_and_notes_an_empty_chart(make_user):
    FdaRecallImporter().run(RECALL_CSV, file_name=RECALL_CSV.name)

    body = _client(make_user(Role.VIEWER)).get("/intelligence/").content.decode()

    assert 'id="chart-year"' not in body
    assert "No data: none of these records has a date." in body
    assert (
        "Year of initiation for 0 records; 0 without an initiation date are counted by their "
        "classification date and 0 by their report date; 100 have no date and are not in the "
        "chart." in body
    )


def test_the_page_in_chinese_notes_the_empty_year_chart(make_user):
    FdaRecallImporter().run(RECALL_CSV, file_name=RECALL_CSV.name)

    body = (
        _client(make_user(Role.VIEWER, language="zh-hans"), "zh-hans")
        .get("/intelligence/")
        .content.decode()
    )

    assert "无数据：这些记录都没有日期。" in body
    assert "100 条没有日期，未计入图表。" in body


def test_the_year_chart_is_drawn_when_there_are_dates(make_user):
    FdaEnforcementImporter().run(OLD_SHAPE, file_name=OLD_SHAPE.name)

    body = _client(make_user(Role.VIEWER)).get("/intelligence/").content.decode()

    assert 'id="chart-year"' in body
    assert "No data: none of these records has a date." not in body


def test_results_table_headers_keep_their_words_whole(make_user):
    FdaEnforcementImporter().run(OLD_SHAPE, file_name=OLD_SHAPE.name)
    css = (Path(__file__).parents[2] / "src/medrecall/web/static/web/medrecall.css").read_text()

    body = _client(make_user(Role.VIEWER)).get("/intelligence/", {"q": "raw material"}).content
    page = body.decode()

    assert '<table class="striped wide-table" id="similar-results">' in page
    assert ".wide-table th { white-space: nowrap; word-break: keep-all; }" in css


def test_quality_dashboard_without_root_causes_shows_a_note_not_an_empty_chart(make_user):
    body = _client(make_user(Role.QA_RA_MANAGER)).get("/quality/").content.decode()

    assert 'id="chart-root-causes"' not in body
    assert 'id="root-cause-data"' not in body
    assert "No data yet: the chart appears once a CAPA records a root cause." in body


@pytest.mark.parametrize(
    ("role", "language", "said"),
    [
        (Role.QA_RA_MANAGER, "en", 'on the <a href="/imports/">Imports</a> page'),
        (Role.QA_RA_MANAGER, "zh-hans", '<a href="/imports/">导入</a>'),
        (Role.VIEWER, "en", "Ask a quality/regulatory manager or an administrator"),
    ],
)
def test_an_empty_history_says_how_to_fill_it_and_a_filled_one_does_not(
    make_user, role, language, said
):
    from medrecall.recalls.models import RecallCase

    user = make_user(role, language=language)
    client = _client(user, language)
    body = client.get("/intelligence/").content.decode()
    assert 'id="history-empty"' in body
    assert said in body

    FdaRecallImporter().run(RECALL_CSV, file_name=RECALL_CSV.name)
    assert 'id="history-empty"' not in client.get("/intelligence/").content.decode()
    if (recall := RecallCase.objects.first()) is not None and role == Role.QA_RA_MANAGER:
        similar = client.get(f"/recalls/{recall.pk}/similar/").content.decode()
        assert 'id="history-empty"' not in similar
