"""The cockpit's figures against independent counts: the funnel, the regions, holder types and
echelons, the burn-down; recovered_by_recall for many recalls; a recall without a frozen scope."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from medrecall.audit import services as audit
from medrecall.audit.models import AuditEntry
from medrecall.execution.closure import corrected_units
from medrecall.execution.models import Receipt
from medrecall.execution.selectors import recall_accounting
from medrecall.notices.models import Notice, NoticeEvent, Reply
from medrecall.recalls.models import AffectedLine, RecallCase
from medrecall.reporting import progress
from medrecall.reporting.progress import (
    compute_progress,
    recall_progress,
    recovered_by_recall,
)

pytestmark = pytest.mark.django_db(transaction=True)

SENT_OR_LATER = {"sent", "delivered", "opened", "acknowledged", "replied"}


def independent(recall: RecallCase) -> dict[str, Any]:
    """The funnel counted the plain way: every frozen line and notice read into Python."""
    snapshot = recall.snapshots.order_by("-sequence").first()
    assert snapshot is not None
    lines = list(AffectedLine.objects.filter(snapshot=snapshot).select_related("party", "location"))
    units_of: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.party.party_type != "own_site":
            units_of[line.party_id] += line.on_hand + line.in_transit
    statuses: dict[int, set[str]] = defaultdict(set)
    has_notice: set[int] = set()  # a holder notice delivered, opened, acknowledged, replied to
    for notice in Notice.objects.filter(recall=recall, kind__in=("initial", "reminder", "update")):
        if notice.kind != "update":
            statuses[notice.party_id].add(notice.status)
        if notice.delivered_at or notice.opened_at or notice.acknowledged_at or notice.replied_at:
            has_notice.add(notice.party_id)
    replied = set(Reply.objects.filter(recall=recall).values_list("party_id", flat=True))
    called = set(
        NoticeEvent.objects.filter(recall=recall, type="call").values_list("party_id", flat=True)
    )
    returned = set(Receipt.objects.filter(recall=recall).values_list("ra__party_id", flat=True))
    # Notified: the holder has the notice (a notice only sent does not notify).
    notified = {p for p in units_of if p in has_notice | replied | called}
    recovered = {p for p in units_of if p in returned}
    answered = {
        p for p in units_of if statuses[p] & {"acknowledged", "replied"} or p in replied
    } | recovered
    reached = {
        p for p in units_of if statuses[p] & {"delivered", "opened", "acknowledged", "replied"}
    } | answered
    stages = {
        "sent": {p for p in units_of if statuses[p] & SENT_OR_LATER} | notified,
        "notified": notified,
        # Delivered and acknowledged count among the notified: the funnel narrows.
        "delivered": reached & notified,
        "acknowledged": answered & notified,
        "recovered": recovered,
    }
    books = recall_accounting(recall).total
    return {
        "units": sum(line.on_hand + line.in_transit for line in lines),
        "holders": len(units_of),
        "units_of": units_of,
        "stages": stages,
        "recovered_units": books.in_quarantine + books.dispositioned + corrected_units(recall),
        "dispositioned": books.dispositioned,
        "lines": lines,
    }


def test_every_funnel_stage_equals_an_independent_count(progressed: RecallCase) -> None:
    figures = compute_progress(progressed)
    expected = independent(progressed)
    assert figures.units == expected["units"] == 970
    assert figures.holders == expected["holders"] == 4
    funnel = {stage.key: stage for stage in figures.funnel}
    assert [stage.key for stage in figures.funnel] == list(progress.STAGES)
    assert (funnel["affected"].units, funnel["affected"].holders) == (970, 4)
    for key, holders in expected["stages"].items():
        if key == "recovered":
            continue
        units = sum(expected["units_of"][p] for p in holders)
        assert (funnel[key].units, funnel[key].holders) == (units, len(holders)), key
    # Sent to DIST, SUB and HOSP2 (HOSP's letter not posted); only SUB (its reply) and HOSP2
    # (acknowledged) have the notice: DIST's e-mail, only sent, does not notify.
    assert (funnel["sent"].units, funnel["sent"].holders) == (500, 3)
    assert (funnel["notified"].units, funnel["notified"].holders) == (150, 2)
    assert (funnel["delivered"].units, funnel["delivered"].holders) == (150, 2)
    assert (funnel["acknowledged"].units, funnel["acknowledged"].holders) == (150, 2)
    assert funnel["recovered"].units == expected["recovered_units"] == 30
    assert funnel["recovered"].holders == len(expected["stages"]["recovered"]) == 1
    assert (funnel["dispositioned"].units, funnel["dispositioned"].holders) == (0, None)
    assert (funnel["sent"].units_percent, funnel["sent"].holders_percent) == (51.5, 75.0)
    assert (funnel["notified"].units_percent, funnel["notified"].holders_percent) == (15.5, 50.0)
    assert funnel["recovered"].units_percent == 3.1


def test_regions_holder_types_and_echelons_equal_independent_counts(
    progressed: RecallCase,
) -> None:
    figures = compute_progress(progressed)
    expected = independent(progressed)
    answered = expected["stages"]["acknowledged"]

    def grouped(key: Any) -> dict[str, tuple[int, int, int]]:
        units: dict[str, int] = defaultdict(int)
        holders: dict[str, set[int]] = defaultdict(set)
        for line in expected["lines"]:
            if line.party.party_type == "own_site":
                continue
            units[key(line)] += line.on_hand + line.in_transit
            holders[key(line)].add(line.party_id)
        return {k: (units[k], len(holders[k]), len(holders[k] & answered)) for k in units}

    def shown(rows: list[progress.GroupRow]) -> dict[str, tuple[int, int, int]]:
        return {r.key: (r.units, r.holders, r.acknowledged) for r in rows}

    assert shown(figures.by_country) == grouped(lambda line: line.location.country)
    assert shown(figures.by_country) == {"CN": (520, 3, 1), "US": (50, 1, 1)}
    assert shown(figures.by_province) == {
        k: v
        for k, v in grouped(lambda line: line.location.province_code).items()
        if k.startswith("CN-")
    }
    assert shown(figures.by_province) == {"CN-GD": (450, 2, 1), "CN-BJ": (70, 1, 0)}
    assert shown(figures.by_party_type) == grouped(lambda line: line.party.party_type)
    assert shown(figures.by_echelon) == grouped(lambda line: str(line.echelon))
    assert [r.key for r in figures.by_country] == ["CN", "US"]  # ranked by units


def test_each_region_shows_units_at_the_freeze_and_still_at_holders_now(
    progressed: RecallCase, django_assert_num_queries: Any
) -> None:
    """The region table's two columns: at the freeze (the frozen lines) and still at holders
    now, the latter counted the plain way from the positions at holders' locations, less the
    units corrected on site; the rows add up to the funnel's "still at holders"."""
    from medrecall.execution.models import WorkOrderUnit
    from medrecall.traceability.models import Position

    figures = compute_progress(progressed)
    lines = independent(progressed)["lines"]
    lots = {line.lot_id for line in lines}
    now: dict[str, int] = defaultdict(int)
    for position in Position.objects.filter(lot_id__in=lots).select_related("location__party"):
        if position.location.party.party_type not in ("own_site", "supplier"):
            now[position.location.country or "-"] += position.on_hand
    for unit in WorkOrderUnit.objects.filter(
        work_order__recall=progressed, result="corrected"
    ).select_related("work_order__location"):
        now[unit.work_order.location.country or "-"] -= unit.quantity
    assert {r.key: r.still for r in figures.by_country} == {k: now.get(k, 0) for k in ("CN", "US")}
    assert sum(r.still or 0 for r in figures.by_country) == figures.still_at_holders
    assert sum(r.still or 0 for r in figures.by_party_type) == figures.still_at_holders
    # At the freeze 570 at holders (CN 520, US 50, on hand and in transit); on hand at holders
    # now 440 (30 came back, the rest in transit): the two columns differ.
    assert sum(r.units for r in figures.by_country) == 570
    assert figures.still_at_holders == 440
    assert all(r.still is None for r in figures.by_echelon)
    assert figures.as_dict()["by_country"][0]["still_at_holders"] == figures.by_country[0].still
    snapshot = progress.current_scope(progressed)
    assert snapshot is not None
    with django_assert_num_queries(2):  # one per statement, whatever the number of units
        progress.still_by_region(progressed, snapshot)


