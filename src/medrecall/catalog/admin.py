from django.contrib import admin

from .models import DeviceModel, Lot, Serial


@admin.register(DeviceModel)
class DeviceModelAdmin(admin.ModelAdmin[DeviceModel]):
    list_display = ("model_code", "name", "udi_di", "tracking", "risk_class_nmpa", "risk_class_fda", "risk_class_eu")
    search_fields = ("model_code", "name", "udi_di", "registration_no")
    list_filter = ("tracking", "implantable")


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin[Lot]):
    list_display = ("number", "device_model", "manufactured_on", "expires_on", "quantity_produced")
    search_fields = ("number", "device_model__model_code")
    raw_id_fields = ("device_model",)


@admin.register(Serial)
class SerialAdmin(admin.ModelAdmin[Serial]):
    list_display = ("serial", "device_model", "lot")
    search_fields = ("serial",)
    raw_id_fields = ("device_model", "lot")
