from django.db import migrations


class Migration(migrations.Migration):
    """Finance reports at 100,000 entries: what the report pages read."""

    dependencies = [
        ("finance", "0006_report_speed"),
    ]

    operations: list[migrations.operations.base.Operation] = []
