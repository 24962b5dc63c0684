from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0002_working_day_calendar")]

    operations: list = []
