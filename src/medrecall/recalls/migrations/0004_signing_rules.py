from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("recalls", "0003_closure_and_state"),
    ]

    operations = [
        migrations.AddField(
            model_name="approvalstep",
            name="distinct_signer",
            field=models.BooleanField(default=True, help_text="Whoever signs this step may sign no other step of the same recall's approval.", verbose_name="needs its own signer"),
        ),
    ]
