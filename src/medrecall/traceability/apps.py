from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TraceabilityConfig(AppConfig):
    name = "medrecall.traceability"
    label = "traceability"
    verbose_name = _("Traceability")

    def ready(self) -> None:
        from medrecall.core.registry import IMPORTERS, ImporterKind

        IMPORTERS.register(
            "events",
            ImporterKind(
                "medrecall.traceability.importing.events.EventImporter",
                label=_("Trace events"),
                permission="traceability.add_traceevent",
            ),
        )
        IMPORTERS.register(
            "epcis",
            ImporterKind(
                "medrecall.traceability.importing.epcis.EpcisImporter",
                label=_("GS1 EPCIS 2.0 document"),
                permission="traceability.add_traceevent",
            ),
        )
