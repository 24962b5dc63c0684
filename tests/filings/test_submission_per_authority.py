"""A filing addressed to several authorities (the NMPA plan: the registrant's provincial MPA
and that of every recall place) is submitted to each of them: one submission per authority,
"1 of 2" until all have it, the deadline done only then; twice to one authority is refused;
a new version is submitted to every authority again. Page, API and command alike."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.filings import services
from medrecall.filings.errors import FilingAlreadySubmitted, SubmissionIncomplete
from medrecall.filings.models import Filing, FilingStatus, FilingSubmission
from medrecall.filings.selectors import submission_progress
from medrecall.recalls.deadlines import deadlines_for
from medrecall.recalls.models import DeadlineDone, RecallCase
from tests.filings.conftest import ACK, signed_plan

GUANGDONG = "广东省药品监督管理局"
BEIJING = "北京市药品监督管理局"
BEIJING_EN = "Beijing Medical Products Administration"
FIRST = datetime(2025, 3, 5, 2, 0, tzinfo=UTC)
SECOND = datetime(2025, 3, 6, 3, 0, tzinfo=UTC)


def _submit(filing: Filing, actor: User, authority: str, when: datetime = FIRST) -> Filing:
    return services.filing_submit(
        filing=filing,
        actor=actor,
        authority=authority,
        reference=f"REF-{authority[:2]}",
        acknowledgement=ACK,
        acknowledgement_name="receipt.pdf",
        submitted_at=when,
    )


def _plan_state(recall: RecallCase) -> list[str]:
    rows, _missing = deadlines_for(recall)
    return [row.status for row in rows if row.key == "nmpa.recall_plan"]


def test_the_deadline_is_done_only_once_every_authority_addressed_has_its_submission(
    recall: RecallCase, elsewhere: None, manager: User
) -> None:
    filing = _submit(signed_plan(recall, manager), manager, GUANGDONG)

    assert filing.status == FilingStatus.SUBMITTED
    progress = submission_progress(filing)
    assert (progress.done, progress.total, progress.label) == (
        1,
        2,
        "Submitted to 1 of 2 authorities",
    )
    assert (filing.submitted_to_all_at, filing.deadline_key) == (None, "")
    assert _plan_state(recall) != ["done"]
    assert not DeadlineDone.objects.filter(recall=recall).exists()

    # The second authority named by its English name: the same authority as addressed.
    filing = _submit(filing, manager, BEIJING_EN, when=SECOND)

    assert list(filing.submissions.values_list("authority", "submitted_at")) == [
        (GUANGDONG, FIRST),
        (BEIJING_EN, SECOND),
    ]
    assert submission_progress(filing).complete
    assert (filing.submitted_to_all_at, filing.deadline_key) == (SECOND, "nmpa.recall_plan")
    rows, _missing = deadlines_for(recall)
    assert [(r.status, r.done_at) for r in rows if r.key == "nmpa.recall_plan"] == [
        ("done", SECOND)
    ]


@pytest.mark.parametrize("again", [GUANGDONG, "guangdong medical products administration"])
def test_submitting_twice_to_the_same_authority_is_refused_and_changes_nothing(
    recall: RecallCase, elsewhere: None, manager: User, again: str
) -> None:
    filing = _submit(signed_plan(recall, manager), manager, GUANGDONG)
    entries = AuditEntry.objects.count()

    with pytest.raises(FilingAlreadySubmitted) as refused:
        _submit(filing, manager, again, when=SECOND)

    assert refused.value.message == (
        "This version was already submitted to Guangdong Medical Products Administration on "
        "2025-03-05: submitting twice "
        "to the same authority is refused."
    )
    assert FilingSubmission.objects.filter(filing=filing).count() == 1
    assert AuditEntry.objects.count() == entries


def test_an_authority_the_filing_is_not_addressed_to_is_refused(
    recall: RecallCase, elsewhere: None, manager: User
) -> None:
    filing = signed_plan(recall, manager)

    with pytest.raises(SubmissionIncomplete) as refused:
        _submit(filing, manager, "上海市药品监督管理局")

    assert refused.value.where == "authority"
    assert "上海市药品监督管理局 is not an authority this filing is addressed to" in (
        refused.value.message
    )
    filing.refresh_from_db()
    assert (filing.status, FilingSubmission.objects.count()) == (FilingStatus.SIGNED, 0)


def test_once_every_authority_has_it_a_further_submission_is_refused(
    recall: RecallCase, elsewhere: None, manager: User
) -> None:
    filing = _submit(signed_plan(recall, manager), manager, GUANGDONG)
    filing = _submit(filing, manager, BEIJING, when=SECOND)

    with pytest.raises(FilingAlreadySubmitted, match="to every authority it is addressed to"):
        _submit(filing, manager, BEIJING, when=SECOND)


def test_a_new_version_is_submitted_to_every_authority_again(
    recall: RecallCase, elsewhere: None, manager: User
) -> None:
    filing = _submit(signed_plan(recall, manager), manager, GUANGDONG)

    new = services.filing_revise(
        filing=filing, actor=manager, change_note="更正", change_note_en="Fix"
    )

    progress = submission_progress(new)
    assert (progress.done, progress.total) == (0, 2)
    assert [a["zh"] for a in progress.waiting] == [GUANGDONG, BEIJING]


def _client(user: User, language: str) -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize(
    ("language", "first", "second", "progress"),
    [
        pytest.param(
            "en",
            "Guangdong Medical Products Administration",
            BEIJING_EN,
            "Submitted to 1 of 2 authorities",
            id="en",
        ),
        pytest.param("zh-hans", GUANGDONG, BEIJING, "已报送 1/2 个部门", id="zh"),
    ],
)
def test_the_page_prefills_the_next_authority_in_its_language_and_shows_the_progress(
    recall: RecallCase,
    elsewhere: None,
    manager: User,
    language: str,
    first: str,
    second: str,
    progress: str,
) -> None:
    filing = signed_plan(recall, manager)
    client = _client(manager, language)
    url = f"/recalls/{recall.pk}/filings/{filing.pk}/"

    page = client.get(url).content.decode()
    assert f'<input name="authority" required value="{first}"' in page

    _submit(filing, manager, GUANGDONG)
    page = client.get(url).content.decode()
    listing = client.get(f"/recalls/{recall.pk}/filings/").content.decode()

    assert f'<input name="authority" required value="{second}"' in page
    assert progress in page
    assert progress in listing
    assert page.count('<tr data-authority="') == 1


def test_the_api_lists_the_submissions(
    recall: RecallCase, elsewhere: None, manager: User, api_as
) -> None:
    filing = _submit(signed_plan(recall, manager), manager, GUANGDONG)
    client = api_as(manager)

    body = client.get(f"/api/recalls/{recall.pk}/filings/{filing.pk}/").json()

    assert (body["authorities_submitted"], body["authorities_addressed"]) == (1, 2)
    submission = FilingSubmission.objects.get(filing=filing)
    assert body["submissions"] == [
        {
            "id": submission.pk,
            "authority": GUANGDONG,
            "authority_name": "Guangdong Medical Products Administration",  # the reader's (en)
            "submitted_at": "2025-03-05T10:00:00+08:00",
            "reference": "REF-广东",
            "submitted_by": manager.username,
            "acknowledgement": f"/api/recalls/{recall.pk}/filings/{filing.pk}/files/"
            f"acknowledgement-{submission.pk}/",
        }
    ]
    ack = client.get(body["submissions"][0]["acknowledgement"])
    assert (ack.status_code, b"".join(ack.streaming_content)) == (200, ACK)


def test_the_command_submits_to_one_authority_and_lists_the_submissions(
    recall: RecallCase, elsewhere: None, manager: User, tmp_path: Path
) -> None:
    signed_plan(recall, manager)
    ack = tmp_path / "receipt.pdf"
    ack.write_bytes(ACK)
    out = StringIO()

    call_command(
        "filings",
        "submit",
        recall.number,
        "--type",
        "nmpa.recall_plan",
        "--user",
        manager.username,
        "--authority",
        BEIJING,
        "--reference",
        "BJ-1",
        "--acknowledgement",
        str(ack),
        "--submitted-at",
        "2025-03-05T10:00+08:00",
        "--json",
        stdout=out,
    )

    row = json.loads(out.getvalue())
    assert row["submissions"] == [
        {
            "authority": BEIJING,
            "authority_name": BEIJING_EN,
            "submitted_at": "2025-03-05T10:00:00+08:00",
            "reference": "BJ-1",
            "acknowledgement": "receipt.pdf",
        }
    ]
    assert (row["authorities_submitted"], row["authorities_addressed"]) == (1, 2)
    assert row["authorities_waiting"] == ["Guangdong Medical Products Administration"]
    assert row["deadline"] is None


def test_the_addressees_box_shows_a_fourth_authority(recall: RecallCase, manager: User) -> None:
    filing = services.filing_generate(recall=recall, doc_type="nmpa.recall_plan", actor=manager)
    four = [{"zh": f"第{n}省药品监督管理局", "en": f"MPA {n}"} for n in range(1, 5)]
    services.filing_enter(filing=filing, actor=manager, addressees=four)

    page = _client(manager, "en").get(f"/recalls/{recall.pk}/filings/{filing.pk}/")

    assert '<textarea name="addressees" rows="5">' in page.content.decode()


def test_the_status_column_of_the_filings_list_never_wraps_one_character_a_line() -> None:
    from django.contrib.staticfiles import finders

    css = Path(finders.find("web/medrecall.css")).read_text()
    assert (
        "#filing-overview td.filing-status .badge, #filing-overview th { white-space: nowrap; "
        "word-break: keep-all; }"
    ) in css


@pytest.mark.parametrize(
    ("language", "names"),
    [
        pytest.param(
            "en",
            ["Guangdong Medical Products Administration", BEIJING_EN],
            id="en",
        ),
        pytest.param("zh-hans", [GUANGDONG, BEIJING], id="zh"),
    ],
)
def test_each_submission_names_its_authority_in_the_pages_language(
    recall: RecallCase, elsewhere: None, manager: User, language: str, names: list[str]
) -> None:
    """Typed in Chinese for one and in English for the other, the table still reads in one
    language; a name that is no addressee's stays as typed."""
    filing = _submit(signed_plan(recall, manager), manager, GUANGDONG)
    _submit(filing, manager, BEIJING_EN, when=SECOND)

    page = _client(manager, language).get(f"/recalls/{recall.pk}/filings/{filing.pk}/")

    shown = re.findall(r'<td class="filing-authority">([^<]*)</td>', page.content.decode())
    assert shown == names


