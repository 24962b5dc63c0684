"""``medrecall mailcatcher [--port 1025] [--folder DIR]``: a real SMTP server on 127.0.0.1 that
keeps every message it accepts as an ``.eml`` file instead of delivering it.

The embedded default (``scripts/bootstrap.py serve``) starts it when no ``EMAIL_HOST`` is set,
so notices, reminders and alerts really go through SMTP on a machine without a mail server;
open the files with any mail program. In production point ``EMAIL_HOST`` at the real server.
"""

from __future__ import annotations

import asyncio
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings

from medrecall.cli.command import ProductCommand


class _Keep:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        self.count += 1
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{self.count:06d}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message kept"


class Command(ProductCommand):
    help = "Run a local SMTP server that keeps every message as a file (for the embedded default and demos)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=int(getattr(settings, "EMAIL_PORT", 1025)))
        parser.add_argument("--folder", default=str(Path(settings.MEDIA_ROOT).parent / "mail"))

    def handle(self, *args: Any, **options: Any) -> None:
        from aiosmtpd.controller import Controller

        folder = Path(options["folder"])
        folder.mkdir(parents=True, exist_ok=True)
        controller = Controller(_Keep(folder), hostname="127.0.0.1", port=options["port"])
        controller.start()
        self.stdout.write(
            f"Keeping mail sent to 127.0.0.1:{options['port']} in {folder} (Ctrl-C stops)."
        )
        try:
            asyncio.run(asyncio.Event().wait())
        finally:
            controller.stop()
