from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntelligenceConfig(AppConfig):
    name = "medrecall.intelligence"
    label = "intelligence"
    verbose_name = _("Recall intelligence")

    def ready(self) -> None:
        from medrecall.core.registry import IMPORTERS, ImporterKind

        IMPORTERS.register(
            "fda-recalls",
            ImporterKind(
                "medrecall.intelligence.importers.FdaRecallImporter",
                label=_("FDA device recalls (openFDA JSON or CSV)"),
                permission="intelligence.add_publicrecall",
            ),
        )
        IMPORTERS.register(
            "fda-enforcement",
            ImporterKind(
                "medrecall.intelligence.importers.FdaEnforcementImporter",
                label=_("FDA enforcement reports (openFDA JSON or CSV)"),
                permission="intelligence.add_publicrecall",
            ),
        )
