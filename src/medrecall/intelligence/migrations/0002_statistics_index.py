from django.db import migrations


class Migration(migrations.Migration):
    """Statistics of public recalls: covering index."""

    dependencies = [
        ("intelligence", "0001_initial"),
    ]

    operations: list[migrations.operations.base.Operation] = []
