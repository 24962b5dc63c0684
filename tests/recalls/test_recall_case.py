"""Recall case: opening, classification proposals and overrides, scope snapshots and
re-scope differences, lifecycle transitions (allowed and refused), concurrent edits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel
from medrecall.core.errors import ConcurrentEdit, ValidationFailed
from medrecall.recalls import services
from medrecall.recalls.lifecycle import TRANSITIONS, Status, blockers
from medrecall.recalls.models import RecallCase, ScopeRule, Transition
from medrecall.recalls.scope import resolve_rules
from tests.traceability.scenario import CATH, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = pytest.mark.django_db

DECISION = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def catheter(tmp_path: Path) -> DeviceModel:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    more = (
        f"F1,produced,2025-02-01T08:00:00+08:00,{CATH},C2,,300,,FAC,WO-2,2025-02-01,2028-01-31,,\n"
        f"F2,shipped,2025-02-03T08:00:00+08:00,{CATH},C2,,100,FAC,H2,DN-9,,,,\n"
    )
    assert run_events(tmp_path, more, "more.csv").accepted
    return DeviceModel.objects.get(udi_di=CATH)


def open_recall(manager: object, catheter: DeviceModel, **fields: object) -> RecallCase:
    return services.recall_open(
        actor=manager,
        title="导管断裂 / catheter tip fracture",
        products=[catheter],
        reason="Tip may detach during insertion",
        regimes=["nmpa", "fda"],
        **fields,
    )


def test_open_numbers_and_audits(manager: object, catheter: DeviceModel) -> None:
    recall = open_recall(manager, catheter)
    year = datetime.now(tz=UTC).year
    assert recall.number == f"RC-{year}-0001"
    assert open_recall(manager, catheter).number == f"RC-{year}-0002"
    assert recall.status == Status.DRAFT
    assert sorted(recall.regimes.values_list("regime", flat=True)) == ["fda", "nmpa"]
    assert (
        AuditEntry.objects.filter(action="recalls.recall_opened", target_id=str(recall.pk)).count()
        == 1
    )


@pytest.mark.parametrize(
    ("severity", "likelihood", "deaths", "expected"),
    [
        pytest.param("death", "probable", 0, "I", id="death-probable"),
        pytest.param("serious", "remote", 0, "II", id="serious-remote"),
        pytest.param("reversible", "frequent", 0, "II", id="reversible"),
        pytest.param("none", "improbable", 0, "III", id="no-harm"),
        pytest.param("serious", "improbable", 1, "I", id="a-death-reported"),
    ],
)
def test_hazard_evaluation_proposes_a_class(
    manager: object,
    catheter: DeviceModel,
    severity: str,
    likelihood: str,
    deaths: int,
    expected: str,
) -> None:
    recall = open_recall(manager, catheter)
    services.recall_regime_add(recall=recall, regime="eu_mdr", actor=manager)
    services.hazard_evaluate(
        recall=recall,
        actor=manager,
        severity=severity,
        likelihood=likelihood,
        deaths_reported=deaths,
    )
    classes = dict(recall.regimes.values_list("regime", "recall_class"))
    assert classes == {"nmpa": expected, "fda": expected, "eu_mdr": "fsca"}


def test_overriding_the_proposal_needs_a_reason(manager: object, catheter: DeviceModel) -> None:
    recall = open_recall(manager, catheter)
    services.hazard_evaluate(
        recall=recall, actor=manager, severity="reversible", likelihood="remote"
    )
    with pytest.raises(ValidationFailed, match="proposes II"):
        services.recall_classify(recall=recall, regime="nmpa", recall_class="I", actor=manager)
    entry = services.recall_classify(
        recall=recall,
        regime="nmpa",
        recall_class="I",
        actor=manager,
        reason="implanted in children",
    )
    assert (entry.recall_class, entry.override_reason) == ("I", "implanted in children")
    with pytest.raises(ValidationFailed, match="not a class"):
        services.recall_classify(recall=recall, regime="fda", recall_class="IV", actor=manager)


def test_scope_snapshot_freezes_every_affected_unit(manager: object, catheter: DeviceModel) -> None:
    recall = open_recall(manager, catheter)
    services.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=catheter, values=["C1"]
    )
    snapshot = services.scope_freeze(recall=recall, actor=manager)
    lines = {
        (line.location.code, line.category): (line.on_hand, line.in_transit)
        for line in snapshot.lines.select_related("location")
    }
    assert lines == {
        ("FAC", "own_stock"): (400, 0),
        ("D1", "at_distributors"): (350, 0),
        ("S1", "at_distributors"): (50, 50),
        ("H1", "at_customers"): (70, 0),
        ("H2", "at_customers"): (0, 50),
    }
    assert (snapshot.total_units, snapshot.total_holders) == (970, 5)


def test_rescope_shows_the_difference(manager: object, catheter: DeviceModel) -> None:
    recall = open_recall(manager, catheter)
    services.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=catheter, values=["C1"]
    )
    first = services.scope_freeze(recall=recall, actor=manager)
    services.scope_rule_add(
        recall=recall,
        actor=manager,
        kind="lot_range",
        device_model=catheter,
        range_from="C1",
        range_to="C2",
    )
    second = services.scope_freeze(recall=recall, actor=manager)
    assert second.sequence == 2
    diff = services.snapshot_difference(first, second)
    assert (
        diff["units_added"],
        diff["units_removed"],
        diff["holders_added"],
        diff["holders_removed"],
    ) == (300, 0, [], [])
    assert first.lines.count() == 5  # the first snapshot stays as it was


@pytest.mark.parametrize(
    ("kind", "values", "low", "high", "message"),
    [
        pytest.param("lots", ["NOPE"], "", "", "lots NOPE are not known", id="unknown-lot"),
        pytest.param(
            "lot_range", [], "C9", "C1", "start is not after its end", id="reversed-range"
        ),
        pytest.param(
            "manufactured", [], "2030-01-01", "2030-12-31", "matches no lot", id="matches-nothing"
        ),
        pytest.param("expiry", [], "2025-13-01", "2026-01-01", "not a date", id="bad-date"),
        pytest.param(
            "serials", ["SN-X"], "", "", "serials SN-X are not known", id="unknown-serial"
        ),
    ],
)
def test_bad_scope_rules_are_refused_and_not_kept(
    manager: object,
    catheter: DeviceModel,
    kind: str,
    values: list[str],
    low: str,
    high: str,
    message: str,
) -> None:
    recall = open_recall(manager, catheter)
    with pytest.raises(ValidationFailed, match=message):
        services.scope_rule_add(
            recall=recall,
            actor=manager,
            kind=kind,
            device_model=catheter,
            values=values,
            range_from=low,
            range_to=high,
        )
    assert ScopeRule.objects.count() == 0


def test_lot_ranges_compare_numbers_naturally(catheter: DeviceModel) -> None:
    from tests.factories import LotFactory

    for number in ("C9", "C10", "C11", "D10"):
        LotFactory(device_model=catheter, number=number)
    rule = ScopeRule(kind="lot_range", device_model=catheter, range_from="C9", range_to="C10")
    numbers = set(
        catheter.lots.filter(pk__in=resolve_rules([rule]).lot_ids).values_list("number", flat=True)
    )
    assert numbers == {"C9", "C10"}


@pytest.mark.parametrize("source", list(Status))
def test_only_listed_edges_are_open(manager: object, catheter: DeviceModel, source: Status) -> None:
    recall = open_recall(manager, catheter)
    recall.status = source  # in memory only: blockers() is a pure reading of the recall
    for target in Status:
        refused_as_edge = any("cannot go from" in p for p in blockers(recall, target))
        assert refused_as_edge is (target not in TRANSITIONS[source]), (source, target)
    assert (TRANSITIONS[source] == frozenset()) is (
        source in (Status.CLOSED, Status.TERMINATED, Status.CANCELLED)
    )


def test_refused_transitions_say_why_and_change_nothing(
    manager: object, catheter: DeviceModel
) -> None:
    recall = services.recall_open(actor=manager, title="x", products=[])
    with pytest.raises(services.TransitionRefused) as refused:
        services.recall_transition(recall=recall, target="assessment", actor=manager)
    assert refused.value.details == [
        "Name at least one device model.",
        "Describe the reason for the recall.",
    ]
    with pytest.raises(services.TransitionRefused, match="cannot go from Draft to Closed"):
        services.recall_transition(recall=recall, target="closed", actor=manager)
    recall.refresh_from_db()
    assert recall.status == Status.DRAFT
    assert not Transition.objects.exists()
    assert not AuditEntry.objects.filter(action="recalls.transition").exists()


def test_assessment_needs_class_scope_and_decision(manager: object, catheter: DeviceModel) -> None:
    recall = open_recall(manager, catheter)
    services.recall_transition(recall=recall, target="assessment", actor=manager)
    recall.refresh_from_db()
    assert blockers(recall, Status.PENDING_APPROVAL) == [
        "Classify the recall for: China NMPA, US FDA.",
        "Freeze a scope first: the affected units and holders.",
        "Record the date of the recall decision.",
    ]
    services.hazard_evaluate(
        recall=recall, actor=manager, severity="serious", likelihood="probable"
    )
    services.scope_rule_add(
        recall=recall, actor=manager, kind="device_model", device_model=catheter
    )
    services.scope_freeze(recall=recall, actor=manager)
    recall = services.recall_update(
        recall=recall, actor=manager, version=recall.version, decision_at=DECISION
    )
    moved = services.recall_transition(recall=recall, target="pending_approval", actor=manager)
    assert moved.status == Status.PENDING_APPROVAL
    assert list(moved.transitions.values_list("source", "target")) == [
        ("draft", "assessment"),
        ("assessment", "pending_approval"),
    ]


def test_cancel_needs_a_reason(manager: object, catheter: DeviceModel) -> None:
    recall = open_recall(manager, catheter)
    with pytest.raises(services.TransitionRefused, match="Say why"):
        services.recall_transition(recall=recall, target="cancelled", actor=manager)
    assert (
        services.recall_transition(
            recall=recall, target="cancelled", actor=manager, reason="duplicate"
        ).status
        == "cancelled"
    )


def test_concurrent_edit_is_refused(manager: object, catheter: DeviceModel) -> None:
    recall = open_recall(manager, catheter)
    seen = recall.version
    services.recall_update(recall=recall, actor=manager, version=seen, title="first save")
    with pytest.raises(ConcurrentEdit, match="Someone else saved"):
        services.recall_update(recall=recall, actor=manager, version=seen, title="second save")
    recall.refresh_from_db()
    assert (recall.title, recall.version) == ("first save", seen + 1)


def test_impact_reconciles_with_the_trace_engine(manager: object, catheter: DeviceModel) -> None:
    from medrecall.recalls.selectors import impact_of
    from medrecall.traceability.selectors import trace_forward

    recall = open_recall(manager, catheter)
    services.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=catheter, values=["C1"]
    )
    impact = impact_of(services.scope_freeze(recall=recall, actor=manager))
    trace = trace_forward(gtin=CATH, lot="C1")
    assert impact.total_units == trace.total_on_hand + trace.total_in_transit == 970
    assert impact.by_category == {
        "own_stock": 400,
        "at_distributors": 400,
        "at_customers": 70,
        "in_transit": 100,
    }
    assert impact.by_category == {
        k: v for k, v in trace.summary.items() if v and k not in ("consumed", "destroyed")
    }
    # FAC (own) → D1 → S1 → H1, and D1 → H2: echelons 0, 1, 2, 3 and 2.
    assert [(row["echelon"], row["units"], row["holders"]) for row in impact.by_echelon] == [
        (0, 400, 1),
        (1, 350, 1),
        (2, 150, 2),
        (3, 70, 1),
    ]
    assert sum(row["units"] for row in impact.by_region) == 970
    assert impact.by_holder[0]["party__code"] == "OWN"


def test_team_changes_are_audited(
    manager: object, catheter: DeviceModel, make_user: object
) -> None:
    from medrecall.accounts.roles import Role

    colleague = make_user(Role.CUSTOMER_SERVICE)  # type: ignore[operator]
    recall = open_recall(manager, catheter)
    recall = services.recall_update(
        recall=recall, actor=manager, version=recall.version, team=[colleague]
    )
    assert list(recall.team.all()) == [colleague]
    entry = AuditEntry.objects.filter(action="recalls.recall_changed").latest("sequence")
    assert entry.changes["team"] == [[], [colleague.username]]
