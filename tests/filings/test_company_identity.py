"""The company's identifiers the filings print, set from the product (Administration →
Company, the API, ``medrecall company``) rather than only by environment variable: the 806
report's check says where to set the registration number, and passes once it is set there."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from medrecall.accounts.company import company_identity
from medrecall.accounts.models import CompanyIdentity, User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.filings import services
from medrecall.recalls.models import RecallCase
from tests.filings.conftest import REPORT_806_SECTIONS

NOT_SET = (
    "The firm's FDA establishment registration number is not set: the report number needs it. "
    "Set it under Administration → Company."
)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _report_problems(recall: RecallCase, actor: User) -> list[str]:
    filing = services.filing_generate(recall=recall, doc_type="fda.report_806", actor=actor)
    filing = services.filing_enter(filing=filing, actor=actor, sections=REPORT_806_SECTIONS)
    return services.filing_problems(filing)


def test_the_806_check_says_where_to_set_the_number_and_passes_once_set_there(
    fda_recall: RecallCase, manager: User, settings
) -> None:
    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "fda_registration": ""}
    assert NOT_SET in _report_problems(fda_recall, manager)

    answer = _client(manager).post("/company/", {"fda_registration": " 3009876543 "})

    assert answer.status_code == 302
    assert company_identity()["fda_registration"] == "3009876543"
    assert NOT_SET not in _report_problems(fda_recall, manager)
    entry = AuditEntry.objects.get(action="accounts.company_identity_changed")
    assert entry.changes == {"fda_registration": ["", "3009876543"]}


GENERATE_AGAIN = (
    "The firm's FDA establishment registration number was not set when this version was "
    "generated: it is set now — generate the document again."
)


def test_a_version_generated_before_the_number_was_set_says_to_generate_again(
    fda_recall: RecallCase, manager: User, settings
) -> None:
    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "fda_registration": ""}
    filing = services.filing_generate(recall=fda_recall, doc_type="fda.report_806", actor=manager)
    filing = services.filing_enter(filing=filing, actor=manager, sections=REPORT_806_SECTIONS)

    _client(manager).post("/company/", {"fda_registration": "3009876543"})
    found = services.filing_problems(filing)

    assert GENERATE_AGAIN in found
    assert NOT_SET not in found
    with translation.override("zh-hans"):
        from medrecall.filings.documents import _fda_registration

        assert _fda_registration({"registration": ""}) == [
            "生成此版本时尚未设置企业的 FDA 注册号（establishment registration number）："
            "现已设置，请重新生成文件。"
        ]


def test_the_message_in_chinese_names_the_page_too(db: None, settings) -> None:
    from medrecall.filings.documents import _fda_registration

    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "fda_registration": ""}

    with translation.override("zh-hans"):
        found = _fda_registration({"registration": ""})
    assert found == [
        "未设置企业的 FDA 注册号（establishment registration number）：报告编号需要它。"
        "请在“系统管理 → 公司信息”中设置。"
    ]


def test_a_number_that_is_not_7_to_10_digits_is_refused_and_nothing_is_stored(
    manager: User,
) -> None:
    page = _client(manager).post("/company/", {"fda_registration": "FEI-12"}, follow=True)

    assert "The FDA establishment registration number is 7 to 10 digits" in page.content.decode()
    assert not CompanyIdentity.objects.exists()
    assert not AuditEntry.objects.filter(action="accounts.company_identity_changed").exists()


@pytest.mark.parametrize(
    ("role", "get", "post"),
    [
        pytest.param(Role.QA_RA_MANAGER, 200, 302, id="qa_ra"),
        pytest.param(Role.ADMINISTRATOR, 200, 302, id="administrator"),
        pytest.param(Role.VIEWER, 403, 403, id="viewer"),
        pytest.param(Role.CUSTOMER_SERVICE, 403, 403, id="customer_service"),
    ],
)
def test_who_sees_and_who_changes_the_company_page(
    make_user: Callable[..., User], role: str, get: int, post: int
) -> None:
    client = _client(make_user(role))
    assert client.get("/company/").status_code == get
    assert client.post("/company/", {"srn": "CN-MF-000000001"}).status_code == post
    assert CompanyIdentity.objects.exists() == (post == 302)


def test_the_api_reads_and_changes_the_identifiers(
    manager: User, make_user: Callable[..., User], api_as: Callable[[User | None], APIClient]
) -> None:
    client = api_as(manager)
    changed = client.patch("/api/company/", {"srn": "CN-MF-000000001"}, format="json")
    assert (changed.status_code, changed.json()["srn"]) == (200, "CN-MF-000000001")
    assert client.get("/api/company/").json()["srn"] == "CN-MF-000000001"
    assert api_as(make_user(Role.VIEWER)).get("/api/company/").status_code == 403


def test_the_command_sets_and_shows_the_identifiers(
    manager: User, make_user: Callable[..., User]
) -> None:
    out = StringIO()
    call_command(
        "company",
        "set",
        "--fda-registration",
        "3001112223",
        "--user",
        manager.username,
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["fda_registration"] == "3001112223"
    with pytest.raises(CommandError, match="may not change"):
        call_command("company", "set", "--srn", "X", "--user", make_user(Role.VIEWER).username)
    shown = StringIO()
    call_command("company", "show", "--json", stdout=shown)
    assert json.loads(shown.getvalue())["fda_registration"] == "3001112223"
