from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("recalls", "0003_closure_and_state"),
    ]

    operations: list[migrations.operations.base.Operation] = []
