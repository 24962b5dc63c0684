from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TraceabilityConfig(AppConfig):
    name = "medrecall.traceability"
    label = "traceability"
    verbose_name = _("Traceability")

    def ready(self) -> None:
        from medrecall.core.registry import register_importer

        from .importing.epcis import EpcisImporter
        from .importing.events import EventImporter

        register_importer("events", EventImporter, label=_("Trace events"), permission="traceability.add_traceevent")
        register_importer("epcis", EpcisImporter, label=_("GS1 EPCIS 2.0 document"), permission="traceability.add_traceevent")
