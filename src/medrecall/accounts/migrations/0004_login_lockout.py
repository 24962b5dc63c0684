from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_signing")]

    operations: list = []
