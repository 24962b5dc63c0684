"""Shared fixtures: a user per role, API clients, and a headless Chromium for browser tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "medrecall-test-pw"


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    """Uploaded and generated files go to a per-test folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _audit_checkpoints(settings: Any, tmp_path: Path) -> None:
    """Audit checkpoints go to a per-test file: a rolled-back test leaves no anchor behind."""
    settings.MEDRECALL_AUDIT_CHECKPOINT_FILE = str(tmp_path / "audit-checkpoints.jsonl")


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts and ends in the default language: a request by a user whose saved
    language is Chinese activates it for the thread (Django's locale handling does not restore
    it), which must not change the messages of the next test on the same worker."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@contextlib.contextmanager
def restored_signal_handlers() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGQUIT handled on leaving as on entering."""
    stop_signals = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
    handlers = {sig: signal.getsignal(sig) for sig in stop_signals}
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            if signal.getsignal(sig) is not handler:
                signal.signal(sig, handler)


@pytest.fixture(autouse=True)
def _signal_handlers() -> Iterator[None]:
    """A test that runs the task worker in-process leaves the worker's SIGINT/SIGTERM handlers
    behind (they only note the signal): pytest would then outlive Ctrl-C and a CI time-out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with restored_signal_handlers():
        yield


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Rate-limit counters start at zero in every test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    """``make_user(role, party=None, language="")``: a user in one role group."""
    counter = iter(range(1, 10_000))

    def make(
        role: str = Role.VIEWER, *, party: Any = None, language: str = "", username: str = ""
    ) -> User:
        user = User.objects.create_user(
            username=username or f"{role}-{next(counter)}",
            password=PASSWORD,
            party=party,
            language=language,
            email=f"{role}@example.com",
        )
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.QA_RA_MANAGER)


@pytest.fixture
def analyst(make_user: Callable[..., User]) -> User:
    return make_user(Role.TRACEABILITY_ANALYST)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def api_as(api_client: APIClient) -> Callable[[User | None], APIClient]:
    def login(user: User | None) -> APIClient:
        api_client.force_authenticate(user=user)
        return api_client

    return login


class Bilingual:
    """A party named differently in Chinese and in English, and pages read in one language:
    the set-up every "names a party in the reader's language" test shares (``bilingual``)."""

    LANGUAGES = ("en", "zh-hans")

    @staticmethod
    def name(party: Any, *, zh: str, en: str) -> None:
        """Give ``party`` (a Party or its code) the Chinese name ``zh`` and English ``en``."""
        from medrecall.parties.models import Party

        code = party if isinstance(party, str) else party.code
        assert Party.objects.filter(code=code).update(name=zh, name_en=en) == 1, code

    @staticmethod
    def client(user: User, language: str) -> Any:
        """A browser logged in as ``user`` that reads pages in ``language`` (the cookie)."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client

    @classmethod
    def page(cls, who: Any, language: str, url: str, *, data: dict[str, str] | None = None) -> str:
        """The page at ``url`` in ``language`` (``who``: a user, or a client from ``client``),
        its entities unescaped; ``data``: posted (a confirm step) instead of asked for."""
        import html

        from django.conf import settings
        from django.utils import translation

        client = cls.client(who, language) if isinstance(who, User) else who
        with translation.override(settings.LANGUAGE_CODE):  # the request's language ends with it
            answer = client.get(url) if data is None else client.post(url, data)
        assert answer.status_code == 200, url
        return html.unescape(answer.content.decode())

    @staticmethod
    def other(language: str) -> str:
        return "zh-hans" if language == "en" else "en"


@pytest.fixture
def bilingual() -> Bilingual:
    """See ``Bilingual``: ``bilingual.name(party, zh=..., en=...)``, ``bilingual.page(user,
    language, url)``, ``bilingual.other(language)``."""
    return Bilingual()


def fixture_path(*parts: str) -> Path:
    return Path(__file__).parent / "fixtures" / Path(*parts)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser).

    Missing Chromium skips browser tests on a newcomer's machine; CI sets
    ``MEDRECALL_REQUIRE_BROWSER=1`` and then a missing browser is a failure.
    """
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        if os.environ.get("MEDRECALL_REQUIRE_BROWSER"):
            pytest.fail(
                "Chromium is required (MEDRECALL_REQUIRE_BROWSER=1) but /usr/bin/chromium is missing."
            )
        pytest.skip("Chromium is not installed: apt-get install chromium fonts-noto-cjk")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


class _Inbox:
    """Messages received by the test SMTP server."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        from email import message_from_bytes, policy

        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings: Any) -> Iterator[_Inbox]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd); Django's SMTP backend talks to it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    try:
        yield inbox
    finally:
        controller.stop()
