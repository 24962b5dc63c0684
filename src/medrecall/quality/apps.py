"""The quality loop: complaints and adverse events, root causes and CAPA, early-warning signals."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "medrecall.quality"
    label = "quality"
    verbose_name = _("Quality")

    def ready(self) -> None:
        """Register what quality adds to the lower contexts' registries (docs/architecture.md,
        "Registries")."""
        from medrecall.core.registry import IMPORTERS, ImporterKind, Lazy
        from medrecall.recalls.hooks import CLOSURE_CHECKS, SCOPE_HOOKS

        CLOSURE_CHECKS.register("quality.capa", Lazy("medrecall.quality.closure.closure_findings"))
        SCOPE_HOOKS.register(
            "quality.complaints",
            Lazy("medrecall.quality.complaints.complaints_link_to_frozen_scope"),
        )
        IMPORTERS.register(
            "complaints",
            ImporterKind(
                "medrecall.quality.importers.ComplaintImporter",
                label=_("Complaints"),
                permission="quality.change_complaint",  # staff only: portal users may not import
            ),
        )
