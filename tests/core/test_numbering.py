"""Document numbers (``core/numbering.py``): one counter per series and year, going on from
the numbers already stored, distinct and consecutive when writers ask at the same moment."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from django.db import connection, transaction

from medrecall.accounts.roles import Role
from medrecall.catalog.models import DeviceModel
from medrecall.core.models import NumberSequence
from medrecall.core.numbering import next_number, number_pattern_regex
from medrecall.execution.models import Disposition, WorkOrder
from medrecall.recalls import services
from medrecall.recalls.models import RecallCase
from tests.factories import DeviceModelFactory

YEAR = datetime.now(tz=UTC).year


def _device_model() -> DeviceModel:
    return cast(DeviceModel, DeviceModelFactory())


def _recall_row(number: str, owner: Any) -> RecallCase:
    """A recall stored with a number of its own (as an import or an older release left it)."""
    return RecallCase.objects.create(number=number, title=number, owner=owner)


@pytest.mark.django_db
def test_numbers_of_a_series_are_consecutive() -> None:
    assert [next_number(WorkOrder, "WO") for _ in range(3)] == [
        f"WO-{YEAR}-00001",
        f"WO-{YEAR}-00002",
        f"WO-{YEAR}-00003",
    ]
    assert next_number(Disposition, "DSP") == f"DSP-{YEAR}-00001"  # another series, its own count
    assert sorted(NumberSequence.objects.values_list("series", "year", "last")) == [
        ("execution.disposition", YEAR, 1),
        ("execution.workorder", YEAR, 3),
    ]


@pytest.mark.django_db
def test_recall_numbers_go_on_from_the_highest_stored(manager: Any) -> None:
    _recall_row(f"RC-{YEAR}-0007", manager)
    _recall_row(f"RC-{YEAR}-0002", manager)
    _recall_row("RC-2019-0040", manager)  # another year
    _recall_row(f"RC-{YEAR}-00x9", manager)  # not a number of the pattern
    model = _device_model()
    opened = [
        services.recall_open(actor=manager, title=f"R{n}", products=[model]).number
        for n in range(2)
    ]
    assert opened == [f"RC-{YEAR}-0008", f"RC-{YEAR}-0009"]
    assert NumberSequence.objects.get(series="recalls.recallcase", year=YEAR).last == 9


@pytest.mark.django_db
def test_a_new_year_starts_at_one() -> None:
    december = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    january = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
    assert [
        services.next_recall_number(now=december),
        services.next_recall_number(now=january),
        services.next_recall_number(now=december),
    ] == ["RC-2026-0001", "RC-2027-0001", "RC-2026-0002"]


@pytest.mark.django_db
def test_the_recall_number_pattern_setting_is_honoured(settings: Any, manager: Any) -> None:
    settings.MEDRECALL_RECALL_NUMBER_PATTERN = "召回{year}/{seq:03d}"
    _recall_row(f"召回{YEAR}/012", manager)
    recall = services.recall_open(actor=manager, title="t", products=[_device_model()])
    assert recall.number == f"召回{YEAR}/013"


@pytest.mark.django_db
def test_a_pattern_without_year_counts_on_across_years(settings: Any, manager: Any) -> None:
    settings.MEDRECALL_RECALL_NUMBER_PATTERN = "R-{seq:05d}"
    _recall_row("R-00041", manager)
    assert [
        services.next_recall_number(now=datetime(2026, 6, 1, tzinfo=UTC)),
        services.next_recall_number(now=datetime(2027, 6, 1, tzinfo=UTC)),
    ] == ["R-00042", "R-00043"]
    assert list(NumberSequence.objects.values_list("year", "last")) == [(0, 43)]


@pytest.mark.django_db
def test_a_number_of_a_rolled_back_record_is_given_again() -> None:
    given: list[str] = []

    def refused_record() -> None:
        with transaction.atomic():
            given.append(next_number(WorkOrder, "WO"))
            raise RuntimeError("the record was refused")

    with pytest.raises(RuntimeError):
        refused_record()
    assert [*given, next_number(WorkOrder, "WO")] == [f"WO-{YEAR}-00001", f"WO-{YEAR}-00001"]


@pytest.mark.parametrize(
    ("pattern", "number", "sequence"),
    [
        pytest.param("RC-{year}-{seq:04d}", "RC-2026-0042", "0042", id="default"),
        pytest.param("RC-{year}-{seq:04d}", "RC-2026-12345", "12345", id="past-the-width"),
        pytest.param("RC-{year}-{seq:04d}", "RC-2025-0042", None, id="another-year"),
        pytest.param("{seq}.{year}", "7.2026", "7", id="sequence-first"),
        pytest.param("A+{year}-{seq}", "A+2026-3", "3", id="regex-characters-are-literal"),
        pytest.param("A+{year}-{seq}", "AA2026-3", None, id="no-regex-meaning"),
    ],
)
def test_the_pattern_reads_back_its_numbers(
    pattern: str, number: str, sequence: str | None
) -> None:
    found = number_pattern_regex(pattern, year=2026).fullmatch(number)
    assert (found.group(1) if found else None) == sequence


def test_an_unknown_field_in_the_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown field"):
        number_pattern_regex("RC-{month}-{seq}", year=2026)


@pytest.mark.django_db(transaction=True)
def test_recalls_opened_at_the_same_moment_get_distinct_consecutive_numbers(
    make_user: Any,
) -> None:
    """Six writers (six connections) open a recall at once, twice: the first round also creates
    the counter. Each gets its own number, consecutive after the ones stored."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections need PostgreSQL")
    owner = make_user(Role.QA_RA_MANAGER)
    _recall_row(f"RC-{YEAR}-0003", owner)
    model = _device_model()
    writers = 6

    def round_of_openings() -> tuple[list[str], list[str]]:
        barrier = threading.Barrier(writers)
        numbers: list[str] = []
        failures: list[str] = []

        def open_one(n: int) -> None:
            from django.db import connection as thread_connection

            try:
                barrier.wait()
                recall = services.recall_open(actor=owner, title=f"R{n}", products=[model])
                numbers.append(recall.number)
            except Exception as error:  # the old generator: IntegrityError on the unique number
                failures.append(type(error).__name__)
            finally:
                thread_connection.close()

        threads = [threading.Thread(target=open_one, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sorted(numbers), failures

    assert round_of_openings() == ([f"RC-{YEAR}-{n:04d}" for n in range(4, 10)], [])
    assert round_of_openings() == ([f"RC-{YEAR}-{n:04d}" for n in range(10, 16)], [])
    assert RecallCase.objects.count() == 13
    assert NumberSequence.objects.get(series="recalls.recallcase", year=YEAR).last == 15
