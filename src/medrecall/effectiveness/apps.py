from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EffectivenessConfig(AppConfig):
    name = "medrecall.effectiveness"
    label = "effectiveness"
    verbose_name = _("Effectiveness checks")

    def ready(self) -> None:
        """Register what effectiveness adds to the lower contexts' registries
        (docs/architecture.md, "Registries")."""
        from medrecall.core.registry import Lazy
        from medrecall.execution.hooks import AFTER_COMMIT
        from medrecall.recalls.hooks import AT_HOLDERS_EXCUSED, CLOSURE_CHECKS, TRANSITION_HOOKS

        CLOSURE_CHECKS.register(
            "effectiveness.criteria", Lazy("medrecall.effectiveness.closure.closure_findings")
        )
        AT_HOLDERS_EXCUSED.register(
            "effectiveness.unit_exceptions",
            Lazy("medrecall.effectiveness.selectors.excepted_at_holders"),
        )
        TRANSITION_HOOKS.register(
            "effectiveness.transition", Lazy("medrecall.effectiveness.closure.on_recall_transition")
        )
        AFTER_COMMIT.register(
            "effectiveness.completion", Lazy("medrecall.effectiveness.completion.on_happened")
        )
