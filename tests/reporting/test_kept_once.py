"""Kept figures counted once (``reporting.kept``): when a figure is stale and several requests
ask at once, one counts while the others answer the previous figure, noted as of the time it
was counted, or wait for the count when there is none; and each recall's figures are kept under
its own audit stamp, so activity on one recall leaves the others' kept figures alone.

Run on SQLite and PostgreSQL (``DATABASE_URL``), with the cache in local memory (its atomic
``add`` as the lock), in files (an operating-system file lock) and, when ``REDIS_URL`` is set,
in Redis."""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connections
from django.urls import reverse

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.notices.models import Notice
from medrecall.parties.models import Party
from medrecall.recalls import services
from medrecall.recalls.models import RecallCase
from medrecall.reporting import kept as keeping
from medrecall.reporting import progress
from medrecall.reporting.portfolio import Recovery
from medrecall.reporting.progress import kept_recovered_by_recall, recall_progress
from tests.reporting.test_kept_figures import _quarantine_more

pytestmark = pytest.mark.django_db(transaction=True)

CACHES = {
    "memory": lambda _tmp: {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "medrecall-kept-once",
    },
    "files": lambda tmp: {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(tmp / "cache"),
    },
    "redis": lambda _tmp: {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", ""),
        "KEY_PREFIX": "medrecall-tests",
    },
}


@pytest.fixture(params=list(CACHES))
def kept_in(request: Any, settings: Any, tmp_path: Path) -> Iterator[str]:
    """Keeping on, in an empty cache of each kind, left empty; a request without previous
    figures waits as long as it takes (the test never depends on the clock)."""
    if request.param == "redis" and not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set")
    settings.CACHES = {"default": CACHES[request.param](tmp_path)}
    settings.MEDRECALL_COCKPIT_CACHE_SECONDS = 60
    settings.MEDRECALL_KEPT_WAIT_SECONDS = 600
    cache.clear()
    yield request.param
    cache.clear()


