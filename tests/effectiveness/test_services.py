"""Effectiveness levels, samples and checks through the services."""

from __future__ import annotations

import pytest

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.effectiveness import selectors, services
from medrecall.effectiveness.errors import LevelInvalid, SampleRefused
from medrecall.effectiveness.models import CheckPlan, CheckRecord, Sample, SampledConsignee
from medrecall.notices.models import Notice
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase

pytestmark = pytest.mark.django_db


def test_sample_size_per_level() -> None:
    assert [services.sample_size(level, None, 200) for level in "ACDE"] == [200, 20, 4, 0]
    assert services.sample_size("B", 25, 11) == 3
    assert services.sample_size("D", None, 11) == 1  # at least one consignee


def test_allocation_is_proportional_with_every_stratum_represented() -> None:
    assert services.allocate(10, {"distributor": 5, "end_user": 95}) == {
        "distributor": 1,
        "end_user": 9,
    }
    assert services.allocate(3, {"distributor": 1, "end_user": 1}) == {
        "distributor": 1,
        "end_user": 1,
    }
    assert services.allocate(2, {"distributor": 1, "end_user": 40}) == {
        "distributor": 1,
        "end_user": 1,
    }


def test_same_seed_draws_the_same_sample(class_i: RecallCase, manager: User) -> None:
    services.plan_set(recall=class_i, regime="nmpa", level="B", share=30, actor=manager)
    first = services.sample_draw(recall=class_i, regime="nmpa", actor=manager, seed=2026)
    drawn = list(first.consignees.values_list("party__code", flat=True))
    assert (first.seed, first.population, first.size, len(drawn)) == (2026, 11, 4, 4)
    again = services.sample_draw(recall=class_i, regime="nmpa", actor=manager, seed=2026)
    assert list(again.consignees.values_list("party__code", flat=True)) == drawn
    other = services.sample_draw(recall=class_i, regime="nmpa", actor=manager, seed=7)
    assert sorted(other.consignees.values_list("party__code", flat=True)) != sorted(drawn)
    assert Sample.objects.count() == 1  # a redraw without checks replaces the sample
    entry = AuditEntry.objects.filter(action="effectiveness.sample_drawn").order_by("-pk").first()
    assert entry is not None
    assert entry.changes["sample"][1] == {"regime": "nmpa", "seed": 7, "size": 4, "of": 11}


@pytest.mark.parametrize(
    ("level", "share", "message"),
    [
        ("F", None, "“F” is not an effectiveness-check level: choose A, B, C, D or E."),
        ("B", 5, "Level B checks a share between 10 % and 100 % of the consignees, not 5."),
        ("B", 101, "Level B checks a share between 10 % and 100 % of the consignees, not 101."),
        ("B", None, "Level B checks a share of the consignees: enter it, between 10 % and 100 %."),
        ("C", 20, "Only level B takes a share; levels A, C, D and E fix their own."),
    ],
)
def test_bad_level_is_refused_and_nothing_changes(
    class_i: RecallCase, manager: User, level: str, share: int | None, message: str
) -> None:
    audited = AuditEntry.objects.count()
    with pytest.raises(LevelInvalid) as refused:
        services.plan_set(recall=class_i, regime="nmpa", level=level, share=share, actor=manager)
    assert refused.value.message == message
    assert not CheckPlan.objects.exists()
    assert AuditEntry.objects.count() == audited


def test_sample_larger_than_consignees_is_refused(class_i: RecallCase, manager: User) -> None:
    services.plan_set(recall=class_i, regime="nmpa", level="C", actor=manager)
    audited = AuditEntry.objects.count()
    with pytest.raises(SampleRefused) as refused:
        services.sample_draw(recall=class_i, regime="nmpa", actor=manager, size=12)
    assert refused.value.message == "A sample of 12 is larger than the 11 consignees in scope."
    assert not Sample.objects.exists()
    assert AuditEntry.objects.count() == audited


def test_level_e_draws_no_sample(class_i: RecallCase, manager: User) -> None:
    services.plan_set(recall=class_i, regime="nmpa", level="E", actor=manager)
    with pytest.raises(SampleRefused, match="Level E checks no consignees"):
        services.sample_draw(recall=class_i, regime="nmpa", actor=manager)
    assert selectors.results(class_i)[0].criteria_met is True


def test_failed_check_renotifies_and_escalates_then_a_passing_check_resolves(
    class_i: RecallCase, manager: User
) -> None:
    services.plan_set(recall=class_i, regime="nmpa", level="A", actor=manager)
    services.sample_draw(recall=class_i, regime="nmpa", actor=manager, seed=1)
    holder = Party.objects.get(code="HX02")
    notices_before = Notice.objects.filter(recall=class_i, party=holder).count()
    failed = services.check_record(
        recall=class_i,
        party=holder,
        actor=manager,
        contacted_how="phone",
        notice_received=False,
        instructions_followed=False,
        units_found=38,
    )
    assert (failed.passed, failed.escalated_at is not None, len(failed.renotified_notices)) == (
        False,
        True,
        1,
    )
    reminder = Notice.objects.get(pk=failed.renotified_notices[0])
    assert (reminder.kind, reminder.sequence, reminder.party_id) == ("reminder", 2, holder.pk)
    assert Notice.objects.filter(recall=class_i, party=holder).count() == notices_before + 1
    assert list(selectors.open_escalations(class_i)) == [failed]
    result = selectors.results(class_i)[0]
    assert (result.size, result.checked, result.passed, result.failed, result.pending) == (
        11,
        1,
        0,
        1,
        10,
    )
    services.check_record(
        recall=class_i,
        party=holder,
        actor=manager,
        contacted_how="visit",
        notice_received=True,
        instructions_followed=True,
        units_found=0,
    )
    failed.refresh_from_db()
    assert (failed.resolved_at is not None, failed.resolution) == (True, "A later check passed.")
    result = selectors.results(class_i)[0]
    assert (result.checked, result.passed, result.failed, result.unresolved) == (1, 1, 0, 0)
    assert result.as_dict()["passed_percent"] == 9.1
    assert AuditEntry.objects.filter(action="effectiveness.check_recorded").count() == 2


def test_checking_a_consignee_outside_the_sample_is_refused(
    class_i: RecallCase, manager: User
) -> None:
    services.plan_set(recall=class_i, regime="nmpa", level="D", actor=manager)
    sample = services.sample_draw(recall=class_i, regime="nmpa", actor=manager, seed=3)
    inside = set(sample.consignees.values_list("party__code", flat=True))
    outside = Party.objects.filter(code__startswith="HX").exclude(code__in=inside).first()
    assert outside is not None
    with pytest.raises(Exception, match="is not in the effectiveness-check sample"):
        services.check_record(
            recall=class_i,
            party=outside,
            actor=manager,
            contacted_how="phone",
            notice_received=True,
            instructions_followed=True,
        )
    assert not CheckRecord.objects.exists()
    assert SampledConsignee.objects.count() == 1
