"""Each submitted filing's one recorded submission becomes its first ``FilingSubmission``. A
filing addressed to one authority (or none recorded) is thereby submitted to all of them; one
addressed to several shows the others as still waiting (only one submission was recorded)."""

from django.db import migrations


def forward(apps, schema_editor):
    Filing = apps.get_model("filings", "Filing")
    FilingSubmission = apps.get_model("filings", "FilingSubmission")
    for filing in Filing.objects.filter(status="submitted").exclude(submitted_at=None):
        FilingSubmission.objects.get_or_create(
            filing=filing,
            authority=filing.authority or "-",
            defaults={
                "submitted_at": filing.submitted_at,
                "reference": filing.reference,
                "submitted_by_id": filing.submitted_by_id or filing.generated_by_id,
                "acknowledgement": filing.acknowledgement.name,
                "acknowledgement_name": filing.acknowledgement_name,
                "acknowledgement_type": filing.acknowledgement_type,
            },
        )
        if len(filing.addressees or []) <= 1:
            filing.submitted_to_all_at = filing.submitted_at
            filing.save(update_fields=["submitted_to_all_at"])


def backward(apps, schema_editor):
    apps.get_model("filings", "FilingSubmission").objects.all().delete()
    apps.get_model("filings", "Filing").objects.update(submitted_to_all_at=None)


class Migration(migrations.Migration):
    dependencies = [("filings", "0003_submission_per_authority")]

    operations = [migrations.RunPython(forward, backward)]
