from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("parties", "0001_initial")]

    operations: list = []
