"""What the notices say: the device name and the recall's words in the reader's language
(never the other language's), the hazard evaluation's defect and possible harm in the
notice, refusal when a section would be empty, and the FDA letter's URGENT marking and
RECALL/CORRECTION heading (21 CFR 7.49(c)(2))."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel
from medrecall.notices import errors, links, send_runs, template_control
from medrecall.notices.defaults import standard_templates
from medrecall.notices.models import Notice, NoticeEvent, NoticeRun, NoticeTemplate
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from medrecall.recalls.services import recall_update
from tests.notices.conftest import approved_recall, work_off_queue
from tests.notices.test_sending import pdf_text
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _language_restored() -> Any:
    """Requests with another Accept-Language leave it active in the thread: restore it."""
    language = translation.get_language()
    yield
    translation.activate(language)


def _names(name: str, name_en: str) -> None:
    DeviceModel.objects.filter(udi_di=CATH).update(name=name, name_en=name_en)


def _mail(smtp: Any) -> dict[str, Any]:
    return {rcpt[0]: message for rcpt, message in smtp.messages}


def _html(message: Any) -> str:
    return str(message.get_body(("html",)).get_content())


def _pdf(message: Any) -> str:
    """The attached PDF's text, a cell's lines joined (an NMPA line has ten columns, so a long
    device name wraps in its cell)."""
    return re.sub(r"\s+", " ", pdf_text(next(message.iter_attachments()).get_content()))


def _refused_run(
    recall: RecallCase, manager: User, language: str = "en"
) -> errors.NoticeContentMissing:
    before = AuditEntry.objects.count()
    with translation.override(language), pytest.raises(errors.NoticeContentMissing) as refused:
        send_runs.notice_run_start(recall=recall, actor=manager)
    assert NoticeRun.objects.count() == 0
    assert Notice.objects.count() == 0
    assert AuditEntry.objects.count() == before
    return refused.value


# --- device names -----------------------------------------------------------------------


def test_english_notice_and_pdf_show_the_english_device_name(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    _names("中心静脉导管", "Central venous catheter")
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    sent = _mail(smtp)
    english, chinese = sent["smith@hosp2.example"], sent["chen@sub.example"]
    assert "Central venous catheter" in _html(english)
    assert "中心静脉导管" not in _html(english)
    assert "Central venous catheter" in _pdf(english)
    assert "中心静脉导管" not in _pdf(english)
    assert "- Central venous catheter 06950000000019" in english.get_body(("plain",)).get_content()
    assert "中心静脉导管" in _html(chinese)
    assert "Central venous catheter" not in _html(chinese)
    # The frozen line keeps both names, so later pages can show the reader's.
    line = Notice.objects.get(email="smith@hosp2.example").lines[0]
    assert (line["model"], line["model_en"]) == ("中心静脉导管", "Central venous catheter")


@pytest.mark.parametrize(
    ("name", "name_en", "english", "chinese"),
    [
        pytest.param("中心静脉导管", "", "中心静脉导管", "中心静脉导管", id="no-english-name"),
        pytest.param(
            "",
            "Central venous catheter",
            "Central venous catheter",
            "Central venous catheter",
            id="no-chinese-name",
        ),
    ],
)
def test_device_name_falls_back_to_the_other_language(
    name: str, name_en: str, english: str, chinese: str
) -> None:
    model = DeviceModel(name=name, name_en=name_en)
    assert model.name_for("en") == english
    assert model.name_for("zh-hans") == chinese


def test_english_notice_falls_back_to_the_chinese_device_name(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    _names("中心静脉导管", "")
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    assert "中心静脉导管" in _html(_mail(smtp)["smith@hosp2.example"])


def test_reply_page_shows_the_device_name_in_the_page_language(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    _names("中心静脉导管", "Central venous catheter")
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    english = Notice.objects.get(email="smith@hosp2.example")
    chinese = Notice.objects.get(email="chen@sub.example")
    page = Client().get(links.reply_path(english)).content.decode()
    assert "<td>Central venous catheter</td>" in page
    assert "Catheter tip fracture" in page
    page = Client().get(links.reply_path(chinese)).content.decode()
    assert "<td>中心静脉导管</td>" in page
    assert "导管尖端断裂" in page


def test_trace_export_and_page_show_the_device_name_in_the_users_language(
    tmp_path: Path, manager: User, make_user: Any
) -> None:
    approved_recall(tmp_path, manager, make_user)
    _names("中心静脉导管", "Central venous catheter")
    client = Client()
    client.force_login(manager)
    url = f"/trace/?gtin={CATH}&lot=C1"
    english = client.get(url + "&format=xlsx", HTTP_ACCEPT_LANGUAGE="en")
    rows = list(
        load_workbook(io.BytesIO(english.content))["Lots in scope"].iter_rows(values_only=True)
    )
    assert rows[0] == ("GTIN", "Lot", "Device model")
    assert rows[1] == (CATH, "C1", "Central venous catheter")
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"{CATH} · Central venous catheter · C1" in page


def test_api_gives_the_device_display_name_in_the_request_language(
    api_as: Any, manager: User
) -> None:
    model = DeviceModel.objects.create(
        udi_di="06950000000026",
        model_code="CVC-1",
        name="中心静脉导管",
        name_en="Central venous catheter",
    )
    client = api_as(manager)
    english = client.get(f"/api/device-models/{model.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = client.get(f"/api/device-models/{model.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert (english["name"], english["name_en"], english["display_name"]) == (
        "中心静脉导管",
        "Central venous catheter",
        "Central venous catheter",
    )
    assert chinese["display_name"] == "中心静脉导管"


# --- the recall's words in the reader's language ------------------------------------------


def test_each_notice_carries_the_recall_text_and_the_hazard_evaluation_in_its_language(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    sent = _mail(smtp)
    english, chinese = _html(sent["smith@hosp2.example"]), _html(sent["chen@sub.example"])
    for text in (
        "Catheter tip fracture",
        "The tip may break off during insertion.",
        "Defect: Weak bond at the tip",
        "Possible harm: Embolism",
    ):
        assert text in english
    for text in (
        "导管尖端断裂",
        "插入过程中导管尖端可能断裂脱落。",
        "缺陷说明：尖端粘接强度不足",
        "可能的健康危害：栓塞",
    ):
        assert text in chinese
    for text in ("Catheter tip fracture", "The tip may break off", "Weak bond", "Embolism"):
        assert text not in chinese
    for text in ("导管尖端断裂", "插入过程中", "尖端粘接强度不足", "栓塞"):
        assert text not in english
    assert "Possible harm: Embolism" in _pdf(sent["smith@hosp2.example"])


def test_a_chinese_notice_never_carries_the_english_reason(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    recall = recall_update(recall=recall, actor=manager, version=recall.version, reason="")
    refused = _refused_run(recall, manager)
    assert refused.details == [
        "The Chinese notice cannot go out: section “召回原因” would be missing the reason for the recall in Chinese; "
        "enter it on the recall page."
    ]
    assert smtp.messages == []


def test_english_text_typed_into_the_chinese_field_is_refused(
    recall: RecallCase, manager: User
) -> None:
    recall = recall_update(
        recall=recall,
        actor=manager,
        version=recall.version,
        reason="The tip may break off during insertion.",
    )
    refused = _refused_run(recall, manager)
    assert refused.details == [
        "The Chinese notice cannot go out: section “召回原因” would carry the reason for the recall written in "
        "another language; enter it in Chinese."
    ]


@pytest.mark.parametrize(
    ("field", "what"),
    [
        pytest.param("defect_description_en", "the defect", id="defect"),
        pytest.param("hazard_description_en", "the possible harm", id="possible-harm"),
    ],
)
def test_an_empty_defect_or_possible_harm_refuses_sending_naming_section_and_language(
    recall: RecallCase, manager: User, smtp: Any, field: str, what: str
) -> None:
    recall = recall_update(recall=recall, actor=manager, version=recall.version, **{field: ""})
    refused = _refused_run(recall, manager)
    assert refused.details == [
        f"The English notice cannot go out: section “Reason for the recall” would be missing {what} in English; "
        "enter it with the hazard evaluation on the recall page."
    ]
    assert smtp.messages == []


def test_the_api_and_cli_refuse_the_run_with_the_reasons(
    recall: RecallCase, manager: User, api_as: Any
) -> None:
    from django.core.management import CommandError, call_command

    recall_update(recall=recall, actor=manager, version=recall.version, hazard_description="")
    response = api_as(manager).post(
        f"/api/recalls/{recall.pk}/notices/send/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "notice_content"
    assert body["details"] == [
        "The Chinese notice cannot go out: section “召回原因” would be missing the possible harm in Chinese; "
        "enter it with the hazard evaluation on the recall page."
    ]
    with (
        translation.override("en"),
        pytest.raises(
            CommandError, match="section “召回原因” would be missing the possible harm in Chinese"
        ),
    ):
        call_command("notices", "send", recall.number, "--user", manager.username)
    assert NoticeRun.objects.count() == 0


def test_notices_of_a_system_run_wait_until_the_text_is_entered(
    recall: RecallCase, manager: User, smtp: Any, settings: Any
) -> None:
    """Runs the system starts (sub-consignees) are not refused up front: each notice is held
    unrendered with the reason, and goes out once the text is there."""
    recall = recall_update(
        recall=recall, actor=manager, version=recall.version, defect_description_en=""
    )
    run = send_runs.notice_run_start(recall=recall, actor=None)
    work_off_queue()
    english = Notice.objects.get(email="smith@hosp2.example")
    assert (english.status, english.body_html, english.pdf.name or "") == ("generated", "", "")
    assert english.last_error == (
        "The English notice cannot go out: section “Reason for the recall” would be "
        "missing the defect in English; enter it with the hazard evaluation on the "
        "recall page."
    )
    assert NoticeEvent.objects.filter(notice=english, type="failed").count() == 1
    assert "smith@hosp2.example" not in _mail(smtp)
    assert set(_mail(smtp)) == {"wang@dist.example", "zhao@dist.example", "chen@sub.example"}
    run.refresh_from_db()
    assert run.status == NoticeRun.Status.DONE
    assert run.error == english.last_error
    # Entered: the sweep's next round renders and sends it.
    recall.refresh_from_db()
    recall_update(
        recall=recall,
        actor=manager,
        version=recall.version,
        defect_description_en="Weak bond at the tip",
    )
    settings.MEDRECALL_SEND_LEASE_SECONDS = 0
    from medrecall.notices import followup

    followup.retries_due()
    work_off_queue()
    english.refresh_from_db()
    assert (english.status, english.last_error) == ("sent", "")
    assert "Defect: Weak bond at the tip" in _html(_mail(smtp)["smith@hosp2.example"])


# --- FDA letters: URGENT and RECALL / CORRECTION ----------------------------------------


def _standard(regime: str, language: str, kind: str) -> dict[str, Any]:
    return next(
        t
        for t in standard_templates()
        if (t["regime"], t["language"], t["kind"]) == (regime, language, kind)
    )


@pytest.mark.parametrize(
    ("title", "subject", "problem"),
    [
        pytest.param(
            "MEDICAL DEVICE {{ action_heading }}",
            "URGENT: Medical device recall {{ recall_number }}",
            "An FDA recall letter must be marked “URGENT” in its title (21 CFR 7.49(c)(2), required for Class "
            "I and II).",
            id="title-not-urgent",
        ),
        pytest.param(
            "URGENT: MEDICAL DEVICE {{ action_heading }}",
            "Medical device recall {{ recall_number }}",
            "An FDA recall letter must be marked “URGENT” in its subject (21 CFR 7.49(c)(2), required for Class "
            "I and II).",
            id="subject-not-urgent",
        ),
        pytest.param(
            "URGENT: MEDICAL DEVICE RECALL",
            "URGENT: Medical device recall {{ recall_number }}",
            "The title of an FDA recall letter must use {{ action_heading }}, so that it says RECALL or "
            "CORRECTION as the recall's type of action.",
            id="fixed-heading",
        ),
    ],
)
def test_fda_template_without_urgent_or_action_heading_is_refused_at_approval(
    manager: User, make_user: Any, title: str, subject: str, problem: str
) -> None:
    standard = _standard("fda", "en", "initial")
    draft = template_control.template_save(
        actor=manager,
        regime="fda",
        language="en",
        kind="initial",
        title=title,
        subject=subject,
        sections=standard["sections"],
    )
    approver = make_user(Role.QA_RA_MANAGER)
    with pytest.raises(errors.TemplateInvalid) as refused:
        template_control.template_approve(template=draft, actor=approver)
    assert refused.value.details == [problem]
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert (
        NoticeTemplate.objects.get(
            regime="fda", language="en", kind="initial", status="approved"
        ).version
        == 1
    )
    assert not AuditEntry.objects.filter(action="notices.template_approved").exists()


def test_fda_template_with_urgent_and_heading_is_approved(manager: User, make_user: Any) -> None:
    standard = _standard("fda", "en", "initial")
    draft = template_control.template_save(
        actor=manager,
        regime="fda",
        language="en",
        kind="initial",
        title=standard["title"],
        subject=standard["subject"],
        sections=standard["sections"],
        change_note="Same words",
    )
    approved = template_control.template_approve(
        template=draft, actor=make_user(Role.QA_RA_MANAGER)
    )
    assert (approved.status, approved.version) == ("approved", 2)


def _legacy_fda_templates() -> None:
    """Approved before the check existed: no URGENT marking."""
    NoticeTemplate.objects.filter(
        regime="fda", kind="initial", status="approved", language="en"
    ).update(
        title="MEDICAL DEVICE {{ action_heading }}",
        subject="Medical device recall {{ recall_number }}",
    )
    NoticeTemplate.objects.filter(
        regime="fda", kind="initial", status="approved", language="zh-hans"
    ).update(title="医疗器械{{ action_heading }}", subject="医疗器械召回 {{ recall_number }}")


@pytest.mark.parametrize("recall_class", ["I", "II"])
def test_class_i_and_ii_fda_letters_cannot_go_out_from_a_template_without_urgent(
    tmp_path: Path, manager: User, make_user: Any, smtp: Any, recall_class: str
) -> None:
    recall = approved_recall(
        tmp_path, manager, make_user, regimes=("fda",), recall_class=recall_class
    )
    _legacy_fda_templates()
    refused = _refused_run(recall, manager)
    assert refused.details == [
        f"A Class {recall_class} FDA letter must be marked “URGENT” in its title; the template “MEDICAL DEVICE "
        "{{ action_heading }}” is not. Approve a template with the marking.",
        f"A Class {recall_class} FDA letter must be marked “URGENT” in its subject; the template “MEDICAL DEVICE "
        "{{ action_heading }}” is not. Approve a template with the marking.",
        f"A Class {recall_class} FDA letter must be marked “URGENT” in its title; the template “医疗器械"
        "{{ action_heading }}” is not. Approve a template with the marking.",
        f"A Class {recall_class} FDA letter must be marked “URGENT” in its subject; the template “医疗器械"
        "{{ action_heading }}” is not. Approve a template with the marking.",
    ]
    assert smtp.messages == []


def test_class_iii_fda_letters_may_go_out_without_urgent(
    tmp_path: Path, manager: User, make_user: Any, smtp: Any
) -> None:
    recall = approved_recall(tmp_path, manager, make_user, regimes=("fda",), recall_class="III")
    _legacy_fda_templates()
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    subjects = {rcpt: str(m["Subject"]).strip() for rcpt, m in _mail(smtp).items()}
    assert subjects["smith@hosp2.example"] == f"Medical device recall {recall.number}"
    assert Notice.objects.filter(channel="email", status="sent").count() == 4


@pytest.mark.parametrize(
    ("action_type", "english", "chinese"),
    [
        pytest.param(
            "removal", "URGENT: MEDICAL DEVICE RECALL", "紧急（URGENT）：医疗器械召回", id="removal"
        ),
        pytest.param(
            "correction",
            "URGENT: MEDICAL DEVICE CORRECTION",
            "紧急（URGENT）：医疗器械纠正",
            id="correction",
        ),
    ],
)
def test_fda_letter_heading_follows_the_type_of_action(
    tmp_path: Path,
    manager: User,
    make_user: Any,
    smtp: Any,
    action_type: str,
    english: str,
    chinese: str,
) -> None:
    recall = approved_recall(
        tmp_path, manager, make_user, regimes=("fda",), action_type=action_type
    )
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    sent = _mail(smtp)
    assert english in _html(sent["smith@hosp2.example"])
    assert str(sent["smith@hosp2.example"]["Subject"]).startswith(
        f"URGENT: Medical device {english.rsplit(' ', 1)[1].lower()} {recall.number}"
    )
    assert chinese in _html(sent["chen@sub.example"])
    assert english in _pdf(sent["smith@hosp2.example"])


def test_a_correction_cannot_go_out_under_a_recall_heading(
    tmp_path: Path, manager: User, make_user: Any
) -> None:
    recall = approved_recall(
        tmp_path, manager, make_user, regimes=("fda",), action_type="correction"
    )
    NoticeTemplate.objects.filter(
        regime="fda", kind="initial", status="approved", language="en"
    ).update(title="URGENT: MEDICAL DEVICE RECALL")
    refused = _refused_run(recall, manager)
    assert refused.details == [
        "The English FDA letter's title “URGENT: MEDICAL DEVICE RECALL” does not say “correction”, but the recall "
        "is a correction."
    ]


def test_chinese_refusal_reads_in_chinese(recall: RecallCase, manager: User) -> None:
    recall = recall_update(recall=recall, actor=manager, version=recall.version, reason="")
    refused = _refused_run(recall, manager, language="zh-hans")
    assert refused.details == [
        "中文通知无法发出：“召回原因”部分缺少中文的召回原因；请在召回页面填写。"
    ]


def test_party_language_decides_when_the_contact_has_none(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    Party.objects.filter(code="HOSP").update(language="en")
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    letter = Notice.objects.get(party__code="HOSP")
    assert letter.language == "en"
    assert "Catheter tip fracture" in letter.body_html
    assert "导管尖端断裂" not in letter.body_html


# --- migration of existing data -------------------------------------------------------------


def test_migration_adds_english_device_names_to_frozen_lines_and_back(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    import importlib

    from django.apps import apps as django_apps

    migration = importlib.import_module("medrecall.notices.migrations.0003_notice_content")
    _names("中心静脉导管", "Central venous catheter")
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    migration.lines_without_english_names(django_apps, None)
    assert all("model_en" not in line for n in Notice.objects.all() for line in n.lines)
    migration.lines_with_english_names(django_apps, None)
    assert {line["model_en"] for n in Notice.objects.all() for line in n.lines} == {
        "Central venous catheter"
    }


def test_migration_marks_the_standard_fda_letters_and_leaves_changed_ones(manager: User) -> None:
    import importlib

    from django.apps import apps as django_apps

    migration = importlib.import_module("medrecall.notices.migrations.0003_notice_content")
    approved = NoticeTemplate.objects.filter(regime="fda", status="approved")
    approved.filter(kind="initial", language="en").update(title="URGENT: MEDICAL DEVICE RECALL")
    approved.filter(kind="initial", language="zh-hans").update(title="Our own words")
    approved.filter(kind="reminder", language="en").update(
        title="Recall notice (notice no. {{ sequence }})"
    )
    migration.fda_letters_marked(django_apps, None)
    now = {
        (t.kind, t.language): (t.version, t.title)
        for t in NoticeTemplate.objects.filter(
            regime="fda", status="approved", kind__in=("initial", "reminder")
        )
    }
    assert now[("initial", "en")] == (2, "URGENT: MEDICAL DEVICE {{ action_heading }}")
    assert now[("initial", "zh-hans")] == (1, "Our own words")
    assert now[("reminder", "en")] == (2, "URGENT: Recall notice (notice no. {{ sequence }})")
    migration.fda_letters_unmarked(django_apps, None)
    back = {
        (t.kind, t.language): (t.version, t.title)
        for t in NoticeTemplate.objects.filter(
            regime="fda", status="approved", kind__in=("initial", "reminder")
        )
    }
    assert back[("initial", "en")] == (1, "URGENT: MEDICAL DEVICE RECALL")
    assert back[("reminder", "en")] == (1, "Recall notice (notice no. {{ sequence }})")


def test_send_button_shows_every_reason_and_sends_nothing(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    from tests.conftest import PASSWORD

    recall = recall_update(
        recall=recall,
        actor=manager,
        version=recall.version,
        defect_description="",
        hazard_description_en="",
    )
    client = Client()
    client.login(username=manager.username, password=PASSWORD)
    page = client.post(
        f"/recalls/{recall.pk}/notices/send/", follow=True, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "section “召回原因” would be missing the defect in Chinese" in page
    assert "section “Reason for the recall” would be missing the possible harm in English" in page
    assert NoticeRun.objects.count() == 0
    assert smtp.messages == []


def test_template_page_refuses_to_approve_an_fda_letter_without_urgent(
    manager: User, make_user: Any
) -> None:
    from tests.conftest import PASSWORD

    standard = _standard("fda", "en", "initial")
    draft = template_control.template_save(
        actor=manager,
        regime="fda",
        language="en",
        kind="initial",
        title="MEDICAL DEVICE {{ action_heading }}",
        subject=standard["subject"],
        sections=standard["sections"],
    )
    approver = make_user(Role.QA_RA_MANAGER)
    client = Client()
    client.login(username=approver.username, password=PASSWORD)
    page = client.post(
        f"/notices/templates/{draft.pk}/approve/", follow=True, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "must be marked “URGENT” in its title" in page
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_device_model_choices_read_in_the_active_language() -> None:
    model = DeviceModel(model_code="CVC-1", name="中心静脉导管", name_en="Central venous catheter")
    with translation.override("en"):
        assert str(model) == "CVC-1 Central venous catheter"
    with translation.override("zh-hans"):
        assert str(model) == "CVC-1 中心静脉导管"


def test_scan_names_the_device_in_the_readers_language(api_as: Any, manager: User) -> None:
    from tests.conftest import PASSWORD

    DeviceModel.objects.create(
        udi_di="09501101530003",
        model_code="CVC-1",
        name="中心静脉导管",
        name_en="Central venous catheter",
    )
    barcode = "0109501101530003172407311012AB34"
    english = (
        api_as(manager)
        .post("/api/udi/parse/", {"barcode": barcode}, format="json", HTTP_ACCEPT_LANGUAGE="en")
        .json()["match"]
    )
    assert (
        english["device_model"],
        english["device_model_name"],
        english["device_model_name_en"],
    ) == ("CVC-1 Central venous catheter", "中心静脉导管", "Central venous catheter")
    client = Client()
    client.login(username=manager.username, password=PASSWORD)
    page = client.post(
        "/scan/", {"barcode": barcode}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert '<dd id="scan-model">CVC-1 中心静脉导管</dd>' in page


def test_every_standard_template_passes_the_approval_checks() -> None:
    from medrecall.notices import content, documents

    problems = {
        (t["regime"], t["language"], t["kind"]): documents.template_problems(
            regime=t["regime"],
            kind=t["kind"],
            title=t["title"],
            subject=t["subject"],
            sections=t["sections"],
        )
        + content.marking_problems(
            regime=t["regime"], kind=t["kind"], title=t["title"], subject=t["subject"]
        )
        for t in standard_templates()
    }
    assert (
        len(problems) == 40
    )  # 3 regimes × 2 languages × 5 kinds (initial, reminder, update, progress, survey) + EU de, fr
    assert {key: found for key, found in problems.items() if found} == {}
