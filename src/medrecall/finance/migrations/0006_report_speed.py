import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0005_postings"),
        ("notices", "0006_reply_hardening"),
    ]

    operations: list[migrations.operations.base.Operation] = [
        # An offer is paid once: by its fulfilment or by a refund requested from it.
        migrations.AddField(
            model_name="costentry",
            name="offer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="notices.offer",
                verbose_name="offer",
            ),
        ),
        migrations.AddConstraint(
            model_name="costentry",
            constraint=models.UniqueConstraint(
                condition=models.Q(("offer__isnull", False), ("reverses__isnull", True)),
                fields=("offer",),
                name="finance_entry_offer_paid_once",
            ),
        ),
    ]
