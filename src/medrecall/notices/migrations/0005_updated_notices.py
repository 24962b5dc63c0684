from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("notices", "0004_reply_discrepancy"),
    ]

    operations: list[migrations.operations.base.Operation] = []
