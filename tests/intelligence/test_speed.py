"""The import's writer thread and the PostgreSQL full-text candidates (bench/README.md,
"Fourth pass")."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from medrecall.intelligence import importers, parsing, search, services
from medrecall.intelligence.importers import FdaRecallImporter
from medrecall.intelligence.models import PublicRecall
from tests.intelligence.samples import download, recall_example, varied

pytestmark = pytest.mark.django_db


def _many(tmp_path: Path, count: int, **changes) -> Path:
    records = [
        varied(recall_example(), "cfres_id", str(400000 + n), **changes) for n in range(count)
    ]
    return download(tmp_path / "many.json", records)


def test_batches_are_written_in_the_files_order(tmp_path, monkeypatch):
    monkeypatch.setattr(importers, "WRITE_BATCH", 7)
    path = _many(tmp_path, 50)

    outcome = FdaRecallImporter().run(path, file_name=path.name)

    assert (outcome.accepted, outcome.created) == (True, 50)
    keys = list(PublicRecall.objects.order_by("id").values_list("key", flat=True))
    assert keys == [str(400000 + n) for n in range(50)]


def test_a_failed_write_refuses_the_file_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(importers, "WRITE_BATCH", 10)
    written = services.public_recalls_write
    calls: list[int] = []

    def second_fails(**kwargs):
        calls.append(len(kwargs["rows"]))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        written(**kwargs)

    monkeypatch.setattr(services, "public_recalls_write", second_fails)
    path = _many(tmp_path, 45)

    with pytest.raises(RuntimeError, match="disk full"):
        FdaRecallImporter().run(path, file_name=path.name)

    assert calls[:2] == [10, 10]
    assert PublicRecall.objects.count() == 0


def test_a_bad_record_after_written_batches_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(importers, "WRITE_BATCH", 10)
    records = [varied(recall_example(), "cfres_id", str(500000 + n)) for n in range(35)]
    records[31]["event_date_initiated"] = "20190231"
    path = download(tmp_path / "late-bad.json", records)

    outcome = FdaRecallImporter().run(path, file_name=path.name)

    assert outcome.accepted is False
    assert [(e.row, e.column, e.code) for e in outcome.errors] == [
        (32, "event_date_initiated", "date")
    ]
    assert PublicRecall.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's page cache")
def test_the_sqlite_page_cache_is_restored_after_the_import(tmp_path):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]

    FdaRecallImporter().run(_many(tmp_path, 3), file_name="many.json")

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == before != -services.SQLITE_CACHE_KIB


def test_a_distribution_pattern_is_read_once():
    text = "Nationwide Distribution including AR, CA, FL, ID, OK, PA, TX, and UT."
    first = parsing.parse_distribution(text)

    assert parsing.parse_distribution(text) is first
    assert first.states == ("AR", "CA", "FL", "ID", "OK", "PA", "TX", "UT")


def _analysed(tmp_path: Path, records: list[dict]) -> None:
    FdaRecallImporter().run(download(tmp_path / "words.json", records), file_name="words.json")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {PublicRecall._meta.db_table}")


def _ranked_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if "WITH candidates" in q["sql"]]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's full text")
def test_common_words_held_together_by_enough_records_rank_only_those(tmp_path):
    both = [
        varied(recall_example(), "cfres_id", str(600000 + n), reason_for_recall="Pump alarm.")
        for n in range(30)
    ]
    one = [
        varied(recall_example(), "cfres_id", str(700000 + n), reason_for_recall="Pump only.")
        for n in range(30)
    ]
    _analysed(tmp_path, both + one)
    holding_both = set(
        PublicRecall.objects.filter(key__startswith="6").values_list("id", flat=True)
    )

    with CaptureQueriesContext(connection) as queries:
        ranks = search.text_ranks(["pump", "alarm"], limit=20)

    assert len(ranks) == 20
    assert set(ranks) <= holding_both
    [statement] = _ranked_statements(queries)
    assert "ORDER BY id DESC" not in statement


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's full text")
def test_common_words_held_together_by_too_few_add_the_latest_holding_any(tmp_path):
    records = [
        varied(recall_example(), "cfres_id", str(600000 + n), reason_for_recall="Pump leak.")
        for n in range(40)
    ] + [
        varied(recall_example(), "cfres_id", str(700000 + n), reason_for_recall="Alarm silent.")
        for n in range(40)
    ]
    _analysed(tmp_path, records)

    with CaptureQueriesContext(connection) as queries:
        ranks = search.text_ranks(["pump", "alarm"], limit=20)

    assert len(ranks) == 20
    first, second = _ranked_statements(queries)
    assert "ORDER BY id DESC" not in first
    assert f"ORDER BY id DESC LIMIT {search.LATEST}" in second


def _statistics_rows() -> int:
    """Rows of the planner's statistics for the public recall table (0 when never analysed)."""
    table = PublicRecall._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_stats WHERE tablename = %s AND attname = 'search_vector'",
                [table],
            )
            return cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
        return cursor.fetchone()[0]


def test_an_import_of_many_records_leaves_the_planner_statistics_fresh(tmp_path, monkeypatch):
    monkeypatch.setattr(services, "ANALYZE_AFTER", 20)
    assert _statistics_rows() == 0

    FdaRecallImporter().run(_many(tmp_path, 19), file_name="few.json")
    assert _statistics_rows() == 0  # a small import leaves them to the database's own upkeep

    outcome = FdaRecallImporter().run(_many(tmp_path, 40), file_name="many.json")

    assert outcome.created == 21
    assert _statistics_rows() > 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                [PublicRecall._meta.db_table],
            )
            assert cursor.fetchone()[0] == 40


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's full text")
def test_a_rare_word_in_no_record_still_finds_the_records_of_the_common_ones(tmp_path):
    """ "surgical zebra": no record says zebra (PostgreSQL's statistics do not list it, so it
    counts as rare), every record says surgical (common): the surgical records are found, as
    SQLite's ranking of every match finds them."""
    records = [
        varied(recall_example(), "cfres_id", str(600000 + n), reason_for_recall="Surgical leak.")
        for n in range(60)
    ]
    _analysed(tmp_path, records)

    ranks = search.text_ranks(["surgical", "zebra"], limit=20)

    assert len(ranks) == 20
