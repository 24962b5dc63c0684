"""The steps the table importers share (core.importing): duplicates in a file, problems in row
order, and create-or-update by natural key."""

from __future__ import annotations

from typing import Any

import pytest

from medrecall.core.importing import Applied, by_row, repeated, upsert
from medrecall.parties.models import Party, PartyType


def test_repeated_names_every_row_whose_key_another_row_has() -> None:
    records = [(2, "A"), (3, "B"), (4, "A"), (5, "C"), (6, "A")]
    assert repeated(records, lambda code: code, "party_code", lambda code: f"{code} again") == [
        (2, "party_code", "duplicate", "A again"),
        (4, "party_code", "duplicate", "A again"),
        (6, "party_code", "duplicate", "A again"),
    ]
    assert repeated([(2, "A"), (3, "B")], lambda code: code, "party_code", str) == []


def test_by_row_orders_rows_and_keeps_each_rows_problems_in_the_order_of_the_kinds() -> None:
    first = [(3, "gtin", "duplicate", "g3"), (7, "gtin", "duplicate", "g7")]
    second = [(2, "model_code", "duplicate", "m2"), (3, "model_code", "duplicate", "m3")]
    third = [(3, "model_code", "conflict", "c3")]
    assert by_row(first, second, third) == [
        (2, "model_code", "duplicate", "m2"),
        (3, "gtin", "duplicate", "g3"),
        (3, "model_code", "duplicate", "m3"),
        (3, "model_code", "conflict", "c3"),
        (7, "gtin", "duplicate", "g7"),
    ]


def _party(code: str, name: str, name_en: str = "") -> dict[str, Any]:
    return {"code": code, "name": name, "name_en": name_en, "party_type": PartyType.HOSPITAL}


def _existing(*codes: str) -> dict[str, Party]:
    return {p.code: p for p in Party.objects.filter(code__in=codes)}


@pytest.mark.django_db
def test_upsert_creates_updates_and_leaves_alone_in_two_statements(
    django_assert_num_queries: Any,
) -> None:
    Party.objects.create(**_party("H1", "Old name", "Old"))
    Party.objects.create(**_party("H2", "Same", "Same"))
    existing = _existing("H1", "H2", "H3")
    rows = [("H1", _party("H1", "New name")), ("H2", _party("H2", "Same", "Same"))]
    rows.append(("H3", _party("H3", "Third")))
    with django_assert_num_queries(2):  # one bulk_create, one bulk_update
        done = upsert(Party, existing, rows, fields=("name", "name_en"))
    assert ([p.code for p in done.new], [p.code for p in done.changed], done.unchanged) == (
        ["H3"],
        ["H1"],
        1,
    )
    assert done.applied == Applied(created=1, updated=1, unchanged=1)
    assert sorted(Party.objects.values_list("code", "name", "name_en")) == [
        ("H1", "New name", ""),
        ("H2", "Same", "Same"),
        ("H3", "Third", ""),
    ]


@pytest.mark.django_db
def test_upsert_keeps_known_values_that_keep_refuses() -> None:
    Party.objects.create(**_party("H1", "Old name", "Old"))
    done = upsert(
        Party,
        _existing("H1"),
        [("H1", _party("H1", "New name"))],
        fields=("name", "name_en"),
        keep=lambda value: value not in ("", None),
    )
    assert done.applied == Applied(created=0, updated=1, unchanged=0)
    assert list(Party.objects.values_list("name", "name_en")) == [("New name", "Old")]


@pytest.mark.django_db
def test_upsert_without_update_only_creates(django_assert_num_queries: Any) -> None:
    Party.objects.create(**_party("H1", "Old name", "Old"))
    existing = _existing("H1", "H2")
    with django_assert_num_queries(1):
        done = upsert(
            Party,
            existing,
            [("H1", _party("H1", "New name")), ("H2", _party("H2", "Second"))],
            fields=("name", "name_en"),
            update=False,
        )
    assert done.applied == Applied(created=1, updated=0, unchanged=1)
    assert sorted(Party.objects.values_list("code", "name")) == [
        ("H1", "Old name"),
        ("H2", "Second"),
    ]


@pytest.mark.django_db
def test_upsert_of_nothing_writes_nothing(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        done = upsert(Party, {}, [], fields=())
    assert done.applied == Applied()


@pytest.mark.django_db
def test_upserted_changes_name_or_count_what_was_written() -> None:
    Party.objects.create(**_party("H1", "Old name"))
    done = upsert(
        Party,
        _existing("H1"),
        [("H1", _party("H1", "New name")), ("H2", _party("H2", "Second"))],
        fields=("name",),
    )
    assert done.wrote is True
    assert done.changes(lambda party: party.code) == {"created": ["H2"], "updated": ["H1"]}
    assert done.changes() == {"created": 1, "updated": 1}
    again = upsert(
        Party, _existing("H1", "H2"), [("H1", _party("H1", "New name"))], fields=("name",)
    )
    assert (again.wrote, again.changes()) == (False, {"created": 0, "updated": 0})