def test_the_refusal_names_the_earlier_authority_in_the_readers_language(
    recall: RecallCase, elsewhere: None, manager: User
) -> None:
    filing = _submit(signed_plan(recall, manager), manager, GUANGDONG)

    with translation.override("en"), pytest.raises(FilingAlreadySubmitted) as refused:
        _submit(filing, manager, GUANGDONG, when=SECOND)

    assert refused.value.message.startswith(
        "This version was already submitted to Guangdong Medical Products Administration on"
    )


def test_the_deadline_met_cites_the_reference_of_the_submission_that_completed_it(
    recall: RecallCase, elsewhere: None, manager: User
) -> None:
    filing = _submit(signed_plan(recall, manager), manager, GUANGDONG)
    _submit(filing, manager, BEIJING_EN, when=SECOND)

    note = DeadlineDone.objects.get(recall=recall, key="nmpa.recall_plan").note
    assert "REF-Be" in note
    assert "REF-广东" not in note


def test_every_version_lists_the_reference_of_each_submission(
    recall: RecallCase, elsewhere: None, manager: User
) -> None:
    filing = _submit(signed_plan(recall, manager), manager, GUANGDONG)
    _submit(filing, manager, BEIJING_EN, when=SECOND)

    listing = _client(manager, "en").get(f"/recalls/{recall.pk}/filings/").content.decode()

    assert '<td class="filing-references">REF-广东, REF-Be</td>' in listing


def test_the_history_line_of_a_submission_names_the_authority_and_reference(
    recall: RecallCase, elsewhere: None, manager: User
) -> None:
    filing = _submit(signed_plan(recall, manager), manager, GUANGDONG)
    _submit(filing, manager, BEIJING_EN, when=SECOND)

    page = _client(manager, "zh-hans").get(f"/recalls/{recall.pk}/filings/{filing.pk}/")

    named = re.findall(r'<span class="history-submission">([^<]*)</span>', page.content.decode())
    assert sorted(named) == sorted([f"{GUANGDONG} · REF-广东", f"{BEIJING} · REF-Be"])
