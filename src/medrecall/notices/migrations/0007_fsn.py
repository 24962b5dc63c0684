from django.db import migrations


class Migration(migrations.Migration):
    """EU field safety notices: the FSCA gate and national-language templates."""

    dependencies = [
        ("notices", "0006_reply_hardening"),
    ]

    operations: list[migrations.operations.base.Operation] = []
