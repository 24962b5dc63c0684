"""``medrecall audit verify``: recompute the audit hash chain and name the first bad entry."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from medrecall.audit.models import AuditEntry
from medrecall.audit.services import verify_chain


class Command(BaseCommand):
    help = "Audit trail tools. 'verify' checks the hash chain (exit 1 at the first tampered entry)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        broken = verify_chain()
        total = AuditEntry.objects.count()
        if broken is None:
            self.stdout.write(f"Audit chain intact: {total} entries verified.")
            return
        self.stdout.write(f"Audit chain BROKEN at entry #{broken.sequence} ({broken.problem}); "
                          f"{total} entries in the log.")
        sys.exit(1)
