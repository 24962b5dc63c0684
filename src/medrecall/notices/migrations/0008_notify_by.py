from django.db import migrations


class Migration(migrations.Migration):
    """Notify-by per holder, derived from the notice log."""

    dependencies = [
        ("notices", "0007_fsn"),
    ]

    operations: list[migrations.operations.base.Operation] = []
