"""``medrecall audit verify|checkpoint``: check the hash chain against its checkpoints, or
anchor the current head now."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.utils.translation import gettext as _

from medrecall.audit import anchors
from medrecall.audit.models import AuditEntry
from medrecall.audit.services import checkpoint_write, verify_chain
from medrecall.cli.command import ProductCommand


class Command(ProductCommand):
    help = (
        "Audit trail tools. 'verify' checks the keyed hash chain and the signed checkpoints (exit 1 at "
        "the first tampered, missing or truncated entry) and then anchors the head; 'checkpoint' "
        "anchors the head now."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = self.subcommands(parser, dest="action")
        actions.add(
            "verify",
            self._verify,
            help="Check the chain and its checkpoints, then anchor the head.",
        )
        actions.add("checkpoint", self._checkpoint, help="Anchor the head now.")

    def _verify(self, options: dict[str, Any]) -> None:
        broken = verify_chain()
        total = AuditEntry.objects.count()
        if broken is None:
            self.stdout.write(f"Audit chain intact: {total} entries verified.")
            self._checkpoint(options)
            return
        self.stdout.write(
            f"Audit chain BROKEN at entry #{broken.sequence} ({broken.problem}); "
            f"{total} entries in the log."
        )
        sys.exit(1)

    def _checkpoint(self, options: dict[str, Any]) -> None:
        written = checkpoint_write()
        if written is None:
            self.stdout.write(_("The audit log is empty: nothing to anchor."))
        else:
            self.stdout.write(
                _("Checkpoint written at entry #%(sequence)s to %(path)s.")
                % {"sequence": written.sequence, "path": anchors.checkpoint_path()}
            )
