"""FDA's record of the recall, as a demanding RA manager reads it: the form shows what is
stored; a save that changes nothing says so, an empty one is refused naming the fields; and a
classification of FDA's that differs from the case's class is a persistent warning on the case,
its compliance clock, the filings page, the API and the command, in both languages, while the
case's own class is left as it is."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.recalls.fda import fda_record
from medrecall.recalls.models import RecallCase, RecallRegime

pytestmark = pytest.mark.django_db

WARNING = {
    "en": "FDA classified this recall Class I; the case says Class II: re-classify the case or "
    "record why.",
    "zh-hans": "FDA 已将本次召回定为 I 类；本案为 II 类：请重新分级本案，或记录保留原分级的理由。",
}


def page(client: Client, url: str, language: str = "en") -> str:
    answer = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    translation.activate("en")
    assert answer.status_code == 200
    return answer.content.decode()


def messages_of(answer: Any) -> list[str]:
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(answer.wsgi_request)]


def test_the_form_shows_what_is_stored(fda_recall: RecallCase, manager: User, client: Client):
    fda_record(
        recall=fda_recall,
        actor=manager,
        classification="II",
        event_id="95123",
        z_numbers={"CATH": "Z-1234-2025"},
        classified_on=date(2025, 3, 20),
    )
    client.force_login(manager)
    form = page(client, f"/recalls/{fda_recall.pk}/filings/").split('id="fda-record-form"')[1]
    form = form.split("</form>")[0]
    assert '<option value="II" selected>' in form
    assert '<option value="I">' in form
    assert 'name="classified_on" value="2025-03-20"' in form
    assert 'name="event_id" inputmode="numeric" value="95123"' in form
    assert 'name="z_numbers" value="CATH=Z-1234-2025"' in form


def test_saving_the_form_unchanged_says_nothing_changed(
    fda_recall: RecallCase, manager: User, client: Client
):
    client.force_login(manager)
    url = f"/recalls/{fda_recall.pk}/filings/fda-record/"
    values = {
        "fda_class": "II",
        "classified_on": "2025-03-20",
        "event_id": "95123",
        "z_numbers": "CATH=Z-1234-2025",
    }
    first = client.post(url, values, HTTP_ACCEPT_LANGUAGE="en")
    again = client.post(url, values, HTTP_ACCEPT_LANGUAGE="en")
    assert messages_of(first) == ["FDA's record of the recall is saved."]
    assert messages_of(again)[1:] == [  # the first save's message was not shown yet
        "Nothing changed: FDA's record already holds these values."
    ]
    assert AuditEntry.objects.filter(action="recalls.fda_recorded").count() == 1


def test_an_empty_save_is_refused_naming_the_fields(
    fda_recall: RecallCase, manager: User, client: Client
):
    client.force_login(manager)
    empty = client.post(
        f"/recalls/{fda_recall.pk}/filings/fda-record/",
        {"fda_class": "", "classified_on": "", "event_id": "", "z_numbers": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert messages_of(empty) == [
        "Nothing to record: give FDA's classification, the date FDA classified the recall, the "
        "FDA recall event id or a Z-number."
    ]
    assert not AuditEntry.objects.filter(action="recalls.fda_recorded").exists()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_fdas_class_differing_from_the_case_is_a_persistent_warning(
    fda_recall: RecallCase, manager: User, client: Client, language: str
):
    client.force_login(manager)
    posted = client.post(
        f"/recalls/{fda_recall.pk}/filings/fda-record/",
        {"fda_class": "I", "event_id": "95123"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    translation.activate("en")
    assert WARNING[language] in messages_of(posted)
    regime = RecallRegime.objects.get(recall=fda_recall, regime="fda")
    assert (regime.fda_class, regime.recall_class) == ("I", "II")  # the case is not changed
    case = page(client, f"/recalls/{fda_recall.pk}/", language)
    assert f'<p class="message warning" id="fda-class-warning">{WARNING[language]}' in case
    assert 'id="fda-class-warning-clock"' in case  # beside the deadlines it moves
    filings = page(client, f"/recalls/{fda_recall.pk}/filings/", language)
    assert f'id="fda-class-warning">{WARNING[language]}</p>' in filings


def test_the_warning_goes_when_the_classes_agree(
    fda_recall: RecallCase, manager: User, client: Client
):
    fda_record(recall=fda_recall, actor=manager, classification="II")
    client.force_login(manager)
    assert "fda-class-warning" not in page(client, f"/recalls/{fda_recall.pk}/")
    assert "fda-class-warning" not in page(client, f"/recalls/{fda_recall.pk}/filings/")


def test_the_api_and_the_command_give_the_warning(
    fda_recall: RecallCase, manager: User, api_as: Any
):
    fda_record(recall=fda_recall, actor=manager, classification="I")
    answer = api_as(manager).get(f"/api/recalls/{fda_recall.pk}/fda-record/")
    assert (answer.json()["case_class"], answer.json()["class_warning"]) == ("II", WARNING["en"])
    out = io.StringIO()
    call_command("filings", "fda-record", fda_recall.number, stdout=out)
    assert f"Warning: {WARNING['en']}" in out.getvalue()
    out = io.StringIO()
    call_command("filings", "fda-record", fda_recall.number, "--json", stdout=out)
    assert json.loads(out.getvalue())["class_warning"] == WARNING["en"]


NOTE = {
    "en": "FDA classified this recall Class I; the case keeps Class II. Why: 仅一批次受影响，"
    "health hazard evaluation shows no serious risk.",
    "zh-hans": "FDA 已将本次召回定为 I 类；本案保留 II 类。理由：仅一批次受影响，"
    "health hazard evaluation shows no serious risk.",
}
REASON = "仅一批次受影响，health hazard evaluation shows no serious risk."


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_recorded_reason_turns_the_warning_into_a_note_quoting_it(
    fda_recall: RecallCase, manager: User, client: Client, language: str
):
    fda_record(recall=fda_recall, actor=manager, classification="I")
    client.force_login(manager)
    before = page(client, f"/recalls/{fda_recall.pk}/filings/", language)
    assert 'name="class_kept_reason"' in before

    client.post(
        f"/recalls/{fda_recall.pk}/filings/fda-record/",
        {"class_kept_reason": f"  {REASON} "},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    translation.activate("en")
    regime = RecallRegime.objects.get(recall=fda_recall, regime="fda")
    assert (regime.fda_class_kept_reason, regime.recall_class) == (REASON, "II")
    filings = page(client, f"/recalls/{fda_recall.pk}/filings/", language)
    assert "fda-class-warning" not in filings
    assert f'<p class="message info" id="fda-class-note">{NOTE[language]}</p>' in filings
    entry = AuditEntry.objects.filter(action="recalls.fda_recorded").latest("sequence")
    assert entry.changes == {"fda_class_kept_reason": ["", REASON]}


def test_a_reason_while_the_classes_agree_is_refused_and_changes_nothing(
    fda_recall: RecallCase, manager: User
):
    from medrecall.recalls.errors import FdaRecordInvalid

    fda_record(recall=fda_recall, actor=manager, classification="II")
    entries = AuditEntry.objects.count()
    with pytest.raises(FdaRecordInvalid, match="there is no difference to explain"):
        fda_record(recall=fda_recall, actor=manager, class_kept_reason="because")
    regime = RecallRegime.objects.get(recall=fda_recall, regime="fda")
    assert (regime.fda_class_kept_reason, AuditEntry.objects.count()) == ("", entries)


def test_a_new_class_from_fda_clears_the_reason_and_the_warning_returns(
    fda_recall: RecallCase, manager: User
):
    from medrecall.recalls.fda import class_difference

    fda_record(recall=fda_recall, actor=manager, classification="I", class_kept_reason=REASON)
    regime = fda_record(recall=fda_recall, actor=manager, classification="III")
    assert regime.fda_class_kept_reason == ""
    assert class_difference(regime) is not None


def test_the_api_and_the_command_record_the_reason(
    fda_recall: RecallCase, manager: User, api_as: Any
):
    fda_record(recall=fda_recall, actor=manager, classification="I")
    answer = api_as(manager).put(
        f"/api/recalls/{fda_recall.pk}/fda-record/",
        {"fda_class_kept_reason": REASON},
        format="json",
    )
    assert (answer.json()["class_warning"], answer.json()["class_note"]) == ("", NOTE["en"])
    out = io.StringIO()
    call_command(
        "filings",
        "fda-record",
        fda_recall.number,
        "--class-kept-reason",
        "Other reason",
        "--user",
        manager.username,
        "--json",
        stdout=out,
    )
    row = json.loads(out.getvalue())
    assert (row["fda_class_kept_reason"], row["class_warning"]) == ("Other reason", "")


def test_the_class_warning_is_styled_as_a_warning_and_the_calm_note_stays_plain() -> None:
    """The warning's `message warning` class has a rule of its own (the walk saw it grey like
    the calm `message info` note, which keeps no accent)."""
    from pathlib import Path

    from django.contrib.staticfiles import finders

    css = Path(str(finders.find("web/medrecall.css"))).read_text()
    rules = {
        line.split("{")[0].strip(): line for line in css.splitlines() if line.startswith(".message")
    }
    assert "border-left" in rules[".message.warning"]
    assert ".message.info" not in rules
