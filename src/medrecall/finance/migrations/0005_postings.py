# The automatic postings: which posted letters a postage entry covers.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0004_payables"),
        ("notices", "0006_reply_hardening"),
    ]

    operations = [
        migrations.CreateModel(
            name="PostedLetter",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="notices.noticeevent",
                        verbose_name="letter posted",
                    ),
                ),
                (
                    "entry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="letters",
                        to="finance.costentry",
                        verbose_name="cost entry",
                    ),
                ),
            ],
            options={
                "verbose_name": "postage of a letter",
                "verbose_name_plural": "postage of letters",
            },
        ),
    ]
