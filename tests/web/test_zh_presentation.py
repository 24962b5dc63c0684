"""The Chinese interface shows words, not codes: every choice, category, audit action and
event type reaches a page through its translated label. Rendered on demo data as staff."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.utils import timezone, translation

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.cli.demo import demo_build
from medrecall.recalls import services
from medrecall.web.masterdata import ENTITIES
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


class _VisibleText(HTMLParser):
    """Text a reader sees: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    # <code> marks recorded values shown as they are (an audit entry's changes, a barcode).
    HIDDEN = ("script", "style", "template", "code")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def model_choices() -> Iterator[tuple[str, str, str]]:
    """(code, English label, Chinese label) of every choice of every model field."""
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.Field) and field.choices:
                for value, label in field.flatchoices:
                    if isinstance(value, str) and value:
                        with translation.override("en"):
                            english = str(label)
                        with translation.override("zh-hans"):
                            chinese = str(label)
                        yield value, english, chinese


def word(text: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w.-])" + re.escape(text) + r"(?![\w-])")


def user_data() -> list[str]:
    """Names people typed or imported (a party called "... General Hospital", a user called
    "warehouse"): removed from a page's text before looking for codes, longest first."""
    from medrecall.notices.models import NoticeTemplate
    from medrecall.parties.models import Location, Party

    values: set[str] = set()
    for queryset, fields in (
        (Party.objects, ("name", "name_en", "code")),
        (Location.objects, ("name", "code")),
        (User.objects, ("username",)),
        (NoticeTemplate.objects, ("subject", "title")),
        (DeviceModel.objects, ("name", "name_en")),
    ):
        for row in queryset.values_list(*fields):
            values.update(value for value in row if value)
    return sorted(values, key=len, reverse=True)


def around(text: str, match: re.Match[str]) -> str:
    return " ".join(text[max(match.start() - 30, 0) : match.end() + 30].split())


def raw_codes() -> set[str]:
    """Codes that are not words a reader could expect to see as they are: the values of every
    model choice, the approval steps' and audit entries' codes in the database, the regime
    classes (EU "fsca") and the trace's holder categories."""
    from medrecall.audit.models import AuditEntry
    from medrecall.recalls.models import REGIME_CLASSES, ApprovalStep
    from medrecall.traceability.selectors import TRACE_CATEGORIES

    codes = {code for code, _english, chinese in model_choices() if code != chinese}
    codes |= set(ApprovalStep.objects.values_list("step", flat=True))
    codes |= set(AuditEntry.objects.values_list("action", flat=True))
    codes |= {code for classes in REGIME_CLASSES.values() for code, _label in classes}
    codes |= set(TRACE_CATEGORIES)
    return {code for code in codes if re.search(r"[a-z]", code)}


def english_labels() -> set[str]:
    """English labels with a Chinese translation. A language's own name stays in that language in
    the language switch ("English"); acronyms ("EU MDR") are names in Chinese text as well."""
    return {
        english
        for _code, english, chinese in model_choices()
        if english != chinese and re.search(r"[a-z]", english)
    } - {"English"}


@pytest.fixture(autouse=True)
def _english_afterwards() -> Iterator[None]:
    """The test client leaves the last request's language active in this thread."""
    yield
    translation.deactivate()


@pytest.fixture
def staff(make_user: Callable[..., User]) -> Client:
    user = make_user(Role.QA_RA_MANAGER, language="zh-hans")
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    return client


def test_collected_codes_include_the_reported_ones() -> None:
    codes = raw_codes()
    assert {
        "at_customers",
        "at_distributors",
        "own_stock",
        "hospital",
        "qa_head",
        "open",
        "breached",
        "fsca",
    } <= codes


