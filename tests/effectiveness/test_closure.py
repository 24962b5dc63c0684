"""Completion and closure: computed from execution's unit accounting and signed exceptions per
holder and lot; closing refused with every reason (effectiveness and accounting) and nothing
changes; a closing signature; holds released or kept at closure."""

from __future__ import annotations

from pathlib import Path

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.signatures import SignatureRefused
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import Lot
from medrecall.effectiveness import selectors, services
from medrecall.effectiveness.errors import ClosingSignRefused, ExceptionRefused
from medrecall.effectiveness.models import ClosingSignature, Completion, UnitException
from medrecall.execution.models import Hold
from medrecall.parties.models import Party
from medrecall.recalls import services as recall_services
from medrecall.recalls.models import RecallCase, Transition
from tests.conftest import PASSWORD
from tests.execution.test_closure import HOLDERS
from tests.traceability.scenario import CATH, run_events

pytestmark = pytest.mark.django_db

SUMMARY_MISSING = (
    "The NMPA recall summary evaluation report (召回总结评估报告) is not submitted: "
    "generate it, check, sign and submit it."
)


def use_up(tmp_path: Path, codes: list[str]) -> None:
    used = "".join(
        f"U{code},consumed,2026-11-20T08:00:00+08:00,{CATH},K1,,38,L{code},,USE-{code},,,,\n"
        for code in codes
    )
    assert run_events(tmp_path, used, "used.csv").accepted


def checked_level_a(recall: RecallCase, actor: User) -> None:
    services.plan_set(recall=recall, regime="nmpa", level="A", actor=actor)
    services.sample_draw(recall=recall, regime="nmpa", actor=actor, seed=11)
    for code in HOLDERS:
        services.check_record(
            recall=recall,
            party=Party.objects.get(code=code),
            actor=actor,
            contacted_how="phone",
            notice_received=True,
            instructions_followed=True,
        )


def test_closing_is_refused_with_every_reason_and_nothing_changes(
    class_i: RecallCase, manager: User
) -> None:
    audited = AuditEntry.objects.count()
    with pytest.raises(recall_services.TransitionRefused) as refused:
        recall_services.recall_transition(recall=class_i, target="closed", actor=manager)
    assert refused.value.details[:5] == [
        "380 of 420 units are still at holders (not returned, corrected or reported used).",
        "Choose the effectiveness-check level for China NMPA.",
        "Sign the closure of the recall (e-signature, meaning approved).",
        SUMMARY_MISSING,
        "Deal with these units, or sign a closure exception with a reason.",
    ]
    class_i.refresh_from_db()
    assert class_i.status == "effectiveness_check"
    assert not Transition.objects.filter(recall=class_i, target="closed").exists()
    assert AuditEntry.objects.count() == audited


def test_pending_and_failed_checks_block_closing(class_i: RecallCase, manager: User) -> None:
    services.plan_set(recall=class_i, regime="nmpa", level="C", actor=manager)
    sample = services.sample_draw(recall=class_i, regime="nmpa", actor=manager, seed=5)
    assert sample.size == 2
    first = sample.consignees.order_by("party__code").first()
    assert first is not None
    services.check_record(
        recall=class_i,
        party=first.party,
        actor=manager,
        contacted_how="email",
        notice_received=True,
        instructions_followed=False,
    )
    messages = [
        f.message
        for f in __import__(
            "medrecall.effectiveness.closure", fromlist=["closure_findings"]
        ).closure_findings(class_i)
    ]
    assert messages == [
        "China NMPA: 1 of 2 sampled consignees is not checked yet.",
        "China NMPA: 1 failed effectiveness check is not resolved (re-check the consignee "
        "or resolve the escalation with a reason).",
        "Sign the closure of the recall (e-signature, meaning approved).",
    ]


def test_completion_is_computed_and_recorded_once(
    class_i: RecallCase, manager: User, tmp_path: Path
) -> None:
    state = selectors.completion_of(class_i)
    assert (state.complete, state.outstanding_at_holders, state.accounting.total.at_holders) == (
        False,
        380,
        380,
    )
    rows = list(selectors.outstanding_at_holders(class_i))
    assert [(r["location__party__code"], r["outstanding"]) for r in rows] == [
        (code, 38) for code in HOLDERS[1:]
    ]
    use_up(tmp_path, HOLDERS[1:9])  # 8 holders report their units used: 76 units left at 2
    assert selectors.completion_of(class_i).outstanding_at_holders == 76
    lot = Lot.objects.get(number="K1")
    with pytest.raises(ExceptionRefused) as refused:
        services.unit_exception_sign(
            recall=class_i,
            party=Party.objects.get(code="HX10"),
            lot=lot,
            units=39,
            reason="Hospital closed",
            actor=manager,
            password=PASSWORD,
            username=manager.username,
        )
    assert refused.value.message == (
        "39 units of lot K1 at HX10: only 38 are outstanding there (an exception covers 1 to 38 units)."
    )
    with pytest.raises(SignatureRefused):
        services.unit_exception_sign(
            recall=class_i,
            party=Party.objects.get(code="HX10"),
            lot=lot,
            units=38,
            reason="Hospital closed",
            actor=manager,
            password="wrong",
            username=manager.username,
        )
    assert not UnitException.objects.exists()
    for code in ("HX10", "HX11"):
        services.unit_exception_sign(
            recall=class_i,
            party=Party.objects.get(code=code),
            lot=lot,
            units=38,
            reason="Hospital closed down; units lost",
            actor=manager,
            password=PASSWORD,
            username=manager.username,
        )
    state = selectors.completion_of(class_i)
    assert (state.complete, state.excepted, state.outstanding_at_holders) == (True, 76, 0)
    done = Completion.objects.get(recall=class_i)
    assert state.completed_at == done.completed_at
    class_i.refresh_from_db()
    # the case's "completed at" was set by hand in the fixture: kept, the computed date stored apart
    assert AuditEntry.objects.filter(action="effectiveness.completed").count() == 1
    assert AuditEntry.objects.filter(action="effectiveness.unit_exception_signed").count() == 2


