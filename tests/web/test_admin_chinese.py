"""The admin in Chinese names every app and model in Chinese, also the third-party ones (the
log-in lock-outs of django-axes, the task results of django-tasks, the API tokens of DRF),
which showed "AXES", "Task Results", … on a Chinese admin index."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.admin import site
from django.test import Client

from medrecall.accounts.models import User

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def _labels(page: str) -> list[str]:
    """The app captions and model names of the admin index."""
    apps = re.findall(r'<a href="[^"]*" class="section"[^>]*>(.*?)</a>', page)
    models = re.findall(r'<th scope="row"[^>]*>\s*<a href="[^"]*"[^>]*>(.*?)</a>', page)
    return [html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in apps + models]


def test_chinese_admin_index_names_every_app_and_model_in_chinese() -> None:
    admin = User.objects.create_superuser("root", "root@example.com", "pw-0123456789")
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(admin)

    page = client.get("/admin/").content.decode()

    labels = _labels(page)
    assert len(labels) > 20
    english = [label for label in labels if not CJK.search(label)]
    assert english == [], english  # "Approval steps" was left: recalls.ApprovalStep had none
    for chinese in ("登录锁定", "后台任务", "登录尝试", "任务结果"):
        assert chinese in labels


def test_every_model_page_of_the_chinese_admin_has_a_chinese_title() -> None:
    """Each model the admin index lists, opened: its page's title and heading name it in
    Chinese (the index alone would not show a model named in English on its own page)."""
    admin = User.objects.create_superuser("root", "root@example.com", "pw-0123456789")
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(admin)
    index = client.get("/admin/").content.decode()
    # The model pages of the index. django-rq (with Redis) registers its queue dashboard as a
    # stand-in model: a third-party page in English throughout ("Queues"), not a model's title.
    models = {
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for model in site._registry
        if model._meta.app_label != "django_rq"
    }
    links = sorted(
        link
        for link in set(re.findall(r'<th scope="row"[^>]*>\s*<a href="(/admin/[^"]+/)"', index))
        if link in models
    )
    assert len(links) > 20
    english = []
    for link in links:
        page = client.get(link).content.decode()
        found = re.search(r"<title>(.*?)</title>", page, re.S)
        assert found is not None, link
        name = html.unescape(found.group(1)).split("|")[0].strip()  # "选择 审批步骤 来修改"
        if not CJK.search(name) or re.search(r"[A-Za-z]", name):
            english.append((link, name))
    assert english == [], english
