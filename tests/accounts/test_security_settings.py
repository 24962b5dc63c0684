"""The security settings as a deployment gets them from its environment (base settings, read
in a fresh process), and the shared cache that rate limits count in across processes."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from medrecall.settings import base


def _settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], *names: str
) -> dict[str, object]:
    """The base settings module executed afresh (not the running one) under ``env``."""
    for name in list(os.environ):
        if name in {"REDIS_URL", "DATABASE_URL"} or name.startswith(
            ("MEDRECALL_", "SESSION_", "CSRF_", "SECURE_")
        ):
            monkeypatch.delenv(name)
    for name, value in (env | {"MEDRECALL_DATA_DIR": str(tmp_path)}).items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("medrecall.settings.fresh_base", base.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: getattr(module, name, None) for name in names}


HTTPS_NAMES = (
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_HTTPONLY",
)


def test_plain_http_by_default_with_safe_headers(monkeypatch, tmp_path):
    assert _settings(monkeypatch, tmp_path, {}, *HTTPS_NAMES) == {
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "SESSION_COOKIE_HTTPONLY": True,
    }


def test_declared_https_behind_a_proxy(monkeypatch, tmp_path):
    assert _settings(
        monkeypatch,
        tmp_path,
        {"MEDRECALL_HTTPS": "1", "MEDRECALL_PROXY_SSL_HEADER": "1"},
        *HTTPS_NAMES,
    ) == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "SESSION_COOKIE_HTTPONLY": True,
    }


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {},
            {
                "MEDRECALL_SESSION_IDLE_MINUTES": 30,
                "MEDRECALL_SESSION_MAX_HOURS": 8,
                "SESSION_COOKIE_AGE": 28800,
                "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
                "AXES_FAILURE_LIMIT": 5,
                "AXES_COOLOFF_TIME": timedelta(minutes=30),
            },
        ),
        (
            {
                "MEDRECALL_SESSION_IDLE_MINUTES": "15",
                "MEDRECALL_SESSION_MAX_HOURS": "12",
                "MEDRECALL_LOGIN_FAILURE_LIMIT": "3",
                "MEDRECALL_LOGIN_COOLOFF_MINUTES": "0",
            },
            {
                "MEDRECALL_SESSION_IDLE_MINUTES": 15,
                "MEDRECALL_SESSION_MAX_HOURS": 12,
                "SESSION_COOKIE_AGE": 43200,
                "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
                "AXES_FAILURE_LIMIT": 3,
                "AXES_COOLOFF_TIME": None,
            },
        ),
    ],
    ids=["defaults", "from-the-environment"],
)
def test_session_and_lockout_limits(monkeypatch, tmp_path, env, expected):
    assert _settings(monkeypatch, tmp_path, env, *expected) == expected


def test_the_cache_is_shared_files_in_the_data_dir_or_redis(monkeypatch, tmp_path):
    embedded = _settings(monkeypatch, tmp_path, {}, "CACHES")["CACHES"]
    redis = _settings(monkeypatch, tmp_path, {"REDIS_URL": "redis://127.0.0.1:56379/5"}, "CACHES")[
        "CACHES"
    ]

    assert embedded == {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
    assert redis == {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:56379/5",
            "KEY_PREFIX": "medrecall",
        }
    }


HIT = """
import django
django.setup()
from django.test import RequestFactory
from medrecall.web.reply_views import notice_opened
statuses = [notice_opened(RequestFactory().get("/n/o/tok.gif", REMOTE_ADDR=f"203.0.113.{{n}}"), "tok").status_code
            for n in range({count})]
print(statuses)
"""


def test_rate_limits_count_across_processes(tmp_path):
    """Two processes on the embedded default (no Redis) share the file cache in the data dir:
    the second process is refused once the link's count, begun by the first, is used up."""
    environ = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}} | {
        "DJANGO_SETTINGS_MODULE": "medrecall.settings.base",
        "MEDRECALL_DATA_DIR": str(tmp_path),
        "MEDRECALL_REPLY_RATE_PER_LINK": "3/h",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}",
    }

    def run(count: int) -> str:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-c", HIT.format(count=count)],
            env=environ,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip().splitlines()[-1]

    assert run(2) == "[200, 200]"
    assert run(2) == "[200, 429]"
