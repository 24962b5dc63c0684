"""``{{ device|device_name }}``: a device model's name in the active language (English name
for English readers, Chinese otherwise, each falling back to the other). Takes a
``DeviceModel`` or a frozen line/dict with ``model``/``model_en``, ``device_model``/``device_model_en`` or ``name``/``name_en``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from medrecall.catalog.models import DeviceModel
from medrecall.catalog.models import device_name as name_in

register = template.Library()


@register.filter(name="device_name")
def device_name(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, DeviceModel):
        return value.name_for()
    if isinstance(value, Mapping):
        if "device_model" in value:
            return name_in(
                str(value.get("device_model") or ""), str(value.get("device_model_en") or "")
            )
        if "model" in value:
            return name_in(str(value.get("model") or ""), str(value.get("model_en") or ""))
        return name_in(str(value.get("name") or ""), str(value.get("name_en") or ""))
    if hasattr(value, "name_for"):
        return str(value.name_for())
    return str(value)
