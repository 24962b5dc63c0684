from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "medrecall.parties"
    label = "parties"
    verbose_name = _("Parties")

    def ready(self) -> None:
        from medrecall.core.registry import register_importer

        register_importer(
            "parties",
            "medrecall.parties.importers.PartyImporter",
            label=_("Parties"),
            permission="parties.add_party",
        )
        register_importer(
            "locations",
            "medrecall.parties.importers.LocationImporter",
            label=_("Locations"),
            permission="parties.add_location",
        )
        register_importer(
            "contacts",
            "medrecall.parties.importers.ContactImporter",
            label=_("Contacts"),
            permission="parties.add_contact",
        )
