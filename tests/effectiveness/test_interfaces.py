"""The effectiveness page, API and command: what each shows, bad input refused with a clear
message, portal users kept out, constant query counts on the lists."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.effectiveness import services
from medrecall.effectiveness.models import CheckPlan, CheckRecord, Sample
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.effectiveness.test_closure import use_up
from tests.execution.test_closure import HOLDERS

pytestmark = pytest.mark.django_db


def page_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_page_query_count_does_not_grow_with_sample_or_outstanding_rows(
    class_i: RecallCase, manager: User, tmp_path: Path
) -> None:
    client = Client()
    client.force_login(manager)
    url = f"/recalls/{class_i.pk}/effectiveness/"
    services.plan_set(recall=class_i, regime="nmpa", level="D", actor=manager)
    sample = services.sample_draw(recall=class_i, regime="nmpa", actor=manager, seed=1)
    services.check_record(
        recall=class_i,
        party=sample.consignees.get().party,
        actor=manager,
        contacted_how="phone",
        notice_received=False,
        instructions_followed=True,
    )
    small = page_queries(client, url)  # 1 sampled, 1 escalation, 10 holders outstanding
    CheckRecord.objects.all().delete()  # a new level and sample (checks kept the old one)
    services.plan_set(recall=class_i, regime="nmpa", level="A", actor=manager)
    services.sample_draw(recall=class_i, regime="nmpa", actor=manager, seed=1)
    for code in HOLDERS[:5]:
        services.check_record(
            recall=class_i,
            party=Party.objects.get(code=code),
            actor=manager,
            contacted_how="phone",
            notice_received=False,
            instructions_followed=True,
        )
    use_up(tmp_path, HOLDERS[1:4])
    large = page_queries(client, url)  # 11 sampled, 5 escalations, 7 holders outstanding
    assert large == small
    text = client.get(url).content.decode()
    assert 'id="results-nmpa"' in text
    assert "HX05" in text


def test_page_forms_draw_check_and_refuse_bad_input(class_i: RecallCase, manager: User) -> None:
    client = Client()
    client.force_login(manager)
    base = f"/recalls/{class_i.pk}/effectiveness/"
    page = client.post(base + "level/", {"regime": "nmpa", "level": "B", "share": "5"}, follow=True)
    assert "Level B checks a share between 10 % and 100 % of the consignees, not 5." in (
        page.content.decode()
    )
    assert not CheckPlan.objects.exists()
    client.post(base + "level/", {"regime": "nmpa", "level": "B", "share": "20"})
    page = client.post(base + "sample/", {"regime": "nmpa", "size": "40"}, follow=True)
    assert "A sample of 40 is larger than the 11 consignees in scope." in page.content.decode()
    assert not Sample.objects.exists()
    page = client.post(base + "sample/", {"regime": "nmpa", "seed": "99"}, follow=True)
    assert "Sample drawn: 3 of 11 consignees (seed 99)." in page.content.decode()
    code = Sample.objects.get().consignees.order_by("party__code").first().party.code
    page = client.post(
        base + "check/",
        {
            "regime": "nmpa",
            "party": code,
            "contacted_how": "phone",
            "notice_received": "yes",
            "instructions_followed": "yes",
            "units_found": "0",
        },
        follow=True,
    )
    assert "Check recorded: passed." in page.content.decode()
    assert CheckRecord.objects.filter(passed=True).count() == 1


def test_portal_user_never_sees_effectiveness(
    class_i: RecallCase, make_user: Callable[..., User]
) -> None:
    portal = make_user(Role.PORTAL, party=Party.objects.get(code="HX01"))
    client = Client()
    client.force_login(portal)
    assert client.get(f"/recalls/{class_i.pk}/effectiveness/").status_code == 404
    api = APIClient()
    api.force_authenticate(portal)
    for path in ("", "completion/", "completion/outstanding/", "close-blockers/", "checks/"):
        answer = api.get(f"/api/recalls/{class_i.pk}/effectiveness/{path}")
        assert answer.status_code == 404, path


def test_api_level_sample_check_results_completion_blockers(
    class_i: RecallCase, manager: User
) -> None:
    api = APIClient()
    api.force_authenticate(manager)
    base = f"/api/recalls/{class_i.pk}/effectiveness/"
    refused = api.put(base, {"regime": "nmpa", "level": "F"}, format="json")
    assert (refused.status_code, refused.json()["message"]) == (
        400,
        "“F” is not an effectiveness-check level: choose A, B, C, D or E.",
    )
    assert api.put(base, {"regime": "nmpa", "level": "C"}, format="json").status_code == 200
    drawn = api.post(base + "sample/", {"regime": "nmpa", "seed": 42}, format="json")
    assert drawn.status_code == 201
    assert {k: drawn.json()[k] for k in ("seed", "consignees", "size")} == {
        "seed": 42,
        "consignees": 11,
        "size": 2,
    }
    members = api.get(base + "sample/nmpa/").json()
    assert members["count"] == 2
    party = members["results"][0]["party"]
    checked = api.post(
        base + "checks/",
        {
            "party": party,
            "contacted_how": "visit",
            "notice_received": True,
            "instructions_followed": False,
            "units_found": 3,
        },
        format="json",
    )
    assert checked.status_code == 201
    assert (checked.json()["passed"], len(checked.json()["renotified_notices"])) == (False, 1)
    unknown = api.post(
        base + "checks/",
        {
            "party": "NOPE",
            "contacted_how": "visit",
            "notice_received": True,
            "instructions_followed": True,
        },
        format="json",
    )
    assert (unknown.status_code, unknown.json()["message"]) == (
        400,
        "There is no party with code NOPE.",
    )
    results = api.get(base).json()[0]
    assert {k: results[k] for k in ("checked", "failed", "pending", "failed_percent")} == {
        "checked": 1,
        "failed": 1,
        "pending": 1,
        "failed_percent": 50.0,
    }
    completion = api.get(base + "completion/").json()
    assert (completion["complete"], completion["outstanding_at_holders"]) == (False, 380)
    outstanding = api.get(base + "completion/outstanding/?limit=3").json()
    assert (outstanding["count"], len(outstanding["results"])) == (10, 3)
    assert outstanding["results"][0] == {
        "party": "HX02",
        "name": "Hospital HX02",
        "lot": "K1",
        "units": 38,
        "corrected": 0,
        "excepted": 0,
        "outstanding": 38,
    }
    blockers = api.get(base + "close-blockers/").json()
    assert blockers["may_close"] is False
    assert blockers["blockers"][:4] == [
        "380 of 420 units are still at holders (not returned, corrected or reported used).",
        "China NMPA: 1 of 2 sampled consignees is not checked yet.",
        "China NMPA: 1 failed effectiveness check is not resolved (re-check the consignee "
        "or resolve the escalation with a reason).",
        "Sign the closure of the recall (e-signature, meaning approved).",
    ]


def test_command_plan_sample_check_results_completion(class_i: RecallCase, manager: User) -> None:
    def run(*words: str) -> str:
        out = StringIO()
        call_command("effectiveness", *words, stdout=out)
        return out.getvalue()

    number, user = class_i.number, manager.username
    with pytest.raises(CommandError, match="Level B checks a share between 10 % and 100 %"):
        run("plan", number, "--regime", "nmpa", "--level", "B", "--share", "120", "--user", user)
    run("plan", number, "--regime", "nmpa", "--level", "D", "--user", user)
    with pytest.raises(CommandError, match="A sample of 12 is larger than the 11 consignees"):
        run("sample", number, "--regime", "nmpa", "--size", "12", "--user", user)
    drawn = json.loads(
        run("sample", number, "--regime", "nmpa", "--seed", "8", "--user", user, "--json")
    )
    assert (drawn["seed"], drawn["size"], len(drawn["sampled"])) == (8, 1, 1)
    party = drawn["sampled"][0]["party"]
    checked = json.loads(
        run(
            "check",
            number,
            "--party",
            party,
            "--contacted",
            "phone",
            "--received",
            "yes",
            "--followed",
            "yes",
            "--user",
            user,
            "--json",
        )
    )
    assert checked["passed"] is True
    results = json.loads(run("results", number, "--json"))
    assert (results[0]["passed"], results[0]["criteria_met"]) == (1, True)
    completion = json.loads(run("completion", number, "--json"))
    assert (completion["complete"], completion["outstanding_at_holders"]) == (False, 380)
    assert completion["outstanding_holders"] == 10


def test_api_sample_members_before_a_level_is_chosen_is_an_empty_page(
    class_i: RecallCase, manager: User
) -> None:
    api = APIClient()
    api.force_authenticate(manager)
    answer = api.get(f"/api/recalls/{class_i.pk}/effectiveness/sample/nmpa/")
    assert (answer.status_code, answer.json()) == (
        200,
        {"count": 0, "next": None, "previous": None, "results": []},
    )
