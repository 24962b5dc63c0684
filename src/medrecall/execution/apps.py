from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExecutionConfig(AppConfig):
    name = "medrecall.execution"
    label = "execution"
    verbose_name = _("Execution")

    def ready(self) -> None:
        """Register what execution adds to the lower contexts' registries (docs/architecture.md,
        "Registries")."""
        from medrecall.core.registry import Lazy
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
        # Lazy: the accounting selectors and the holders' code (with notices' sending, which it
        # calls) are not needed to start a command that never closes, merges or shows a timeline.
        CLOSURE_CHECKS.register(
            "execution.accounting", Lazy("medrecall.execution.closure.closure_findings")
        )
        BASELINE_HOOKS.register("execution.handled", baseline.handled_units)
        MERGE_STEPS.register("execution", Lazy("medrecall.execution.holders.on_party_merge"))
        TIMELINE_SOURCES.register("execution", Lazy("medrecall.execution.holders.timeline_entries"))