def test_the_burn_down_equals_an_independent_count_day_by_day(progressed: RecallCase) -> None:
    approved = progressed.transitions.get(target="in_execution").at
    two_days_later = approved + timedelta(days=2)
    Receipt.objects.filter(recall=progressed).update(received_at=two_days_later)
    today = timezone.localdate(approved) + timedelta(days=4)
    snapshot = progress.current_scope(progressed)
    assert snapshot is not None
    points = progress.burn_down(
        progressed, snapshot, start=progress.approved_on(progressed), today=today
    )
    at_freeze = sum(independent(progressed)["units_of"].values())
    received_day = timezone.localdate(two_days_later)
    received = sum(r.quantity for r in Receipt.objects.filter(recall=progressed))
    expected = [
        (
            timezone.localdate(approved) + timedelta(days=n),
            at_freeze
            - (received if timezone.localdate(approved) + timedelta(days=n) >= received_day else 0),
        )
        for n in range(5)
    ]
    assert points == expected
    assert [units for _day, units in points] == [570, 570, 540, 540, 540]


def test_recovered_by_recall_is_the_funnel_stage_for_many_recalls_at_once(
    progressed: RecallCase, manager: Any, django_assert_num_queries: Any
) -> None:
    from medrecall.recalls import services

    draft = services.recall_open(
        actor=manager, title="无范围", products=[], reason="", regimes=["nmpa"]
    )
    with django_assert_num_queries(7):
        found = recovered_by_recall([progressed.pk, draft.pk])
    funnel = compute_progress(progressed)
    assert found == {
        progressed.pk: (funnel.units, funnel.stage("recovered").units),
        draft.pk: None,
    }
    assert found[progressed.pk] == (970, 30)


