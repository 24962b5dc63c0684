from django.db import migrations


class Migration(migrations.Migration):
    """Cockpit and home page at 1M units: what they read."""

    dependencies = [
        ("execution", "0004_evidence_names"),
    ]

    operations: list[migrations.operations.base.Operation] = []
