"""``medrecall finance …``: Budget, forecast, alerts and cost reports."""

from __future__ import annotations

from medrecall.cli.command import Subcommands


def declare(areas: Subcommands) -> None:
    """Add this area's subcommands to ``medrecall finance``."""
