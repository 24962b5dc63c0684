from django.contrib import admin

from medrecall.audit.admin import AuditedAdmin

from .models import Contact, Location, Party


class ContactInline(admin.TabularInline[Contact, Party]):
    model = Contact
    extra = 0


@admin.register(Party)
class PartyAdmin(AuditedAdmin):
    list_display = ("code", "name", "party_type", "country", "province", "city")
    search_fields = ("code", "name", "name_en")
    list_filter = ("party_type", "country")
    inlines = [ContactInline]


@admin.register(Location)
class LocationAdmin(AuditedAdmin):
    list_display = ("code", "name", "location_type", "party", "country", "city")
    search_fields = ("code", "name", "party__code")
    list_filter = ("location_type",)
    raw_id_fields = ("party",)
