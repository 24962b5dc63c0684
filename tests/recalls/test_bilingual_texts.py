"""The recall's title, reason, defect and possible harm in Chinese and English: edited on the
case pages, the API and the command line; the defect and possible harm with the hazard
evaluation; existing text moved to the right language by the migration (and back)."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel
from medrecall.recalls import services
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.recalls.test_recall_case import catheter  # noqa: F401 - fixture
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored() -> Any:
    """Requests with another Accept-Language leave it active in the thread: restore it."""
    language = translation.get_language()
    yield
    translation.activate(language)


TEXTS = {
    "title": "导管尖端断裂",
    "title_en": "Catheter tip fracture",
    "reason": "尖端可能脱落。",
    "reason_en": "The tip may come off.",
}
HARM = {
    "defect_description": "粘接强度不足",
    "defect_description_en": "Weak bond",
    "hazard_description": "栓塞",
    "hazard_description_en": "Embolism",
}


def _texts(recall: RecallCase) -> dict[str, str]:
    recall.refresh_from_db()
    return {field: getattr(recall, field) for field in (*TEXTS, *HARM)}


def test_case_pages_open_and_edit_both_languages(manager: Any, catheter: DeviceModel) -> None:  # noqa: F811
    client = Client()
    client.login(username=manager.username, password=PASSWORD)
    client.post(
        "/recalls/new/",
        {
            **TEXTS,
            "products": [catheter.pk],
            "action_type": "removal",
            "initiation": "voluntary",
            "depth": "user",
            "regimes": ["nmpa"],
        },
    )
    recall = RecallCase.objects.get()
    assert _texts(recall) == {**TEXTS, **dict.fromkeys(HARM, "")}
    page = client.get(f"/recalls/{recall.pk}/").content.decode()
    for name in ("title_en", "reason_en", "defect_description_en", "hazard_description_en"):
        assert f'name="{name}"' in page
    client.post(
        f"/recalls/{recall.pk}/hazard/",
        {
            "severity": "serious",
            "likelihood": "remote",
            "injuries_reported": 0,
            "deaths_reported": 0,
            **HARM,
        },
    )
    assert _texts(recall) == {**TEXTS, **HARM}
    entry = AuditEntry.objects.filter(action="recalls.hazard_evaluated").get()
    assert entry.changes["defect_description_en"] == ["", "Weak bond"]
    assert entry.changes["hazard_description"] == ["", "栓塞"]


def test_english_page_shows_the_english_title_falling_back_to_the_chinese(
    manager: Any,
    catheter: DeviceModel,  # noqa: F811
) -> None:
    recall = services.recall_open(
        actor=manager, title="导管尖端断裂", title_en="Catheter tip fracture", products=[catheter]
    )
    assert recall.title_for("en") == "Catheter tip fracture"
    assert recall.title_for("zh-hans") == "导管尖端断裂"
    only_chinese = services.recall_open(actor=manager, title="导管尖端断裂", products=[catheter])
    assert only_chinese.title_for("en") == "导管尖端断裂"
    client = Client()
    client.login(username=manager.username, password=PASSWORD)
    page = client.get("/recalls/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>Catheter tip fracture</td>" in page


def test_only_an_english_title_is_enough_to_open(manager: Any, catheter: DeviceModel) -> None:  # noqa: F811
    recall = services.recall_open(
        actor=manager, title="", title_en="Catheter tip fracture", products=[catheter]
    )
    assert (recall.title, recall.title_en) == ("Catheter tip fracture", "Catheter tip fracture")


def test_api_opens_edits_and_evaluates_in_both_languages(
    api_as: Any,
    manager: Any,
    catheter: DeviceModel,  # noqa: F811
) -> None:
    client = api_as(manager)
    opened = client.post(
        "/api/recalls/", {**TEXTS, "products": [CATH], "regimes": ["nmpa"]}, format="json"
    )
    assert opened.status_code == 201
    body = opened.json()
    assert {field: body[field] for field in TEXTS} == TEXTS
    changed = client.patch(
        f"/api/recalls/{body['id']}/",
        {"version": body["version"], "reason_en": "Tip detaches."},
        format="json",
    ).json()
    assert (changed["reason"], changed["reason_en"]) == ("尖端可能脱落。", "Tip detaches.")
    evaluated = client.post(
        f"/api/recalls/{body['id']}/hazard-evaluation/",
        {"severity": "serious", "likelihood": "remote", **HARM},
        format="json",
    ).json()
    assert {field: evaluated[field] for field in HARM} == HARM
    # Texts not given with a later evaluation stay as they are.
    again = client.post(
        f"/api/recalls/{body['id']}/hazard-evaluation/",
        {"severity": "serious", "likelihood": "probable"},
        format="json",
    ).json()
    assert {field: again[field] for field in HARM} == HARM


def test_cli_opens_and_evaluates_in_both_languages(manager: Any, catheter: DeviceModel) -> None:  # noqa: F811
    out = StringIO()
    call_command(
        "recall",
        "open",
        "--title",
        "导管尖端断裂",
        "--title-en",
        "Catheter tip fracture",
        "--gtin",
        CATH,
        "--reason",
        "尖端可能脱落。",
        "--reason-en",
        "The tip may come off.",
        "--user",
        manager.username,
        "--json",
        stdout=out,
    )
    shown = json.loads(out.getvalue())
    assert (shown["title"], shown["title_en"]) == ("导管尖端断裂", "Catheter tip fracture")
    call_command(
        "recall",
        "evaluate",
        shown["number"],
        "--severity",
        "serious",
        "--likelihood",
        "remote",
        "--defect",
        "粘接强度不足",
        "--defect-en",
        "Weak bond",
        "--harm",
        "栓塞",
        "--harm-en",
        "Embolism",
        "--user",
        manager.username,
        stdout=StringIO(),
    )
    recall = RecallCase.objects.get(number=shown["number"])
    assert _texts(recall) == {**TEXTS, **HARM}
    DeviceModel.objects.filter(pk=catheter.pk).update(
        name="中心静脉导管", name_en="Central venous catheter"
    )
    out = StringIO()
    with translation.override("en"):
        call_command("recall", "show", shown["number"], "--json", stdout=out)
    assert json.loads(out.getvalue())["product_names"] == ["Central venous catheter"]


def test_migration_moves_english_text_to_the_english_fields_and_back(
    manager: Any,
    catheter: DeviceModel,  # noqa: F811
) -> None:
    import importlib

    migration = importlib.import_module("medrecall.recalls.migrations.0005_bilingual_texts")
    english = services.recall_open(
        actor=manager,
        title="Catheter tip fracture",
        products=[catheter],
        reason="The tip may come off.",
        defect_description="Weak bond",
        hazard_description="Embolism",
    )
    chinese = services.recall_open(
        actor=manager, title="导管尖端断裂", products=[catheter], reason="尖端可能脱落。"
    )
    migration.split_languages(django_apps, None)
    assert _texts(english) == {
        "title": "Catheter tip fracture",
        "title_en": "Catheter tip fracture",
        "reason": "",
        "reason_en": "The tip may come off.",
        "defect_description": "",
        "defect_description_en": "Weak bond",
        "hazard_description": "",
        "hazard_description_en": "Embolism",
    }
    assert _texts(chinese) == {
        "title": "导管尖端断裂",
        "title_en": "",
        "reason": "尖端可能脱落。",
        "reason_en": "",
        "defect_description": "",
        "defect_description_en": "",
        "hazard_description": "",
        "hazard_description_en": "",
    }
    migration.join_languages(django_apps, None)
    english.refresh_from_db()
    assert (english.reason, english.defect_description, english.hazard_description) == (
        "The tip may come off.",
        "Weak bond",
        "Embolism",
    )


def test_signed_content_binds_both_languages_and_survives_the_migration(
    manager: Any,
    catheter: DeviceModel,  # noqa: F811
) -> None:
    import importlib

    from medrecall.recalls.approvals import approval_content

    migration = importlib.import_module("medrecall.recalls.migrations.0005_bilingual_texts")
    recall = services.recall_open(
        actor=manager,
        title="Catheter tip fracture",
        products=[catheter],
        reason="The tip may come off.",
        defect_description="Weak bond",
    )
    signed = approval_content(recall)
    migration.split_languages(django_apps, None)
    recall.refresh_from_db()
    assert recall.reason_en == "The tip may come off."
    assert approval_content(recall) == signed  # a signature given before the upgrade still matches
    recall = services.recall_update(
        recall=recall, actor=manager, version=recall.version, reason="尖端可能脱落。"
    )
    content = approval_content(recall)
    assert content["reason"] == "尖端可能脱落。 / The tip may come off."
    assert content != signed
