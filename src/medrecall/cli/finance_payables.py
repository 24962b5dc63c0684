"""``medrecall finance …``: Vendor quotes and the vendor scorecard; refunds, compensation, payments and the AP export."""

from __future__ import annotations

from medrecall.cli.command import Subcommands


def declare(areas: Subcommands) -> None:
    """Add this area's subcommands to ``medrecall finance``."""
