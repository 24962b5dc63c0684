"""A deadline partly met by the records: the recall plan addressed to four authorities and
submitted to one of them stays open on the compliance clock (with its due status) and says
"Submitted to 1 of 4 authorities" (已报送 1/4 个部门) wherever the clock's deadlines are shown —
the case page, the cockpit, the home page's due lists, the QA/RA queue, the API and the
commands — until the last authority has its submission: then it is done, and the note goes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.filings import services
from medrecall.filings.models import Filing
from medrecall.filings.selectors import deadlines_done_from_filings
from medrecall.recalls.deadlines import DeadlineRow, deadlines_for
from medrecall.recalls.hooks import Partly
from medrecall.recalls.models import RecallCase
from medrecall.reporting.deadlines import kept_done_from_records
from medrecall.reporting.queues import queue_for
from tests.conftest import PASSWORD
from tests.filings.conftest import ACK, PLAN_SECTIONS, signing_clock

pytestmark = pytest.mark.django_db

PLAN = "nmpa.recall_plan"
FOUR = [{"zh": f"第{n}省药品监督管理局", "en": f"MPA {n}"} for n in range(1, 5)]
FIRST = datetime(2025, 3, 5, 2, 0, tzinfo=UTC)
NOTE = {"en": "Submitted to 1 of 4 authorities", "zh-hans": "已报送 1/4 个部门"}


def _plan_to_four(recall: RecallCase, actor: User) -> Filing:
    """The recall plan addressed to four provincial MPAs, checked and signed."""
    filing = services.filing_generate(recall=recall, doc_type=PLAN, actor=actor)
    filing = services.filing_enter(
        filing=filing, actor=actor, sections=PLAN_SECTIONS, addressees=FOUR
    )
    filing = services.filing_check(filing=filing, actor=actor)
    with signing_clock():
        return services.filing_sign(
            filing=filing, actor=actor, password=PASSWORD, username=actor.username
        )


def _submit(filing: Filing, actor: User, *numbers: int) -> Filing:
    for number in numbers:
        filing = services.filing_submit(
            filing=filing,
            actor=actor,
            authority=f"MPA {number}",
            reference=f"REF-{number}",
            acknowledgement=ACK,
            acknowledgement_name="receipt.pdf",
            submitted_at=FIRST + timedelta(hours=number),
        )
    return filing


@pytest.fixture
def partly(recall: RecallCase, manager: User) -> Filing:
    """The plan submitted to the first of its four authorities."""
    return _submit(_plan_to_four(recall, manager), manager, 1)


def _plan(recall: RecallCase) -> DeadlineRow:
    rows, _missing = deadlines_for(recall)
    (row,) = [row for row in rows if row.key == PLAN]
    return row


def _client(user: User, language: str) -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def _row_of(page: str, table_id: str, title: str) -> str:
    """The table row of ``table_id`` that names the deadline ``title``."""
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    named = re.compile(">" + re.escape(title) + "[< ]")  # not a longer title that starts alike
    found = [row for row in re.split(r"<tr[ >]", table) if named.search(row)]
    assert len(found) == 1, found
    return found[0]


def test_the_clock_keeps_a_deadline_partly_submitted_open_with_its_counts(
    recall: RecallCase, partly: Filing
) -> None:
    plan = _plan(recall)

    assert (plan.status, plan.done_at, plan.partly) == ("breached", None, Partly(done=1, of=4))
    assert plan.waiting
    assert plan.progress_fields() == {
        "progress_note": "Submitted to 1 of 4 authorities",
        "submitted": 1,
        "of": 4,
    }
    others = [row for row in deadlines_for(recall)[0] if row.key != PLAN]
    assert {row.partly for row in others} == {None}


def test_every_authority_submitted_the_deadline_is_done_and_the_note_goes(
    recall: RecallCase, partly: Filing, manager: User
) -> None:
    _submit(partly, manager, 2, 3)
    assert _plan(recall).progress_note == "Submitted to 3 of 4 authorities"

    _submit(partly, manager, 4)

    plan = _plan(recall)
    assert (plan.status, plan.done_at, plan.partly) == ("done", FIRST + timedelta(hours=4), None)
    assert plan.progress_fields() == {"progress_note": "", "submitted": None, "of": None}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_case_page_shows_the_note_in_its_language_until_every_authority_has_it(
    recall: RecallCase, partly: Filing, manager: User, language: str
) -> None:
    client = _client(manager, language)
    with translation.override(language):
        title = _plan(recall).title

    row = _row_of(client.get(f"/recalls/{recall.pk}/").content.decode(), "deadline-list", title)

    assert f'<small class="deadline-progress">{NOTE[language]}</small>' in row
    assert 'class="badge rejected"' in row  # still overdue: not done

    _submit(partly, manager, 2, 3, 4)
    row = _row_of(client.get(f"/recalls/{recall.pk}/").content.decode(), "deadline-list", title)

    assert "deadline-progress" not in row
    assert 'class="badge accepted"' in row  # done


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_cockpit_the_home_page_and_the_due_list_show_the_note(
    recall: RecallCase, partly: Filing, manager: User, language: str
) -> None:
    client = _client(manager, language)
    with translation.override(language):
        title = _plan(recall).title
    note = f'<small class="deadline-progress">{NOTE[language]}</small>'

    cockpit = client.get(f"/recalls/{recall.pk}/cockpit/").content.decode()
    home = client.get("/").content.decode()
    due = client.get("/recalls/due-this-week/").content.decode()

    overdue = cockpit.split('id="deadlines-overdue"', 1)[1].split("</ul>", 1)[0]
    (line,) = [line for line in overdue.split("<li>") if line.startswith(f"{title} · ")]
    assert note in line
    assert note in _row_of(home, "overdue-list", title)
    assert note in _row_of(due, "due-list", title)


def test_the_qa_ra_queue_item_says_how_far_the_submission_got(
    recall: RecallCase, partly: Filing, manager: User
) -> None:
    found = {s.key: s for s in queue_for(viewer=manager, role=Role.QA_RA_MANAGER)}

    items = {item.subject: item for item in found["deadlines"].items()}

    item = items[_plan(recall).title]
    assert (item.state, item.detail) == ("breached", "Submitted to 1 of 4 authorities")
    assert item.as_dict()["detail"] == "Submitted to 1 of 4 authorities"


def test_the_api_gives_the_note_and_the_counts(
    recall: RecallCase, partly: Filing, manager: User, api_as: Callable[[User], Any]
) -> None:
    client = api_as(manager)

    clock = client.get(f"/api/recalls/{recall.pk}/deadlines/").json()["deadlines"]
    overdue = client.get("/api/home/deadlines/?state=overdue").json()["results"]
    week = client.get("/api/recalls/due-this-week/").json()["results"]
    progress = client.get(f"/api/recalls/{recall.pk}/progress/").json()["deadlines"]["overdue"]

    for rows in (clock, overdue, week, progress):
        (plan,) = [row for row in rows if row["key"] == PLAN]
        assert (plan["status"], plan["progress_note"], plan["submitted"], plan["of"]) == (
            "breached",
            "Submitted to 1 of 4 authorities",
            1,
            4,
        )
        assert {(r["progress_note"], r["submitted"], r["of"]) for r in rows if r is not plan} <= {
            ("", None, None)
        }


def test_the_api_speaks_the_note_in_chinese(
    recall: RecallCase, partly: Filing, manager: User, api_as: Callable[[User], Any]
) -> None:
    client = api_as(manager)

    clock = client.get(
        f"/api/recalls/{recall.pk}/deadlines/", headers={"accept-language": "zh-hans"}
    ).json()["deadlines"]

    (plan,) = [row for row in clock if row["key"] == PLAN]
    assert (plan["progress_note"], plan["submitted"], plan["of"]) == ("已报送 1/4 个部门", 1, 4)


def test_the_commands_give_the_note_and_the_counts(recall: RecallCase, partly: Filing) -> None:
    shown, due, text, due_text = StringIO(), StringIO(), StringIO(), StringIO()

    call_command("recall", "deadlines", recall.number, "--json", stdout=shown)
    call_command("deadlines", "due", "--json", stdout=due)
    call_command("recall", "deadlines", recall.number, stdout=text)
    call_command("deadlines", "due", stdout=due_text)

    for rows in (json.loads(shown.getvalue())["deadlines"], json.loads(due.getvalue())):
        (plan,) = [row for row in rows if row["key"] == PLAN]
        assert (plan["status"], plan["progress_note"], plan["submitted"], plan["of"]) == (
            "breached",
            "Submitted to 1 of 4 authorities",
            1,
            4,
        )
    title = _plan(recall).title
    for output in (text.getvalue(), due_text.getvalue()):
        (line,) = [line for line in output.splitlines() if f" {title}  (" in line]
        assert line.endswith(f" {title}  (Submitted to 1 of 4 authorities)")
        assert "breached" in line


def test_a_new_version_partly_submitted_leaves_a_deadline_met_done(
    recall: RecallCase, partly: Filing, manager: User
) -> None:
    """The plan submitted to all four, then changed: the new version submitted to one authority
    is partly submitted, but the deadline the first version met stays met."""
    first = _submit(partly, manager, 2, 3, 4)
    new = services.filing_revise(
        filing=first, actor=manager, change_note="更正", change_note_en="Fix"
    )
    new = services.filing_check(filing=new, actor=manager)
    with signing_clock():
        new = services.filing_sign(
            filing=new, actor=manager, password=PASSWORD, username=manager.username
        )
    services.filing_submit(
        filing=new,
        actor=manager,
        authority="MPA 1",
        reference="REF-1b",
        acknowledgement=ACK,
        acknowledgement_name="receipt.pdf",
        submitted_at=FIRST + timedelta(days=1),
    )

    found = deadlines_done_from_filings([recall])

    assert found[(recall.pk, PLAN)] == FIRST + timedelta(hours=4)
    assert _plan(recall).status == "done"


def test_the_partly_submitted_count_costs_no_query_of_its_own(
    recall: RecallCase, manager: User
) -> None:
    """The counts come with the filings the clock reads anyway: as many queries before any
    submission as with one filing partly submitted."""
    filing = _plan_to_four(recall, manager)
    with CaptureQueriesContext(connection) as before:
        assert (recall.pk, PLAN) not in deadlines_done_from_filings([recall])
    _submit(filing, manager, 1)

    with CaptureQueriesContext(connection) as after:
        found = deadlines_done_from_filings([recall])

    assert found[(recall.pk, PLAN)] == Partly(done=1, of=4)
    assert len(after) == len(before)


@pytest.fixture
def keeping_on(settings: Any) -> Iterator[None]:
    settings.MEDRECALL_COCKPIT_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def test_the_kept_figures_carry_the_counts_and_a_submission_renews_them(
    recall: RecallCase, partly: Filing, manager: User, keeping_on: None
) -> None:
    """The figure of what the records show done and the cockpit's and home page's deadlines are
    kept until something is audited: a submission is (on the filing, a record of the recall)."""
    client = _client(manager, "en")
    cockpit = f"/recalls/{recall.pk}/cockpit/"
    assert kept_done_from_records([recall])[(recall.pk, PLAN)] == Partly(done=1, of=4)
    assert "Submitted to 1 of 4 authorities" in client.get(cockpit).content.decode()
    assert "Submitted to 1 of 4 authorities" in client.get("/").content.decode()

    _submit(partly, manager, 2)

    assert kept_done_from_records([recall])[(recall.pk, PLAN)] == Partly(done=2, of=4)
    for page in (client.get(cockpit).content.decode(), client.get("/").content.decode()):
        assert "Submitted to 2 of 4 authorities" in page
        assert "Submitted to 1 of 4 authorities" not in page


def test_the_alert_mail_says_how_far_the_submission_got(
    recall: RecallCase, partly: Filing, mailoutbox: list[Any]
) -> None:
    from medrecall.recalls.deadlines import deadlines_alert

    deadlines_alert(now=datetime(2025, 3, 12, tzinfo=UTC))  # the plan overdue by then

    title = _plan(recall).title
    (mail,) = [m for m in mailoutbox if m.subject.endswith(f": {title}")]
    assert mail.subject.startswith(f"[{recall.number}] Deadline breached")
    assert "\nSubmitted to 1 of 4 authorities" in mail.body


def test_the_open_recalls_next_deadline_says_how_far_the_submission_got(
    recall: RecallCase, partly: Filing, manager: User, api_as: Callable[[User], Any]
) -> None:
    """Every deadline before the plan marked done by hand: the plan is the recall's next
    deadline on the home page, in the API and in ``medrecall recall list --open``."""
    from medrecall.recalls.deadlines import deadline_mark_done

    plan = _plan(recall)
    for row in deadlines_for(recall)[0]:
        if row.waiting and row.key != PLAN and row.due_at <= plan.due_at:
            deadline_mark_done(
                recall=recall, key=row.key, due_at=row.due_at, actor=manager, note="By hand."
            )
    home = _client(manager, "zh-hans").get("/").content.decode()
    api = api_as(manager).get("/api/home/recalls/").json()["results"]
    out = StringIO()
    call_command("recall", "list", "--open", "--json", stdout=out)
    text = StringIO()
    call_command("recall", "list", "--open", stdout=text)

    row = _row_of(home, "open-recall-list", recall.number)
    assert '<small class="deadline-progress">已报送 1/4 个部门</small>' in row
    for rows in (api, json.loads(out.getvalue())):
        (mine,) = [row for row in rows if row["number"] == recall.number]
        deadline = mine["next_deadline"]
        assert (deadline["key"], deadline["progress_note"], deadline["submitted"]) == (
            PLAN,
            "Submitted to 1 of 4 authorities",
            1,
        )
        assert deadline["of"] == 4
    assert "breached (Submitted to 1 of 4 authorities)" in text.getvalue()


def test_the_closure_findings_say_how_far_the_submission_got(
    recall: RecallCase, partly: Filing
) -> None:
    from medrecall.recalls.closure import closure_findings

    title = _plan(recall).title

    (finding,) = [f for f in closure_findings(recall) if f"breached: {title} (due" in f.message]

    assert finding.message.startswith(f"Deadline breached: {title} (due ")
    assert finding.message.endswith("). Submitted to 1 of 4 authorities")
    assert not finding.blocking


def test_a_partly_submitted_deadline_is_marked_done_by_hand_only_with_a_reason(
    recall: RecallCase, partly: Filing, manager: User
) -> None:
    """The walk marked the plan's deadline done with one click at 2 of 4 authorities: by hand it
    needs a reason (issue 15: "a manual done stays possible with a reason, audited"), which the
    history keeps; the case page asks for it beside the button."""
    from medrecall.audit.models import AuditEntry
    from medrecall.core.errors import ValidationFailed
    from medrecall.recalls.deadlines import deadline_mark_done

    plan = _plan(recall)
    with pytest.raises(ValidationFailed) as refused:
        deadline_mark_done(recall=recall, key=plan.key, due_at=plan.due_at, actor=manager)
    assert refused.value.where == "note"
    assert "Submitted to 1 of 4 authorities" in refused.value.message
    page = _client(manager, "en").get(f"/recalls/{recall.pk}/").content.decode()
    assert 'name="note" required' in page

    deadline_mark_done(
        recall=recall, key=plan.key, due_at=plan.due_at, actor=manager, note="Three sent by post."
    )
    assert _plan(recall).status == "done"
    entry = AuditEntry.objects.filter(action="recalls.deadline_done").latest("sequence")
    assert entry.reason == "Three sent by post."
