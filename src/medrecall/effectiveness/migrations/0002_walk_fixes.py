from django.db import migrations


class Migration(migrations.Migration):
    """Effectiveness: fixes from the browser walk."""

    dependencies = [
        ("effectiveness", "0001_initial"),
    ]

    operations: list[migrations.operations.base.Operation] = []
