"""``medrecall finance …``: The ledger: entries, reversals, exchange rates, disposition costs and provider rates."""

from __future__ import annotations

from medrecall.cli.command import Subcommands


def declare(areas: Subcommands) -> None:
    """Add this area's subcommands to ``medrecall finance``."""
