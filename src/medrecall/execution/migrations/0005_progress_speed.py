from django.db import migrations, models


class Migration(migrations.Migration):
    """Cockpit and home page at 1M units: what they read."""

    dependencies = [
        ("execution", "0004_evidence_names"),
    ]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AddIndex(
            model_name="receipt",
            index=models.Index(fields=["recall", "received_at"], name="receipt_recall_received"),
        ),
    ]
