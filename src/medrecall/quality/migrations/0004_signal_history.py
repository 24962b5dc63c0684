from django.db import migrations


class Migration(migrations.Migration):
    """Signal status history and the walk's fixes."""

    dependencies = [
        ("quality", "0003_signals"),
    ]

    operations: list[migrations.operations.base.Operation] = []
