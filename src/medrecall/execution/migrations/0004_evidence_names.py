from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("execution", "0003_receiving_and_demo")]

    operations: list = []
