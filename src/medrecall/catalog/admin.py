from django.contrib import admin

from medrecall.audit.admin import AuditedAdmin

from .models import DeviceModel, Lot, Serial


@admin.register(DeviceModel)
class DeviceModelAdmin(AuditedAdmin):
    list_display = (
        "model_code",
        "name",
        "udi_di",
        "tracking",
        "risk_class_nmpa",
        "risk_class_fda",
        "risk_class_eu",
    )
    search_fields = ("model_code", "name", "udi_di", "registration_no")
    list_filter = ("tracking", "implantable")


@admin.register(Lot)
class LotAdmin(AuditedAdmin):
    regulated = True  # lots and serials carry the trace and the recall scopes
    list_display = ("number", "device_model", "manufactured_on", "expires_on", "quantity_produced")
    search_fields = ("number", "device_model__model_code")
    raw_id_fields = ("device_model",)


@admin.register(Serial)
class SerialAdmin(AuditedAdmin):
    regulated = True
    list_display = ("serial", "device_model", "lot")
    search_fields = ("serial",)
    raw_id_fields = ("device_model", "lot")