def test_zh_pages_show_no_raw_codes(staff: Client, manager: User) -> None:
    summary = demo_build(seed=2026, scale=1)
    product = next(p for p in summary.products if p.tracking == "lot" and p.first_lot)
    serial_product = next(p for p in summary.products if p.tracking == "serial" and p.first_serial)
    model = DeviceModel.objects.get(udi_di=product.gtin)
    lots = list(
        Lot.objects.filter(device_model=model)
        .order_by("number")
        .values_list("number", flat=True)[:3]
    )
    recall = services.recall_open(
        actor=manager, title="演示召回", products=[model], reason="r", decision_at=timezone.now()
    )
    services.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=model, values=lots
    )
    services.scope_freeze(recall=recall, actor=manager)
    for regime, recall_class in (("nmpa", "I"), ("eu_mdr", "fsca")):
        services.recall_regime_add(recall=recall, regime=regime, actor=manager)
        services.recall_classify(
            recall=recall,
            regime=regime,
            recall_class=recall_class,
            actor=manager,
            reason="hazard board",
        )
    for target in ("assessment", "pending_approval"):  # the approval steps and signatures show
        services.recall_transition(recall=recall, target=target, actor=manager)
    urls = [
        "/",
        "/recalls/",
        f"/recalls/{recall.pk}/",
        "/recalls/due-this-week/",
        f"/trace/?gtin={product.gtin}&lot={lots[0]}",
        "/events/",
        "/execution/",
        f"/execution/recalls/{recall.pk}/",
        "/execution/warehouse/",
        "/execution/work-orders/",
        "/imports/",
        "/notices/templates/",
        "/notices/overdue/",
        f"/recalls/{recall.pk}/notices/",
        "/customers/",
        f"/trace/?gtin={serial_product.gtin}&serial={serial_product.first_serial}&direction=backward",
        *(f"/data/{slug}/" for slug in ENTITIES),
        *(
            f"/data/{slug}/{ENTITIES[slug].model.objects.order_by('pk').values_list('pk', flat=True)[0]}/"
            for slug in ("party", "location", "devicemodel", "lot")
        ),
    ]
    codes = {code: word(code) for code in raw_codes()}
    labels = {label: word(label) for label in english_labels()}
    found: dict[str, list[str]] = {}
    data = user_data()
    for url in urls:
        response = staff.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        for value in data:
            text = text.replace(value, " ")
        shown = sorted(
            f"{c} in '{around(text, m)}'"
            for c, pattern in codes.items()
            if (m := pattern.search(text))
        )
        shown += sorted(
            f"{label} in '{around(text, m)}'"
            for label, pattern in labels.items()
            if (m := pattern.search(text))
        )
        if shown:
            found[url] = shown
    assert found == {}, "\n".join(f"{url}: {shown}" for url, shown in found.items())
    detail = staff.get(f"/recalls/{recall.pk}/").content.decode()
    section = re.search(r'<section class="block" id="approvals">.*?</section>', detail, re.DOTALL)
    assert section is not None
    approvals = visible_text(section.group(0))
    assert "质量负责人" in approvals
    assert "法规事务负责人" in approvals
    assert "QA head" not in approvals


@pytest.mark.parametrize(("language", "latin"), [("zh-hans", "Chen Emily"), ("en", "Emily Chen")])
def test_person_names_follow_the_language(
    make_user: Callable[..., User], language: str, latin: str
) -> None:
    """Django's get_full_name printed 芳 王; a Chinese name reads family name first, no space."""
    owner = make_user(Role.QA_RA_MANAGER)
    User.objects.filter(pk=owner.pk).update(first_name="芳", last_name="王")
    colleague = make_user(Role.QA_RA_MANAGER)
    User.objects.filter(pk=colleague.pk).update(
        first_name="Emily", last_name="Chen", language=language
    )
    owner.refresh_from_db()
    colleague.refresh_from_db()
    assert (owner.get_full_name(), colleague.get_full_name()) == ("王芳", "Emily Chen")
    recall = services.recall_open(actor=owner, title="t", products=[], reason="r")
    client = Client()
    client.login(username=colleague.username, password=PASSWORD)
    page = visible_text(client.get(f"/recalls/{recall.pk}/").content.decode())
    listing = visible_text(client.get("/recalls/").content.decode())
    assert "王芳" in page
    assert "王芳" in listing
    assert latin in page  # the signed-in user, in the header
    assert "芳 王" not in page + listing


def test_exports_in_chinese_use_labels(staff: Client, manager: User) -> None:
    """The impact and trace workbooks carried party types and categories as codes."""
    import io

    from openpyxl import load_workbook

    summary = demo_build(seed=2026, scale=1, events=True)
    product = next(p for p in summary.products if p.tracking == "lot" and p.first_lot)
    model = DeviceModel.objects.get(udi_di=product.gtin)
    recall = services.recall_open(actor=manager, title="t", products=[model], reason="r")
    services.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=model, values=[product.first_lot]
    )
    services.scope_freeze(recall=recall, actor=manager)
    codes = {code: word(code) for code in raw_codes()}
    for url in (
        f"/recalls/{recall.pk}/impact.xlsx",
        f"/trace/?gtin={product.gtin}&lot={product.first_lot}&format=xlsx",
    ):
        response = staff.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.content))
        cells = [
            str(cell)
            for sheet in workbook
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if isinstance(cell, str) and sheet.title != "涉及批次"
        ]  # that sheet is GTIN and lot for machines
        assert (
            sorted(
                {
                    cell
                    for cell in cells
                    for code, pattern in codes.items()
                    if pattern.fullmatch(cell)
                }
            )
            == []
        ), url
        assert "参与方类型" in cells, url


def test_words_with_two_meanings_are_translated_by_meaning() -> None:
    """ "Open", "Done", "Opened" and "Approved" were translated once for every use."""
    from django.template import Context, Template

    from medrecall.accounts.models import SignatureMeaning
    from medrecall.execution.lifecycle import TaskStatus
    from medrecall.notices.models import NoticeStatus, TemplateStatus

    with translation.override("zh-hans"):
        statuses = [
            str(TaskStatus.OPEN.label),
            str(TaskStatus.DONE.label),
            str(NoticeStatus.OPENED.label),
            str(TemplateStatus.APPROVED.label),
            str(SignatureMeaning.APPROVED.label),
        ]
        actions = Template(
            '{% load i18n %}{% translate "Open" context "open a page" %}|{% translate "Done" context "mark a deadline met" %}|'
            '{% translate "Opened" context "date a recall was opened" %}|'
            '{% translate "Opened" context "notice read by its recipient" %}'
        ).render(Context())
    assert statuses == ["待处理", "已完成", "已打开", "已批准", "批准"]
    assert actions == "打开|标记完成|发起日期|打开时间"
