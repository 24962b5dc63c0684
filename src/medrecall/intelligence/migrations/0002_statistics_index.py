from django.db import migrations, models


class Migration(migrations.Migration):
    """Statistics of public recalls: covering index (every column the statistics read, so that
    they scan the index, not the wide rows)."""

    dependencies = [
        ("intelligence", "0001_initial"),
    ]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AddIndex(
            model_name="publicrecall",
            index=models.Index(
                fields=[
                    "source",
                    "root_cause",
                    "recall_class",
                    "device_class",
                    "initiated_on",
                    "days_open",
                    "quantity",
                    "code_info_parsed",
                    "id",
                ],
                name="intel_statistics",
            ),
        ),
    ]
