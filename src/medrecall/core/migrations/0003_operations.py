from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0002_working_day_calendar")]

    operations = [
        migrations.CreateModel(
            name="TaskWorker",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("worker_id", models.CharField(max_length=64, unique=True, verbose_name="worker")),
                ("hostname", models.CharField(max_length=255, verbose_name="machine")),
                ("pid", models.PositiveIntegerField(verbose_name="process id")),
                ("started_at", models.DateTimeField(verbose_name="started at")),
                ("seen_at", models.DateTimeField(verbose_name="last heartbeat")),
                ("stopped_at", models.DateTimeField(blank=True, null=True, verbose_name="stopped at")),
            ],
            options={
                "verbose_name": "task worker",
                "verbose_name_plural": "task workers",
                "ordering": ["-started_at"],
                "indexes": [models.Index(fields=["hostname", "pid"], name="core_taskworker_host_pid")],
            },
        ),
    ]
