"""Browser: a holder opens the reply link from their e-mail (no account), reports what they
hold and whom they passed units on to, and signs; the manager then sees the reply and the
new holder as a scope addition, who gets their own notice."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.notices import send_runs
from medrecall.notices.models import Notice, Reply, SubConsignee
from tests.e2e.test_browser import log_in
from tests.notices.conftest import approved_recall, work_off_queue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPLY_LINK = re.compile(r'href="([^"]*/n/r/[^"]+)"')


def test_holder_replies_through_the_link_and_the_manager_sees_the_scope_addition(
    browser: Any,
    page: Any,
    live_server: Any,
    settings: Any,
    smtp: Any,
    manager: User,
    make_user: Callable[..., User],
    tmp_path: Path,
) -> None:
    settings.MEDRECALL_BASE_URL = live_server.url
    recall = approved_recall(tmp_path, manager, make_user)
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    mail = next(message for rcpt, message in smtp.messages if rcpt == ["chen@sub.example"])
    link = REPLY_LINK.search(mail.get_body(("html",)).get_content())
    assert link is not None
    assert link.group(1).startswith(f"{live_server.url}/n/r/")

    holder = browser.new_context(locale="zh-CN")  # no log-in: the link is the key
    try:
        form = holder.new_page()
        form.set_default_timeout(15_000)
        form.goto(link.group(1))
        form.fill("input[data-lot=C1][data-field=on_hand]", "60")
        form.fill("input[data-lot=C1][data-field=to_return]", "60")
        form.fill("input[data-lot=C1][data-field=distributed]", "40")
        form.fill("input[name=sc-0-name]", "深圳市第二人民医院")
        form.fill("input[name=sc-0-country]", "中国")
        form.fill("input[name=sc-0-city]", "深圳")
        form.fill("input[name=sc-0-address]", "笋岗西路3002号")
        form.fill("input[name=sc-0-contact_name]", "李医生")
        form.fill("input[name=sc-0-email]", "li@sz2.example")
        form.select_option("select[name=sc-0-lot]", "C1")
        form.fill("input[name=sc-0-quantity]", "40")
        form.check("input[name=read_and_understood]")
        form.fill("#respondent-name", "陈杰")
        form.click("#submit-reply")
        form.wait_for_selector("#reply-received")
        assert "陈杰" in form.locator("#reply-received").inner_text()
    finally:
        holder.close()

    reply = Reply.objects.get()
    assert (reply.party.code, reply.via, reply.respondent_name) == ("SUB", "link", "陈杰")
    addition = SubConsignee.objects.get()
    assert (addition.party.name, addition.party.country, addition.quantity) == (
        "深圳市第二人民医院",
        "CN",
        40,
    )

    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/recalls/{recall.pk}/")
    page.click("#recall-notices-link")
    page.wait_for_selector("#replies")
    assert "陈杰" in page.locator("#replies").inner_text()
    additions = page.locator("#scope-additions").inner_text()
    assert "深圳市第二人民医院" in additions
    assert "C1" in additions
    assert "40" in additions

    work_off_queue()  # the run for the sub-consignee the reply started
    page.reload()
    assert "深圳市第二人民医院" in page.locator("#notice-list").inner_text()
    new_notice = Notice.objects.get(party=addition.party)
    assert (new_notice.email, new_notice.status, new_notice.total_units) == (
        "li@sz2.example",
        "sent",
        40,
    )
    assert [rcpt for rcpt, _message in smtp.messages].count(["li@sz2.example"]) == 1
    page.wait_for_selector('[data-run-status="done"]')
    assert page.locator("[data-run-status]").count() == 2
