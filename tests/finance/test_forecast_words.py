"""A forecast term that cannot be priced says why in one sentence in either language:
"unknown: no exchange rate for USD" / "未知：缺少 USD 的汇率" — not the label "Missing" glued to a
reason that already says "missing" ("缺少： 缺少 USD 的汇率")."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance import budgets
from medrecall.recalls.models import RecallCase
from tests.execution.conftest import approve, open_recall, world  # noqa: F401
from tests.finance.test_forecast import hospital_return_and_distributor_work_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE)


@pytest.fixture
def recall(world: object, manager: User, make_user: Callable[..., User]) -> RecallCase:  # noqa: F811
    """The forecast's small recall with an open work order priced in USD and no USD rate."""
    found = approve(open_recall(manager), make_user)
    hospital_return_and_distributor_work_order(found, manager)
    return found


def reader(user: User, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.parametrize(
    ("language", "shown", "header"),
    [
        ("en", "unknown: no exchange rate for USD", "Why unknown"),
        ("zh-hans", "未知：缺少 USD 的汇率", "未知原因"),
    ],
)
def test_an_unpriced_term_says_why_once(
    finance: User, recall: RecallCase, language: str, shown: str, header: str
) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="20000", planned_disposition="repair")
    client = reader(finance, language)
    with translation.override(settings.LANGUAGE_CODE):  # the request's language ends with it
        text = html.unescape(client.get(f"/finance/recalls/{recall.pk}/budget/").content.decode())
        book = client.get(f"/finance/recalls/{recall.pk}/report.xlsx")
    section = text.split('id="forecast"', 1)[1].split("</section>", 1)[0]
    row = next(
        r for r in re.findall(r"<tr class=\"unknown\">(.*?)</tr>", section) if "广州服务队" in r
    )
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[2] == f"<mark>{shown}</mark>"
    assert cells[3] == "1 × 2.50 h × 20.00 + 2 × 30.6 km × 0.50 USD".replace(
        " h ", " 小时 " if language == "zh-hans" else " h "
    )
    assert "缺少： 缺少" not in text
    assert "Missing:" not in text
    sheet = load_workbook(io.BytesIO(book.content))["Forecast" if language == "en" else "预测"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][-1] == header
    reason = "no exchange rate for USD" if language == "en" else "缺少 USD 的汇率"
    assert [r[-1] for r in rows if r[1] and "广州服务队" in r[1]] == [reason]
