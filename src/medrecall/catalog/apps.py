from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "medrecall.catalog"
    label = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from medrecall.core.registry import register_importer

        register_importer(
            "products",
            "medrecall.catalog.importers.ProductImporter",
            label=_("Device models (products)"),
            permission="catalog.add_devicemodel",
        )
        register_importer(
            "lots",
            "medrecall.catalog.importers.LotImporter",
            label=_("Lots"),
            permission="catalog.add_lot",
        )
        register_importer(
            "serials",
            "medrecall.catalog.importers.SerialImporter",
            label=_("Serial numbers"),
            permission="catalog.add_serial",
        )
        register_importer(
            "gudid",
            "medrecall.catalog.gudid.GudidImporter",
            label=_("Device models from AccessGUDID XML"),
            permission="catalog.add_devicemodel",
        )
