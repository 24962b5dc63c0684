"""A served instance signs reply links with its own generated key, never the built-in one.

The instance is a real ``medrecall runserver`` process on the production settings, started
without ``SECRET_KEY`` in a fresh data directory, on the same (test) database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.core import signing

from medrecall.notices import issuing
from medrecall.notices.links import SALTS
from medrecall.notices.models import Kind, Notice
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from medrecall.settings import secret
from tests.notices.test_kill import _database_url

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own http:// server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _serve(data_dir: Path, media: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "MEDRECALL_SECRET_KEY_FILE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="medrecall.settings.base",
        DATABASE_URL=_database_url(),
        MEDRECALL_DATA_DIR=str(data_dir),
        MEDIA_ROOT=media,
        MEDRECALL_TASK_BACKEND="immediate",
    )
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "medrecall.cli", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    while server.poll() is None:
        try:
            _get(f"{base}/healthz")
            return server, base
        except OSError:
            time.sleep(0.2)
    raise AssertionError(server.stderr.read().decode() if server.stderr else "the server stopped")


def test_a_reply_link_signed_with_the_built_in_key_is_refused_by_a_served_instance(
    recall: RecallCase, settings: Any, tmp_path: Path
) -> None:
    dist = Party.objects.get(code="DIST")
    [notice_id, *_] = issuing.notices_create(
        recall=recall, run=None, kind=Kind.INITIAL, party_ids=[dist.pk]
    )
    notice = Notice.objects.get(pk=notice_id)
    payload = {"n": notice.pk, "k": notice.token_nonce}
    data_dir = tmp_path / "data"
    server, base = _serve(data_dir, str(settings.MEDIA_ROOT))
    try:
        key_file = data_dir / "secret.key"
        generated = key_file.read_text().strip()
        forged = signing.dumps(payload, key=secret.BUILT_IN, salt=SALTS["reply"], compress=True)
        genuine = signing.dumps(payload, key=generated, salt=SALTS["reply"], compress=True)

        status, body = _get(f"{base}/n/r/{forged}/")
        assert status == 404
        assert "This link is not valid" in body
        status, body = _get(f"{base}/n/r/{genuine}/")
        assert status == 200
        assert notice.recall.number in body
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(generated) >= 80
    assert generated != secret.BUILT_IN