def test_closing_sign_refused_while_other_reasons_remain(
    class_i: RecallCase, manager: User
) -> None:
    with pytest.raises(ClosingSignRefused) as refused:
        services.closing_sign(
            recall=class_i, actor=manager, password=PASSWORD, username=manager.username
        )
    assert refused.value.details == [
        "380 of 420 units are still at holders (not returned, corrected or reported used).",
        "Choose the effectiveness-check level for China NMPA.",
        SUMMARY_MISSING,
    ]
    assert not ClosingSignature.objects.exists()


def test_closes_once_everything_is_accounted_checked_and_signed(
    class_i: RecallCase, manager: User, tmp_path: Path
) -> None:
    use_up(tmp_path, HOLDERS[1:])
    checked_level_a(class_i, manager)
    assert selectors.results(class_i)[0].criteria_met is True
    summary_submitted(class_i, manager)
    with pytest.raises(recall_services.TransitionRefused) as refused:
        recall_services.recall_transition(recall=class_i, target="closed", actor=manager)
    assert refused.value.details[0] == (
        "Sign the closure of the recall (e-signature, meaning approved)."
    )
    signed = services.closing_sign(
        recall=class_i, actor=manager, password=PASSWORD, username=manager.username
    )
    assert (signed.signature.meaning, signed.signature.step) == ("approved", "closure")
    assert Hold.objects.filter(recall=class_i, released_at__isnull=True).exists()
    closed = recall_services.recall_transition(recall=class_i, target="closed", actor=manager)
    assert closed.status == "closed"
    # nothing of lot K1 waits in our custody: its hold is released at closure
    assert not Hold.objects.filter(recall=class_i, released_at__isnull=True).exists()
    assert AuditEntry.objects.filter(action="execution.hold_released").count() == 1


SUMMARY_SECTIONS = {
    "plan_followed": {"zh": "按备案的召回计划实施。", "en": "Carried out as filed."},
    "notification": {"zh": "已书面通知全部持有方。", "en": "Every holder notified in writing."},
    "effect": {"zh": "风险已控制。", "en": "The risk is controlled."},
}


def summary_submitted(recall: RecallCase, actor: User) -> None:
    """The NMPA 召回总结评估报告 generated, completed, checked, signed and submitted."""
    from medrecall.catalog.models import DeviceModel
    from medrecall.filings import services as filings

    DeviceModel.objects.filter(udi_di=CATH).update(registration_no="国械注准20203030001")
    filing = filings.filing_generate(recall=recall, doc_type="nmpa.summary_report", actor=actor)
    filing = filings.filing_enter(filing=filing, actor=actor, sections=SUMMARY_SECTIONS)
    filing = filings.filing_check(filing=filing, actor=actor)
    filing = filings.filing_sign(
        filing=filing, actor=actor, password=PASSWORD, username=actor.username
    )
    filings.filing_submit(
        filing=filing,
        actor=actor,
        authority="广东省药品监督管理局",
        reference="ZJ-2026-001",
        acknowledgement=b"%PDF-1.4\n% receipt\n",
        acknowledgement_name="receipt.pdf",
    )


def before_closing_signs(recall: RecallCase, actor: User) -> None:
    """What other contexts need before the closing signature: the NMPA summary submitted."""
    summary_submitted(recall, actor)


def except_units(recall: RecallCase, actor: User, code: str, units: int) -> None:
    services.unit_exception_sign(
        recall=recall,
        party=Party.objects.get(code=code),
        lot=Lot.objects.get(number="K1"),
        units=units,
        reason="Hospital closed down; units lost",
        actor=actor,
        password=PASSWORD,
        username=actor.username,
    )


def test_units_covered_by_signed_unit_exceptions_close_without_a_recall_exception(
    class_i: RecallCase, manager: User, tmp_path: Path
) -> None:
    use_up(tmp_path, HOLDERS[1:9])  # 76 units left at HX10 and HX11
    except_units(class_i, manager, "HX10", 38)
    except_units(class_i, manager, "HX11", 38)
    checked_level_a(class_i, manager)
    before_closing_signs(class_i, manager)
    services.closing_sign(
        recall=class_i, actor=manager, password=PASSWORD, username=manager.username
    )
    closed = recall_services.recall_transition(recall=class_i, target="closed", actor=manager)
    assert closed.status == "closed"
    assert not class_i.closure_exceptions.exists()


def test_one_unit_not_covered_by_a_unit_exception_refuses_closing(
    class_i: RecallCase, manager: User, tmp_path: Path
) -> None:
    use_up(tmp_path, HOLDERS[1:9])
    except_units(class_i, manager, "HX10", 38)
    except_units(class_i, manager, "HX11", 37)
    checked_level_a(class_i, manager)
    before_closing_signs(class_i, manager)
    audited = AuditEntry.objects.count()
    with pytest.raises(recall_services.TransitionRefused) as refused:
        recall_services.recall_transition(recall=class_i, target="closed", actor=manager)
    assert refused.value.details[0] == (
        "1 of 420 units are still at holders (not returned, corrected or reported used)."
    )
    assert [
        (r["location__party__code"], r["lot__number"], r["outstanding"])
        for r in selectors.outstanding_at_holders(class_i)
    ] == [("HX11", "K1", 1)]
    class_i.refresh_from_db()
    assert class_i.status == "effectiveness_check"
    assert not Transition.objects.filter(recall=class_i, target="closed").exists()
    assert AuditEntry.objects.count() == audited
