from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("recalls", "0004_signing_rules"),
    ]

    operations: list[migrations.operations.base.Operation] = []
