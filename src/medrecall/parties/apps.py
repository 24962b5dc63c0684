from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "medrecall.parties"
    label = "parties"
    verbose_name = _("Parties")

    def ready(self) -> None:
        from medrecall.core.registry import IMPORTERS, ImporterKind

        IMPORTERS.register(
            "parties",
            ImporterKind(
                "medrecall.parties.importers.PartyImporter",
                label=_("Parties"),
                permission="parties.add_party",
            ),
        )
        IMPORTERS.register(
            "locations",
            ImporterKind(
                "medrecall.parties.importers.LocationImporter",
                label=_("Locations"),
                permission="parties.add_location",
            ),
        )
        IMPORTERS.register(
            "contacts",
            ImporterKind(
                "medrecall.parties.importers.ContactImporter",
                label=_("Contacts"),
                permission="parties.add_contact",
            ),
        )
