from django.contrib import admin

from medrecall.audit.admin import AuditedAdmin

from .models import Contact, Location, Party


class ContactInline(admin.TabularInline[Contact, Party]):
    model = Contact
    extra = 0


@admin.register(Party)
class PartyAdmin(AuditedAdmin):
    list_display = ("code", "name", "party_type", "country", "province", "city", "review")
    search_fields = ("code", "name", "name_en")
    list_filter = ("party_type", "country", "review")
    # The review of a reported party is decided by parties.services (verify, merge), audited there.
    readonly_fields = ("review", "reported_by", "reviewed_at", "reviewed_by", "merged_into")
    inlines = [ContactInline]


@admin.register(Location)
class LocationAdmin(AuditedAdmin):
    list_display = ("code", "name", "location_type", "party", "country", "city")
    search_fields = ("code", "name", "party__code")
    list_filter = ("location_type",)
    raw_id_fields = ("party",)
