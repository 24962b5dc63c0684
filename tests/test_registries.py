"""Every registry is filled by its upper contexts after Django's setup, with exactly these
names in this order (the order hooks and merge steps run in), and a second ``ready()`` of
every app registers nothing twice."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.utils.module_loading import autodiscover_modules

from medrecall.core.registry import IMPORTERS, Registry
from medrecall.core.workers import RECOVERIES
from medrecall.effectiveness import closure as effectiveness_closure
from medrecall.effectiveness import completion as effectiveness_completion
from medrecall.effectiveness import selectors as effectiveness_selectors
from medrecall.execution import baseline, holders, holds
from medrecall.execution import closure as execution_closure
from medrecall.execution.hooks import AFTER_COMMIT as EXECUTION_AFTER_COMMIT
from medrecall.filings import closure as filings_closure
from medrecall.finance import tasks as finance_tasks
from medrecall.notices import closure as notices_closure
from medrecall.notices import relations, updates
from medrecall.notices.hooks import AFTER_COMMIT as NOTICES_AFTER_COMMIT
from medrecall.notices.selectors import TIMELINE_SOURCES
from medrecall.parties.services import MERGE_STEPS
from medrecall.quality import closure as quality_closure
from medrecall.quality import complaints as quality_complaints
from medrecall.recalls.hooks import (
    AT_HOLDERS_EXCUSED,
    BASELINE_HOOKS,
    CLOSURE_CHECKS,
    SCOPE_HOOKS,
    TRANSITION_HOOKS,
)
from medrecall.traceability.custody import GUARDS

EXPECTED: list[tuple[str, Registry[Any], list[tuple[str, Any]]]] = [
    (
        "custody guards",
        GUARDS,
        [
            ("stock_on_hold", holds.HOLD_GUARD),
            ("quarantine_needs_disposition", holds.QUARANTINE_GUARD),
        ],
    ),
    (
        "transition hooks",
        TRANSITION_HOOKS,
        [
            ("execution.holds", holds.on_recall_transition),
            ("effectiveness.transition", effectiveness_closure.on_recall_transition),
        ],
    ),
    (
        "scope hooks",
        SCOPE_HOOKS,
        [
            ("notices.updates", updates.on_scope_frozen),
            ("execution.holds", holds.on_scope_frozen),
            ("quality.complaints", quality_complaints.complaints_link_to_frozen_scope),
        ],
    ),
    (
        "closure checks",
        CLOSURE_CHECKS,
        [
            ("notices.replies", notices_closure.closure_findings),
            ("execution.accounting", execution_closure.closure_findings),
            ("effectiveness.criteria", effectiveness_closure.closure_findings),
            ("quality.capa", quality_closure.closure_findings),
            ("filings.summary_report", filings_closure.closure_findings),
            ("filings.termination_request", filings_closure.termination_findings),
            ("filings.sold_in_china", filings_closure.sold_in_china_findings),
        ],
    ),
    (
        "units at holders excused",
        AT_HOLDERS_EXCUSED,
        [("effectiveness.unit_exceptions", effectiveness_selectors.excepted_at_holders)],
    ),
    ("baseline hooks", BASELINE_HOOKS, [("execution.handled", baseline.handled_units)]),
    (
        "merge steps",
        MERGE_STEPS,
        [("notices", relations.on_party_merge), ("execution", holders.on_party_merge)],
    ),
    ("timeline sources", TIMELINE_SOURCES, [("execution", holders.timeline_entries)]),
    (
        "execution after-commit hooks",
        EXECUTION_AFTER_COMMIT,
        [
            ("finance.postings", finance_tasks.on_happened),
            ("effectiveness.completion", effectiveness_completion.on_happened),
        ],
    ),
    (
        "notices after-commit hooks",
        NOTICES_AFTER_COMMIT,
        [("finance.postings", finance_tasks.on_happened)],
    ),
]


@pytest.mark.parametrize(
    ("registry", "expected"),
    [pytest.param(registry, items, id=label) for label, registry, items in EXPECTED],
)
def test_each_registry_holds_exactly_its_registrations(
    registry: Registry[Any], expected: list[tuple[str, Any]]
) -> None:
    # A lazily registered function counts as the function it names.
    assert [(name, getattr(item, "target", item)) for name, item in registry.items()] == expected


def test_importers_are_registered_by_kind_in_app_order_with_their_permission() -> None:
    assert [(kind, entry.importer, entry.permission) for kind, entry in IMPORTERS.items()] == [
        ("parties", "medrecall.parties.importers.PartyImporter", "parties.add_party"),
        ("locations", "medrecall.parties.importers.LocationImporter", "parties.add_location"),
        ("contacts", "medrecall.parties.importers.ContactImporter", "parties.add_contact"),
        ("products", "medrecall.catalog.importers.ProductImporter", "catalog.add_devicemodel"),
        ("lots", "medrecall.catalog.importers.LotImporter", "catalog.add_lot"),
        ("serials", "medrecall.catalog.importers.SerialImporter", "catalog.add_serial"),
        ("gudid", "medrecall.catalog.gudid.GudidImporter", "catalog.add_devicemodel"),
        (
            "events",
            "medrecall.traceability.importing.events.EventImporter",
            "traceability.add_traceevent",
        ),
        (
            "epcis",
            "medrecall.traceability.importing.epcis.EpcisImporter",
            "traceability.add_traceevent",
        ),
        (
            "fda-recalls",
            "medrecall.intelligence.importers.FdaRecallImporter",
            "intelligence.add_publicrecall",
        ),
        (
            "fda-enforcement",
            "medrecall.intelligence.importers.FdaEnforcementImporter",
            "intelligence.add_publicrecall",
        ),
        ("complaints", "medrecall.quality.importers.ComplaintImporter", "quality.change_complaint"),
    ]
    assert [entry.importer_class.__name__ for entry in IMPORTERS] == [
        "PartyImporter",
        "LocationImporter",
        "ContactImporter",
        "ProductImporter",
        "LotImporter",
        "SerialImporter",
        "GudidImporter",
        "EventImporter",
        "EpcisImporter",
        "FdaRecallImporter",
        "FdaEnforcementImporter",
        "ComplaintImporter",
    ]


def test_every_task_module_says_how_its_tasks_recover() -> None:
    autodiscover_modules("tasks")

    # Looked up by the task's path, so the order they were imported in does not matter.
    assert sorted(name for name in RECOVERIES.names() if name.startswith("medrecall.")) == [
        "medrecall.core.tasks.import_run_execute",
        "medrecall.execution.tasks.work_orders_escalation_sweep",
        "medrecall.finance.budget_tasks.budget_alerts_check",
        "medrecall.finance.budget_tasks.budget_alerts_sweep",
        "medrecall.finance.tasks.postings_post_task",
        "medrecall.finance.tasks.postings_sweep_task",
        "medrecall.notices.tasks.follow_up_sweep_task",
        "medrecall.notices.tasks.notice_run_task",
        "medrecall.notices.tasks.notices_batch_task",
        "medrecall.quality.tasks.reporting_alert_sweep",
        "medrecall.quality.tasks.signals_detect_sweep",
        "medrecall.recalls.tasks.deadlines_alert_sweep",
    ]


def test_a_second_ready_of_every_app_registers_nothing_twice() -> None:
    registries = [registry for _label, registry, _items in EXPECTED] + [IMPORTERS]
    before = [registry.items() for registry in registries]

    for config in apps.get_app_configs():
        if config.name.startswith("medrecall."):
            config.ready()

    assert [registry.items() for registry in registries] == before
