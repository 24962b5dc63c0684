"""CAPA lifecycle: root causes (FDA vocabulary, 5 whys, fishbone), actions, verification of
effectiveness, closing; refusals change nothing; suppliers from the genealogy; the recall
closure finding."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.core.errors import ActionNotAllowed
from medrecall.parties.models import Party
from medrecall.quality import services
from medrecall.quality.closure import closure_findings
from medrecall.quality.errors import CapaInvalid, CapaNotVerified, VerificationRefused
from medrecall.quality.lifecycle import CAPA_ACTIONS, CapaStatus
from medrecall.quality.models import Capa, CapaTask, Complaint, RootCause, RootCauseCategory
from medrecall.recalls.hooks import CLOSURE_CHECKS
from medrecall.recalls.services import recall_open
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db


@pytest.fixture
def capa(world: object, manager: User) -> Capa:
    return services.capa_open(
        confirm_past_due=True,
        actor=manager,
        title="Catheter tip fracture",
        problem="Tips break on insertion",
        owner=manager,
        due_on=date(2026, 6, 30),
    )


def _verified(capa: Capa, manager: User) -> Capa:
    services.root_cause_add(
        capa=capa,
        actor=manager,
        category=RootCauseCategory.NONCONFORMING_MATERIAL,
        statement="Tubing lot T1 below wall-thickness spec",
        whys=["Tip broke", "Wall thin", "Tubing out of spec", "Incoming inspection skipped"],
        fishbone={"material": ["Tubing wall thickness"], "method": ["Sampling plan"]},
    )
    task = services.capa_action_add(
        capa=capa,
        actor=manager,
        kind="corrective",
        description="Tighten incoming inspection of tubing",
        owner=manager,
        due_on=date(2026, 5, 1),
    )
    services.capa_action_update(task=task, actor=manager, status="done")
    services.capa_verify(
        capa=capa, actor=manager, method="3 months of complaints", result="None", effective=True
    )
    return Capa.objects.get(pk=capa.pk)


def test_full_lifecycle_open_verify_close(capa: Capa, manager: User) -> None:
    assert capa.number.startswith("CAPA-")
    assert capa.status == CapaStatus.OPEN

    verified = _verified(capa, manager)
    assert verified.status == CapaStatus.VERIFIED
    closed = services.capa_close(capa=verified, actor=manager)

    assert closed.status == CapaStatus.CLOSED
    assert closed.closed_by == manager
    cause = RootCause.objects.get()
    assert cause.whys == [
        "Tip broke",
        "Wall thin",
        "Tubing out of spec",
        "Incoming inspection skipped",
    ]
    assert cause.fishbone == {"material": ["Tubing wall thickness"], "method": ["Sampling plan"]}
    assert list(
        AuditEntry.objects.filter(target_id=str(capa.pk), target_type="quality.capa")
        .order_by("sequence")
        .values_list("action", flat=True)
    ) == [
        "quality.capa_opened",
        "quality.root_cause_added",
        "quality.capa_action_added",
        "quality.capa_action_updated",
        "quality.capa_verified",
        "quality.capa_closed",
    ]


def test_close_without_verification_refused_nothing_changed(capa: Capa, manager: User) -> None:
    audits = AuditEntry.objects.count()

    with pytest.raises(CapaNotVerified) as refused:
        services.capa_close(capa=capa, actor=manager)

    assert refused.value.message == (
        f"CAPA {capa.number} cannot close without a recorded verification of effectiveness: "
        "verify that the actions worked first."
    )
    assert refused.value.status == 409
    stored = Capa.objects.get(pk=capa.pk)
    assert (stored.status, stored.closed_at, stored.closed_by) == (CapaStatus.OPEN, None, None)
    assert AuditEntry.objects.count() == audits


def test_ineffective_verification_keeps_capa_open(capa: Capa, manager: User) -> None:
    services.root_cause_add(capa=capa, actor=manager, category="Process control", statement="x")
    task = services.capa_action_add(
        capa=capa,
        actor=manager,
        kind="correction",
        description="Rework",
        owner=manager,
        due_on=date(2026, 5, 1),
    )
    services.capa_action_update(task=task, actor=manager, status="done")

    services.capa_verify(
        capa=capa, actor=manager, method="audit", result="recurred", effective=False
    )

    assert Capa.objects.get(pk=capa.pk).status == CapaStatus.OPEN
    with pytest.raises(CapaNotVerified):
        services.capa_close(capa=capa, actor=manager)


@pytest.mark.parametrize(
    ("setup", "details"),
    [
        pytest.param(
            "nothing",
            [
                "Record the root cause first.",
                "At least one action must be done.",
            ],
            id="nothing-recorded",
        ),
        pytest.param(
            "open-action",
            ["At least one action must be done.", "Every action must be done or cancelled."],
            id="action-open",
        ),
    ],
)
def test_verify_refused_until_cause_and_actions_done(
    capa: Capa, manager: User, setup: str, details: list[str]
) -> None:
    if setup == "open-action":
        services.root_cause_add(capa=capa, actor=manager, category="Device Design", statement="x")
        services.capa_action_add(
            capa=capa,
            actor=manager,
            kind="corrective",
            description="Redesign",
            owner=manager,
            due_on=date(2026, 5, 1),
        )
    audits = AuditEntry.objects.count()

    with pytest.raises(VerificationRefused) as refused:
        services.capa_verify(capa=capa, actor=manager, method="m", result="r", effective=True)

    assert refused.value.details == details
    assert capa.verifications.count() == 0
    assert AuditEntry.objects.count() == audits


@pytest.mark.parametrize(
    ("call", "where"),
    [
        pytest.param(
            lambda c, u: services.root_cause_add(
                capa=c, actor=u, category="Bad luck", statement="x"
            ),
            "category",
            id="category",
        ),
        pytest.param(
            lambda c, u: services.root_cause_add(capa=c, actor=u, category="Other", statement=" "),
            "statement",
            id="statement",
        ),
        pytest.param(
            lambda c, u: services.root_cause_add(
                capa=c, actor=u, category="Other", statement="x", whys=list("abcdef")
            ),
            "whys",
            id="six-whys",
        ),
        pytest.param(
            lambda c, u: services.root_cause_add(
                capa=c, actor=u, category="Other", statement="x", fishbone={"money": ["x"]}
            ),
            "fishbone",
            id="seventh-m",
        ),
        pytest.param(
            lambda c, u: services.capa_action_add(
                capa=c, actor=u, kind="wish", description="x", owner=u, due_on=date(2026, 1, 1)
            ),
            "kind",
            id="action-kind",
        ),
        pytest.param(
            lambda c, u: services.capa_action_add(
                capa=c, actor=u, kind="corrective", description="", owner=u, due_on=date(2026, 1, 1)
            ),
            "description",
            id="action-text",
        ),
        pytest.param(
            lambda c, u: services.capa_link(capa=c, actor=u), "recalls", id="link-nothing"
        ),
    ],
)
def test_bad_capa_input_refused_nothing_kept(
    capa: Capa, manager: User, call: Callable[[Capa, User], object], where: str
) -> None:
    audits = AuditEntry.objects.count()

    with pytest.raises(CapaInvalid) as refused:
        call(capa, manager)

    assert refused.value.where == where
    assert (RootCause.objects.count(), CapaTask.objects.count()) == (0, 0)
    assert AuditEntry.objects.count() == audits


def test_action_moves_and_cancel_needs_note(capa: Capa, manager: User) -> None:
    task = services.capa_action_add(
        capa=capa,
        actor=manager,
        kind="preventive",
        description="Train",
        owner=manager,
        due_on=date(2026, 5, 1),
    )
    with pytest.raises(CapaInvalid, match="why"):
        services.capa_action_update(task=task, actor=manager, status="cancelled")
    services.capa_action_update(task=task, actor=manager, status="done")

    with pytest.raises(CapaInvalid, match="cannot go from Done"):
        services.capa_action_update(task=task, actor=manager, status="open")
    assert CapaTask.objects.get(pk=task.pk).status == "done"


def test_closed_capa_refuses_every_action(capa: Capa, manager: User) -> None:
    closed = services.capa_close(capa=_verified(capa, manager), actor=manager)
    task = closed.actions.get()
    audits = AuditEntry.objects.count()
    assert CAPA_ACTIONS[CapaStatus.CLOSED] == frozenset()

    calls: list[Callable[[], object]] = [
        lambda: services.capa_action_add(
            capa=closed,
            actor=manager,
            kind="corrective",
            description="x",
            owner=manager,
            due_on=date(2026, 5, 1),
        ),
        lambda: services.root_cause_add(
            capa=closed, actor=manager, category="Other", statement="x"
        ),
        lambda: services.capa_action_update(task=task, actor=manager, status="cancelled", note="x"),
        lambda: services.capa_verify(
            capa=closed, actor=manager, method="m", result="r", effective=True
        ),
        lambda: services.capa_link(capa=closed, actor=manager, lots=[Lot.objects.get(number="C1")]),
        lambda: services.capa_reopen(capa=closed, actor=manager, reason="x"),
        lambda: services.capa_close(capa=closed, actor=manager),
    ]
    for call in calls:
        with pytest.raises(ActionNotAllowed):
            call()

    assert (closed.actions.count(), closed.root_causes.count(), closed.lots.count()) == (1, 1, 0)
    assert AuditEntry.objects.count() == audits


def test_reopen_from_verified_allows_more_actions(capa: Capa, manager: User) -> None:
    verified = _verified(capa, manager)

    reopened = services.capa_reopen(capa=verified, actor=manager, reason="Recurred in May")
    services.capa_action_add(
        capa=reopened,
        actor=manager,
        kind="corrective",
        description="Second fix",
        owner=manager,
        due_on=date(2026, 7, 1),
    )

    assert Capa.objects.get(pk=capa.pk).status == CapaStatus.OPEN
    with pytest.raises(CapaNotVerified):
        services.capa_close(capa=reopened, actor=manager)


def test_linking_lot_links_supplier_of_its_component_lot(capa: Capa, manager: User) -> None:
    services.capa_link(capa=capa, actor=manager, lots=[Lot.objects.get(number="C1")])

    assert list(capa.lots.values_list("number", flat=True)) == ["C1"]
    assert list(capa.suppliers.values_list("code", flat=True)) == ["SUPP"]
    assert AuditEntry.objects.get(action="quality.capa_linked").changes == {
        "lots": [None, ["C1"]],
        "suppliers": [None, ["SUPP"]],
    }


def test_lot_without_bought_components_links_no_supplier(capa: Capa, manager: User) -> None:
    services.capa_link(capa=capa, actor=manager, lots=[Lot.objects.get(number="P-L1")])

    assert capa.suppliers.count() == 0


def test_linking_again_adds_nothing_twice(
    capa: Capa, manager: User, receive: Callable[..., Complaint]
) -> None:
    complaint = receive()
    services.capa_link(capa=capa, actor=manager, complaints=[complaint])
    services.capa_link(capa=capa, actor=manager, complaints=[complaint])

    assert capa.complaints.count() == 1
    assert AuditEntry.objects.filter(action="quality.capa_linked").count() == 1


def test_recall_without_capa_gets_closure_finding(world: object, manager: User, capa: Capa) -> None:
    recall = recall_open(
        actor=manager, title="Tip", products=[DeviceModel.objects.get(udi_di=CATH)], reason="tip"
    )
    assert "quality.capa" in CLOSURE_CHECKS.names()

    findings = closure_findings(recall)
    assert [(f.source, f.blocking) for f in findings] == [("quality", False)]
    assert findings[0].message.startswith("No CAPA is linked to this recall")

    services.capa_link(capa=capa, actor=manager, recalls=[recall])
    assert closure_findings(recall) == []


@pytest.mark.parametrize("role", [Role.VIEWER, Role.PORTAL, Role.WAREHOUSE])
def test_capa_and_action_owner_must_be_staff_who_may_act_on_capas(
    capa: Capa, manager: User, make_user: Callable[..., User], role: str
) -> None:
    party = Party.objects.get(code="HOSP") if role == Role.PORTAL else None
    owner = make_user(role, party=party)
    audits = AuditEntry.objects.count()

    with pytest.raises(CapaInvalid, match=f"^{owner.username} cannot own a CAPA"):
        services.capa_open(
            confirm_past_due=True,
            actor=manager,
            title="T",
            problem="P",
            owner=owner,
            due_on=date(2026, 6, 30),
        )
    with pytest.raises(CapaInvalid, match=f"^{owner.username} cannot own a CAPA"):
        services.capa_action_add(
            capa=capa,
            actor=manager,
            kind="correction",
            description="Rework",
            owner=owner,
            due_on=date(2026, 5, 1),
        )

    assert list(Capa.objects.values_list("number", flat=True)) == [capa.number]
    assert capa.actions.count() == 0
    assert AuditEntry.objects.count() == audits


def test_after_not_effective_a_new_action_is_needed_before_verifying_again(
    capa: Capa, manager: User
) -> None:
    services.root_cause_add(capa=capa, actor=manager, category="Process control", statement="x")
    task = services.capa_action_add(
        capa=capa,
        actor=manager,
        kind="correction",
        description="Rework",
        owner=manager,
        due_on=date(2026, 5, 1),
    )
    services.capa_action_update(task=task, actor=manager, status="done")
    services.capa_verify(
        capa=capa, actor=manager, method="audit", result="recurred", effective=False
    )
    audits = AuditEntry.objects.count()

    with pytest.raises(VerificationRefused, match=r"^The last verification found the CAPA not"):
        services.capa_verify(capa=capa, actor=manager, method="a", result="ok", effective=True)

    assert Capa.objects.get(pk=capa.pk).status == CapaStatus.OPEN
    assert capa.verifications.count() == 1
    assert AuditEntry.objects.count() == audits
    again = services.capa_action_add(
        capa=capa,
        actor=manager,
        kind="corrective",
        description="New fixture",
        owner=manager,
        due_on=date(2026, 6, 1),
    )
    services.capa_action_update(task=again, actor=manager, status="done")
    services.capa_verify(capa=capa, actor=manager, method="a", result="ok", effective=True)
    assert Capa.objects.get(pk=capa.pk).status == CapaStatus.VERIFIED
