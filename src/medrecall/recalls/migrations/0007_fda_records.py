from django.db import migrations


class Migration(migrations.Migration):
    """FDA's own records on the case: classification, event id, Z-numbers, status interval."""

    dependencies = [
        ("recalls", "0006_rescope_baseline"),
    ]

    operations: list[migrations.operations.base.Operation] = []
