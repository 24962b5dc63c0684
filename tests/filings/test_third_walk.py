"""Findings of the third browser walk of filings, effectiveness and closure: FDA's record in the
reader's language with Z-numbers as people type them, people by name on filing pages, lists
joined as each language writes them, the closure's information list, the re-notified count
explained, the change note in both languages and the parties' English address."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel
from medrecall.recalls.errors import FdaRecordInvalid
from medrecall.recalls.fda import fda_record, z_number_entries
from medrecall.recalls.models import RecallCase, RecallRegime

pytestmark = pytest.mark.django_db


def _page(user: User, url: str, language: str = "en", status: int = 200) -> str:
    client = Client()
    client.force_login(user)
    answer = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    translation.activate("en")
    assert answer.status_code == status
    return answer.content.decode()


def _post(user: User, url: str, data: dict[str, Any], language: str = "en") -> list[str]:
    """POST as ``user`` and follow the redirect: the messages shown."""
    client = Client()
    client.force_login(user)
    answer = client.post(url, data, HTTP_ACCEPT_LANGUAGE=language, follow=True)
    translation.activate("en")
    return [str(m) for m in answer.context["messages"]]


def _z_numbers(recall: RecallCase) -> list[dict[str, str]]:
    return RecallRegime.objects.get(recall=recall, regime="fda").fda_z_numbers


# --- 1. FDA's record: classes in the reader's words, Z-numbers as people type them ----------


@pytest.mark.parametrize(
    ("language", "selected", "options"),
    [
        pytest.param(
            "en",
            '<td data-fda="class">Class II',
            ['<option value="I">Class I</option>', '<option value="III">Class III</option>'],
            id="en",
        ),
        pytest.param(
            "zh-hans",
            '<td data-fda="class">II 类',
            ['<option value="I">I 类</option>', '<option value="III">III 类</option>'],
            id="zh-hans",
        ),
    ],
)
def test_the_fda_record_names_the_classes_in_the_readers_language(
    fda_recall: RecallCase, manager: User, language: str, selected: str, options: list[str]
) -> None:
    fda_record(recall=fda_recall, actor=manager, classification="II")

    page = _page(manager, f"/recalls/{fda_recall.pk}/filings/", language)
    case = _page(manager, f"/recalls/{fda_recall.pk}/", language)

    assert selected in page
    assert all(option in page for option in options)
    assert selected.split(">")[1] in case
    if language == "zh-hans":
        assert "Class I" not in page + case


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        pytest.param("Z-0001-2027", [("", "Z-0001-2027")], id="alone"),
        pytest.param("CATH=Z-0001-2027", [("CATH", "Z-0001-2027")], id="model-equals"),
        pytest.param("CATH: Z-0001-2027", [("CATH", "Z-0001-2027")], id="model-colon"),
        pytest.param("CATH Z-0001-2027", [("CATH", "Z-0001-2027")], id="model-space"),
        pytest.param(
            "CATH=Z-0001-2027，PUMP＝Z-0002-2027\nTUBE：Z-0003-2027",
            [("CATH", "Z-0001-2027"), ("PUMP", "Z-0002-2027"), ("TUBE", "Z-0003-2027")],
            id="full-width-and-lines",
        ),
        pytest.param(" , ", [], id="nothing"),
    ],
)
def test_z_numbers_are_read_as_people_type_them(text: str, entries: list[tuple[str, str]]) -> None:
    assert z_number_entries(text) == entries


def test_a_z_number_alone_is_the_only_device_models_on_the_page(
    fda_recall: RecallCase, manager: User
) -> None:
    shown = _post(
        manager, f"/recalls/{fda_recall.pk}/filings/fda-record/", {"z_numbers": "z-0001-2027"}
    )

    assert shown == ["FDA's record of the recall is saved."]
    assert _z_numbers(fda_recall) == [{"model_code": "CATH", "z_number": "Z-0001-2027"}]


def test_a_z_number_alone_through_the_api_and_the_command(
    fda_recall: RecallCase, manager: User, api_as: Any, capsys: Any
) -> None:
    put = api_as(manager).put(
        f"/api/recalls/{fda_recall.pk}/fda-record/",
        {"fda_z_numbers": [{"z_number": "Z-0001-2027"}]},
        format="json",
    )
    assert put.status_code == 200
    assert put.json()["fda_z_numbers"] == [{"model_code": "CATH", "z_number": "Z-0001-2027"}]

    call_command(
        "filings", "fda-record", fda_recall.number, "--z", "Z-0002-2027", "--user",
        manager.username, "--json",
    )  # fmt: skip
    assert json.loads(capsys.readouterr().out)["fda_z_numbers"] == [
        {"model_code": "CATH", "z_number": "Z-0002-2027"}
    ]


def _two_models(recall: RecallCase) -> None:
    recall.products.add(DeviceModel.objects.get(model_code="PUMP"))


@pytest.mark.parametrize(
    ("language", "message"),
    [
        pytest.param(
            "en",
            "Z-number Z-0001-2027 does not say which device model it is for: write each as"
            " MODEL=Z-NNNN-YYYY, e.g. CATH=Z-0001-2027 (device models of recall {number}:"
            " CATH, PUMP).",
            id="en",
        ),
        pytest.param(
            "zh-hans",
            "Z 编号 Z-0001-2027 未注明对应的器械型号：请按“型号=Z-NNNN-YYYY”逐一填写，"
            "例如 CATH=Z-0001-2027（召回 {number} 的器械型号：CATH、PUMP）。",
            id="zh-hans",
        ),
    ],
)
def test_a_z_number_alone_with_two_device_models_is_refused_saying_the_form(
    fda_recall: RecallCase, manager: User, language: str, message: str
) -> None:
    _two_models(fda_recall)

    shown = _post(
        manager,
        f"/recalls/{fda_recall.pk}/filings/fda-record/",
        {"z_numbers": "Z-0001-2027"},
        language,
    )

    assert shown == [message.format(number=fda_recall.number)]
    assert _z_numbers(fda_recall) == []
    assert not AuditEntry.objects.filter(action="recalls.fda_recorded").exists()


def test_two_z_numbers_for_one_model_are_refused_and_change_nothing(
    fda_recall: RecallCase, manager: User
) -> None:
    with pytest.raises(FdaRecordInvalid) as refused:
        fda_record(
            recall=fda_recall,
            actor=manager,
            z_numbers=[("", "Z-0001-2027"), ("CATH", "Z-0002-2027")],
        )

    assert refused.value.details == [
        "CATH is given Z-0001-2027, Z-0002-2027: FDA gives one Z-number per device model."
    ]
    assert _z_numbers(fda_recall) == []


@pytest.mark.parametrize(
    ("language", "hint"),
    [
        pytest.param(
            "en",
            "One per device model, separated by commas: MODEL=Z-NNNN-YYYY, e.g."
            " CATH=Z-0001-2027 (device models: CATH). With one device model the Z-number alone"
            " is enough.",
            id="en",
        ),
        pytest.param(
            "zh-hans",
            "每个器械型号填一个，用逗号分隔：型号=Z-NNNN-YYYY，例如 CATH=Z-0001-2027"
            "（器械型号：CATH）。只有一个器械型号时，只填 Z 编号即可。",
            id="zh-hans",
        ),
    ],
)
def test_the_fda_form_says_how_to_write_the_z_numbers(
    fda_recall: RecallCase, manager: User, language: str, hint: str
) -> None:
    page = _page(manager, f"/recalls/{fda_recall.pk}/filings/", language)

    assert f'<p class="muted" id="fda-z-hint"><small>{hint}</small></p>' in page
    assert 'placeholder="CATH=Z-0001-2027"' in page


# --- 4. the closure's information: only when there is some, saying what it is for ------------


def _only_information(monkeypatch: Any, lines: list[str]) -> None:
    """The closure report as the case page reads it, with ``lines`` as its information."""
    from medrecall.recalls import closure as recall_closure
    from medrecall.web import recall_views

    real = recall_closure.closure_report

    def report(recall: RecallCase) -> Any:
        found = real(recall)
        found.information = list(lines)
        return found

    monkeypatch.setattr(recall_views.closure, "closure_report", report)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_case_shows_no_empty_for_information_list(
    recall: RecallCase, manager: User, monkeypatch: Any, language: str
) -> None:
    from tests.filings.test_sold_in_china import WARNING, abroad

    abroad(recall)
    from medrecall.parties.models import Location

    Location.objects.update(country="US")  # the case warns "also sold in China" at its top
    _only_information(monkeypatch, [WARNING] if language == "en" else [])

    page = _page(manager, f"/recalls/{recall.pk}/", language)

    assert "closure-blocking" in page
    assert 'id="closure-information' not in page
    assert "For information" not in page
    assert "供参考" not in page


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        pytest.param("en", "For information (these do not keep the recall from closing):", id="en"),
        pytest.param("zh-hans", "供参考（以下各项不影响召回关闭）：", id="zh-hans"),
    ],
)
def test_the_case_says_what_the_information_list_is_for(
    recall: RecallCase, manager: User, monkeypatch: Any, language: str, heading: str
) -> None:
    _only_information(monkeypatch, ["No CAPA is linked to this recall."])

    page = _page(manager, f"/recalls/{recall.pk}/", language)

    assert (
        f'<p id="closure-information-heading">{heading}</p>\n'
        '  <ul id="closure-information"><li>No CAPA is linked to this recall.</li></ul>'
    ) in page


# --- 5. the effectiveness page says what "notices sent again" counts and links them ---------


@pytest.fixture
def class_i(tmp_path: Any, manager: User, make_user: Any) -> RecallCase:
    from tests.execution.test_closure import class_i_recall

    return class_i_recall(tmp_path, manager, make_user)


@pytest.mark.parametrize(
    ("language", "header", "explained", "link"),
    [
        pytest.param(
            "en",
            "Notices sent again",
            "A failed check sends the holder its recall notice again: a reminder after its first"
            " notice (or the first notice, if it never had one), one to each of its recipients."
            " “Notices sent again” counts those notices; each links to its record.",
            "Reminder #2 · Letter · Generated",
            id="en",
        ),
        pytest.param(
            "zh-hans",
            "再次发送的通知",
            "检查未通过时，系统会再次向该持有方发送召回通知：在首次通知之后发送提醒（如从未发过通知，"
            "则发送首次通知），每位收件人各一份。“再次发送的通知”即这些通知的份数，点击可查看每份通知的记录。",
            "提醒 #2 · 信函 · 已生成",
            id="zh-hans",
        ),
    ],
)
def test_the_effectiveness_page_says_what_notices_sent_again_counts_and_links_them(
    class_i: RecallCase, manager: User, language: str, header: str, explained: str, link: str
) -> None:
    from medrecall.effectiveness import services as checks
    from medrecall.notices.models import Notice
    from medrecall.parties.models import Party

    checks.plan_set(recall=class_i, regime="nmpa", level="A", actor=manager)
    checks.sample_draw(recall=class_i, regime="nmpa", actor=manager, seed=1)
    failed = checks.check_record(
        recall=class_i,
        party=Party.objects.get(code="HX02"),
        actor=manager,
        contacted_how="phone",
        notice_received=False,
        instructions_followed=False,
    )
    reminder = Notice.objects.get(pk=failed.renotified_notices[0])  # by letter: no contact

    page = _page(manager, f"/recalls/{class_i.pk}/effectiveness/", language)

    assert f"<th>{header}</th>" in page
    assert f'<p class="muted" id="renotified-explained">{explained}</p>' in page
    assert (
        f'<td class="renotified"><strong>1</strong><br><a href="/notices/{reminder.pk}/">'
        f"{link}</a></td>"
    ) in page
    assert "Re-notified" not in page


# --- 2. people by name on the filing pages ------------------------------------------------


def _submitted_plan(recall: RecallCase, actor: User) -> Any:
    from datetime import UTC, datetime

    from django.core.files.uploadedfile import SimpleUploadedFile

    from medrecall.filings import services
    from tests.filings.conftest import ACK, signed_plan

    return services.filing_submit(
        filing=signed_plan(recall, actor),
        actor=actor,
        authority="广东省药品监督管理局",
        reference="YJ-2025-001",
        submitted_at=datetime(2025, 3, 2, 9, tzinfo=UTC),
        acknowledgement=SimpleUploadedFile("ack.pdf", ACK),
        acknowledgement_name="ack.pdf",
    )


@pytest.mark.parametrize(
    ("language", "recorded_by", "generated", "submitted"),
    [
        pytest.param(
            "en",
            "Recorded by",
            "Filing generated from the recall&#x27;s data",
            "Submitted",
            id="en",
        ),
        pytest.param("zh-hans", "记录人", "已根据召回数据生成申报文件", "已提交", id="zh-hans"),
    ],
)
def test_the_filing_page_names_people_by_their_full_name(
    recall: RecallCase,
    manager: User,
    language: str,
    recorded_by: str,
    generated: str,
    submitted: str,
) -> None:
    User.objects.filter(pk=manager.pk).update(first_name="芳", last_name="王")
    manager.refresh_from_db()
    filing = _submitted_plan(recall, manager)

    page = _page(manager, f"/recalls/{recall.pk}/filings/{filing.pk}/", language)

    history = page.split('<ul id="filing-history">')[1].split("</ul>")[0]
    # generated, edited, checked, e-signature applied, filing signed, submitted
    assert history.count(" · 王芳 · ") == 6
    assert manager.username not in history
    assert f"<th>{recorded_by}</th>" in page
    assert '<td class="filing-submitted-by">王芳</td>' in page
    assert f" · 王芳 · {generated}" in history
    assert submitted in page


def test_a_person_without_a_name_is_shown_by_user_name(recall: RecallCase, manager: User) -> None:
    filing = _submitted_plan(recall, manager)

    page = _page(manager, f"/recalls/{recall.pk}/filings/{filing.pk}/")

    history = page.split('<ul id="filing-history">')[1].split("</ul>")[0]
    assert history.count(f" · {manager.username} · ") == 6
    assert f'<td class="filing-submitted-by">{manager.username}</td>' in page


# --- 3. lists joined as each language writes them ----------------------------------------


def _row(document: dict[str, Any], label: str) -> str:
    for block in document["blocks"]:
        for name, value in block.get("rows") or []:
            if name == label:
                return str(value)
    raise AssertionError(label)


def test_the_chinese_plan_enumerates_provinces_with_the_enumeration_comma(
    recall: RecallCase, manager: User, elsewhere: None
) -> None:
    from medrecall.filings.rendering import blocks
    from tests.filings.conftest import signed_plan

    filing = signed_plan(recall, manager)

    assert _row(blocks(filing, "zh-hans"), "涉及省份") == "北京市、广东省"
    assert _row(blocks(filing, "en"), "Provinces in China") == "Beijing, Guangdong"
    from tests.filings.test_fda import docx_text, pdf_text

    assert "北京市、广东省" in pdf_text(filing.pdf_zh)
    assert "北京市、广东省" in docx_text(filing.docx_zh)
    assert "Beijing,Guangdong" in pdf_text(filing.pdf_en)


def test_fda_z_numbers_and_amendment_lots_are_listed_in_each_language(
    fda_recall: RecallCase, manager: User
) -> None:
    from medrecall.filings.rendering import blocks
    from medrecall.filings.services import filing_generate

    _two_models(fda_recall)
    fda_record(
        recall=fda_recall,
        actor=manager,
        z_numbers={"CATH": "Z-0001-2027", "PUMP": "Z-0002-2027"},
    )
    filing = filing_generate(recall=fda_recall, doc_type="fda.status_report", actor=manager)

    assert _row(blocks(filing, "zh-hans"), "FDA Z 编号") == "CATH：Z-0001-2027、PUMP：Z-0002-2027"
    assert _row(blocks(filing, "en"), "FDA Z-numbers") == "CATH: Z-0001-2027, PUMP: Z-0002-2027"
    page = _page(manager, f"/recalls/{fda_recall.pk}/filings/", "zh-hans")
    assert '<td data-fda="z">CATH：Z-0001-2027、PUMP：Z-0002-2027</td>' in page


# --- 6. the change note in Chinese and in English --------------------------------------------


def _second_plan(recall: RecallCase, actor: User, **notes: str) -> Any:
    from medrecall.filings import services

    return services.filing_revise(filing=_submitted_plan(recall, actor), actor=actor, **notes)


@pytest.mark.parametrize(
    ("notes", "language", "missing"),
    [
        pytest.param(
            {"change_note": "收回期限延长至14日。"},
            "en",
            "The change note (what changed in this version) is empty in English.",
            id="en-missing-en",
        ),
        pytest.param(
            {"change_note": "收回期限延长至14日。"},
            "zh-hans",
            "变更说明（本版本的变更内容）的英文内容为空。",
            id="zh-missing-en",
        ),
        pytest.param(
            {"change_note_en": "Time limit 14 days."},
            "en",
            "The change note (what changed in this version) is empty in Chinese.",
            id="en-missing-zh",
        ),
        pytest.param(
            {"change_note_en": "Time limit 14 days."},
            "zh-hans",
            "变更说明（本版本的变更内容）的中文内容为空。",
            id="zh-missing-zh",
        ),
    ],
)
def test_the_check_names_the_change_note_language_missing_and_changes_nothing(
    recall: RecallCase, manager: User, notes: dict[str, str], language: str, missing: str
) -> None:
    from medrecall.filings import services
    from medrecall.filings.errors import FilingIncomplete
    from medrecall.filings.models import Filing

    second = _second_plan(recall, manager, **notes)

    with translation.override(language), pytest.raises(FilingIncomplete) as refused:
        services.filing_check(filing=second, actor=manager)

    assert [str(d) for d in refused.value.details] == [missing]
    assert Filing.objects.get(pk=second.pk).status == "draft"
    assert not AuditEntry.objects.filter(action="filings.checked", target_id=str(second.pk))


def test_each_language_prints_its_own_change_note_and_the_signature_covers_both(
    recall: RecallCase, manager: User
) -> None:
    from medrecall.filings import selectors, services
    from medrecall.filings.rendering import blocks
    from tests.conftest import PASSWORD
    from tests.filings.conftest import signing_clock
    from tests.filings.test_fda import docx_text, pdf_text

    second = _second_plan(recall, manager, change_note="收回期限延长至14日。")
    assert blocks(second, "en")["change_note"] == ""  # never the Chinese note in English
    second = services.filing_enter(
        filing=second, actor=manager, change_note={"en": "Time limit extended to 14 days."}
    )
    second = services.filing_check(filing=second, actor=manager)
    with signing_clock():
        second = services.filing_sign(
            filing=second, actor=manager, password=PASSWORD, username=manager.username
        )

    assert (second.change_note, second.change_note_en) == (
        "收回期限延长至14日。",
        "Time limit extended to 14 days.",
    )
    assert "变更内容：收回期限延长至14日。" in pdf_text(second.pdf_zh)
    assert "变更内容：收回期限延长至14日。" in docx_text(second.docx_zh)
    assert "Whatchanged:Timelimitextendedto14days." in pdf_text(second.pdf_en)
    assert "Whatchanged:Timelimitextendedto14days." in docx_text(second.docx_en)
    assert "收回期限" not in pdf_text(second.pdf_en)
    assert selectors.signature_state(second) == "valid"
    changed = services.filing_enter(
        filing=second, actor=manager, change_note={"en": "Time limit: 14 days."}
    )
    assert (changed.status, selectors.signature_state(changed)) == ("draft", "content_changed")


def test_a_first_version_takes_no_change_note(recall: RecallCase, manager: User) -> None:
    from medrecall.filings import services
    from medrecall.filings.errors import ChangeNoteRefused
    from tests.filings.conftest import signed_plan

    first = signed_plan(recall, manager)

    with pytest.raises(ChangeNoteRefused) as refused:
        services.filing_enter(filing=first, actor=manager, change_note={"en": "x"})

    assert refused.value.message == (
        "Version 1 has no change note: what changed is written on a new version."
    )
    first.refresh_from_db()
    assert (first.status, first.change_note_en) == ("signed", "")


def test_the_change_note_is_written_in_both_languages_on_the_page(
    recall: RecallCase, manager: User
) -> None:
    first = _submitted_plan(recall, manager)
    client = Client()
    client.force_login(manager)
    client.post(
        f"/recalls/{recall.pk}/filings/{first.pk}/revise/",
        {"change_note": "收回期限延长至14日。", "change_note_en": ""},
    )
    second = first.__class__.objects.get(previous=first)
    before = _page(manager, f"/recalls/{recall.pk}/filings/{second.pk}/")

    client.post(
        f"/recalls/{recall.pk}/filings/{second.pk}/enter/",
        {"change_note_zh": "收回期限延长至14日。", "change_note_en": "Time limit 14 days."},
    )
    after = _page(manager, f"/recalls/{recall.pk}/filings/{second.pk}/", "zh-hans")

    assert "<li>The change note (what changed in this version) is empty in English.</li>" in before
    assert '<textarea name="change_note_en" rows="2"></textarea>' in before
    assert '<dd lang="en">English: Time limit 14 days.</dd>' in after
    assert '<dd lang="zh">中文：收回期限延长至14日。</dd>' in after
    assert 'id="filing-complete"' in after
    second.refresh_from_db()
    assert (second.change_note, second.change_note_en) == (
        "收回期限延长至14日。",
        "Time limit 14 days.",
    )


def test_the_change_note_through_the_api_and_the_command(
    recall: RecallCase, manager: User, api_as: Any, capsys: Any
) -> None:
    first = _submitted_plan(recall, manager)
    client = api_as(manager)
    base = f"/api/recalls/{recall.pk}/filings/"

    revised = client.post(
        f"{base}{first.pk}/versions/", {"change_note_en": "Time limit 14 days."}, format="json"
    )
    second = revised.json()
    patched = client.patch(
        f"{base}{second['id']}/", {"change_note": {"zh": "期限延长。"}}, format="json"
    )
    call_command(
        "filings", "enter", recall.number, "--type", "nmpa.recall_plan", "--note-en",
        "Time limit: 14 days.", "--user", manager.username, "--json",
    )  # fmt: skip
    shown = json.loads(capsys.readouterr().out)

    assert (revised.status_code, second["change_note"], second["change_note_en"]) == (
        201,
        "",
        "Time limit 14 days.",
    )
    assert second["problems"] == [
        "The change note (what changed in this version) is empty in Chinese."
    ]
    assert (patched.status_code, patched.json()["change_note"]) == (200, "期限延长。")
    assert patched.json()["change_note_en"] == "Time limit 14 days."
    assert patched.json()["problems"] == []
    assert (shown["change_note"], shown["change_note_en"]) == ("期限延长。", "Time limit: 14 days.")


# --- 7. the parties' English address ---------------------------------------------------------


def test_the_party_import_reads_an_optional_english_address(tmp_path: Any) -> None:
    from medrecall.parties.importers import PartyImporter
    from medrecall.parties.models import Party

    with_english = tmp_path / "p.csv"
    with_english.write_text(
        "party_code,party_name,party_type,country,province,city,address,address_en\n"
        "H-CD,四川大学华西医院,hospital,CN,四川省,成都市,武侯区国学巷37号,"
        '"No. 37 Guoxue Lane, Wuhou District, Chengdu"\n',
        encoding="utf-8",
    )
    without = tmp_path / "q.csv"
    without.write_text(
        "party_code,party_name,party_type,city\nH-XA,西京医院,hospital,西安市\n", encoding="utf-8"
    )

    assert PartyImporter().run(with_english, file_name="p.csv").created == 1
    assert PartyImporter().run(without, file_name="q.csv").created == 1
    assert PartyImporter.columns.required == ("party_code", "party_name", "party_type")
    assert list(Party.objects.order_by("code").values_list("code", "address", "address_en")) == [
        ("H-CD", "武侯区国学巷37号", "No. 37 Guoxue Lane, Wuhou District, Chengdu"),
        ("H-XA", "", ""),
    ]


def test_the_english_address_is_edited_through_the_api_and_the_page(
    manager: User, api_as: Any, make_user: Any
) -> None:
    from medrecall.accounts.roles import Role
    from medrecall.parties.models import Party
    from tests.factories import PartyFactory

    party = PartyFactory(code="H-CD", name="四川大学华西医院", address="武侯区国学巷37号")
    admin = make_user(Role.ADMINISTRATOR)

    patched = api_as(admin).patch(
        f"/api/parties/{party.pk}/",
        {"address_en": "No. 37 Guoxue Lane, Wuhou District, Chengdu"},
        format="json",
    )
    form = _page(admin, f"/data/party/{party.pk}/edit/")

    assert (patched.status_code, patched.json()["address_en"]) == (
        200,
        "No. 37 Guoxue Lane, Wuhou District, Chengdu",
    )
    assert Party.objects.get(pk=party.pk).address_en == (
        "No. 37 Guoxue Lane, Wuhou District, Chengdu"
    )
    assert 'name="address_en"' in form
    assert 'value="No. 37 Guoxue Lane, Wuhou District, Chengdu"' in form


def test_the_806_consignee_list_prints_the_english_address_in_english(
    fda_recall: RecallCase, manager: User
) -> None:
    from medrecall.filings.rendering import blocks
    from medrecall.filings.services import filing_generate
    from medrecall.parties.models import Party

    Party.objects.filter(code="HOSP").update(
        address="天河区天河路1号", address_en="No. 1 Tianhe Road, Tianhe District, Guangzhou"
    )
    report = filing_generate(recall=fda_recall, doc_type="fda.report_806", actor=manager)
    rows = {
        lang: {
            r[0].split(" ")[0]: r[2]  # consignee, domestic or foreign, address, …
            for b in blocks(report, lang)["blocks"]
            if b.get("table") and len(b["table"]["columns"]) == 6
            for r in b["table"]["rows"]
        }
        for lang in ("en", "zh-hans")
    }

    assert rows["en"]["HOSP"].startswith("No. 1 Tianhe Road, Tianhe District, Guangzhou, ")
    assert "天河" not in rows["en"]["HOSP"]
    assert rows["zh-hans"]["HOSP"].endswith("天河区天河路1号")
    other = next(code for code in rows["en"] if code != "HOSP")
    recorded = Party.objects.get(code=other)
    assert recorded.address_en == ""
    assert recorded.address in rows["en"][other]  # no English address: the one recorded


def test_an_english_address_keeps_a_city_recorded_in_latin_letters(
    fda_recall: RecallCase, manager: User
) -> None:
    from medrecall.filings.rendering import blocks
    from medrecall.filings.services import filing_generate
    from medrecall.parties.models import Party

    Party.objects.filter(code="HOSP").update(
        address="4400 Westbridge Pkwy", address_en="4400 Westbridge Pkwy, Building B", city="Dallas"
    )
    report = filing_generate(recall=fda_recall, doc_type="fda.report_806", actor=manager)
    row = next(
        r[2]
        for b in blocks(report, "en")["blocks"]
        if b.get("table") and len(b["table"]["columns"]) == 6
        for r in b["table"]["rows"]
        if r[0].startswith("HOSP")
    )

    assert row.startswith("4400 Westbridge Pkwy, Building B, Dallas, ")