class Counting:
    """A count that holds until released: the requests arriving meanwhile find it going on."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        self.started.set()
        assert self.release.wait(600)
        return self.value(*args) if callable(self.value) else self.value


def _in_threads(how_many: int, ask: Callable[[], Any]) -> list[threading.Thread]:
    """Start ``how_many`` requests (each with its own database connection)."""

    def run() -> None:
        try:
            ask()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(how_many)]
    for thread in threads:
        thread.start()
    return threads


def _answered_with_notes(key: str, compute: Callable[[], Any], stamp: int) -> Any:
    with keeping.noting_stale() as note:
        value = keeping.kept(key, compute, stamp=stamp)
    return value, note.as_of


def test_while_one_request_counts_a_stale_figure_the_others_answer_the_previous_one(
    kept_in: str,
) -> None:
    before = datetime.now().astimezone()
    assert keeping.kept("t:figure", lambda: "counted at stamp 1", stamp=1) == "counted at stamp 1"
    counting = Counting("counted at stamp 2")
    first: list[Any] = []
    (counter,) = _in_threads(1, lambda: first.append(_answered_with_notes("t:figure", counting, 2)))
    assert counting.started.wait(600)
    others: list[Any] = []
    for thread in _in_threads(
        5, lambda: others.append(_answered_with_notes("t:figure", counting, 2))
    ):
        thread.join()
    # The five answered at once, with the previous figure, noted as of when it was counted.
    assert [value for value, _ in others] == ["counted at stamp 1"] * 5
    assert all(as_of is not None and as_of >= before for _, as_of in others)
    assert counting.calls == 1
    counting.release.set()
    counter.join()
    assert first == [("counted at stamp 2", None)]
    assert _answered_with_notes("t:figure", counting, 2) == ("counted at stamp 2", None)
    assert counting.calls == 1  # counted once in all


def test_with_no_previous_figure_the_others_wait_for_the_one_count(
    kept_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = Counting("counted")
    waiting: list[int] = []

    def pause() -> None:  # the others are waiting: let the count finish
        waiting.append(1)
        if len(waiting) >= 4:
            counting.release.set()
        threading.Event().wait(0.01)

    monkeypatch.setattr(keeping, "_pause", pause)
    answers: list[Any] = []
    (counter,) = _in_threads(1, lambda: answers.append(keeping.kept("t:new", counting, stamp=7)))
    assert counting.started.wait(600)
    for thread in [
        *_in_threads(4, lambda: answers.append(_answered_with_notes("t:new", counting, 7))),
        counter,
    ]:
        thread.join()
    assert counting.calls == 1
    assert sorted(map(str, answers)) == sorted(["counted"] + [str(("counted", None))] * 4)


def test_each_recall_counted_once_while_the_others_answer_its_previous_figure(
    progressed: RecallCase, manager: User, kept_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = services.recall_open(
        actor=manager, title="无范围", products=[], reason="", regimes=["nmpa"]
    )
    ids = [progressed.pk, draft.pk]
    assert kept_recovered_by_recall(ids) == {progressed.pk: (970, 30), draft.pk: None}
    _quarantine_more(5)
    audit.record(actor="test", action="execution.received", target=progressed, changes={})
    counting = Counting(progress.recovered_by_recall)
    monkeypatch.setattr(progress, "recovered_by_recall", counting)
    first: list[Any] = []
    (counter,) = _in_threads(1, lambda: first.append(kept_recovered_by_recall(ids)))
    assert counting.started.wait(600)
    others: list[Any] = []

    def ask() -> None:
        with keeping.noting_stale() as note:
            others.append((kept_recovered_by_recall(ids), note.as_of is not None))

    for thread in _in_threads(4, ask):
        thread.join()
    # The draft's figure is still valid (nothing audited about it); the progressed recall's
    # previous figure is answered, noted.
    assert others == [({progressed.pk: (970, 30), draft.pk: None}, True)] * 4
    counting.release.set()
    counter.join()
    assert first == [{progressed.pk: (970, 35), draft.pk: None}]
    assert counting.calls == 1
    assert kept_recovered_by_recall(ids) == {progressed.pk: (970, 35), draft.pk: None}
    assert counting.calls == 1


def test_the_home_page_shows_the_previous_percent_recovered_as_of_its_time_while_counted(
    progressed: RecallCase, manager: User, client: Any, kept_in: str
) -> None:
    client.force_login(manager)

    def shown() -> tuple[Recovery, Any, bool]:
        response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
        (row,) = response.context["recall_rows"]
        noted = 'id="figures-as-of"' in response.content.decode()
        return row.recovery, response.context["figures_as_of"], noted

    assert shown() == (Recovery(970, 30), None, False)
    _quarantine_more(5)
    audit.record(actor="test", action="execution.received", target=progressed, changes={})
    with keeping.counting_lock("reporting:recovered") as mine:
        assert mine  # this test holds the lock: another request is counting
        recovery, as_of, noted = shown()
        assert (recovery, noted) == (Recovery(970, 30), True)
        assert isinstance(as_of, datetime)
    assert shown() == (Recovery(970, 35), None, False)  # the lock is free: counted afresh


# -- each recall's own stamp ------------------------------------------------------------------


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The recalls whose cockpit figures were counted, in order."""
    calls: list[int] = []
    real = progress.compute_progress

    def compute(recall: RecallCase, **options: Any) -> progress.Progress:
        calls.append(recall.pk)
        return real(recall, **options)

    monkeypatch.setattr(progress, "compute_progress", compute)
    return calls


def test_an_action_on_one_recall_leaves_another_recalls_kept_figures_valid(
    progressed: RecallCase, manager: User, kept_in: str, counted: list[int]
) -> None:
    other = services.recall_open(
        actor=manager, title="另一召回", products=[], reason="", regimes=["nmpa"]
    )
    a, b = progressed.pk, other.pk
    for recall in (progressed, other, progressed, other):
        recall_progress(recall)
    assert counted == [a, b]  # kept
    # The recall itself, then one of its records (a notice): A is counted anew, B is not.
    audit.record(actor="test", action="execution.received", target=progressed, changes={})
    for recall in (progressed, other):
        recall_progress(recall)
    assert counted == [a, b, a]
    notice = Notice.objects.filter(recall=progressed).first()
    audit.record(actor="test", action="notices.contact_logged", target=notice, changes={})
    for recall in (progressed, other):
        recall_progress(recall)
    assert counted == [a, b, a, a]
    # An action on B: B is counted anew, A is not.
    audit.record(actor="test", action="recalls.transition", target=other, changes={})
    for recall in (progressed, other):
        recall_progress(recall)
    assert counted == [a, b, a, a, b]


