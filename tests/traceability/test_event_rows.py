"""The event import's fast path: rows read as tuples, and what each distinct cell text means
remembered per import — the same rows, problems and messages as the dictionary path."""

from __future__ import annotations

from pathlib import Path

import pytest

from medrecall.core.tabular import Columns, TableReader
from medrecall.traceability.importing import rows as rows_module
from medrecall.traceability.importing.events import EVENT_COLUMNS, EventImporter
from medrecall.traceability.importing.rows import (
    FIELDS,
    EventParser,
    References,
    event_texts,
    parse_event,
)
from tests.traceability.scenario import CATH, network

HEADER = ",".join(FIELDS)


def test_tuples_follow_the_asked_order_whatever_the_file_order(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Name ;GTIN;unit\n a ;1;EA\n\n;2\nc;3;EA;;\nd;4;EA;x\n", encoding="utf-8")
    reader = TableReader(
        path,
        file_name="p.csv",
        columns=Columns(required=("gtin", "name"), optional=("unit", "colour")),
    )
    got = list(reader.tuples(("gtin", "name", "colour", "unit")))
    assert got == [
        (2, ("1", "a", "", "EA"), None),
        (4, ("2", "", "", ""), None),  # a short row reads as empty cells
        (5, ("3", "c", "", "EA"), None),  # empty cells past the header are ignored
        (6, ("", "", "", ""), "The row has 4 values but the header has 3 columns."),
    ]


def test_tuples_match_rows_on_the_template(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        f"{HEADER}\nE1,produced,2025-01-10T08:00:00+08:00,{CATH},C1,,10,,FAC,,,,,\n"
        f" E2 ,shipped,2025-01-11T08:00:00Z,{CATH},C1,,5,FAC,D1,DN-1\n",
        encoding="utf-8",
    )
    by_dict = [
        (r.number, event_texts(r.values))
        for r in TableReader(path, file_name="events.csv", columns=EVENT_COLUMNS).rows()
    ]
    by_tuple = [
        (n, texts)
        for n, texts, _problem in TableReader(
            path, file_name="events.csv", columns=EVENT_COLUMNS
        ).tuples(FIELDS)
    ]
    assert by_tuple == by_dict
    assert by_tuple[1][1][0] == "E2"


@pytest.mark.django_db
def test_parser_remembers_meanings_and_repeats_the_same_problems() -> None:
    network()
    parser = EventParser(References.load())
    bad = (
        "E1",
        "teleported",
        "2025-01-10T08:00:00",
        "06950000000018",
        "C1",
        "",
        "0",
        "MARS",
        "",
        "",
        "2025-13-01",
        "",
        "",
        "",
    )
    first: list[tuple[str, str, str]] = []
    second: list[tuple[str, str, str]] = []
    assert parser.parse(2, bad, first) is None
    assert parser.parse(3, bad, second) is None
    assert first == second
    assert [(column, code) for column, code, _m in first] == [
        ("event_type", "choice"),
        ("event_time", "timezone"),
        ("gtin", "gtin"),
        ("quantity", "quantity"),
        ("from_location", "unknown_location"),
        ("manufactured", "date"),
    ]
    reference: list[tuple[str, str, str]] = []
    parse_event(2, dict(zip(FIELDS, bad, strict=True)), References.load(), reference)
    assert reference == first


@pytest.mark.django_db
def test_parser_cache_starts_afresh_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    network()
    monkeypatch.setattr(rows_module, "CACHE_SIZE", 2)
    parser = EventParser(References.load())
    for minute in range(5):
        problems: list[tuple[str, str, str]] = []
        texts = (
            "E1",
            "shipped",
            f"2025-01-10T08:0{minute}:00+08:00",
            CATH,
            "C1",
            "",
            "5",
            "FAC",
            "D1",
            "DN",
            "",
            "",
            "",
            "",
        )
        staged = parser.parse(2, texts, problems)
        assert problems == []
        assert staged is not None
        assert staged[3] == f"2025-01-10 00:0{minute}:00"
    assert len(parser._times) <= 2


@pytest.mark.django_db
def test_header_in_another_order_imports_the_same(tmp_path: Path) -> None:
    network()
    columns = ("quantity", "event_type", "event_id", "to_location", "lot", "gtin", "event_time")
    path = tmp_path / "reordered.csv"
    path.write_text(
        ",".join(columns) + f"\n10,produced,E1,FAC,C1,{CATH},2025-01-10T08:00:00+08:00\n",
        encoding="utf-8",
    )
    result = EventImporter().run(path, file_name="reordered.csv")
    assert (result.accepted, result.created, result.errors) == (True, 1, [])


def test_direct_load_reads_times_as_python_does() -> None:
    """The direct load converts the common time form with polars: the same UTC text as
    EventParser, and nothing for what Python refuses or polars cannot make."""
    import random
    from datetime import UTC, datetime

    import polars as pl

    from medrecall.traceability.importing.direct import ISO_SECONDS

    rng = random.Random(7)
    texts = [
        "2024-02-29T23:59:59-03:30",
        "2025-02-29T00:00:00+00:00",
        "2025-04-31T10:00:00+01:00",
        "2025-01-01T23:59:60+08:00",
        "2025-01-01T24:00:00+08:00",
        "2025-01-01T00:00:00+24:00",
        "2025-01-01T08:00:00Z",
        "2025-01-01T08:00:00.5+08:00",
        "1899-12-31T08:00:00+08:00",
    ]
    texts += [
        f"{rng.randint(1990, 2035)}-{rng.randint(1, 12):02}-{rng.randint(1, 31):02}T{rng.randint(0, 23):02}:"
        f"{rng.randint(0, 59):02}:{rng.randint(0, 59):02}{rng.choice('+-')}{rng.randint(0, 23):02}:"
        f"{rng.choice([0, 15, 30, 45, 59]):02}"
        for _n in range(5000)
    ]
    text = pl.col("t")
    converted = pl.DataFrame({"t": texts}).select(
        pl.when(text.str.contains(ISO_SECONDS)).then(
            text.str.strptime(
                pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%:z", strict=False
            ).dt.strftime("%Y-%m-%d %H:%M:%S")
        )
    )
    by_polars = converted.to_series().to_list()
    assert by_polars[0] == "2024-03-01 03:29:59"
    assert by_polars[1:9] == [None] * 8  # left to EventParser
    for source, fast in zip(texts, by_polars, strict=True):
        if fast is not None:
            assert fast == str(datetime.fromisoformat(source).astimezone(UTC).replace(tzinfo=None))
