from django.db import migrations
from django.db.models import F


def mark_reported(apps, schema_editor):
    """Parties created from replies before the review existed (codes SC-<recall>-<reply>-<n>)
    become "reported by <holder>, unverified", so staff review them like new ones."""
    Party = apps.get_model("parties", "Party")
    SubConsignee = apps.get_model("notices", "SubConsignee")
    reporters = {}
    for party_id, reported_by_id in (SubConsignee.objects.filter(party__code__startswith="SC-",
                                                                  party__review="established")
                                     .exclude(reported_by_id=F("party_id"))
                                     .order_by("pk").values_list("party_id", "reported_by_id")):
        reporters.setdefault(party_id, reported_by_id)
    for party_id, reported_by_id in reporters.items():
        Party.objects.filter(pk=party_id).update(review="unverified", reported_by_id=reported_by_id)


def unmark_reported(apps, schema_editor):
    Party = apps.get_model("parties", "Party")
    Party.objects.filter(code__startswith="SC-", review="unverified").update(review="established", reported_by=None)


class Migration(migrations.Migration):
    """Data only: sub-consignee parties created from replies before 0002_reported_parties are under review."""

    dependencies = [("notices", "0005_updated_notices"), ("parties", "0002_reported_parties")]

    operations = [migrations.RunPython(mark_reported, unmark_reported)]