def test_a_change_not_of_one_recall_counts_every_recall_anew(
    progressed: RecallCase, manager: User, kept_in: str, counted: list[int]
) -> None:
    other = services.recall_open(
        actor=manager, title="另一召回", products=[], reason="", regimes=["nmpa"]
    )
    for recall in (progressed, other):
        recall_progress(recall)
    party = Party.objects.get(code="HOSP")
    audit.record(actor="test", action="parties.party_changed", target=party, changes={})
    for recall in (progressed, other, progressed, other):
        recall_progress(recall)
    assert counted == [progressed.pk, other.pk, progressed.pk, other.pk]


def test_each_recalls_stamp_is_its_latest_entry_or_the_latest_shared_one(
    progressed: RecallCase, manager: User, kept_in: str, django_assert_num_queries: Any
) -> None:
    other = services.recall_open(
        actor=manager, title="另一召回", products=[], reason="", regimes=["nmpa"]
    )
    start = keeping.recall_stamps()  # nothing classified yet: every recall starts here
    assert (start.of(progressed.pk), start.of(other.pk)) == (start.latest, start.latest)
    on_a = audit.record(actor="test", action="execution.received", target=progressed)
    notice = Notice.objects.filter(recall=progressed).first()
    on_notice = audit.record(actor="test", action="notices.contact_logged", target=notice)
    with django_assert_num_queries(2):  # the entries since, then the notices (not the recall)
        stamps = keeping.recall_stamps()
    assert (stamps.latest, stamps.shared) == (on_notice.pk, start.latest)
    assert (stamps.of(progressed.pk), stamps.of(other.pk)) == (on_notice.pk, start.latest)
    assert on_a.pk < on_notice.pk
    with django_assert_num_queries(1):  # nothing written since: one look
        assert keeping.recall_stamps() == stamps
    shared = audit.record(
        actor="test", action="catalog.lots_imported", target_type="catalog.lot", target_id="*"
    )
    after = keeping.recall_stamps()
    assert (after.of(progressed.pk), after.of(other.pk)) == (shared.pk, shared.pk)
    assert after.own == {}  # every recall's own stamp is older than the shared one


# -- what the notice log shows done: one kept figure per recall and stamp -----------------------


@pytest.fixture
def done_counted(monkeypatch: pytest.MonkeyPatch) -> Counter[int]:
    """How many times what the notice log shows done (``notices.notify_by.done_from_records``,
    every holder of the scope read) was counted, per recall."""
    from medrecall.notices import notify_by

    counts: Counter[int] = Counter()
    real = notify_by.done_from_records

    def done(recalls: list[RecallCase]) -> dict[tuple[int, str], Any]:
        counts.update(recall.pk for recall in recalls)
        return real(recalls)

    monkeypatch.setattr(notify_by, "done_from_records", done)
    return counts


def test_the_home_page_keeps_what_the_notice_log_shows_done_per_recall(
    noticed: RecallCase, manager: User, client: Any, kept_in: str, done_counted: Counter[int]
) -> None:
    from medrecall.reporting import portfolio

    other = services.recall_open(
        actor=manager, title="另一召回", products=[], reason="", regimes=["nmpa"]
    )
    client.force_login(manager)

    def next_deadlines() -> dict[str, Any]:
        rows = client.get("/").context["recall_rows"]
        return {row.number: row.next_deadline for row in rows}

    first = next_deadlines()
    assert done_counted == {noticed.pk: 1, other.pk: 1}
    assert next_deadlines() == first
    assert done_counted == {noticed.pk: 1, other.pk: 1}  # kept
    audit.record(actor="test", action="recalls.transition", target=other, changes={})
    assert next_deadlines() == first
    assert done_counted == {noticed.pk: 1, other.pk: 2}  # only the recall acted on
    fresh = portfolio.open_recall_rows(list(RecallCase.objects.filter(pk=noticed.pk)))
    assert first[noticed.number] == fresh[0].next_deadline


def test_every_page_and_language_shares_one_count_of_what_the_notice_log_shows_done(
    noticed: RecallCase,
    manager: User,
    client: Any,
    kept_in: str,
    done_counted: Counter[int],
    clock: list[float],
) -> None:
    other = services.recall_open(
        actor=manager, title="另一召回", products=[], reason="", regimes=["nmpa"]
    )  # a draft: on the home page, not on the due list
    client.force_login(manager)
    pages = [
        reverse("web:recall-cockpit", args=[noticed.pk]),
        f"/api/recalls/{noticed.pk}/progress/",
        "/",
        reverse("web:queue", kwargs={"role": "qa_ra_manager"}),
        reverse("web:recall-due-week"),
        "/api/recalls/due-this-week/",
        "/api/home/",
    ]

    def every_page_in_both_languages() -> None:
        for language in ("en", "zh-hans"):
            for url in pages:
                response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
                assert (response.status_code, response["Content-Language"]) == (200, language)

    every_page_in_both_languages()
    assert done_counted == {noticed.pk: 1, other.pk: 1}
    every_page_in_both_languages()
    assert done_counted == {noticed.pk: 1, other.pk: 1}  # kept for every page and language
    clock[0] += 61  # the next time slot: each recall recounted once, after a response
    every_page_in_both_languages()
    assert done_counted == {noticed.pk: 2, other.pk: 2}
    notice = Notice.objects.filter(recall=noticed).first()
    audit.record(actor="test", action="notices.contact_logged", target=notice, changes={})
    every_page_in_both_languages()
    assert done_counted == {noticed.pk: 3, other.pk: 2}  # once more, for the recall acted on


