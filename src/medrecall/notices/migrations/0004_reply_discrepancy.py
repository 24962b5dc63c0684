from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("notices", "0003_notice_content"),
    ]

    operations: list[migrations.operations.base.Operation] = []
