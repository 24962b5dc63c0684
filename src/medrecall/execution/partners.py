"""Carriers, their rates and service providers: the set-up data that returns (carrier choice)
and work orders (provider choice) pick from. Staff keep them on ordinary pages, the API and
the ``medrecall execution carriers|rates|providers`` command; portal users see none of it.

Reads are scoped to the viewer; every write is one audited save (``audit.audited_save``), and a
provider's qualification (device models) is audited with it, because who may correct which
device on site is a regulated fact.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from medrecall.audit import services as audit
from medrecall.catalog.models import DeviceModel
from medrecall.core.errors import NotFound
from medrecall.core.types import Actor, Viewer

from .models import Carrier, CarrierRate, ServiceProvider


def _not_found() -> str:
    from django.utils.translation import gettext as _

    return _("Not found.")


def _staff_only(viewer: Viewer, queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.none() if getattr(viewer, "party_id", None) else queryset


def _matching(queryset: QuerySet[Any], search: str, fields: tuple[str, ...]) -> QuerySet[Any]:
    if not search:
        return queryset
    query = Q()
    for name in fields:
        query |= Q(**{f"{name}__icontains": search})
    return queryset.filter(query)


def carrier_list_for(*, viewer: Viewer, search: str = "") -> QuerySet[Carrier]:
    carriers = Carrier.objects.select_related("party").annotate(rate_count=Count("rates"))
    return _matching(
        _staff_only(viewer, carriers), search, ("code", "name", "party__code")
    ).order_by("code")


def carrier_get_for(*, viewer: Viewer, pk: int) -> Carrier:
    found: Carrier | None = carrier_list_for(viewer=viewer).filter(pk=pk).first()
    if found is None:
        raise NotFound(_not_found())
    return found


def carrier_rate_list_for(
    *, viewer: Viewer, search: str = "", carrier: str = ""
) -> QuerySet[CarrierRate]:
    rates = _staff_only(viewer, CarrierRate.objects.select_related("carrier"))
    if carrier:
        rates = rates.filter(carrier__code=carrier)
    return _matching(
        rates, search, ("carrier__code", "carrier__name", "country", "province_code")
    ).order_by("carrier__code", "country", "province_code")


def carrier_rate_get_for(*, viewer: Viewer, pk: int) -> CarrierRate:
    found: CarrierRate | None = carrier_rate_list_for(viewer=viewer).filter(pk=pk).first()
    if found is None:
        raise NotFound(_not_found())
    return found


def service_provider_list_for(*, viewer: Viewer, search: str = "") -> QuerySet[ServiceProvider]:
    providers = _staff_only(
        viewer,
        ServiceProvider.objects.select_related("party", "technician").prefetch_related(
            "device_models"
        ),
    )
    return _matching(providers, search, ("name", "party__code", "party__name")).order_by(
        "name", "pk"
    )


def service_provider_get_for(*, viewer: Viewer, pk: int) -> ServiceProvider:
    found: ServiceProvider | None = service_provider_list_for(viewer=viewer).filter(pk=pk).first()
    if found is None:
        raise NotFound(_not_found())
    return found


@transaction.atomic
def service_provider_save(
    *,
    provider: ServiceProvider,
    device_models: Iterable[DeviceModel] | None,
    actor: Actor,
    reason: str = "",
) -> ServiceProvider:
    """Create or change a provider and, if given, the device models it is qualified for; both audited."""
    saved = audit.audited_save(
        instance=provider, actor=actor, action="execution.serviceprovider", reason=reason
    )
    assert isinstance(saved, ServiceProvider)  # noqa: S101 - audited_save returns what it was given
    if device_models is not None:
        before = sorted(saved.device_models.values_list("model_code", flat=True))
        models = list(device_models)
        saved.device_models.set(models)
        after = sorted(m.model_code for m in models)
        if before != after:
            audit.record(
                actor=actor,
                action="execution.serviceprovider.qualified",
                target=saved,
                reason=reason,
                changes={"device_models": [before, after]},
            )
    return saved
