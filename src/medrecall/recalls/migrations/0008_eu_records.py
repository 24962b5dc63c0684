from django.db import migrations, models


class Migration(migrations.Migration):
    """EU MDR on the case: FSCA records, SRN, awareness and incident category."""

    dependencies = [
        ("recalls", "0007_fda_records"),
    ]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AddField(
            model_name="recallcase",
            name="aware_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="aware of the serious incident at"
            ),
        ),
        migrations.AddField(
            model_name="recallcase",
            name="eu_incident",
            field=models.CharField(
                blank=True,
                choices=[
                    ("public_health_threat", "Serious public health threat (2 days)"),
                    (
                        "death_or_serious_deterioration",
                        "Death or unanticipated serious deterioration of health (10 days)",
                    ),
                    ("other", "Other serious incident (15 days)"),
                ],
                max_length=40,
                verbose_name="serious-incident category (EU MDR)",
            ),
        ),
    ]
