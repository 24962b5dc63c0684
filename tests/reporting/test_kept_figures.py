"""The figures the home page and the cockpit keep in the cache (``reporting.kept``): kept while
nothing is audited, counted afresh — equal to the fresh count — once something is, and read in
a constant, small number of queries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.parties.models import LocationType
from medrecall.recalls.models import RecallCase
from medrecall.reporting import kept as keeping
from medrecall.reporting.portfolio import Recovery
from medrecall.reporting.progress import kept_recovered_by_recall, recovered_by_recall
from medrecall.reporting.queues import queue_counts
from medrecall.traceability.models import Position
from tests.reporting.test_progress_pages import _grow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def keeping_on(settings: Any) -> Iterator[None]:
    """Keeping on, in an empty cache left empty (ids repeat from test to test: a figure kept
    here must not answer another test's recall)."""
    settings.MEDRECALL_COCKPIT_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def _quarantine_more(units: int) -> None:
    """Units appear in our quarantine without anything audited (a change the kept figures do
    not see until the next audit entry)."""
    moved = Position.objects.filter(location__location_type=LocationType.QUARANTINE).update(
        on_hand=F("on_hand") + units
    )
    assert moved == 1


def test_kept_recovered_by_recall_counts_only_the_recalls_not_kept(
    progressed: RecallCase, manager: User, keeping_on: None, django_assert_num_queries: Any
) -> None:
    from medrecall.recalls import services

    draft = services.recall_open(
        actor=manager, title="无范围", products=[], reason="", regimes=["nmpa"]
    )
    stamp = keeping.audit_stamp()
    assert kept_recovered_by_recall([progressed.pk], stamp=stamp) == {progressed.pk: (970, 30)}
    with django_assert_num_queries(0):
        assert kept_recovered_by_recall([progressed.pk], stamp=stamp) == {progressed.pk: (970, 30)}
    # The draft is counted (a recall without a scope: the recall, its snapshot, its corrected
    # units), the recall kept is not: fewer queries than counting both (recovered_by_recall: 7).
    with django_assert_num_queries(3):
        both = kept_recovered_by_recall([progressed.pk, draft.pk], stamp=stamp)
    assert both == {progressed.pk: (970, 30), draft.pk: None}
    with django_assert_num_queries(0):  # a kept "no scope" is kept too
        assert kept_recovered_by_recall([draft.pk], stamp=stamp) == {draft.pk: None}


def test_the_home_page_percent_recovered_is_kept_until_an_audit_entry_is_written(
    progressed: RecallCase, manager: User, client: Any, keeping_on: None
) -> None:
    client.force_login(manager)

    def recovery() -> Recovery:
        (row,) = client.get("/").context["recall_rows"]
        return row.recovery

    assert recovery() == Recovery(970, 30)
    _quarantine_more(5)
    assert recovered_by_recall([progressed.pk]) == {progressed.pk: (970, 35)}  # the fresh count
    assert recovery() == Recovery(970, 30)  # kept: nothing was audited since
    audit.record(actor="test", action="execution.received", target=progressed, changes={})
    assert recovery() == Recovery(970, 35)  # recorded: counted anew, equal to the fresh count


def test_the_home_page_queue_counts_are_kept_until_an_audit_entry_is_written(
    noticed: RecallCase, manager: User, client: Any, keeping_on: None
) -> None:
    client.force_login(manager)

    def counts() -> dict[str, dict[str, int]]:
        return {
            q["role"]: {section.key: count for section, count in q["sections"]}
            for q in client.get("/").context["queues"]
        }

    def fresh() -> dict[str, dict[str, int]]:
        return {
            role: {section.key: section.count for section in sections}
            for role, sections in queue_counts(manager).items()
        }

    first = counts()
    assert first == fresh()
    assert first["qa_ra_manager"]["closures"] == 0
    RecallCase.objects.filter(pk=noticed.pk).update(status="effectiveness_check")
    assert fresh()["qa_ra_manager"]["closures"] == 1
    assert counts() == first  # kept: nothing was audited since
    audit.record(actor="test", action="recalls.transition", target=noticed, changes={})
    assert counts()["qa_ra_manager"]["closures"] == 1
    assert counts() == fresh()


def test_the_kept_queue_counts_are_labelled_in_the_readers_language(
    noticed: RecallCase, manager: User, client: Any, keeping_on: None
) -> None:
    client.force_login(manager)
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Closures to decide</a>" in english
    chinese = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ">Closures to decide</a>" not in chinese  # the same kept counts, labelled anew
    client.get("/", HTTP_ACCEPT_LANGUAGE="en")


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["home", "cockpit", "api"])
def test_kept_pages_read_a_constant_small_number_of_queries_as_the_scope_grows(
    progressed: RecallCase, manager: User, client: Any, keeping_on: None, page: str
) -> None:
    client.force_login(manager)
    url = {
        "home": "/",
        "cockpit": reverse("web:recall-cockpit", args=[progressed.pk]),
        "api": f"/api/recalls/{progressed.pk}/progress/",
    }[page]
    counted = _queries(client, url)
    kept = _queries(client, url)
    _grow(progressed, 30)
    audit.record(actor="test", action="recalls.scope_frozen", target=progressed, changes={})
    assert _queries(client, url) == counted  # counted afresh after the audit entry
    assert _queries(client, url) == kept  # and kept again
    assert kept < counted