def test_what_the_notice_log_shows_done_is_fresh_at_once_after_an_audited_notice_change(
    noticed: RecallCase, manager: User, client: Any, kept_in: str
) -> None:
    from medrecall.notices import delivery

    client.force_login(manager)
    key = "nmpa.notify_holders"

    def waiting_on(language: str) -> dict[str, bool]:
        cockpit = client.get(
            reverse("web:recall-cockpit", args=[noticed.pk]), HTTP_ACCEPT_LANGUAGE=language
        ).context["p"]
        home = client.get("/", HTTP_ACCEPT_LANGUAGE=language).context
        return {
            "cockpit": key
            in {row.key for row in cockpit.deadlines_overdue + cockpit.deadlines_next},
            "home": key in {row.key for row in [*home["overdue"], *home["due"]]},
        }

    everywhere, nowhere = {"cockpit": True, "home": True}, {"cockpit": False, "home": False}
    assert waiting_on("en") == waiting_on("zh-hans") == everywhere
    initial = Notice.objects.filter(recall=noticed, kind="initial").order_by("pk")
    for party_id in sorted(set(initial.values_list("party_id", flat=True))):
        delivery.notice_acknowledge(notice=initial.filter(party_id=party_id).first(), actor=manager)
    assert waiting_on("en") == waiting_on("zh-hans") == everywhere  # kept: nothing audited
    audit.record(actor="test", action="notices.contact_logged", target=initial.first())
    assert waiting_on("zh-hans") == waiting_on("en") == nowhere  # every holder notified


# -- only the time slot expired: answered as it was, recounted after the response --------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The time the kept figures are counted and aged by, moved by the test."""
    now = [1_900_000_000.0]
    monkeypatch.setattr(keeping, "_now", lambda: now[0])
    return now


def test_after_its_time_slot_a_figure_is_answered_as_it_was_and_recounted_after_the_response(
    kept_in: str, clock: list[float]
) -> None:
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        return f"count {len(calls)}"

    assert keeping.kept("t:slot", compute, stamp=1) == "count 1"
    clock[0] += 61  # the slot (60 s) is over; nothing was audited
    with keeping.recounting_after_response() as pending, keeping.noting_stale() as note:
        assert keeping.kept("t:slot", compute, stamp=1) == "count 1"  # not counted: answered
        assert keeping.kept("t:slot", compute, stamp=1) == "count 1"
    assert (len(calls), len(pending), note.as_of is not None) == (1, 1, True)
    keeping.recount_pending(pending)  # the response is sent
    assert len(calls) == 2
    with keeping.recounting_after_response() as pending:
        assert keeping.kept("t:slot", compute, stamp=1) == "count 2"
    assert (len(calls), pending) == (2, {})
    clock[0] += 121  # two slots later: never answered that old, counted at once
    with keeping.recounting_after_response() as pending:
        assert keeping.kept("t:slot", compute, stamp=1) == "count 3"
    assert (len(calls), pending) == (3, {})


def test_after_its_time_slot_a_reader_answers_the_previous_figure_while_another_recounts(
    kept_in: str, clock: list[float]
) -> None:
    assert keeping.kept("t:busy", lambda: "before", stamp=1) == "before"
    clock[0] += 61
    counting = Counting("after")
    with keeping.recounting_after_response() as pending:
        assert keeping.kept("t:busy", counting, stamp=1) == "before"
    (recounter,) = _in_threads(1, lambda: keeping.recount_pending(pending))
    assert counting.started.wait(600)
    answers: list[Any] = []

    def ask() -> None:
        with keeping.recounting_after_response() as mine:
            answers.append(keeping.kept("t:busy", counting, stamp=1))
        keeping.recount_pending(mine)  # finds the recount going on: counts nothing
        answers.append(keeping.kept("t:busy", counting, stamp=1))  # outside a request too

    for thread in _in_threads(3, ask):
        thread.join()
    assert answers == ["before"] * 6
    assert counting.calls == 1
    counting.release.set()
    recounter.join()
    assert keeping.kept("t:busy", counting, stamp=1) == "after"
    assert counting.calls == 1


