"""Reads of device models, lots and serials, scoped to the viewer.

Device models are the company's published catalogue: portal users may read them. Lots and
serials are not shown to portal users here; the traceability context offers them the lots
their own party holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from medrecall.core.errors import NotFound
from medrecall.core.selectors import one_or_not_found
from medrecall.core.types import Viewer

from .models import DeviceModel, Lot, Serial


def device_model_list_for(
    *, viewer: Viewer, search: str = "", tracking: str = ""
) -> QuerySet[DeviceModel]:
    models = DeviceModel.objects.all()
    if tracking:
        models = models.filter(tracking=tracking)
    if search:
        models = models.filter(
            Q(udi_di__icontains=search)
            | Q(model_code__icontains=search)
            | Q(name__icontains=search)
            | Q(name_en__icontains=search)
            | Q(registration_no__icontains=search)
            | Q(brand__icontains=search)
        )
    return models.annotate(lot_count=Count("lots", distinct=True)).order_by("model_code")


def device_model_get_for(*, viewer: Viewer, pk: int) -> DeviceModel:
    return one_or_not_found(DeviceModel.objects.filter(pk=pk), _("Device model not found."))


def lot_list_for(
    *, viewer: Viewer, search: str = "", device_model_id: int | None = None
) -> QuerySet[Lot]:
    lots = Lot.objects.select_related("device_model")
    if viewer.party_id is not None:
        return lots.none()
    if device_model_id is not None:
        lots = lots.filter(device_model_id=device_model_id)
    if search:
        lots = lots.filter(
            Q(number__icontains=search)
            | Q(device_model__model_code__icontains=search)
            | Q(device_model__udi_di__icontains=search)
        )
    return lots


def lot_get_for(*, viewer: Viewer, pk: int) -> Lot:
    return one_or_not_found(lot_list_for(viewer=viewer).filter(pk=pk), _("Lot not found."))


def serial_list_for(
    *, viewer: Viewer, search: str = "", lot_id: int | None = None
) -> QuerySet[Serial]:
    serials = Serial.objects.select_related("device_model", "lot")
    if viewer.party_id is not None:
        return serials.none()
    if lot_id is not None:
        serials = serials.filter(lot_id=lot_id)
    if search:
        serials = serials.filter(
            Q(serial__icontains=search)
            | Q(lot__number__icontains=search)
            | Q(device_model__model_code__icontains=search)
        )
    return serials


def serial_get_for(*, viewer: Viewer, pk: int) -> Serial:
    return one_or_not_found(
        serial_list_for(viewer=viewer).filter(pk=pk), _("Serial number not found.")
    )


def device_models_with_gtins(*, gtins: Sequence[str], where: str = "products") -> list[DeviceModel]:
    """The device models with these GTINs (written with or without the leading zeros of a
    GTIN-14): one query, and a refusal naming every GTIN that is no model's."""
    from medrecall.core.gtin import normalise_gtin

    wanted = {normalise_gtin(gtin) for gtin in gtins}
    found = list(DeviceModel.objects.filter(udi_di__in=wanted))
    if missing := wanted - {model.udi_di for model in found}:
        raise NotFound(
            _("No device model has GTIN %(gtin)s.") % {"gtin": ", ".join(sorted(missing))},
            where=where,
        )
    return found
