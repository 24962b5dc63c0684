from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from medrecall.core.types import Actor
    from medrecall.notices.selectors import TimelineEntry
    from medrecall.parties.models import Party
    from medrecall.recalls.hooks import Finding
    from medrecall.recalls.models import RecallCase


# The hooks below import their module when they first run: the accounting selectors and the
# holders' code (with notices' services, which it calls) are not needed to start a command.
def _closure_findings(recall: "RecallCase") -> "list[Finding]":
    from .closure import closure_findings

    return closure_findings(recall)


def _merge_holders(source: "Party", target: "Party", actor: "Actor") -> dict[str, Any]:
    from .holders import on_party_merge

    return on_party_merge(source, target, actor)


def _timeline_entries(party_id: int) -> "list[TimelineEntry]":
    from .holders import timeline_entries

    return timeline_entries(party_id)


class ExecutionConfig(AppConfig):
    name = "medrecall.execution"
    label = "execution"
    verbose_name = _("Execution")

    def ready(self) -> None:
        """Register what execution adds to the lower contexts' registries (docs/architecture.md,
        "Registries")."""
        from medrecall.notices.selectors import TIMELINE_SOURCES
        from medrecall.parties.services import MERGE_STEPS
        from medrecall.recalls.hooks import (
            BASELINE_HOOKS,
            CLOSURE_CHECKS,
            SCOPE_HOOKS,
            TRANSITION_HOOKS,
        )
        from medrecall.traceability.custody import GUARDS

        from . import baseline, holds

        GUARDS.register(holds.HOLD_GUARD.code, holds.HOLD_GUARD)
        GUARDS.register(holds.QUARANTINE_GUARD.code, holds.QUARANTINE_GUARD)
        TRANSITION_HOOKS.register("execution.holds", holds.on_recall_transition)
        SCOPE_HOOKS.register("execution.holds", holds.on_scope_frozen)
        CLOSURE_CHECKS.register("execution.accounting", _closure_findings)
        BASELINE_HOOKS.register("execution.handled", baseline.handled_units)
        MERGE_STEPS.register("execution", _merge_holders)
        TIMELINE_SOURCES.register("execution", _timeline_entries)
