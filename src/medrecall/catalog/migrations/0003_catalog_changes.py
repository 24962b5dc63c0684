from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_serial_without_database_foreign_keys"),
    ]

    operations: list[migrations.operations.base.Operation] = []
