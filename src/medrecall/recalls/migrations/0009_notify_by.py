from django.db import migrations


class Migration(migrations.Migration):
    """Notify-by times per holder."""

    dependencies = [
        ("recalls", "0008_eu_records"),
    ]

    operations: list[migrations.operations.base.Operation] = []
