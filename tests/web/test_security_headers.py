"""Security headers on every page, and templates that keep to the Content-Security-Policy: no
inline script, event handler, style attribute or <style> block (the browser test in
tests/e2e/test_csp.py checks the pages themselves)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import medrecall
from medrecall.accounts.roles import Role

PACKAGE = Path(medrecall.__file__).parent
# Templates rendered into HTML pages (e-mail and PDF templates are not pages: they carry inline
# styles as e-mail clients and the PDF engine need, and pages show e-mails only in a sandboxed frame).
PAGE_TEMPLATES = sorted(
    p
    for p in PACKAGE.glob("*/templates/**/*.html")
    if not {"pdf", "notices"} & set(p.relative_to(PACKAGE).parts[2:-1])
    and p.relative_to(PACKAGE).parts[0] in {"web", "audit"}
)
FORBIDDEN = {
    "inline script": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE
    ),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "style block": re.compile(r"<style", re.IGNORECASE),
    "htmx inline handler": re.compile(r"\shx-on", re.IGNORECASE),
}


def test_the_page_templates_are_found():
    names = {p.name for p in PAGE_TEMPLATES}
    assert {"base.html", "recall_detail.html", "trace.html", "reply.html", "login.html"} <= names


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_inline_script_or_style_in_page_templates(template):
    text = template.read_text(encoding="utf-8")

    found = {
        kind: pattern.findall(text) for kind, pattern in FORBIDDEN.items() if pattern.search(text)
    }

    assert found == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/login/", "/", "/n/r/not-a-token/", "/api/docs/"],
    ids=["login", "home", "reply-link", "api-docs"],
)
def test_every_page_carries_the_security_headers(make_user, path):
    client = Client()
    client.force_login(make_user(Role.VIEWER))

    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}

    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_only_the_pages_showing_an_e_mail_allow_style_attributes(make_user):
    client = Client()
    client.force_login(make_user(Role.VIEWER))

    home = client.get("/").headers["Content-Security-Policy"]

    assert "unsafe-inline" not in home
    assert "style-src-attr" not in home


@pytest.mark.django_db
def test_the_swagger_page_loads_its_script_from_a_file(make_user):
    client = Client()
    client.force_login(make_user(Role.VIEWER))

    page = client.get("/api/docs/").content.decode()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert "/api/docs/?script" in page


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure_over_declared_https(settings, make_user):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    user = make_user(Role.VIEWER)
    client = Client(enforce_csrf_checks=False)

    login = client.post(
        "/login/",
        {"username": user.username, "password": "medrecall-test-pw"},
        REMOTE_ADDR="192.0.2.1",
        secure=True,
    )

    assert login.status_code == 302
    assert login.cookies["sessionid"]["secure"] is True
    assert login.cookies["sessionid"]["httponly"] is True
    assert login.cookies["sessionid"]["samesite"] == "Lax"
