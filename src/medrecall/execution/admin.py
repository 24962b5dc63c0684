from django.contrib import admin

from medrecall.audit.admin import AuditedAdmin

from .models import Carrier, CarrierRate, CarrierRule, Hold, ServiceProvider


class CarrierRateInline(admin.TabularInline[CarrierRate, Carrier]):
    model = CarrierRate
    extra = 1


@admin.register(Carrier)
class CarrierAdmin(AuditedAdmin):
    list_display = ["code", "name", "max_weight_kg", "is_active"]
    inlines = [CarrierRateInline]


@admin.register(CarrierRule)
class CarrierRuleAdmin(AuditedAdmin):
    list_display = [
        "priority",
        "name",
        "country",
        "province_code",
        "min_weight_kg",
        "max_weight_kg",
        "urgency",
        "carrier",
        "is_active",
    ]


@admin.register(ServiceProvider)
class ServiceProviderAdmin(AuditedAdmin):
    list_display = ["name", "party", "technician", "capacity", "is_active"]
    filter_horizontal = ["device_models"]


@admin.register(Hold)
class HoldAdmin(AuditedAdmin):
    """Read-only: holds change through the hold actions, which audit them."""

    regulated = True

    list_display = ["recall", "lot", "serial", "placed_at", "released_at"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
