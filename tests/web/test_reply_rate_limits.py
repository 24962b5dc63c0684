"""Reply links (no log-in) are rate limited per link and per client address, GET and POST, with a
translated 429 page; a refused request runs nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from medrecall.audit.models import AuditEntry
from medrecall.notices import links
from medrecall.notices.models import Reply
from medrecall.web.reply_views import _rate_window
from tests.notices.conftest import recall  # noqa: F401 - fixture
from tests.notices.test_replies import key_of, notice_of, sent  # noqa: F401 - fixture


def _get(client: Client, path: str, address: str = "198.51.100.7"):
    return client.get(path, REMOTE_ADDR=address)


@pytest.fixture
def low_limits(settings):
    settings.MEDRECALL_REPLY_RATE_PER_LINK = "3/10m"
    settings.MEDRECALL_REPLY_RATE_PER_ADDRESS = "5/10m"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/n/r/{t}/", "/n/r/{t}/notice.pdf", "/n/s/{t}/", "/n/o/{t}.gif"],
    ids=["reply", "pdf", "survey", "open-pixel"],
)
def test_one_link_answers_up_to_its_limit_then_429(low_limits, path):
    client = Client()
    link = path.format(t="tok-A")

    answers = [_get(client, link, address=f"203.0.113.{n}").status_code for n in range(5)]

    assert 429 not in answers[:3]
    assert answers[3:] == [429, 429]
    other_link = _get(client, path.format(t="tok-B"), address="203.0.113.99")
    assert other_link.status_code != 429


@pytest.mark.django_db
def test_post_and_get_count_together_per_link(low_limits):
    client = Client()
    client.get("/n/r/tok-A/", REMOTE_ADDR="203.0.113.1")
    client.post("/n/r/tok-A/", {}, REMOTE_ADDR="203.0.113.2")
    client.post("/n/r/tok-A/acknowledge/", {}, REMOTE_ADDR="203.0.113.3")

    refused = client.post("/n/r/tok-A/", {}, REMOTE_ADDR="203.0.113.4")

    assert refused.status_code == 429


@pytest.mark.django_db
def test_one_address_answers_up_to_its_limit_over_all_links(low_limits):
    client = Client()

    answers = [_get(client, f"/n/r/tok-{n}/").status_code for n in range(7)]

    assert 429 not in answers[:5]
    assert answers[5:] == [429, 429]
    assert _get(client, "/n/r/tok-x/", address="192.0.2.50").status_code != 429


@pytest.mark.django_db
def test_the_429_page_is_translated_and_says_when_to_come_back(low_limits):
    client = Client()
    client.cookies["medrecall_language"] = "zh-hans"
    for _ in range(3):
        _get(client, "/n/r/tok-A/")

    refused = _get(client, "/n/r/tok-A/")

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "600"
    body = refused.content.decode()
    assert "此链接的请求过于频繁，请等待 10 分钟后再试。" in body
    assert "Traceback" not in body


@pytest.mark.django_db
def test_the_default_limits_are_the_documented_ones(settings):
    assert (settings.MEDRECALL_REPLY_RATE_PER_LINK, settings.MEDRECALL_REPLY_RATE_PER_ADDRESS) == (
        "60/10m",
        "300/10m",
    )
    client = Client()

    answers = [_get(client, "/n/r/tok-A/").status_code for _ in range(61)]

    assert 429 not in answers[:60]
    assert answers[60] == 429


@pytest.mark.parametrize(
    ("rate", "seconds"),
    [("60/10m", 600), ("5/m", 60), ("100/h", 3600), ("1/2d", 172800), ("10/30s", 30)],
)
def test_the_wait_is_the_rate_window(rate, seconds):
    assert _rate_window(rate) == seconds


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sent")
def test_a_refused_reply_records_nothing(settings):
    """Over the link's limit a complete, valid reply is refused and nothing is written."""
    settings.MEDRECALL_REPLY_RATE_PER_LINK = "2/10m"
    notice = notice_of("SUB")
    path = links.reply_path(notice)
    key = key_of(notice)
    client = Client()
    client.get(path)
    client.get(path)
    replies_before, audit_before = Reply.objects.count(), AuditEntry.objects.count()

    refused = client.post(path, {f"q-{key}-on_hand": "200", "respondent_name": "Chen"})

    assert refused.status_code == 429
    assert (Reply.objects.count(), AuditEntry.objects.count()) == (replies_before, audit_before)
