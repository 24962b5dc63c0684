"""One root-cause vocabulary: quality's CAPA root causes choose from FDA's openFDA
``root_cause_description`` values kept by intelligence (the lower layer), so our CAPAs and the
public recall history count alike; every value recorded before still maps."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.intelligence.glossary import ROOT_CAUSES, read_query, root_cause_label
from medrecall.intelligence.vocabulary import FdaRootCause
from medrecall.quality import selectors, services
from medrecall.quality.models import RootCause, RootCauseCategory


def _initial_choices() -> list[str]:
    """The categories quality's first migration offered (what existing rows may hold)."""
    initial = importlib.import_module("medrecall.quality.migrations.0001_initial")
    for operation in initial.Migration.operations:
        if getattr(operation, "name", "") == "RootCause":
            field = dict(operation.fields)["category"]
            return [value for value, _label in field.choices]
    raise AssertionError("RootCause is not created by 0001_initial")


def test_quality_and_intelligence_use_one_vocabulary() -> None:
    assert RootCauseCategory is FdaRootCause
    assert list(ROOT_CAUSES) == FdaRootCause.values
    assert len(FdaRootCause.values) == 42


def test_every_category_recorded_before_is_still_a_value() -> None:
    before = _initial_choices()

    assert len(before) == 39
    assert [value for value in before if value not in FdaRootCause.values] == []


def test_fda_values_quality_lacked_are_labelled_in_both_languages() -> None:
    with translation.override("zh-hans"):
        assert root_cause_label("Pending") == "待定"
        assert root_cause_label("Radiation Control for Health and Safety Act") == (
            "《辐射控制健康与安全法》"
        )
        assert root_cause_label(
            "Release of Material/Component prior to receiving test results"
        ) == ("材料/部件在检验结果出来前放行")
    assert read_query("检验结果前放行").root_causes == [
        "Release of Material/Component prior to receiving test results"
    ]


@pytest.mark.django_db
def test_a_capa_takes_an_fda_root_cause_quality_lacked(world: object, manager: User) -> None:
    capa = services.capa_open(
        confirm_past_due=True,
        actor=manager,
        title="Label change shipped unreviewed",
        problem="Finished devices changed without review",
        owner=manager,
        due_on=date(2026, 6, 30),
    )

    services.root_cause_add(
        capa=capa,
        actor=manager,
        category=FdaRootCause.FINISHED_DEVICE_CHANGE_CONTROL,
        statement="Change order skipped the design review",
    )

    assert list(RootCause.objects.values_list("category", flat=True)) == [
        "Finished device change control"
    ]
    with translation.override("zh-hans"):
        assert selectors.top_root_causes() == [
            ("Finished device change control", "成品变更控制", 1)
        ]
