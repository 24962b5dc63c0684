"""Findings of the browser walk of the effectiveness page: a regime without consignees, the
level label, wording and plurals, 404 for portal users and unknown regimes."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.effectiveness import selectors, services
from medrecall.effectiveness.closure import closure_findings
from medrecall.effectiveness.models import CheckPlan, Sample
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase, RecallRegime

pytestmark = pytest.mark.django_db

NO_FDA_CONSIGNEES = (
    "US FDA: no consignee of the frozen scope falls under this regime, so there is nobody to "
    "sample and no effectiveness check is needed."
)


def page(user: User, recall: RecallCase, language: str = "en") -> str:
    client = Client()
    client.force_login(user)
    answer = client.get(f"/recalls/{recall.pk}/effectiveness/", HTTP_ACCEPT_LANGUAGE=language)
    translation.activate("en")
    assert answer.status_code == 200
    return answer.content.decode()


def test_a_regime_without_consignees_needs_no_sample_and_says_so(
    class_i: RecallCase, manager: User
) -> None:
    RecallRegime.objects.create(recall=class_i, regime="fda", recall_class="II")
    findings = closure_findings(class_i)
    fda = [f for f in findings if f.message.startswith("US FDA")]
    assert [(f.message, f.blocking) for f in fda] == [(NO_FDA_CONSIGNEES, False)]
    # NMPA still owes its level: only the regime with nobody to check is spared.
    assert "Choose the effectiveness-check level for China NMPA." in [f.message for f in findings]
    body = page(manager, class_i)
    # Only the note: no level line, no level form for a regime nobody is under.
    assert (
        '<p class="message info" id="no-consignees-fda">'
        "No consignees under this regime: no check needed.</p>"
    ) in body
    assert 'id="level-fda"' not in body
    assert 'id="level-form-fda"' not in body
    assert '<p id="consignees-nmpa">11 consignees of the frozen scope are under this regime.' in (
        body
    )
    assert not Sample.objects.exists()


def test_no_level_chosen_shows_an_empty_choice_not_level_a(
    class_i: RecallCase, manager: User
) -> None:
    body = page(manager, class_i)
    form = body[body.index('id="level-form-nmpa"') :]
    assert '<select name="level" required><option value="" selected>Choose a level</option>' in (
        form
    )
    assert '<option value="A" >' in form


def test_the_level_is_not_labelled_twice(class_i: RecallCase, manager: User) -> None:
    services.plan_set(recall=class_i, regime="nmpa", level="A", actor=manager)
    body = page(manager, class_i)
    assert '<p id="level-nmpa">Level A: 100 % of the consignees</p>' in body
    assert "Level: Level" not in body


def test_chinese_findings_have_no_stray_space_before_the_regime(class_i: RecallCase) -> None:
    with translation.override("zh-hans"):
        messages = [f.message for f in closure_findings(class_i)]
    assert "请选择中国 NMPA 的有效性检查级别。" in messages


def test_one_failed_check_is_singular(class_i: RecallCase, manager: User) -> None:
    services.plan_set(recall=class_i, regime="nmpa", level="A", actor=manager)
    services.sample_draw(recall=class_i, regime="nmpa", actor=manager, seed=3)
    services.check_record(
        recall=class_i,
        party=Party.objects.get(code="HX02"),
        actor=manager,
        contacted_how="phone",
        notice_received=True,
        instructions_followed=False,
    )
    assert (
        "China NMPA: 1 failed effectiveness check is not resolved (re-check the consignee or "
        "resolve the escalation with a reason)." in [f.message for f in closure_findings(class_i)]
    )


def test_a_portal_user_gets_404_on_the_page_even_for_its_own_partys_recall(
    class_i: RecallCase, make_user: Callable[..., User]
) -> None:
    for party in (
        Party.objects.get(code="HX01"),
        Party.objects.create(code="ELSE", name="X", party_type="hospital"),
    ):
        client = Client()
        client.force_login(make_user(Role.PORTAL, party=party))
        answer = client.get(f"/recalls/{class_i.pk}/effectiveness/")
        assert answer.status_code == 404
        assert "HX02" not in answer.content.decode()


def test_an_unknown_regime_in_the_sample_api_is_404_with_a_message(
    class_i: RecallCase, manager: User
) -> None:
    api = APIClient()
    api.force_authenticate(manager)
    answer = api.get(f"/api/recalls/{class_i.pk}/effectiveness/sample/xyz/")
    assert answer.status_code == 404
    assert answer.json()["message"] == (
        "There is no regime xyz; the regimes are: nmpa, fda, eu_mdr."
    )
    assert not CheckPlan.objects.exists()


def test_a_403_is_logged_as_one_warning_line_without_a_traceback(
    class_i: RecallCase, make_user: Callable[..., User], caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    client.force_login(make_user(Role.FINANCE))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        answer = client.get(f"/recalls/{class_i.pk}/effectiveness/")
    assert answer.status_code == 403
    refused = [r for r in caplog.records if r.name == "django.request"]
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in refused] == [
        ("WARNING", f"Forbidden (Permission denied): /recalls/{class_i.pk}/effectiveness/", None)
    ]
    assert "Traceback" not in caplog.text


def test_a_passed_check_finding_fewer_units_than_outstanding_is_flagged(
    class_i: RecallCase, manager: User
) -> None:
    services.plan_set(recall=class_i, regime="nmpa", level="A", actor=manager)
    services.sample_draw(recall=class_i, regime="nmpa", actor=manager, seed=3)
    for code in ("HX01", "HX02"):  # HX01 returned its 40; HX02 still holds 38
        services.check_record(
            recall=class_i,
            party=Party.objects.get(code=code),
            actor=manager,
            contacted_how="phone",
            notice_received=True,
            instructions_followed=True,
            units_found=0,
        )
    flagged = selectors.check_disagreements(class_i)
    assert [(d.code, d.found, d.outstanding) for d in flagged] == [("HX02", 0, 38)]
    message = (
        "HX02: the passed effectiveness check found 0 units there, but the unit accounting still "
        "counts 38 outstanding at the holder. Check again or correct the accounting."
    )
    assert (message, False) in [(f.message, f.blocking) for f in closure_findings(class_i)]
    body = page(manager, class_i)
    assert f'<ul id="check-disagreements"><li class="step-blocked">{message}</li></ul>' in body
    assert (
        '<span class="badge rejected check-disagrees" data-party="HX02">found 0, 38 outstanding'
        "</span>"
    ) in body
    assert 'check-disagrees" data-party="HX01"' not in body


def test_information_beside_the_closure_reasons_is_not_shown_as_blocking(
    class_i: RecallCase, manager: User
) -> None:
    RecallRegime.objects.create(recall=class_i, regime="fda", recall_class="II")
    body = page(manager, class_i)
    closing = body[body.index('id="close-blockers"') :]
    assert f'<li class="step-info">For information: {NO_FDA_CONSIGNEES}</li>' in closing
    assert '<li class="step-blocked">Choose the effectiveness-check level for China NMPA.' in (
        closing
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_completion_line_adds_up_to_the_affected_units(
    class_i: RecallCase, manager: User, language: str
) -> None:
    """The walk read "Affected 420; …; still at holders 400" with the 20 in quarantine missing:
    every place a unit can be is on the line, and its figures add up to the affected units."""
    import re

    completion = selectors.completion_of(class_i)
    total = completion.accounting.total
    body = page(manager, class_i, language)
    line = re.search(r'id="completion-accounting">([^<]+)<', body)
    assert line is not None
    figures = [int(n) for n in re.findall(r"\d+", line.group(1))]
    affected, *parts = figures
    assert affected == total.affected
    # used, quarantine, transit, own stock, dispositioned, corrected, excepted, still at holders
    assert sum(parts) == affected - sum(
        max(row.unexplained, 0) for row in completion.accounting.lots
    )
    assert ("quarantine" in line.group(1)) == (language == "en")