def test_a_reader_after_an_audited_change_counts_at_once_within_the_old_figures_slot(
    kept_in: str, clock: list[float]
) -> None:
    assert keeping.kept("t:audited", lambda: "stamp 1", stamp=1) == "stamp 1"
    clock[0] += 61  # stale, and besides something was audited: stamp 2
    with keeping.recounting_after_response() as pending, keeping.noting_stale() as note:
        assert keeping.kept("t:audited", lambda: "stamp 2", stamp=2) == "stamp 2"
    assert (pending, note.as_of) == ({}, None)


def test_each_id_whose_slot_expired_is_answered_and_recounted_alone_after_the_response(
    kept_in: str, clock: list[float]
) -> None:
    asked: list[list[int]] = []

    def compute(ids: list[int]) -> dict[int, str]:
        asked.append(ids)
        return {pk: f"{pk}/{len(asked)}" for pk in ids}

    assert keeping.kept_each("t:each", [1, 2], compute, stamp=1) == {1: "1/1", 2: "2/1"}
    clock[0] += 61
    stamps = {1: 1, 2: 2}  # recall 2 was audited since: its new stamp counts at once
    with keeping.recounting_after_response() as pending:
        found = keeping.kept_each("t:each", [1, 2], compute, stamp=stamps.__getitem__)
    assert found == {1: "1/1", 2: "2/2"}
    assert asked == [[1, 2], [2]]
    keeping.recount_pending(pending)
    assert asked == [[1, 2], [2], [1]]
    with keeping.recounting_after_response() as pending:
        found = keeping.kept_each("t:each", [1, 2], compute, stamp=stamps.__getitem__)
    assert (found, pending, len(asked)) == ({1: "1/3", 2: "2/2"}, {}, 3)


def test_after_its_time_slot_the_home_page_answers_the_previous_figure_and_recounts_after(
    progressed: RecallCase, manager: User, client: Any, kept_in: str, clock: list[float]
) -> None:
    client.force_login(manager)

    def shown() -> tuple[Recovery, bool]:
        response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
        (row,) = response.context["recall_rows"]
        return row.recovery, response.context["figures_as_of"] is not None

    assert shown() == (Recovery(970, 30), False)
    _quarantine_more(5)  # not audited
    clock[0] += 61
    # The page answers the previous figure, noted; its recount ran once the response was done.
    assert shown() == (Recovery(970, 30), True)
    with keeping.recounting_after_response() as pending:
        assert kept_recovered_by_recall([progressed.pk]) == {progressed.pk: (970, 35)}
    assert pending == {}  # fresh: counted after the previous response
    assert shown() == (Recovery(970, 35), False)
    _quarantine_more(5)
    clock[0] += 61
    audit.record(actor="test", action="execution.received", target=progressed, changes={})
    assert shown() == (Recovery(970, 40), False)  # audited: counted for the reader at once


@pytest.mark.parametrize("closers", ["kept", "dropped"])
def test_the_recount_runs_after_the_response_or_before_it_when_django_has_no_closers_list(
    closers: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The middleware relies on Django's private ``_resource_closers``; without it (a future
    Django), the recount runs before the response is returned, never not at all."""
    from django.http import HttpResponse

    from medrecall.reporting import middleware

    calls: list[str] = []

    def view(_request: Any) -> HttpResponse:
        noted = keeping._recount_later("t:closers", lambda: calls.append("recount"))
        assert noted
        response = HttpResponse("figures")
        if closers == "dropped":
            del response._resource_closers
        calls.append("answered")
        return response

    middleware._warn_once.cache_clear()
    caplog.set_level(logging.WARNING, logger=middleware.__name__)
    response = middleware.RecountAfterResponse(view)(object())  # type: ignore[arg-type]
    if closers == "kept":
        assert calls == ["answered"]  # not yet: after the response is sent
        response.close()
        assert calls == ["answered", "recount"]
        assert "no _resource_closers" not in caplog.text
    else:
        assert calls == ["answered", "recount"]  # at once, before the response is returned
        assert "no _resource_closers" in caplog.text