def _recovered_on_page(client: Any, recall: RecallCase) -> str:
    page = client.get(reverse("web:recall-cockpit", args=[recall.pk])).content.decode()
    found = re.search(r'id="funnel-recovered">.*?data-figure="units">([\d,]+)</a>', page, re.S)
    assert found is not None
    return found.group(1)


def test_the_kept_cockpit_sections_show_the_fresh_count_once_something_is_audited(
    progressed: RecallCase, manager: User, client: Any, keeping_on: None
) -> None:
    client.force_login(manager)
    assert _recovered_on_page(client, progressed) == "30"
    _quarantine_more(5)
    assert _recovered_on_page(client, progressed) == "30"  # kept: nothing was audited since
    audit.record(actor="test", action="execution.received", target=progressed, changes={})
    assert _recovered_on_page(client, progressed) == "35"  # counted and drawn anew


def test_the_kept_deadlines_are_the_fresh_ones_in_the_readers_language(
    progressed: RecallCase, keeping_on: None
) -> None:
    from django.utils import timezone, translation

    from medrecall.reporting.progress import deadlines_of, page_progress

    def shown(rows: list[Any]) -> list[tuple[str, str, str]]:
        return [(row.key, row.title, row.status) for row in rows]

    titles = {}
    for language in ("en", "zh-hans", "en"):
        with translation.override(language):
            kept_rows = page_progress(progressed).deadlines_next
            fresh = deadlines_of(progressed, timezone.now())["deadlines_next"]
            assert kept_rows
            assert shown(kept_rows) == shown(fresh)
            titles[language] = [row.title for row in kept_rows]
    assert titles["en"] != titles["zh-hans"]


def test_the_home_page_due_and_overdue_deadlines_kept_are_the_fresh_ones(
    noticed: RecallCase, manager: User, client: Any, keeping_on: None
) -> None:
    from medrecall.reporting.portfolio import deadlines_due_for

    client.force_login(manager)

    def shown(rows: Any) -> list[tuple[str, str, str]]:
        return [(row.key, str(row.due_at), row.status) for row in rows]

    for language in ("en", "zh-hans", "en"):
        page = client.get("/", HTTP_ACCEPT_LANGUAGE=language).context
        fresh = deadlines_due_for(viewer=manager)
        for name, rows in (("overdue", fresh.overdue), ("due", fresh.due)):
            assert page[name].page.paginator.count == len(rows)
            assert shown(page[name]) == shown(rows[:20])  # the first page of 20
        assert fresh.overdue
