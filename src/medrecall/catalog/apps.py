from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "medrecall.catalog"
    label = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from medrecall.core.registry import IMPORTERS, ImporterKind

        IMPORTERS.register(
            "products",
            ImporterKind(
                "medrecall.catalog.importers.ProductImporter",
                label=_("Device models (products)"),
                permission="catalog.add_devicemodel",
            ),
        )
        IMPORTERS.register(
            "lots",
            ImporterKind(
                "medrecall.catalog.importers.LotImporter",
                label=_("Lots"),
                permission="catalog.add_lot",
            ),
        )
        IMPORTERS.register(
            "serials",
            ImporterKind(
                "medrecall.catalog.importers.SerialImporter",
                label=_("Serial numbers"),
                permission="catalog.add_serial",
            ),
        )
        IMPORTERS.register(
            "gudid",
            ImporterKind(
                "medrecall.catalog.gudid.GudidImporter",
                label=_("Device models from AccessGUDID XML"),
                permission="catalog.add_devicemodel",
            ),
        )
