import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    """FDA's own records on the case: classification, event id, Z-numbers, status interval."""

    dependencies = [
        ("recalls", "0006_rescope_baseline"),
    ]

    operations = [
        migrations.AddField(
            model_name="recallcase",
            name="fda_status_interval_days",
            field=models.PositiveSmallIntegerField(
                default=14,
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="FDA status report every (days)",
            ),
        ),
        migrations.AddField(
            model_name="recallregime",
            name="fda_class",
            field=models.CharField(
                blank=True,
                choices=[("I", "Class I"), ("II", "Class II"), ("III", "Class III")],
                max_length=3,
                verbose_name="FDA classification",
            ),
        ),
        migrations.AddField(
            model_name="recallregime",
            name="fda_classified_on",
            field=models.DateField(blank=True, null=True, verbose_name="FDA classified on"),
        ),
        migrations.AddField(
            model_name="recallregime",
            name="fda_event_id",
            field=models.CharField(blank=True, max_length=20, verbose_name="FDA recall event id"),
        ),
        migrations.AddField(
            model_name="recallregime",
            name="fda_z_numbers",
            field=models.JSONField(
                blank=True, default=list, verbose_name="FDA Z-numbers per product"
            ),
        ),
    ]