def test_a_recall_without_a_frozen_scope_says_what_is_missing(manager: Any) -> None:
    from medrecall.recalls import services

    draft = services.recall_open(
        actor=manager, title="草稿", products=[], reason="", regimes=["nmpa"]
    )
    figures = compute_progress(draft)
    assert (figures.has_scope, figures.missing, figures.funnel) == (False, ["no_scope"], [])
    body = figures.as_dict()
    assert body["scope"] is None
    assert body["missing"][0]["code"] == "no_scope"
    assert "No scope has been frozen" in body["missing"][0]["message"]


def test_the_figures_are_kept_until_an_audit_entry_is_written(
    progressed: RecallCase, settings: Any
) -> None:
    settings.MEDRECALL_COCKPIT_CACHE_SECONDS = 60
    first = recall_progress(progressed)
    Notice.objects.filter(recall=progressed, party__code="DIST").update(
        status="delivered", delivered_at=timezone.now()
    )
    assert recall_progress(progressed) == first  # kept: nothing was audited since
    assert recall_progress(progressed).stage("delivered").holders == 2
    audit.record(actor="test", action="notices.contact_logged", target=progressed, changes={})
    assert recall_progress(progressed).stage("delivered").holders == 3  # recorded: counted anew


def test_while_another_process_counts_afresh_the_last_figures_answer(
    progressed: RecallCase, settings: Any, django_assert_num_queries: Any
) -> None:
    from django.core.cache import cache

    settings.MEDRECALL_COCKPIT_CACHE_SECONDS = 60
    first = recall_progress(progressed)
    stamp = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    key = f"reporting:progress:{progressed.pk}:{progressed.status}:{progress._SHAPE}"
    cache.delete(f"{key}:{stamp}")  # expired
    assert cache.add(f"{key}:lock", "another process")
    # the audit stamp, the clock (regimes, calendars, done), what the filings show done (the
    # regimes and the first freeze) and what the notice log shows done (the "notify holders"
    # deadlines: scope, notices, replies, calls); constant in rows
    with django_assert_num_queries(15):
        assert recall_progress(progressed) == first
    cache.delete(f"{key}:lock")
    again = recall_progress(progressed)  # nobody else counting: counted afresh
    assert again.computed_at > first.computed_at
    assert cache.get(f"{key}:lock") is None


def test_the_funnel_never_narrows_then_widens_with_replies_entered_by_staff_and_a_letter(
    tmp_path: Any, manager: Any, make_user: Any
) -> None:
    """Customer service enters replies taken on the telephone before the notices went out (as
    the demo does); the e-mails are sent and the letter posted afterwards. No notice ever gets
    a delivery report, yet the holders who replied were reached."""
    from medrecall.notices import postal, replies, send_runs
    from tests.notices.conftest import approved_recall

    recall = approved_recall(tmp_path, manager, make_user)
    run = send_runs.notice_run_start(recall=recall, actor=manager)
    send_runs.notice_run_execute(run.pk)
    for code in ("HOSP", "SUB"):  # HOSP is written to by letter, SUB by e-mail
        notice = Notice.objects.filter(recall=recall, party__code=code, kind="initial").first()
        assert notice is not None
        key = replies.expected_lines(notice)[0].key
        replies.reply_submit(
            notice=notice,
            respondent_name="王敏",
            quantities={key: {"on_hand": 1, "to_return": 1}},
            via=Reply.Via.STAFF,
            actor=manager,
        )
    ids = list(Notice.objects.filter(run=run).order_by("pk").values_list("pk", flat=True))
    send_runs.notices_batch(run.pk, ids)
    postal.letters_posted(notices=list(postal.letters_to_post(recall)), actor=manager)
    assert not Notice.objects.filter(
        recall=recall, status__in=("delivered", "opened", "acknowledged")
    ).exists()
    figures = compute_progress(recall)
    holders = {s.key: s.holders for s in figures.funnel}
    assert holders == {
        "affected": 4,
        "sent": 4,
        "notified": 2,  # the two who replied have the notice; sent alone does not notify
        "delivered": 2,
        "acknowledged": 2,
        "recovered": 0,
        "dispositioned": None,
    }
    expected = independent(recall)
    for key in ("notified", "delivered", "acknowledged"):
        units = sum(expected["units_of"][p] for p in expected["stages"][key])
        assert (figures.stage(key).units, figures.stage(key).holders) == (
            units,
            len(expected["stages"][key]),
        )
    assert figures.stage("delivered").units == figures.stage("acknowledged").units > 0
