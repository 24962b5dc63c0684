import django.db.models.deletion
from django.db import migrations, models

# The backfill: the entries posted so far, summed by the rollup's key (finance/rollup.py keeps
# it from here on, in the transaction of each posting).
BACKFILL = (
    "INSERT INTO finance_costrollup (recall_id, day, category, source, currency, vendor_pk, "
    "holder_pk, entries, amount, company_amount) "
    "SELECT recall_id, incurred_on, category, source, currency, COALESCE(vendor_id, 0), "
    "COALESCE(holder_id, 0), COUNT(*), SUM(amount), SUM(company_amount) "
    "FROM finance_costentry GROUP BY recall_id, incurred_on, category, source, currency, "
    "COALESCE(vendor_id, 0), COALESCE(holder_id, 0)"
)


class Migration(migrations.Migration):
    """Finance reports at 100,000 entries: what the report pages read."""

    dependencies = [
        ("finance", "0006_report_speed"),
        ("recalls", "0008_eu_records"),
    ]

    operations: list[migrations.operations.base.Operation] = [
        migrations.CreateModel(
            name="CostRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(verbose_name="date")),
                ("category", models.CharField(max_length=16, verbose_name="category")),
                ("source", models.CharField(max_length=12, verbose_name="source")),
                ("currency", models.CharField(max_length=3, verbose_name="currency")),
                ("vendor_pk", models.BigIntegerField(default=0, verbose_name="vendor")),
                ("holder_pk", models.BigIntegerField(default=0, verbose_name="holder")),
                ("entries", models.IntegerField(default=0, verbose_name="entries")),
                (
                    "amount",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=18, verbose_name="amount"
                    ),
                ),
                (
                    "company_amount",
                    models.DecimalField(
                        decimal_places=2,
                        default=0,
                        max_digits=18,
                        verbose_name="amount in company currency",
                    ),
                ),
                (
                    "recall",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="recalls.recallcase",
                        verbose_name="recall",
                    ),
                ),
            ],
            options={
                "verbose_name": "cost rollup",
                "verbose_name_plural": "cost rollups",
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "recall",
                            "day",
                            "category",
                            "source",
                            "currency",
                            "vendor_pk",
                            "holder_pk",
                        ),
                        name="finance_rollup_key",
                    )
                ],
            },
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="costentry",
            index=models.Index(
                fields=["recall", "incurred_on", "number"], name="finance_entry_recall_day"
            ),
        ),
    ]
